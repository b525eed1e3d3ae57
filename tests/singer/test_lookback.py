"""Issue 7 (lookback and deletions): re-read the tail, emit what changed, tombstone
what was deleted, and never move a bookmark backwards. The real CLI in a subprocess
against the fake Telegram (real Telethon, real singer-sdk)."""

from __future__ import annotations

import datetime as dt

import pytest
from telethon.tl.types import MessageService

from tap_telegram.sources.lookback import STATE_KEY
from tests.fake_telegram import FakeTelegram, World, run_fake_tap
from tests.read_ahead import pages_read_ahead

UTC = dt.timezone.utc


def bookmarks(state):
    parts = state["bookmarks"].get("messages", {}).get("partitions", [])
    return {p["context"]["chat_id"]: p.get("replication_key_value") for p in parts}


def by_chat(run, chat_id):
    return [r for r in run.records.get("messages", []) if r["chat_id"] == chat_id]


@pytest.fixture
def world():
    world = World(seed=11)
    world.add_generated_users(6)
    world.add_chat("news", "channel", username="lb_news", messages=300)
    world.add_chat("devs", "supergroup", username="lb_devs", messages=200)
    world.add_chat("bob", "private", messages=120)
    world.add_chat("family", "group", messages=80)
    return world


def config(fake, world, **options):
    """Lookback alone: change capture (tests/singer/test_changes.py) off."""
    chats = ["@lb_news", "@lb_devs", str(world.marked_id("bob")), str(world.marked_id("family"))]
    # The lookback alone (the sweep re-reads on its own budget: test_sweep.py).
    options.setdefault("verify_requests_per_run", 0)
    return fake.tap_config(chats=chats, track_changes=False, **options)


def test_first_run_records_the_tail_and_second_run_emits_only_changes(world):
    fake = FakeTelegram(world)
    cfg = config(fake, world, lookback_messages=50)
    first = run_fake_tap(fake, cfg).check()
    news, devs = world.marked_id("news"), world.marked_id("devs")
    assert [r["id"] for r in by_chat(first, news)] == world.message_ids("news")
    assert first.state is not None
    partitions = first.state["bookmarks"]["messages"]["partitions"]
    part = next(p for p in partitions if p["context"]["chat_id"] == news)
    assert part[STATE_KEY].startswith("v1:")
    assert len(part[STATE_KEY]) < 600

    # Nothing changed: nothing is emitted, the bookmarks stay.
    quiet = run_fake_tap(FakeTelegram(world), cfg, state=first.state).check()
    assert quiet.records.get("messages", []) == []
    assert bookmarks(quiet.state) == bookmarks(first.state)

    world.edit_message("news", 290, "corrected headline")
    world.set_reactions("news", 270, [("🔥", 12)])
    world.edit_message("news", 200, "too old to be seen")  # outside the newest 50
    world.set_reactions("devs", 199, [("👍", 2)])
    world.edit_message("bob", world.message_ids("bob")[-3], "typo fixed")
    second = run_fake_tap(FakeTelegram(world), cfg, state=first.state).check()
    assert [r["id"] for r in by_chat(second, news)] == [270, 290]
    emitted = {r["id"]: r for r in by_chat(second, news)}
    assert emitted[290]["text"] == "corrected headline"
    assert emitted[290]["edit_date"]
    assert emitted[270]["reactions"][0]["emoji"] == "🔥"
    assert emitted[270]["reactions"][0]["count"] == 12
    assert [r["id"] for r in by_chat(second, devs)] == [199]
    assert [r["id"] for r in by_chat(second, world.marked_id("bob"))] == [
        world.message_ids("bob")[-3]
    ]
    assert bookmarks(second.state) == bookmarks(first.state)
    assert "lookback re-read 50 messages" in second.stderr
    assert "lookback re-reads ids 251..300" in second.stderr
    # The windows were probed up front: the chats read ahead from the right ids.
    assert "reading again" not in second.stderr

    # Delivered once: a third run is quiet again.
    third = run_fake_tap(FakeTelegram(world), cfg, state=second.state).check()
    assert third.records.get("messages", []) == []


def test_deleted_ids_become_tombstones_in_channels_and_supergroups_only(world):
    fake = FakeTelegram(world)
    cfg = config(fake, world, lookback_messages=40)
    first = run_fake_tap(fake, cfg).check()
    bob_ids = world.message_ids("bob")
    family_ids = world.message_ids("family")
    world.delete_messages("news", [281, 299])
    world.delete_messages("devs", [150, 190])  # 150 is outside the window: cannot be seen
    world.delete_messages("bob", [bob_ids[-2]])
    world.delete_messages("family", [family_ids[-3]])
    world.append_messages("news", 5)
    second = run_fake_tap(FakeTelegram(world), cfg, state=first.state).check()
    news = world.marked_id("news")
    rows = by_chat(second, news)
    tombstones = [r for r in rows if r.get("deleted")]
    assert [r["id"] for r in tombstones] == [281, 299]
    for row in tombstones:
        assert row["deleted_detected_at"]
        assert {k for k, v in row.items() if v is not None} == {
            "chat_id", "id", "deleted", "deleted_detected_at", "deleted_scope"
        }  # fmt: skip
        assert row["deleted_scope"] == "chat"
    assert [r["id"] for r in rows if not r.get("deleted")] == [301, 302, 303, 304, 305]
    devs = by_chat(second, world.marked_id("devs"))
    assert [(r["id"], r["deleted"], r["deleted_scope"]) for r in devs] == [(190, True, "chat")]
    # Private chats and basic groups: ids are per account and "delete for me" exists:
    # no tombstone.
    assert by_chat(second, world.marked_id("bob")) == []
    assert by_chat(second, world.marked_id("family")) == []
    assert bookmarks(second.state)[news] == 305
    assert bookmarks(second.state)[world.marked_id("devs")] == 200
    assert "not tombstoned" in second.stderr

    third = run_fake_tap(FakeTelegram(world), cfg, state=second.state).check()
    assert third.records.get("messages", []) == [], "a deletion is reported once"


def test_enabling_lookback_later_emits_the_window_once(world):
    fake = FakeTelegram(world)
    plain = run_fake_tap(fake, config(fake, world)).check()
    cfg = config(fake, world, lookback_messages=25)
    second = run_fake_tap(FakeTelegram(world), cfg, state=plain.state).check()
    news = world.marked_id("news")
    assert [r["id"] for r in by_chat(second, news)] == world.message_ids("news")[-25:]
    assert not any(r.get("deleted") for r in second.records["messages"])
    assert bookmarks(second.state) == bookmarks(plain.state)
    third = run_fake_tap(FakeTelegram(world), cfg, state=second.state).check()
    assert third.records.get("messages", []) == []


def test_bookmark_never_moves_backwards_even_across_a_crash(world):
    fake = FakeTelegram(world)
    cfg = config(fake, world, lookback_messages=300, page_size=20)
    first = run_fake_tap(fake, cfg).check()
    before = bookmarks(first.state)
    # Service messages (joins, pins) cannot be edited: only real ones are.
    edited = {
        i for i in range(10, 300, 7) if not isinstance(world.message("news", i), MessageService)
    }
    for message_id in edited:
        world.edit_message("news", message_id, f"edit {message_id}")
    world.append_messages("news", 30)
    # STATE between every two pages (state_every_seconds=0), as a long run has them;
    # pages of 10: the 300 re-read ids are 30 pages, the crash below lands among them.
    sequential = {
        **cfg, "max_concurrent_requests": 1, "concurrent_chats": 1, "state_every_seconds": 0,
        "page_size": 10,
    }  # fmt: skip
    # The process dies on one of the re-read's requests (after the window lookup).
    # However far the fetcher reads ahead of the stream, it has taken three pages by
    # then: STATE between them is out. (No latency decides it: a loaded machine may
    # write pages slower than any fixed latency.)
    unread = pages_read_ahead(sequential["max_concurrent_requests"])
    crashing = FakeTelegram(world)
    crashing.add_fault("GetHistoryRequest", kind="crash", chat="news", nth=1 + unread + 3)
    crashed = run_fake_tap(crashing, sequential, state=first.state)
    assert crashed.returncode != 0
    news = world.marked_id("news")
    # The STATE written after the re-read began (the streams before it write their own).
    lines = [m for m in crashed.messages if m["type"] in {"RECORD", "STATE"}]
    start = next(i for i, m in enumerate(lines) if m.get("record", {}).get("chat_id") == news)
    during = [m["value"] for m in lines[start:] if m["type"] == "STATE"]
    assert during, "STATE was checkpointed during the re-read"
    for state in crashed.states:
        assert bookmarks(state)[news] == before[news]
    emitted_before_crash = {r["id"] for r in by_chat(crashed, news)}
    assert emitted_before_crash
    assert max(emitted_before_crash) < before[news]

    resumed = run_fake_tap(FakeTelegram(world), cfg, state=crashed.state).check()
    marks = [bookmarks(s)[news] for s in resumed.states]
    assert marks == sorted(marks)
    assert marks[0] >= before[news]
    assert marks[-1] == world.last_id("news")
    got = emitted_before_crash | {r["id"] for r in by_chat(resumed, news)}
    assert edited <= got, "no edit lost across the crash"
    assert set(range(301, 331)) <= got


def test_lookback_days_uses_message_dates():
    now = dt.datetime.now(UTC).replace(microsecond=0)
    world = World(seed=5, base_date=now - dt.timedelta(days=2))
    world.add_generated_users(4)
    # 44 messages an hour apart, the newest about 4 hours old: ~9 in the last 12 hours.
    world.add_chat("news", "channel", username="lb_news", messages=44, interval=3600)
    fake = FakeTelegram(world)
    cfg = fake.tap_config(
        chats=["@lb_news"], lookback_days=0.5, track_changes=False, verify_requests_per_run=0
    )
    first = run_fake_tap(fake, cfg).check()
    cutoff = now - dt.timedelta(days=0.5)
    in_window = [i for i in world.message_ids("news") if world.message_date("news", i) >= cutoff]
    assert 0 < len(in_window) < 44
    for message_id in (in_window[0], in_window[-1], in_window[0] - 1):
        world.set_reactions("news", message_id, [("❤", 7)])
    second = run_fake_tap(FakeTelegram(world), cfg, state=first.state).check()
    assert [r["id"] for r in second.records["messages"]] == [in_window[0], in_window[-1]]


def test_bad_lookback_setting_is_one_clear_line(world):
    fake = FakeTelegram(world)
    run = run_fake_tap(fake, config(fake, world, lookback_messages=-3))
    assert run.returncode != 0
    assert "lookback_messages" in run.stderr
    assert "Traceback" not in run.stderr


def test_window_is_capped_at_max_window_messages():
    now = dt.datetime.now(UTC).replace(microsecond=0)
    world = World(seed=9, base_date=now - dt.timedelta(days=10))
    world.add_generated_users(4)
    world.add_chat("busy", "channel", username="lb_busy", messages=12_000, interval=60)
    fake = FakeTelegram(world)
    cfg = fake.tap_config(
        chats=["@lb_busy"], lookback_days=30, lookback_messages=10, track_changes=False
    )
    first = run_fake_tap(fake, cfg).check()
    world.edit_message("busy", 1500, "outside the cap")
    world.edit_message("busy", 2500, "inside the cap")
    second = run_fake_tap(FakeTelegram(world), cfg, state=first.state).check()
    assert "lookback re-reads ids 2001..12000" in second.stderr
    assert [r["id"] for r in second.records["messages"]] == [2500]


def test_first_run_with_lookback_still_honours_start_message_id(world):
    fake = FakeTelegram(world)
    cfg = config(fake, world, lookback_messages=50, start_message_id=250)
    first = run_fake_tap(fake, cfg).check()
    news = world.marked_id("news")
    assert [r["id"] for r in by_chat(first, news)] == list(range(251, 301))
