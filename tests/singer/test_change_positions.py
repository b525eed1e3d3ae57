"""Change capture's positions move only after every record they cover is written.

A channel's ``pts`` and the account's ``account_log`` are bookmarks of the update logs:
a STATE that carries a new position while an edit or tombstone it covers is not yet
written loses that change for good when the run dies there (the next run reads the
log from the new position). A kill between two history pages shows it through the
STATE written after page 1; a SIGTERM between two change records (the SDK then writes
the STATE it holds) is shown on :class:`ChangeCapture` itself: the stream hands a
change page's records to the SDK one by one and applies the page's commit after the
last one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from tap_telegram.errors import ChatError
from tap_telegram.records.schemas import empty_message
from tap_telegram.records.types import plain
from tap_telegram.settings import Settings
from tap_telegram.sources.mtproto.changes.capture import ChangeCapture
from tap_telegram.sources.mtproto.changes.log_changes import ChatChanges, LogChanges
from tap_telegram.sources.pages import ChatState, Record
from tap_telegram.sources.state_keys import ACCOUNT_KEY, PTS_KEY
from tests.fake_telegram import FakeTelegram, Fault, run_fake_tap, run_in_process
from tests.read_ahead import pages_read_ahead
from tests.singer.test_changes import config, make_world, messages

NEWS, BOB, FAM = -1001, 6001, -7001


class _EditedRecords:
    """What :class:`ChangeCapture` asks of a source: the edited messages, and its failures."""

    def __init__(self) -> None:
        self.failures: list[ChatError] = []

    def chat_label(self, chat_id: int) -> str:
        return str(chat_id)

    def edited_records(self, chat_id: int, ids: Iterable[int]) -> Iterator[Record]:
        for message_id in sorted(ids):
            record = empty_message(chat_id, message_id)
            record["text"] = "edited"
            yield plain(record)


def _capture(
    changes: LogChanges, stream_state: dict[str, Any], source: _EditedRecords | None = None
) -> ChangeCapture:
    return ChangeCapture(
        source or _EditedRecords(),
        changes=changes,
        stream_state=stream_state,
        account_chats={BOB, FAM},
        settings=Settings.from_config({}),
        logger=logging.getLogger("test"),
    )


def _write(
    capture: ChangeCapture,
    chat_id: int,
    kind: str,
    partition: dict[str, Any],
    stream: dict[str, Any],
) -> Iterator[Record]:
    """The chat's change page as the stream writes it: each record, then the commit."""
    page = capture.change_page(chat_id, kind)
    yield from page.records
    assert page.commit is not None
    page.commit(ChatState(lambda: partition, stream))


def _partition(chat_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "context": {"chat_id": chat_id},
        "replication_key": "id",
        "replication_key_value": 100,
        "first_id": 1,
        **extra,
    }


def test_a_channel_pts_moves_only_after_its_last_change_record() -> None:
    changes = LogChanges(chats={NEWS: ChatChanges(edited={5, 9}, deleted={7}, pts=40)})
    capture = _capture(changes, {})
    partition = _partition(NEWS, pts=30)
    capture.start_chat(NEWS, partition)
    assert partition[PTS_KEY] == 30, "the old position holds while history is read"
    out = _write(capture, NEWS, "channel", partition, {})
    seen = []
    for record in out:
        seen.append((record["id"], bool(record["deleted"])))
        # The SDK writes this record now; a SIGTERM here writes the STATE in memory.
        assert partition[PTS_KEY] == 30, f"pts moved while {seen[-1]} was not yet written"
    assert sorted(seen) == [(5, False), (7, True), (9, False)]
    assert partition[PTS_KEY] == 40


def test_the_account_log_moves_after_its_last_chat_and_never_past_a_failed_one() -> None:
    old = {"pts": 10, "qts": 0, "date": 1}
    new = {"pts": 20, "qts": 0, "date": 2}
    changes = LogChanges(
        chats={BOB: ChatChanges(edited={3}), FAM: ChatChanges(edited={4})}, account=new
    )
    state: dict[str, Any] = {ACCOUNT_KEY: dict(old)}
    capture = _capture(changes, state)
    for chat_id in (BOB, FAM):
        partition = _partition(chat_id)
        capture.start_chat(chat_id, partition)
        for _ in _write(capture, chat_id, "user" if chat_id == BOB else "group", partition, state):
            assert state[ACCOUNT_KEY] == old, "account_log moved before a change was written"
    assert state[ACCOUNT_KEY] == new

    # The same run, but the private chat fails before its changes are out (the stream
    # tells the capture, and the source records the failure).
    state = {ACCOUNT_KEY: dict(old)}
    source = _EditedRecords()
    capture = _capture(changes, state, source)
    capture.start_chat(BOB, _partition(BOB))
    capture.chat_failed(BOB)
    source.failures.append(ChatError("6001", "failed"))
    partition = _partition(FAM)
    capture.start_chat(FAM, partition)
    assert len(list(_write(capture, FAM, "group", partition, state))) == 1
    assert state[ACCOUNT_KEY] == old, "account_log moved past a chat whose changes were lost"


def test_a_kill_between_history_pages_keeps_the_old_pts_and_the_rerun_has_the_edit() -> None:
    world = make_world()
    fake = FakeTelegram(world)
    # STATE between every two pages (state_every_seconds=0), as a long run has them.
    cfg = config(
        fake, world, page_size=3, concurrent_chats=1, max_concurrent_requests=1,
        state_every_seconds=0,
    )  # fmt: skip
    first = run_in_process(fake, cfg).check()
    news = world.marked_id("news")
    before = _partitions(first.state)[news]
    edited = world.text_ids("news")[20]
    world.edit_message("news", edited, "edited before the crash run")
    # Ten pages of history after the bookmark, with the edit 96 updates back: within
    # Telegram's 100, so the rerun still reads it from the channel's log.
    world.append_messages("news", 95)
    # The process dies on one of the channel's history requests, the 32 pages not all
    # read yet. However fast the fetcher runs ahead of the stream, the stream has taken
    # three pages by then: STATE between them is out; the channel's edit (read after
    # its history) is not.
    unread = pages_read_ahead(cfg["max_concurrent_requests"])
    crashing = FakeTelegram(
        world,
        faults=[Fault("GetHistoryRequest", kind="crash", chat="news", nth=unread + 3)],
        crash_mode="exit",
    )
    crashed = run_fake_tap(crashing, cfg, first.state)
    assert not crashed.ok
    after = _partitions(crashed.state)[news]
    assert after["replication_key_value"] > before["replication_key_value"], "no STATE mid-history"
    assert after.get(PTS_KEY) == before[PTS_KEY], "a STATE between history pages moved pts"
    rerun = run_in_process(fake, cfg, crashed.state).check()
    texts = {
        r["id"]: r["text"] for r in messages(crashed) + messages(rerun) if r["chat_id"] == news
    }
    assert texts.get(edited) == "edited before the crash run", "the edit was lost"


def _partitions(state: dict[str, Any] | None) -> dict[int, dict[str, Any]]:
    assert state is not None
    return {p["context"]["chat_id"]: p for p in state["bookmarks"]["messages"]["partitions"]}


def test_a_failed_private_chat_keeps_the_account_log_and_its_edit_comes_next_run() -> None:
    world = make_world()
    fake = FakeTelegram(world)
    cfg = config(fake, world, max_flood_wait=60)
    first = run_in_process(fake, cfg).check()
    account_before = first.state["bookmarks"]["messages"]["account_log"]  # type: ignore[index]
    bob, fam = world.marked_id("bob"), world.marked_id("fam")
    world.edit_message("bob", world.text_ids("bob")[3], "bob edit")
    world.edit_message("fam", world.text_ids("fam")[4], "fam edit")
    world.append_messages("bob", 1)  # something new to read: the history is asked
    # The private chat fails (a flood wait above the cap); the basic group after it,
    # in the same account log, succeeds.
    failing = FakeTelegram(world, faults=[Fault("GetHistoryRequest", "FLOOD_WAIT_900", chat="bob")])
    failed = run_in_process(failing, cfg, first.state)
    assert failed.stats is not None
    assert failed.stats.errors["FLOOD_WAIT_900"] == 1, "the private chat failed"
    assert failed.state is not None
    edits = {(r["chat_id"], r["text"]) for r in messages(failed) if r["edit_date"]}
    assert edits == {(fam, "fam edit")}
    assert failed.state["bookmarks"]["messages"]["account_log"] == account_before
    rerun = run_in_process(fake, cfg, failed.state).check()
    assert (bob, "bob edit") in {(r["chat_id"], r["text"]) for r in messages(rerun)}
