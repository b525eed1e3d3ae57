"""The ``admin_log`` stream against the fake Telegram: every event kind, bookmarks, costs."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from telethon.tl import types

from tap_telegram.sources.mtproto.mapping.media import snake_case
from tests.fake_telegram import FakeTelegram, World, run_fake_tap, run_in_process
from tests.fake_telegram.admin_log import (
    add_admin_event,
    ban_with_log,
    delete_with_log,
    edit_with_log,
    rename_with_log,
    sample_actions,
)
from tests.fake_telegram.harness import catalog_selecting

ADMIN_LOG = catalog_selecting("admin_log")
CHATS = ["@fake_group", "@fake_posts", "@fake_other", "@fake_basic"]
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


@pytest.fixture
def world() -> World:
    """An admin supergroup and channel, a supergroup where the account is a member only."""
    world = World(seed=5)
    world.add_generated_users(6)
    world.add_chat("group", "supergroup", messages=30, admin="admin", username="fake_group")
    world.add_chat("posts", "channel", messages=20, admin="creator", username="fake_posts")
    world.add_chat("other", "supergroup", messages=10, username="fake_other")
    world.add_chat("basic", "group", messages=5)
    return world


def config(fake: FakeTelegram, world: World) -> dict[str, Any]:
    """The four chats, the basic group by id (it has no username)."""
    chats = [*CHATS[:3], str(world.marked_id("basic"))]
    return fake.tap_config(chats=chats)


def admin_requests(run: Any) -> int:
    """``channels.getAdminLog`` requests the fake answered in the run."""
    return int(run.stats.requests["GetAdminLogRequest"])


def bookmarks(state: dict[str, Any]) -> dict[int, Any]:
    """Chat id -> admin_log bookmark in a STATE value."""
    parts = state["bookmarks"].get("admin_log", {}).get("partitions", [])
    return {p["context"]["chat_id"]: p.get("replication_key_value") for p in parts}


def test_every_event_kind_maps_to_a_readable_action(world: World) -> None:
    samples = sample_actions(world, "group")
    telegram_kinds = {n for n in dir(types) if n.startswith("ChannelAdminLogEventAction")}
    assert set(samples) == telegram_kinds, "one sample of every kind of Telethon's layer"
    for action in samples.values():
        add_admin_event(world, "group", action, date=NOW - dt.timedelta(minutes=5))
    fake = FakeTelegram(world)
    run = run_in_process(fake, config(fake, world), catalog=ADMIN_LOG).check()
    rows = run.records["admin_log"]
    assert [r["action"] for r in rows] == [
        snake_case(name.removeprefix("ChannelAdminLogEventAction")) for name in samples
    ]
    by_action = {r["action"]: r for r in rows}
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)
    assert by_action["change_title"]["prev_value"] == "Old"
    assert by_action["change_title"]["new_value"] == "New"
    assert by_action["toggle_invites"]["new_value"] == "true"
    assert by_action["toggle_slow_mode"]["new_value"] == "30"
    assert by_action["change_usernames"]["new_value"] == "b2222"
    member = world.users[world.chats["group"].members[0]].id
    for kind in ("participant_toggle_ban", "participant_toggle_admin", "participant_invite",
                 "participant_edit_rank", "participant_mute"):  # fmt: skip
        assert by_action[kind]["target_user_id"] == member, kind
    ban = by_action["participant_toggle_ban"]["details"]
    assert ban["prev_participant"]["_"] == "ChannelParticipant"
    assert ban["new_participant"]["banned_rights"]["send_messages"] is True
    edit = by_action["edit_message"]
    assert (edit["prev_message"]["id"], edit["message"]["id"]) == (1, 2)
    for kind in ("delete_message", "update_pinned", "send_message", "stop_poll"):
        assert by_action[kind]["message"]["chat_id"] == world.marked_id("group"), kind
    assert by_action["participant_join"]["details"] is None
    assert by_action["change_location"]["details"]["new_value"]["address"] == "Berlin"
    assert all(r["user_name"] == "Test Account" for r in rows)


def test_deleted_message_reads_like_its_messages_row(world: World) -> None:
    fake = FakeTelegram(world)
    before = run_in_process(fake, fake.tap_config(chats=["@fake_group"])).check()
    row = next(r for r in before.records["messages"] if r["id"] == 7)
    moderator, member = world.chats["group"].members[:2]
    delete_with_log(world, "group", 7, by=moderator)
    edit_with_log(world, "group", 8, "fixed typo", by=moderator)
    ban_with_log(world, "group", member, by=moderator)
    rename_with_log(world, "group", "Renamed")
    run = run_in_process(fake, config(fake, world), catalog=ADMIN_LOG).check()
    deleted, edited, banned, renamed = run.records["admin_log"]
    assert deleted["action"] == "delete_message"
    assert deleted["message"] == row, "the deleted message in the one record vocabulary"
    assert deleted["user_id"] == world.users[moderator].id
    assert edited["prev_message"]["text"] != "fixed typo"
    assert edited["message"]["text"] == "fixed typo"
    assert banned["target_user_id"] == world.users[member].id
    assert banned["details"]["new_participant"]["banned_rights"]["view_messages"] is True
    assert (renamed["prev_value"], renamed["new_value"]) == ("Group", "Renamed")


def test_incremental_one_request_per_admin_chat_and_only_new_events(world: World) -> None:
    for index in range(3):
        rename_with_log(world, "posts", f"Title {index}", date=NOW - dt.timedelta(hours=3 - index))
    fake = FakeTelegram(world)
    first = run_in_process(fake, config(fake, world), catalog=ADMIN_LOG).check()
    assert len(first.records["admin_log"]) == 3
    assert admin_requests(first) == 2, "one per admin chat; none for the others"
    assert first.state is not None
    marks = bookmarks(first.state)
    assert marks[world.marked_id("posts")] == world.chats["posts"].admin_log[-1].id
    quiet = run_in_process(fake, config(fake, world), first.state, catalog=ADMIN_LOG).check()
    assert "admin_log" not in quiet.records
    assert admin_requests(quiet) == 2
    assert quiet.stats is not None
    assert quiet.stats.requests["GetFullChannelRequest"] == 0
    new = rename_with_log(world, "group", "Fresh")
    third = run_in_process(fake, config(fake, world), quiet.state, catalog=ADMIN_LOG).check()
    assert [r["id"] for r in third.records["admin_log"]] == [new.id]
    assert admin_requests(third) == 2


def test_long_log_pages_down_to_the_bookmark_and_emits_oldest_first(world: World) -> None:
    for index in range(250):
        add_admin_event(
            world,
            "group",
            types.ChannelAdminLogEventActionToggleSlowMode(prev_value=index, new_value=index + 1),
            date=NOW - dt.timedelta(hours=20) + dt.timedelta(seconds=index),
        )
    fake = FakeTelegram(world)
    run = run_in_process(fake, config(fake, world), catalog=ADMIN_LOG).check()
    rows = run.records["admin_log"]
    assert [r["id"] for r in rows] == [e.id for e in world.chats["group"].admin_log]
    assert admin_requests(run) == 3 + 1, "100 + 100 + 50 for the group, one for the channel"
    for _ in range(30):
        add_admin_event(world, "group", types.ChannelAdminLogEventActionToggleInvites(True))
    again = run_in_process(fake, config(fake, world), run.state, catalog=ADMIN_LOG).check()
    assert len(again.records["admin_log"]) == 30
    assert admin_requests(again) == 2


def test_events_older_than_48_hours_are_gone(world: World) -> None:
    add_admin_event(world, "group", types.ChannelAdminLogEventActionToggleInvites(True),
                    date=NOW - dt.timedelta(hours=49))  # fmt: skip
    kept = add_admin_event(world, "group", types.ChannelAdminLogEventActionToggleInvites(False),
                           date=NOW - dt.timedelta(hours=47))  # fmt: skip
    fake = FakeTelegram(world)
    run = run_in_process(fake, config(fake, world), catalog=ADMIN_LOG).check()
    assert [r["id"] for r in run.records["admin_log"]] == [kept.id]


def test_not_admin_and_basic_group_are_skipped_with_one_line_and_no_request(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeTelegram(world)
    with caplog.at_level(logging.INFO):
        run = run_in_process(fake, config(fake, world), catalog=ADMIN_LOG).check()
    lines = [r.getMessage() for r in caplog.records if "admin_log skipped" in r.getMessage()]
    assert len(lines) == 2
    assert any("@fake_other" in line and "not an admin" in line for line in lines)
    assert any("only channels and supergroups" in line for line in lines)
    assert admin_requests(run) == 2
    assert not any(r.levelno >= logging.ERROR for r in caplog.records)


def test_admin_rights_taken_away_meanwhile_skip_the_chat(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    rename_with_log(world, "posts", "Still read")
    fake = FakeTelegram(world)
    fake.add_fault("GetAdminLogRequest", "CHAT_ADMIN_REQUIRED", chat="group")
    with caplog.at_level(logging.INFO):
        run = run_in_process(fake, config(fake, world), catalog=ADMIN_LOG).check()
    assert "CHAT_ADMIN_REQUIRED" in caplog.text
    assert [r["chat_id"] for r in run.records["admin_log"]] == [world.marked_id("posts")]


def test_not_selected_sends_no_admin_log_request(world: World) -> None:
    rename_with_log(world, "group", "Unseen")
    fake = FakeTelegram(world)
    run = run_in_process(fake, config(fake, world)).check()
    assert "admin_log" not in run.records
    assert admin_requests(run) == 0


def test_late_run_warns_that_events_may_be_lost(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeTelegram(world)
    first = run_in_process(fake, config(fake, world), catalog=ADMIN_LOG).check()
    state = first.state
    assert state is not None
    for part in state["bookmarks"]["admin_log"]["partitions"]:
        part["read_at"] = (NOW - dt.timedelta(hours=72)).isoformat()
    with caplog.at_level(logging.WARNING):
        run_in_process(fake, config(fake, world), state, catalog=ADMIN_LOG).check()
    warnings = [r.getMessage() for r in caplog.records if "admin_log last read" in r.getMessage()]
    assert len(warnings) == 2
    assert "run at least every 48 hours" in warnings[0]


def test_crash_in_chat_two_keeps_chat_one_and_no_bookmark_runs_ahead(world: World) -> None:
    for index in range(150):
        add_admin_event(world, "group", types.ChannelAdminLogEventActionToggleInvites(True),
                        date=NOW - dt.timedelta(hours=2) + dt.timedelta(seconds=index))  # fmt: skip
    for index in range(5):
        rename_with_log(world, "posts", f"Posts {index}")
    fake = FakeTelegram(world)
    # Partitions go in the order of the chats setting: the group, then the channel.
    fake.add_fault("GetAdminLogRequest", kind="crash", chat="posts")
    # STATE at every page and chat end (state_every_seconds 0): chat one's is out.
    every_page = {**config(fake, world), "state_every_seconds": 0}
    run = run_fake_tap(fake, every_page, catalog=ADMIN_LOG)
    assert run.returncode == 137
    delivered = {(r["chat_id"], r["id"]) for r in run.records.get("admin_log", [])}
    group = world.marked_id("group")
    assert {i for c, i in delivered if c == group} == {e.id for e in world.chats["group"].admin_log}
    for state in run.states:
        for chat_id, mark in bookmarks(state).items():
            assert mark is None or (chat_id, mark) in delivered, "a bookmark ahead of records"
    marks = bookmarks(run.states[-1])
    assert marks[group] == world.chats["group"].admin_log[-1].id
    assert marks.get(world.marked_id("posts")) is None
    resumed = run_fake_tap(FakeTelegram(world), config(fake, world), run.states[-1], ADMIN_LOG)
    resumed.check()
    assert [r["chat_id"] for r in resumed.records["admin_log"]] == [world.marked_id("posts")] * 5
