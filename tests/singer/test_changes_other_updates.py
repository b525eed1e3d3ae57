"""Change capture past the updates it does not need: reads, pins, link previews, folder moves.

Telegram numbers them in the same update logs as new, edited and deleted messages
(tests/fake_telegram/box_events.py): the tap must read past them without emitting
anything, and they bring Telegram's "too long" (100 updates back) as early as messages do.
"""

from __future__ import annotations

import pytest

from tests.fake_telegram import FakeTelegram, World, run_fake_tap, run_in_process
from tests.fake_telegram.box_events import (
    move_to_folder,
    pin_messages,
    read_contents,
    read_history,
    update_web_page,
)
from tests.singer.test_changes import (
    CHANNEL_DIFF,
    config,
    counts,
    make_world,
    messages,
    partitions,
)
from tests.sources.mtproto.helpers import bookmarks


@pytest.fixture
def world() -> World:
    return make_world()


def test_reads_pins_web_pages_and_folder_moves_are_ignored_but_move_positions(
    world: World,
) -> None:
    """Telegram numbers these events too: the tap reads past them and emits nothing."""
    fake = FakeTelegram(world)
    cfg = config(fake, world)
    first = run_in_process(fake, cfg).check()
    bob, fam, news = world.text_ids("bob"), world.text_ids("fam"), world.text_ids("news")
    read_history(world, "bob")
    read_history(world, "fam", fam[-3], outbox=True)
    read_contents(world, "bob", bob[:2])
    pin_messages(world, "fam", [fam[4]])
    update_web_page(world, "bob", bob[5])
    move_to_folder(world, "news", 1)
    move_to_folder(world, "other", 1)  # a chat that is not selected
    pin_messages(world, "news", news[:3])
    pin_messages(world, "news", news[:1], pinned=False)
    update_web_page(world, "devs", world.text_ids("devs")[7])
    read_history(world, "devs")
    world.edit_message("news", news[5], "the one change")  # the log was read past them
    second = run_in_process(fake, cfg, first.state).check()
    assert [(r["chat_id"], r["id"], r["text"]) for r in messages(second)] == [
        (world.marked_id("news"), news[5], "the one change")
    ]
    parts = partitions(second)
    for key in ("news", "devs"):
        assert parts[world.marked_id(key)]["pts"] == world.chat(key).pts
    assert second.state is not None
    assert second.state["bookmarks"]["messages"]["account_log"]["pts"] == world.account_pts
    assert counts(second)[CHANNEL_DIFF] == 2
    assert bookmarks(second.state) == bookmarks(first.state)
    # The counts are metrics (issue 26): one edit in the channel, no deletion anywhere.
    news_tags = f'"tags":{{"stream":"messages","context":{{"chat_id":{world.marked_id("news")}}}}}'
    assert f'"metric":"telegram_edit_count","value":1,{news_tags}' in second.stderr
    assert '"metric":"telegram_deletion_count"' not in second.stderr


def test_pins_count_towards_telegrams_100_updates(world: World) -> None:
    """An old edit and then 100 pins: "too long", as on Telegram: the warning, no edit,
    the position restarts from the dialog's (the tap's behaviour for now)."""
    fake = FakeTelegram(world)
    cfg = config(fake, world)
    first = run_fake_tap(fake, cfg).check()
    ids = world.text_ids("news")
    world.edit_message("news", ids[3], "lost behind the pins")
    for message_id in ids[10:110]:
        pin_messages(world, "news", [message_id])
    second = run_fake_tap(FakeTelegram(world), cfg, first.state).check()
    assert messages(second) == []
    assert partitions(second)[world.marked_id("news")]["pts"] == world.chat("news").pts
    warnings = [line for line in second.stderr.splitlines() if "too many changes" in line]
    assert len(warnings) == 1, second.stderr[-3000:]
    assert f"chat {world.marked_id('news')} (@cc_news): too many changes" in warnings[0]
    assert "1 too long" in second.stderr
