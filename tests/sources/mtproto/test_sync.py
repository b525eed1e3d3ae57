"""Issue 2's must-show behaviours, end to end: the real CLI in a subprocess against
the fake Telegram (real Telethon client, real singer-sdk)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.fake_telegram import (
    FakeTelegram,
    World,
    run_in_process,
    three_chats_world,
    world_from_spec,
)
from tests.sources.mtproto.helpers import bookmarks, ids_by_chat

CHATS = ["@fake_news", "@fake_devs"]


def run(fake, config, state=None, **kwargs):
    from tests.fake_telegram import run_fake_tap

    return run_fake_tap(fake, config, state=state, **kwargs)


@pytest.fixture
def world():
    return three_chats_world(seed=3)


def all_chats(world):
    return ["@fake_news", "@fake_devs", str(world.marked_id("empty"))]


def test_first_sync_then_incremental(world):
    fake = FakeTelegram(world)
    first = run(fake, fake.tap_config(chats=all_chats(world))).check()
    got = ids_by_chat(first.records["messages"])
    news, devs, empty = (world.marked_id(k) for k in ("channel", "supergroup", "empty"))
    assert got[news] == world.message_ids("channel")
    assert len(got[news]) == 1000
    assert got[devs] == world.message_ids("supergroup")
    assert len(got[devs]) == 250
    assert empty not in got
    assert {c["id"] for c in first.records["chats"]} == {news, devs, empty}
    assert first.records["users"], "senders are emitted as users"
    assert len({u["id"] for u in first.records["users"]}) == len(first.records["users"])
    marks = bookmarks(first.state)
    assert marks[news] == world.last_id("channel")
    assert marks[devs] == world.last_id("supergroup")

    world.append_messages("supergroup", 37)
    second = run(FakeTelegram(world), fake.tap_config(chats=all_chats(world)), state=first.state)
    second.check()
    got = ids_by_chat(second.records["messages"])
    assert list(got) == [devs]
    assert got[devs] == world.message_ids("supergroup")[-37:]
    assert bookmarks(second.state)[devs] == world.last_id("supergroup")
    assert bookmarks(second.state)[news] == world.last_id("channel")


def test_state_written_per_page_and_chat_order(world):
    fake = FakeTelegram(world)
    # state_every_seconds 0: STATE at every page and chat end (the cadence of old).
    config = fake.tap_config(chats=CHATS, page_size=50, state_every_seconds=0)
    result = run(fake, config).check()
    news = world.marked_id("channel")
    seen = [bookmarks(s).get(news) for s in result.states]
    progress = [x for x in seen if x is not None]
    # 1,000 messages at 50 a page: a STATE at every page boundary, never going back.
    assert len(set(progress)) >= 1000 // 50
    assert progress == sorted(progress)
    assert progress[-1] == world.last_id("channel")


def test_start_message_id(world):
    fake = FakeTelegram(world)
    result = run(fake, fake.tap_config(chats=["@fake_news"], start_message_id=990)).check()
    assert [r["id"] for r in result.records["messages"]] == [
        i for i in world.message_ids("channel") if i > 990
    ]


def test_start_date(world):
    ids = world.message_ids("channel")
    cut = world.message_date("channel", ids[600])
    fake = FakeTelegram(world)
    result = run(fake, fake.tap_config(chats=["@fake_news"], start_date=cut.isoformat())).check()
    got = [r["id"] for r in result.records["messages"]]
    assert got == [i for i in ids if world.message_date("channel", i) >= cut]
    assert got[0] == ids[600]
    # The second run uses the bookmark, not start_date.
    world.append_messages("channel", 5)
    again = run(
        FakeTelegram(world),
        fake.tap_config(chats=["@fake_news"], start_date=cut.isoformat()),
        state=result.state,
    ).check()
    assert [r["id"] for r in again.records["messages"]] == world.message_ids("channel")[-5:]


def test_flood_wait_is_waited_out(world):
    fake = FakeTelegram(world)
    fake.add_fault("GetHistoryRequest", "FLOOD_WAIT_3", chat="channel", nth=2, times=1)
    started = dt.datetime.now()
    result = run(fake, fake.tap_config(chats=["@fake_news"])).check()
    assert (dt.datetime.now() - started).total_seconds() >= 3
    assert [r["id"] for r in result.records["messages"]] == world.message_ids("channel")
    assert "flood wait 3 s" in result.stderr


def test_flood_wait_above_cap_names_the_chat(world):
    fake = FakeTelegram(world)
    # The dialog gives the newest id (no probe): requests 1 and 2 read the first two
    # pages, 3 fails.
    fake.add_fault("GetHistoryRequest", "FLOOD_WAIT_900", chat="channel", nth=3, times=1)
    result = run(fake, fake.tap_config(chats=["@fake_news", "@fake_devs"], max_flood_wait=60))
    assert result.returncode != 0
    assert "@fake_news" in result.stderr
    assert "max_flood_wait" in result.stderr
    assert "Traceback" not in result.stderr
    # The other chat completed and kept its bookmark.
    marks = bookmarks(result.state)
    assert marks[world.marked_id("supergroup")] == world.last_id("supergroup")
    assert marks[world.marked_id("channel")] == 200  # the first two pages were delivered


def test_unknown_username_is_one_clear_line(world):
    fake = FakeTelegram(world)
    result = run(fake, fake.tap_config(chats=["@no_such_chat_here"], on_chat_error="fail"))
    assert result.returncode != 0
    assert "@no_such_chat_here" in result.stderr
    assert "no user, group or channel has this username" in result.stderr
    assert "Traceback" not in result.stderr


def test_crash_in_chat_two_keeps_chat_one_bookmark(world):
    spec_world = world
    fake = FakeTelegram(spec_world)
    fake.add_fault("GetHistoryRequest", kind="crash", chat="supergroup", nth=2, times=1)
    # One chat at a time: chat two is not read ahead while chat one is written.
    # STATE at every chat's end (state_every_seconds 0): chat one's is out before the crash.
    config = fake.tap_config(chats=CHATS, concurrent_chats=1, state_every_seconds=0)
    result = run(fake, config)
    assert result.returncode == 137
    marks = bookmarks(result.state)
    assert marks[world.marked_id("channel")] == world.last_id("channel")
    # The crash hits while page 2 is prefetched: page 1 may or may not be committed.
    assert marks.get(world.marked_id("supergroup")) in (None, 100)
    delivered = [
        r["id"]
        for r in result.records.get("messages", [])
        if r["chat_id"] == world.marked_id("supergroup")
    ]
    assert delivered[: len(delivered)] == world.message_ids("supergroup")[: len(delivered)]


def test_state_at_the_cadence_by_records_and_always_at_the_end(world):
    """Issue 26: STATE every ``state_every_records`` records (between pages), not per page."""
    fake = FakeTelegram(world)
    config = fake.tap_config(chats=CHATS, page_size=50, state_every_records=300)
    result = run_in_process(fake, config).check()
    news, devs = world.marked_id("channel"), world.marked_id("supergroup")
    marks = [bookmarks(state) for state in result.states]
    assert marks[-1] == {news: world.last_id("channel"), devs: world.last_id("supergroup")}
    # 1,250 records: a STATE once 300 were written (at the next page), then the end's.
    moves = [(m[news], m[devs]) for m in marks if m.get(news)]
    distinct = sorted(set(moves), key=moves.index)
    assert [n for n, _ in distinct] == [300, 600, 900, 1000, 1000], distinct
    assert len(distinct) == 5
    assert moves == sorted(moves, key=lambda m: (m[0], m[1] or 0))


def _three_channels() -> World:
    return world_from_spec(
        {
            "seed": 5,
            "generated_users": 4,
            "chats": [
                {"key": key, "kind": "channel", "username": f"cadence_{key}", "messages": 300}
                for key in ("a", "b", "c")
            ],
        }
    )


def test_a_failing_chat_writes_state_at_once_so_a_later_kill_keeps_it():
    """Issue 26: a chat failure writes STATE whatever the cadence (a kill then loses nothing)."""
    world = _three_channels()
    fake = FakeTelegram(world)
    fake.add_fault("GetHistoryRequest", "CHANNEL_PRIVATE", chat="b", nth=2)
    fake.add_fault("GetHistoryRequest", kind="crash", chat="c", nth=1, times=1)
    chats = ["@cadence_a", "@cadence_b", "@cadence_c"]
    result = run(fake, fake.tap_config(chats=chats, concurrent_chats=1, page_size=100))
    assert result.returncode == 137
    # 400 records, far below the cadence: only the failure wrote STATE, and it
    # covers what was written of a and b, nothing more.
    marks = bookmarks(result.state)
    assert marks[world.marked_id("a")] == world.last_id("a")
    assert marks[world.marked_id("b")] == world.message_ids("b")[99]
    assert marks.get(world.marked_id("c")) is None


def test_bot_session_is_told_to_use_bot_api(world):
    fake = FakeTelegram(world)
    config = fake.tap_config(chats=CHATS, session_string=fake.session_string("bot"))
    result = run(fake, config)
    assert result.returncode == 2
    assert "bot_api" in result.stderr
    assert "Traceback" not in result.stderr


def test_discover_and_about_need_no_config():
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "tap_telegram", "--discover"],
        capture_output=True,
        text=True,
        check=True,
    )
    streams = {s["tap_stream_id"]: s for s in json.loads(out.stdout)["streams"]}
    assert set(streams) == {
        *("chats", "messages", "topics", "participants", "users", "contacts"),
        *("admin_log", "channel_stats", "group_stats", "stats_graphs"),
    }
    assert streams["messages"]["key_properties"] == ["chat_id", "id"]
    # Opt-in: a catalog from discovery leaves the contact list alone unless selected.
    selected = {
        name: next(m["metadata"].get("selected") for m in s["metadata"] if m["breadcrumb"] == [])
        for name, s in streams.items()
    }
    assert sorted(name for name, on in selected.items() if not on) == [
        *("admin_log", "channel_stats", "contacts", "group_stats", "stats_graphs")
    ]
    about = subprocess.run(
        [sys.executable, "-m", "tap_telegram", "--about", "--format=markdown"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for setting in (
        "api_id",
        "api_hash",
        "session_string",
        "chats",
        "start_date",
        "start_message_id",
        "page_size",
        "max_flood_wait",
        "export_path",
    ):
        assert f"| {setting} |" in about


def test_spec_world_roundtrip_used_by_launcher(world):
    from tests.fake_telegram import world_to_spec

    assert world_from_spec(world_to_spec(world)).message_ids("channel") == world.message_ids(
        "channel"
    )
