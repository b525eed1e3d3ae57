"""The sweep (``verify_requests_per_run``): old edits and deletions the update log missed.

The real tap runs in this process against the fake Telegram with Telegram's real "too
long" rule for channels (``channel_too_long="limit"``: ``pts + limit < remote pts`` with
``limit`` 100). Requests are counted by type; the whole printed stream is checked by the
harness (:mod:`tests.stream_check`).
"""

from __future__ import annotations

import collections
import datetime as dt
import math
from typing import Any

import pytest

from tap_telegram.errors import StateError
from tap_telegram.singer.state_check import check_state
from tap_telegram.sources.mtproto.changes.verify_marks import Reason, mark, marked
from tap_telegram.sources.state_keys import COMPLETE_KEY, GAPS_KEY
from tests.fake_telegram import (
    FakeTelegram,
    TapRun,
    UpdateLogSettings,
    World,
    dialogs_world,
    run_in_process,
)

HISTORY = "GetHistoryRequest"
NOW = dt.datetime(2024, 6, 3, 9, 30, tzinfo=dt.timezone.utc)
#: Refreshes due by the hour (issue 18 counts them apart from a quiet run's budget).
REFRESHES = (
    "GetFullChannelRequest",
    "GetFullChatRequest",
    "GetFullUserRequest",
    "GetParticipantsRequest",
)
#: Telegram's rule for a user account (README "Change capture"; issue 25).
REAL = UpdateLogSettings(channel_too_long="limit")


def counts(run: TapRun) -> collections.Counter[str]:
    assert run.stats is not None
    return collections.Counter(run.stats.requests)


def parts(run: TapRun) -> dict[int, dict[str, Any]]:
    assert run.state is not None
    found = run.state["bookmarks"]["messages"]["partitions"]
    return {p["context"]["chat_id"]: p for p in found}


def rows(run: TapRun) -> list[dict[str, Any]]:
    return run.records.get("messages", [])


def busy_world() -> World:
    world = World(25)
    world.add_generated_users(6)
    world.add_chat("busy", "channel", messages=1000, username="sw_busy")
    world.add_chat("quiet", "supergroup", messages=300, username="sw_quiet")
    world.add_chat("bob", "private", messages=200)
    return world


def config(fake: FakeTelegram, world: World, **options: Any) -> dict[str, Any]:
    chats = ["@sw_busy", "@sw_quiet", str(world.marked_id("bob"))]
    return fake.tap_config(chats=chats, **options)


def test_an_old_edit_and_deletion_beyond_too_long_come_out_within_the_bound() -> None:
    world = busy_world()
    fake = FakeTelegram(world, update_log=REAL, now=NOW)
    budget = 4
    cfg = config(fake, world, verify_requests_per_run=budget)
    run = run_in_process(fake, cfg).check()
    busy = world.marked_id("busy")
    # First delivered with the sweep on: complete as of this run (its content is now's).
    assert parts(run)[busy][COMPLETE_KEY] == int(fake.clock().timestamp())
    old = world.text_ids("busy")
    edited, deleted, never = old[10], old[20], old[30]
    fake.next_hour()
    world.edit_message("busy", edited, "edited long ago", date=fake.clock())
    world.delete_messages("busy", [deleted])
    world.append_messages("busy", 150)  # "too long": the log has nothing of the above
    n = world.last_id("busy")
    # The bound the README states for a chat alone in the rotation: ⌈⌈n/100⌉/budget⌉ runs
    # after its pass starts (one more run for the pass under way when the change came).
    bound = math.ceil(math.ceil(n / 100) / budget) + 1 + math.ceil(300 / 100 / budget) + 3
    got_edit = got_tomb = None
    state = run.state
    for number in range(1, bound + 1):
        fake.next_hour()
        run = run_in_process(fake, cfg, state).check()
        state = run.state
        found = counts(run)
        assert found[HISTORY] <= budget + 2  # the sweep's budget, plus new messages
        for row in rows(run):
            if row["chat_id"] != busy:
                continue
            if row["id"] == edited and not row["deleted"] and row["text"] == "edited long ago":
                got_edit = got_edit or number
            if row["id"] == deleted and row["deleted"]:
                got_tomb = got_tomb or number
            assert row["id"] != never or not row["deleted"]
        if got_edit and got_tomb:
            break
    assert got_edit is not None, f"old edit not delivered within {bound} runs"
    assert got_tomb is not None, f"old deletion not delivered within {bound} runs"


def test_marked_chats_go_first_and_their_mark_is_cleared_after_a_whole_pass() -> None:
    world = busy_world()
    fake = FakeTelegram(world, update_log=REAL, now=NOW)
    cfg = config(fake, world, verify_requests_per_run=3)
    first = run_in_process(fake, cfg).check()
    state = first.state
    assert state is not None
    # The chat the rotation would take last (highest id, same last pass): marked.
    bob = world.marked_id("bob")
    assert bob == max(parts(first))
    for part in state["bookmarks"]["messages"]["partitions"]:
        if part["context"]["chat_id"] == bob:
            mark(part, Reason.REFUSED)
    edited = world.text_ids("bob")[5]
    fake.next_hour()
    world.edit_message("bob", edited, "seen by the sweep", date=fake.clock())
    run = run_in_process(fake, cfg, state).check()
    assert counts(run)[HISTORY] == 3
    # Bob came first: its 2 pages (200 messages), so its pass is whole and its mark gone.
    ids = {(r["chat_id"], r["id"]) for r in rows(run) if not r["deleted"]}
    assert (bob, edited) in ids
    assert marked(parts(run)[bob]) is None
    assert parts(run)[bob][COMPLETE_KEY] == int(fake.clock().timestamp())


def test_budget_respected_and_rotation_covers_every_chat() -> None:
    dialogs = 16
    world = dialogs_world(dialogs, messages=150)
    fake = FakeTelegram(world, update_log=REAL, now=NOW)
    budget = 5  # chats need 2 pages each: some runs end a chat's turn half-way
    cfg = fake.tap_config(verify_requests_per_run=budget)
    run = run_in_process(fake, cfg).check()
    state = run.state
    initial = {chat_id: part[COMPLETE_KEY] for chat_id, part in parts(run).items()}
    assert len(initial) == dialogs  # every chat starts complete as of its first delivery
    quiet_limit = math.ceil(dialogs / 100) + 10 + budget
    # The rotation's bound: ⌈P / budget⌉ + 1 runs, P the pages of every chat's range.
    pages = sum(math.ceil(world.message_count(f"d{i}") / 100) for i in range(dialogs))
    runs = math.ceil(pages / budget) + 1
    for _ in range(runs):
        fake.next_hour()
        run = run_in_process(fake, cfg, state).check()
        state = run.state
        found = counts(run)
        assert found[HISTORY] <= budget
        refreshes = sum(found[name] for name in REFRESHES)
        assert sum(found.values()) - refreshes <= quiet_limit, found
    late = [c for c, part in parts(run).items() if part[COMPLETE_KEY] <= initial[c]]
    assert not late, f"chats not re-checked within {runs} runs: {late}"


def test_no_tombstone_for_an_id_never_delivered() -> None:
    world = busy_world()
    # Deleted before the tap ever saw it: a gap, not a tombstone.
    never = world.text_ids("busy")[3]
    world.delete_messages("busy", [never])
    fake = FakeTelegram(world, update_log=REAL, now=NOW)
    cfg = config(fake, world, verify_requests_per_run=50)
    run = run_in_process(fake, cfg).check()
    busy = world.marked_id("busy")
    assert parts(run)[busy].get(GAPS_KEY)
    for _ in range(3):
        fake.next_hour()
        run = run_in_process(fake, cfg, run.state).check()
        assert not [r for r in rows(run) if r["deleted"]], f"{never} was never delivered"


def test_a_chat_delivered_before_the_sweep_learns_its_gaps_first() -> None:
    world = busy_world()
    gap = world.text_ids("quiet")[7]
    world.delete_messages("quiet", [gap])
    fake = FakeTelegram(world, update_log=REAL, now=NOW)
    run = run_in_process(fake, config(fake, world, verify_requests_per_run=0)).check()
    fake.next_hour()
    run = run_in_process(fake, config(fake, world, verify_requests_per_run=50), run.state).check()
    assert not [r for r in rows(run) if r["deleted"]]
    quiet = world.marked_id("quiet")
    assert parts(run)[quiet].get(COMPLETE_KEY)


@pytest.mark.parametrize(
    ("key", "value"),
    [("sweep_after", "12"), ("changes_complete_until", 1.5), ("sweep_gaps", "i1:x")],
)
def test_state_check_refuses_bad_sweep_keys(key: str, value: Any) -> None:
    state = {
        "bookmarks": {
            "messages": {"partitions": [{"context": {"chat_id": 1}, key: value}]},
        }
    }
    with pytest.raises(StateError, match=key):
        check_state(state)


def test_the_chats_stream_says_up_to_when_changes_are_complete() -> None:
    world = busy_world()
    fake = FakeTelegram(world, update_log=REAL, now=NOW)
    cfg = config(fake, world, verify_requests_per_run=5)
    first = run_in_process(fake, cfg).check()
    assert all(chat["changes_complete_until"] is None for chat in first.records["chats"])
    fake.next_hour()
    second = run_in_process(fake, cfg, first.state).check()
    # As of the STATE the run started from: complete as of the first run's time.
    by_id = {chat["id"]: chat["changes_complete_until"] for chat in second.records["chats"]}
    assert dt.datetime.fromisoformat(by_id[world.marked_id("busy")]) == NOW


def test_a_refused_position_loses_nothing_the_sweep_delivers_the_gap() -> None:
    """Issue 25, end to end: Telegram refuses a channel's stored position, so its log cannot
    say what changed in the gap; change capture takes the new position only with a mark,
    and the sweep, marked chats first, delivers the gap's edit within the README's bound."""
    world = busy_world()
    fake = FakeTelegram(world, now=NOW)  # the fake's defaults: Telegram's rules
    budget = 4
    cfg = config(fake, world, verify_requests_per_run=budget)
    state = run_in_process(fake, cfg).check().state
    busy = world.marked_id("busy")
    edited = world.text_ids("busy")[700]  # pages of the sweep go oldest first: a later run
    fake.next_hour()
    world.edit_message("busy", edited, "edited in the gap", date=fake.clock())
    fake.add_fault("GetChannelDifferenceRequest", "PERSISTENT_TIMESTAMP_INVALID", chat="@sw_busy")
    refused = run_in_process(fake, cfg, state).check()
    assert marked(parts(refused)[busy]) is Reason.REFUSED
    assert parts(refused)[busy]["pts"] == world.chat("busy").pts
    # A marked chat alone takes B - ⌊B/4⌋ requests a run: ⌈⌈n/100⌉ / that⌉ runs, plus the
    # run under way when it was marked.
    n = world.last_id("busy")
    bound = math.ceil(math.ceil(n / 100) / (budget - budget // 4)) + 1
    found = [r for r in rows(refused) if r["chat_id"] == busy and r["id"] == edited]
    state, runs = refused.state, 1
    while not found and runs < bound:
        fake.next_hour()
        run = run_in_process(fake, cfg, state).check()
        state, runs = run.state, runs + 1
        assert counts(run)[HISTORY] <= budget + 1  # the sweep's budget, plus the dialog's check
        found = [r for r in rows(run) if r["chat_id"] == busy and r["id"] == edited]
    assert found, f"the gap's edit was not delivered within {bound} runs"
    assert runs > 1  # the sweep's own doing, not the refused run's
    assert [(r["text"], bool(r["deleted"])) for r in found] == [("edited in the gap", False)]
