from tests.fake_telegram import FakeTelegram, run_in_process
from tests.singer.test_changes import make_world, config, counts

def test_x():
    world = make_world()
    fake = FakeTelegram(world)
    run = run_in_process(fake, config(fake, world, track_changes=False)).check()
    print(dict(counts(run)))
    run = run_in_process(fake, config(fake, world), run.state).check()
    print(dict(counts(run)))
