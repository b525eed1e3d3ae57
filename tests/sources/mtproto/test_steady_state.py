"""Issue 18: incremental runs cost what changed, not what exists (counted by the fake).

Every run here is the real tap in this process (``run_in_process``) against the fake
Telegram, whose clock is the tap's clock. The goals, with ``N`` dialogs:

* a run with nothing new and no refresh due: at most ``⌈N/100⌉ + 10`` requests;
* each chat with new messages: at most its pages + 2 more;
* refreshes (full info, member lists) spread over runs, about ``N/24`` an hour;
* renames, new members, upgraded groups and explicit ``chats`` lists handled.

The history part of these budgets rests on the fetcher honouring
``ResolvedChat.top_message`` (no newest-id probe; nothing read when the dialog's newest
message is at or below the bookmark).
"""

from __future__ import annotations

import collections
import copy
import datetime as dt
import json
import math
from typing import Any

import pytest

from tap_telegram.sources.mtproto.chats.entries import read_full, read_members, unpack_hashes
from tests.fake_telegram import (
    FakeTelegram,
    TapRun,
    World,
    dialogs_world,
    run_fake_tap,
    run_in_process,
)
from tests.fake_telegram.chat_changes import add_member, migrate_chat, rename_chat
from tests.sources.mtproto.helpers import bookmarks, ids_by_chat

NOW = dt.datetime(2024, 6, 3, 9, 30, tzinfo=dt.timezone.utc)
HISTORY = "GetHistoryRequest"
FULL = ("GetFullChannelRequest", "GetFullChatRequest", "GetFullUserRequest")


def budget(dialogs: int) -> int:
    """The issue's budget for a run with nothing new: ``⌈N/100⌉ + 10``."""
    return math.ceil(dialogs / 100) + 10


def counts(run: TapRun) -> collections.Counter[str]:
    assert run.stats is not None
    return collections.Counter(run.stats.requests)


def other_than_history(run: TapRun) -> int:
    found = counts(run)
    return sum(found.values()) - found[HISTORY]


def total(run: TapRun) -> int:
    return sum(counts(run).values())


def fulls(run: TapRun) -> int:
    return sum(counts(run)[name] for name in FULL)


def chat_records(run: TapRun) -> dict[int, dict[str, Any]]:
    """The run's chats by id; ``changes_complete_until`` left out (it moves with every run's
    STATE, as the sweep verifies: tests/sources/mtproto/test_sweep.py)."""
    return {
        record["id"]: {k: v for k, v in record.items() if k != "changes_complete_until"}
        for record in run.records.get("chats", [])
    }


def started(world: World, **settings: Any) -> tuple[FakeTelegram, dict[str, Any], TapRun]:
    """The fake at :data:`NOW`, a config with ``settings``, and a first run."""
    fake = FakeTelegram(world, now=NOW)
    config = fake.tap_config(**settings)
    return fake, config, run_in_process(fake, config).check()


# -- quiet reruns --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def three_hundred() -> tuple[World, FakeTelegram, dict[str, Any], TapRun, TapRun]:
    """300 dialogs (every kind, pinned and archived ones), a first run and a quiet rerun."""
    world = dialogs_world(300)
    fake, config, first = started(world)
    quiet = run_in_process(fake, config, first.state).check()
    return world, fake, config, first, quiet


def test_quiet_rerun_sends_the_dialogs_pass_and_nothing_per_chat(three_hundred) -> None:
    world, _, _, first, quiet = three_hundred
    found = counts(quiet)
    assert found["GetDialogsRequest"] == 3, "300 dialogs, 100 a page"
    assert found[HISTORY] == 0, "no chat's newest message is above its bookmark"
    assert fulls(quiet) == 0, "no refresh due: full info comes from STATE"
    assert found["GetParticipantsRequest"] == 0
    assert found["ResolveUsernameRequest"] == 0
    assert other_than_history(quiet) <= budget(300)
    # Every selected chat is still a complete record, from STATE where not refreshed.
    assert chat_records(quiet) == chat_records(first)
    assert len(chat_records(quiet)) == len(world.chats)
    archived = world.marked_id("d6")
    assert archived in chat_records(quiet), "archived chats are dialogs too"
    assert "messages" not in quiet.records
    assert "participants" not in quiet.records, "members did not change"


def test_quiet_rerun_total_budget(three_hundred) -> None:
    _, _, _, _, quiet = three_hundred
    assert total(quiet) <= budget(300)


def previous_shape(state: dict[str, Any]) -> dict[str, Any]:
    """``state`` with its memory as the version before issue 26's lists wrote it: objects
    with named keys, empty ones left out, page hashes as decimal strings."""
    old = copy.deepcopy(state)
    marks = old["bookmarks"]

    def named(**fields: Any) -> dict[str, Any]:
        return {key: value for key, value in fields.items() if value not in (None, [], False)}

    full = marks["chats"]["memory"]["full"]
    for key, entry in full.items():
        at, about, count, linked = [*entry, None, None, None][:4]
        full[key] = named(at=at, about=about, count=count, linked=linked)
    members = marks["participants"]["memory"]
    for key, entry in members.items():
        at, top, count, hashes, admins = [*entry, None, None, None][:5]
        pages = [str(value) for value in unpack_hashes(hashes)]
        members[key] = named(at=at, count=count, hashes=pages, top=top, admins_only=bool(admins))
    topics = marks["topics"]["memory"]
    for key, entry in topics.items():
        topics[key] = named(at=entry[0], top=entry[1] if len(entry) > 1 else None)
    return old


def test_state_of_the_previous_version_costs_what_todays_does(three_hundred) -> None:
    """Memory in the previous version's shape: the same requests, records and memory after."""
    _, fake, config, first, quiet = three_hundred
    old = previous_shape(first.state)
    assert isinstance(old["bookmarks"]["participants"]["memory"][str(-1001500000005)], dict)
    rerun = run_in_process(fake, config, old).check()
    assert counts(rerun) == counts(quiet), "nothing fetched again for the older shape"
    assert chat_records(rerun) == chat_records(quiet)
    assert rerun.state is not None
    assert quiet.state is not None
    for stream in ("chats", "participants", "topics"):
        got = rerun.state["bookmarks"][stream]["memory"]
        assert got == quiet.state["bookmarks"][stream]["memory"], f"{stream}: today's lists"


def test_final_state_stays_within_200_bytes_a_chat_besides_change_capture(three_hundred) -> None:
    """Issue 26's goal on 300 dialogs of every kind: the final STATE, without what change
    capture keeps (``bench.state_cost.CHANGE_CAPTURE_KEYS``), at most 200 bytes a chat; of
    it the refresh memory (full info, members, topics) at most 90 (84 now; 120 before it
    was written as lists)."""
    from bench.state_cost import CHANGE_CAPTURE_KEYS, MEMORY_STREAMS

    world, _, _, _, quiet = three_hundred
    assert quiet.state is not None

    def size(value: Any) -> int:
        return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())

    def without_changes(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: without_changes(v) for k, v in node.items() if k not in CHANGE_CAPTURE_KEYS}
        return [without_changes(v) for v in node] if isinstance(node, list) else node

    chats = len(world.chats)
    marks = quiet.state["bookmarks"]
    memory = size({name: marks[name]["memory"] for name in MEMORY_STREAMS}) / chats
    assert memory <= 90, f"refresh memory {memory:.1f} bytes a chat"
    assert size(without_changes(quiet.state)) / chats <= 200


def test_first_run_reads_each_chat_in_its_pages_plus_one(three_hundred) -> None:
    world, _, _, first, _ = three_hundred
    pages = sum(math.ceil(world.message_count(key) / 100) + 1 for key in world.chats)
    assert counts(first)[HISTORY] <= pages


def test_changed_chats_cost_their_pages(three_hundred) -> None:
    world, fake, config, first, quiet = three_hundred
    changed = [f"d{index}" for index in range(40, 50)]
    new = {world.marked_id(key): world.append_messages(key, 5) for key in changed}
    run = run_in_process(fake, config, first.state).check()
    assert ids_by_chat(run.records["messages"]) == new
    # Members listed again only where the new messages hold joins or leaves.
    assert other_than_history(run) <= budget(300) + 2 * len(changed)
    assert other_than_history(run) <= other_than_history(quiet) + 2 * len(changed)
    assert chat_records(run) == chat_records(first)


def test_changed_chats_total_budget() -> None:
    world = dialogs_world(300)
    fake, config, first = started(world)
    for index in range(40, 50):
        world.append_messages(f"d{index}", 5)
    run = run_in_process(fake, config, first.state).check()
    assert total(run) <= budget(300) + 10 * (1 + 2)


@pytest.mark.slow
def test_two_thousand_dialogs() -> None:
    world = dialogs_world(2_000, messages=1)
    fake, config, first = started(world)
    quiet = run_in_process(fake, config, first.state).check()
    assert counts(quiet)["GetDialogsRequest"] == 20
    assert other_than_history(quiet) <= budget(2_000)
    assert len(chat_records(quiet)) == 2_000
    assert chat_records(quiet) == chat_records(first)


def test_a_quiet_rerun_writes_a_few_state_messages_not_one_per_chat() -> None:
    """Each STATE carries every chat's bookmark: N of them would cost N² over N chats."""
    world = dialogs_world(40)
    fake = FakeTelegram(world, now=NOW)
    config = fake.tap_config()
    first = run_fake_tap(fake, config).check()
    assert len(first.states) <= 5, "a first run of 1,200 messages: STATE at the cadence"
    quiet = run_fake_tap(fake, config, state=first.state).check()
    assert len(quiet.states) <= 5
    assert quiet.state is not None
    assert bookmarks(quiet.state) == bookmarks(first.state)
    assert "stats" not in quiet.state["bookmarks"]["messages"]["partitions"][0]


def test_state_every_seconds_zero_checkpoints_every_chat() -> None:
    """``state_every_seconds: 0``: STATE at every chat's end and page, as before issue 26."""
    world = dialogs_world(40)
    fake = FakeTelegram(world, now=NOW)
    first = run_in_process(fake, fake.tap_config(state_every_seconds=0)).check()
    assert len(first.states) > 40


# -- explicit chats lists and chats that are not dialogs -----------------------------------


def test_explicit_chats_list_resolves_from_the_dialogs() -> None:
    world = dialogs_world(120)
    world.chat("d1").username = "steady_devs"
    world.chat("d5").username = "steady_news"
    world.add_chat("outside", "channel", username="steady_outside", member=False, messages=12)
    invite = world.chat("d9").invite_hash
    chats = [
        "@steady_devs",
        "https://t.me/steady_news",
        str(world.marked_id("d2")),
        str(world.marked_id("d13")),  # archived
        f"https://t.me/+{invite}",
        "@steady_outside",  # a public channel the account did not join
    ]
    fake, config, first = started(world, chats=chats)
    assert counts(first)["CheckChatInvite"] + counts(first)["CheckChatInviteRequest"] == 1
    assert counts(first)["ResolveUsernameRequest"] == 1, "only the channel that is no dialog"
    selected = {world.marked_id(k) for k in ("d1", "d5", "d2", "d13", "d9", "outside")}
    assert set(chat_records(first)) == selected
    quiet = run_in_process(fake, config, first.state).check()
    found = counts(quiet)
    assert found["CheckChatInviteRequest"] == 0, "the invite link was remembered"
    assert found["ResolveUsernameRequest"] == 0, "the outside channel came back by its hash"
    assert found["GetChannelsRequest"] == 1, "every remembered outside channel at once"
    assert other_than_history(quiet) <= budget(len(world.chats))
    assert chat_records(quiet) == chat_records(first)
    assert "messages" not in quiet.records


def test_explicit_chats_list_total_budget() -> None:
    world = dialogs_world(120)
    world.add_chat("outside", "channel", username="steady_outside", member=False, messages=12)
    chats = [str(world.marked_id(f"d{index}")) for index in range(0, 120, 3)]
    fake, config, first = started(world, chats=[*chats, "@steady_outside"])
    quiet = run_in_process(fake, config, first.state).check()
    # The dialogs, the outside channel's one request and the one to fetch it back.
    assert total(quiet) <= budget(len(world.chats)) + 1
    assert counts(quiet)[HISTORY] == 1


# -- changes: renames, members, upgrades ---------------------------------------------------


def test_renamed_chat_comes_out_on_the_next_run() -> None:
    world = dialogs_world(12)
    fake, config, first = started(world)
    service = rename_chat(world, "d1", "Renamed channel")
    run = run_in_process(fake, config, first.state).check()
    renamed = chat_records(run)[world.marked_id("d1")]
    assert renamed["title"] == "Renamed channel"
    assert fulls(run) == 0, "the dialog carries the title: no full info needed"
    assert ids_by_chat(run.records["messages"]) == {world.marked_id("d1"): [service]}


def members_of(run: TapRun, chat_id: int) -> set[int]:
    return {r["user_id"] for r in run.records.get("participants", []) if r["chat_id"] == chat_id}


def test_new_members_come_out_when_they_show_and_at_the_latest_by_the_refresh() -> None:
    world = dialogs_world(12)
    world.chat("d0").participants = 5_000  # a big group: its count moves all the time
    fake, config, first = started(world)
    big, small, announced = (world.marked_id(k) for k in ("d0", "d4", "d8"))
    assert members_of(first, big), "first seen: listed"
    quiet_joiner = world.add_user("quiet_joiner")
    add_member(world, "d0", quiet_joiner.key, announce=False)
    counted = world.add_user("counted_joiner")
    add_member(world, "d4", counted.key, announce=False)  # the member count moves
    greeted = world.add_user("greeted_joiner")
    add_member(world, "d8", greeted.key)  # a join message
    run = run_in_process(fake, config, first.state).check()
    assert members_of(run, big) == set(), "nothing shows the join yet"
    assert counted.id in members_of(run, small)
    assert greeted.id in members_of(run, announced)
    fake.now = NOW + dt.timedelta(hours=24, minutes=1)
    later = run_in_process(fake, config, run.state).check()
    assert quiet_joiner.id in members_of(later, big), "the refresh lists it"


def test_unchanged_member_pages_come_back_not_modified() -> None:
    world = dialogs_world(4)
    world.add_generated_users(300)
    crowd = [u.key for u in world.users.values() if not u.is_self][:260]
    world.add_chat("crowd", "supergroup", messages=5, members=crowd)
    fake, config, first = started(world, participants_refresh_hours=0)
    crowd_id = world.marked_id("crowd")
    assert len(members_of(first, crowd_id)) == 261
    fake.now = NOW + dt.timedelta(minutes=1)
    again = run_in_process(fake, config, first.state).check()
    assert members_of(again, crowd_id) == set(), "both pages unchanged"
    assert again.state is not None
    listed = read_members(again.state["bookmarks"]["participants"]["memory"][str(crowd_id)])
    assert listed is not None
    assert listed.at == int(fake.now.timestamp()), "STATE has the listing, without records"
    assert len(listed.hashes) == 2
    newcomer = world.add_user("newcomer")
    add_member(world, "crowd", newcomer.key, announce=False)
    third = run_in_process(fake, config, again.state).check()
    assert newcomer.id in members_of(third, crowd_id)
    assert len(members_of(third, crowd_id)) < 261, "the first page was not sent again"


def test_upgraded_basic_group_is_followed() -> None:
    world = dialogs_world(8)
    group = world.marked_id("d2")
    fake, config, first = started(world, chats=[str(group), str(world.marked_id("d1"))])
    before = bookmarks(first.state)[group]
    migrate_chat(world, "d2", "d2_super")
    posted = world.append_messages("d2_super", 7)
    run = run_in_process(fake, config, first.state).check()
    supergroup = world.marked_id("d2_super")
    records = chat_records(run)
    assert records[group]["migrated_to_id"] == supergroup
    assert records[supergroup]["type"] == "supergroup"
    got = ids_by_chat(run.records["messages"])
    assert got[supergroup] == [1, *posted], "read from its first message"
    marks = bookmarks(run.state)
    assert marks[group] >= before, "the old group keeps its bookmark"
    assert marks[supergroup] == posted[-1]


# -- refreshes over a day, under flood limits ----------------------------------------------


def refreshed_at(state: dict[str, Any]) -> dict[int, dt.datetime]:
    """When each chat's full info was last fetched, as the STATE remembers it."""
    table = state["bookmarks"]["chats"]["memory"]["full"]
    entries = {int(k): read_full(v) for k, v in table.items()}
    return {
        k: dt.datetime.fromtimestamp(v.at or 0, dt.timezone.utc) for k, v in entries.items() if v
    }


@pytest.mark.slow
def test_a_day_of_hourly_runs_spreads_refreshes_without_flood_waits() -> None:
    dialogs = 240
    world = dialogs_world(dialogs, messages=2)
    # A FLOOD_WAIT fails at once (and shows in the fake's counts) instead of being waited.
    fake, config, first = started(world, max_flood_wait=0, on_chat_error="skip")
    fake.flood_limited(history=False)
    rename_chat(world, "d0", "Renamed at night")
    hidden = world.add_user("hidden_joiner")
    world.chat("d4").participants = 900
    add_member(world, "d4", hidden.key, announce=False)
    state, refreshed, seen_hidden = first.state, 0, False
    hourly_share = math.ceil(dialogs / 24 * 1.25) + 1
    for _ in range(25):
        fake.next_hour()
        run = run_in_process(fake, config, state).check()
        state = run.state
        assert run.stats is not None
        assert run.stats.flood_waits == 0
        assert 0 < fulls(run) <= hourly_share, "refreshes are spread, never all at once"
        assert counts(run)["GetParticipantsRequest"] <= hourly_share
        refreshed += fulls(run)
        seen_hidden |= hidden.id in members_of(run, world.marked_id("d4"))
        assert chat_records(run)[world.marked_id("d0")]["title"] == "Renamed at night"
    assert state is not None
    assert min(refreshed_at(state).values()) > NOW, "every chat refreshed within the day"
    assert dialogs <= refreshed < 2 * dialogs
    assert seen_hidden, "the new member came out by the refresh"


@pytest.mark.slow
def test_hourly_runs_under_history_flood_limits_too() -> None:
    world = dialogs_world(240, messages=2)
    fake, config, first = started(world, max_flood_wait=0, on_chat_error="skip")
    fake.flood_limited(history=True)
    state = first.state
    for _ in range(3):
        fake.next_hour()
        run = run_in_process(fake, config, state).check()
        state = run.state
        assert run.stats is not None
        assert run.stats.flood_waits == 0
