"""`use_takeout: true`: history through a takeout session, finished with the right flag
on success and on every failure; TAKEOUT_INIT_DELAY as one actionable line."""

from __future__ import annotations

import pytest

from tests.fake_telegram import FakeTelegram, run_fake_tap, three_chats_world

CHATS = ["@fake_news", "@fake_devs"]


@pytest.fixture(scope="module")
def world():
    return three_chats_world(seed=31)


def stats_of(run):
    assert run.stats is not None, run.stderr[-2000:]
    return run.stats


def finishes(run):
    return [entry for entry in stats_of(run).log if entry.startswith("FinishTakeoutSession(")]


def test_takeout_wraps_history_and_finishes_with_success(world):
    fake = FakeTelegram(world)
    run = run_fake_tap(fake, fake.tap_config(chats=CHATS, use_takeout=True)).check()
    ids = [r["id"] for r in run.records["messages"] if r["chat_id"] == world.marked_id("channel")]
    assert ids == world.message_ids("channel")
    stats = stats_of(run)
    assert stats.requests["InitTakeoutSessionRequest"] == 1
    history = stats.requests["GetHistoryRequest"]
    # Every request after the takeout opened went through invokeWithTakeout.
    log = stats.log
    after = log[log.index("InitTakeoutSessionRequest") + 1 :]
    assert stats.wrappers["InvokeWithTakeoutRequest"] == len(after) - 1  # minus the log line
    assert history <= len(after)
    assert finishes(run) == ["FinishTakeoutSession(success=True)"]
    assert "takeout session finished (success=True)" in run.stderr


def test_without_takeout_nothing_is_wrapped(world):
    fake = FakeTelegram(world)
    run = run_fake_tap(fake, fake.tap_config(chats=CHATS)).check()
    assert stats_of(run).wrappers["InvokeWithTakeoutRequest"] == 0
    assert stats_of(run).requests["InitTakeoutSessionRequest"] == 0


def test_takeout_init_delay_tells_the_user_to_approve_it(world):
    fake = FakeTelegram(world)
    fake.add_fault("InitTakeoutSession", "TAKEOUT_INIT_DELAY_3600")
    run = run_fake_tap(fake, fake.tap_config(chats=CHATS, use_takeout=True))
    assert run.returncode == 3
    errors = [line for line in run.stderr.splitlines() if "| ERROR" in line]
    assert len(errors) == 1, errors
    assert "1 h 0 min" in errors[0]
    assert "allow the data export request" in errors[0]
    assert "use_takeout: false" in errors[0]
    assert "Traceback" not in run.stderr
    assert finishes(run) == []  # nothing was opened, nothing to finish


def test_failed_chat_finishes_takeout_without_success(world):
    fake = FakeTelegram(world)
    fake.add_fault("GetHistoryRequest", "CHANNEL_PRIVATE", chat="channel", nth=2)
    run = run_fake_tap(fake, fake.tap_config(chats=CHATS, use_takeout=True))
    assert run.returncode == 5
    assert finishes(run) == ["FinishTakeoutSession(success=False)"]
    # The other chat completed inside the same takeout.
    devs = [r for r in run.records["messages"] if r["chat_id"] == world.marked_id("supergroup")]
    assert len(devs) == world.message_count("supergroup")


def test_session_error_mid_run_still_finishes_takeout(world):
    fake = FakeTelegram(world)
    fake.add_fault("GetHistoryRequest", "AUTH_KEY_UNREGISTERED", nth=3, times=1)
    run = run_fake_tap(fake, fake.tap_config(chats=CHATS, use_takeout=True))
    assert run.returncode == 3
    assert "tap-telegram login" in run.stderr
    assert finishes(run) == ["FinishTakeoutSession(success=False)"]


def test_takeout_left_open_in_a_session_file_is_replaced(world, tmp_path):
    """A killed run leaves its takeout id in a SQLite session; the next run starts anew."""
    import io

    from telethon.sessions import SQLiteSession

    from tap_telegram.cli import login
    from tests.fake_telegram import API_HASH, API_ID

    fake = FakeTelegram(world)
    path = tmp_path / "me.session"
    answers = iter([API_HASH, "+15550000000", "24680"])
    code = login.main(
        ["--api-id", str(API_ID), "--session-file", str(path)],
        client_factory=fake.client_factory,
        prompt=lambda text, secret: next(answers),
        out=io.StringIO(),
        err=io.StringIO(),
    )
    assert code == 0
    stale = SQLiteSession(str(path))
    stale.takeout_id = 987654321  # what a run killed inside its takeout leaves behind
    stale.save()
    stale.close()
    config = {
        **fake.tap_config(chats=["@fake_devs"], use_takeout=True),
        "session_string": None,
        "session_file": str(path),
    }
    run = run_fake_tap(fake, config).check()
    assert "a previous run left a takeout session open" in run.stderr
    assert stats_of(run).errors["TAKEOUT_INVALID"] == 0
    assert finishes(run) == ["FinishTakeoutSession(success=True)"]
    after = SQLiteSession(str(path))
    try:
        assert after.takeout_id is None
    finally:
        after.close()


@pytest.mark.parametrize(("error", "code"), [("NOT_IMPLEMENTED", 400), ("NOT_IMPLEMENTED", 501)])
def test_an_unexpected_takeout_answer_says_what_was_answered(world, error, code):
    """Not `chat -:`, and not Telegram's servers to blame: what the server said, and the way out."""
    fake = FakeTelegram(world)
    fake.add_fault("InitTakeoutSession", error, code=code, times=None)
    run = run_fake_tap(fake, fake.tap_config(chats=CHATS, use_takeout=True))
    assert run.returncode == 3, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if "| ERROR" in line]
    assert len(errors) == 1, errors
    assert "chat -" not in errors[0]
    assert f"answered InitTakeoutSessionRequest with {error} (code {code})" in errors[0]
    assert "set use_takeout: false" in errors[0]
    assert "servers have trouble" not in errors[0]


def test_a_server_error_on_takeout_is_the_runs_not_a_chats(world):
    """After Telethon's retries of a 500: one line for the run (no `chat -`)."""
    import asyncio
    import logging

    from tap_telegram.errors import ChatError, SessionError
    from tap_telegram.sources.mtproto.wire.calls import Caller
    from tap_telegram.sources.mtproto.wire.takeout import Takeout

    fake = FakeTelegram(world)
    fake.add_fault("InitTakeoutSession", "NOT_IMPLEMENTED", code=500, times=None)

    async def go():
        client = fake.client(request_retries=1)
        await client.connect()
        try:
            caller = Caller(client, logging.getLogger("test"), max_flood_wait=1)
            with pytest.raises(SessionError) as caught:
                await Takeout(client, caller, logging.getLogger("test")).start()
            return caught.value
        finally:
            await client.disconnect()

    error = asyncio.run(go())
    assert not isinstance(error, ChatError)
    assert "answered InitTakeoutSessionRequest with NOT_IMPLEMENTED (code 500)" in str(error)
