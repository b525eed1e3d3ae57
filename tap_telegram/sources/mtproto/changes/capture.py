"""Change capture: a chat's edits and deletions since the last run, as pages that checkpoint.

With ``track_changes`` the source reads, when it plans (before the first chat), what
the update logs say changed since the positions stored in STATE (:mod:`.changes.reader`).
Each chat then reads its history as always (new messages, by id, move the bookmark)
and, right after it, gets a ``CHANGE`` page of its edits and deletions
(:meth:`ChangeCapture.pages`):

* only ids the tap delivered in earlier runs: from the chat's first delivered id
  (``first_id``) up to its bookmark as the run started (this run's history, read
  after the logs, has the newest content of its own ids); a private chat's or basic
  group's deletion (ids only, no chat) only when the chat's
  :class:`~.changes.id_index.IdIndex` holds the id;
* an edit is the message's record again (same primary key: upserting targets replace
  the row); a deletion a tombstone (``deleted_scope`` ``chat`` or ``account``);
* neither moves the bookmark.

**Positions in STATE** move only once every record they cover is written, exactly
like bookmarks: they are the commits of the pages that cover them. A channel's
``pts`` sits in its partition and moves after the chat's changes are out; the
account's position (``bookmarks.messages.account_log``) moves after the last chat of
the account's log is out and none of them failed (a channel, or a ``chats`` entry that
did not resolve, never holds it back). A first position (taken before any history
was read) is stored at once, by an empty page before the history.

**When a log cannot vouch for a chat** (:mod:`.changes.failures`): a read that failed
leaves the position and counts the failure in STATE; a refused position, or a log
"too long", marks the chat for verification (:mod:`.changes.verify_marks`) in the empty
page's commit, before any history and never after the position moved. A kill at any
point leaves the old positions: the next run reads the same changes again
(duplicates are removed by the primary key) and loses none. Partition of a private
chat with change capture on::

    {"context": {"chat_id": 6100000008}, "replication_key": "id",
     "replication_key_value": 4480, "first_id": 72,
     "delivered_ids": ["i1:eJzt..."], "stats": {...}}
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from typing import Any, Protocol

from tap_telegram.errors import ChatError
from tap_telegram.records.builders import tombstone
from tap_telegram.records.constants import SCOPE_ACCOUNT, SCOPE_CHAT
from tap_telegram.records.types import plain
from tap_telegram.settings import Settings
from tap_telegram.sources.mtproto.changes.failures import (
    FAILED_RUNS,
    LogFailedError,
    count,
    failed_runs,
    failure_line,
)
from tap_telegram.sources.mtproto.changes.id_index import HORIZON, IdIndex
from tap_telegram.sources.mtproto.changes.log_changes import ChatChanges, LogChanges
from tap_telegram.sources.mtproto.changes.verify_marks import Reason, mark
from tap_telegram.sources.pages import ChatState, Page, PageKind, Record, then
from tap_telegram.sources.state_keys import (
    ACCOUNT_FAILS_KEY,
    ACCOUNT_KEY,
    FAILS_KEY,
    FIRST_KEY,
    INDEX_KEY,
    PTS_KEY,
)

#: ``type`` of the chats whose messages are in the account's log.
ACCOUNT_TYPES = frozenset({"user", "group"})


class EditedRecords(Protocol):
    """What change capture asks of its source: edited messages' records, and the run's failures."""

    failures: list[ChatError]

    def chat_label(self, chat_id: int) -> str:
        """How logs and errors name a chat (its marked id first)."""
        ...

    def edited_records(self, chat_id: int, ids: set[int]) -> Iterable[Record]:
        """Records of a chat's edited messages, newest content, mapped now."""
        ...


class ChangeCapture:
    """One run's change capture (see the module docstring)."""

    def __init__(
        self,
        source: EditedRecords,
        *,
        changes: LogChanges,
        stream_state: MutableMapping[str, Any],
        account_chats: set[int],
        settings: Settings,
        logger: logging.Logger,
    ) -> None:
        self.source = source
        self.settings = settings
        self.changes = changes
        self.stream_state = stream_state
        self.logger = logger
        #: Chats of the account's log whose changes are not out yet.
        self.pending = set(account_chats)
        self.failed = False
        self.now = dt.datetime.now(dt.timezone.utc)
        #: Account deletions attributed so far, and those beyond a chat's index horizon.
        self.attributed: set[int] = set()
        self.beyond_horizon: set[int] = set()
        #: The current chat's bookmark as it started, and the ids the lookback emitted.
        self._start: int | None = None
        self._emitted: set[int] = set()
        #: The current chat's partition (its delivered ids, read when its changes are).
        self._partition: MutableMapping[str, Any] = {}
        if changes.account is not None and changes.account_is_start:
            stream_state[ACCOUNT_KEY] = dict(changes.account)
        #: Consecutive runs the account's log failed, this one counted (0: it read).
        self.account_failures = count(
            stream_state, ACCOUNT_FAILS_KEY, failed=changes.account_failed is not None
        )

    def start_chat(self, chat_id: int, partition: MutableMapping[str, Any]) -> bool:
        """Before the chat's history: store a first position (taken before any read).

        A chat delivered before change capture was on gets its ``first_id`` now (see
        :func:`legacy_first`). Returns False: no STATE needs writing for it alone.
        """
        found = self.changes.chats.get(chat_id)
        changed = self._vouch(chat_id, partition, found)
        if found is not None and found.pts is not None and _int(partition.get(PTS_KEY)) is None:
            partition[PTS_KEY] = found.pts
        bookmark = _int(partition.get("replication_key_value"))
        if bookmark is not None and _int(partition.get(FIRST_KEY)) is None:
            partition[FIRST_KEY] = legacy_first(self.settings, bookmark)
        self._start = bookmark
        self._emitted = set()
        self._partition = partition
        return changed

    def _vouch(
        self, chat_id: int, partition: MutableMapping[str, Any], found: ChatChanges | None
    ) -> bool:
        """What the log says of the chat, in STATE: failures counted, marks; whether it changed.

        A refused position's replacement is stored here, in the same commit as its mark.
        """
        before = dict(partition)
        if found is not None:  # a channel (the account's chats have no log of their own)
            count(partition, FAILS_KEY, failed=found.failed is not None)
            if found.failed is not None:
                mark(partition, Reason.LOG_FAILED)
            if found.fallback:
                mark(partition, Reason.TOO_LONG)
            if found.refused is not None:
                mark(partition, Reason.REFUSED)
                if found.pts is not None:
                    partition[PTS_KEY] = found.pts
        elif chat_id in self.pending and self.changes.account_refused is not None:
            mark(partition, Reason.REFUSED)
        return partition != before

    def delivered(
        self, chat_type: str | None, partition: MutableMapping[str, Any], page: list[Record]
    ) -> None:
        """A page was handed to the SDK: note its first id and (account chats) its ids.

        Called right after the page's records are yielded, before the STATE that
        covers them: an id is in the index whenever a bookmark covers it.
        """
        # Rows the lookback already emitted again (or as tombstones) in this run.
        start = self._start
        self._emitted.update(
            int(r["id"])
            for r in page
            if r.get("deleted") or (start is not None and r["id"] <= start)
        )
        ids = [int(r["id"]) for r in page if not r.get("deleted")]
        if not ids:
            return
        if _int(partition.get(FIRST_KEY)) is None:
            partition[FIRST_KEY] = min(ids)
        if chat_type in ACCOUNT_TYPES:
            index = IdIndex(partition.get(INDEX_KEY))
            index.add(ids)
            partition[INDEX_KEY] = index.save()

    def pages(self, chat_id: int, chat_type: str | None, pages: Iterator[Page]) -> Iterator[Page]:
        """The chat's history pages framed by its capture (see the module docstring).

        First an empty page that stores a first position; then the history, each page
        noting the ids it delivered once written; then the chat's changes.
        """
        yield Page([], PageKind.CHANGE, lambda state: self.start_chat(chat_id, state.partition))
        for page in pages:
            noted = self._noting(chat_type, page.records)
            yield Page(page.records, page.kind, then(noted, page.commit))
        yield self.change_page(chat_id, chat_type)

    def _noting(self, chat_type: str | None, records: list[Record]) -> Callable[[ChatState], bool]:
        """The commit that notes a written page's delivered ids (see :meth:`delivered`)."""

        def commit(state: ChatState) -> bool:
            self.delivered(chat_type, state.partition, records)
            return False

        return commit

    def change_page(self, chat_id: int, chat_type: str | None) -> Page:
        """The chat's edits and tombstones; its new position is the page's commit."""
        records: list[Record] = []
        found = self.changes.chats.get(chat_id) or ChatChanges()
        # Ids delivered by earlier runs: this run's history was read after the logs, so
        # it has the newest content of its own ids, and never the ones deleted before.
        bookmark, first = self._start, self._first
        if bookmark is not None and first is not None:
            in_range = {i for i in found.edited if first <= i <= bookmark} - self._emitted
            records.extend(
                record
                for record in self.source.edited_records(chat_id, in_range)
                if record["id"] in in_range
            )
            scope = SCOPE_ACCOUNT if chat_type in ACCOUNT_TYPES else SCOPE_CHAT
            gone = {i for i in found.deleted if first <= i <= bookmark}
            if chat_type in ACCOUNT_TYPES:
                gone |= self._attribute(first, bookmark)
            gone -= self._emitted
            records.extend(plain(tombstone(chat_id, i, self.now, scope)) for i in sorted(gone))

        def commit(state: ChatState) -> bool:
            # Every record above is written now.
            if found.pts is not None:
                state.partition[PTS_KEY] = found.pts
            self.pending.discard(chat_id)
            # Only the account's own chats hold its position back (never a channel).
            if not self.pending and not self.failed:
                self._commit_account()
            return True

        return Page(records, PageKind.CHANGE, commit)

    def chat_failed(self, chat_id: int) -> None:
        """A chat of the account's log failed before its changes were out: keep the old position."""
        if chat_id in self.pending:
            self.failed = True

    def summary(self) -> str:
        """One line on the update logs, for the run summary."""
        dropped = self.beyond_horizon
        changes = self.changes
        line = (
            f"update log: {changes.requests} difference requests, "
            f"{changes.fallbacks} too long (history and lookback only), "
            f"{changes.failures} failed (position kept), {changes.refusals} refused "
            "(marked for verification)"
        )
        if dropped:
            line += (
                f", {len(dropped)} deletions in private chats/basic groups older than the "
                f"newest {HORIZON:,} ids a chat remembers: not attributed"
            )
        return line

    @property
    def _first(self) -> int | None:
        """The current chat's first delivered id (set by its history if it had none)."""
        return _int(self._partition.get(FIRST_KEY))

    def _attribute(self, first: int, bookmark: int) -> set[int]:
        """The account deletions this chat delivered (per its index)."""
        candidates = {
            i for i in self.changes.account_deleted if first <= i <= bookmark
        } - self.attributed
        if not candidates:
            return set()
        index = IdIndex(self._partition.get(INDEX_KEY))
        mine = {i for i in candidates if i in index}
        self.attributed |= mine
        oldest = index.oldest
        if oldest is not None:
            self.beyond_horizon |= {i for i in candidates - mine if i < oldest}
        self.beyond_horizon -= self.attributed
        return mine

    def _commit_account(self) -> None:
        """Every chat of the account's log is out: its new position may be stored."""
        if self.changes.account is not None and not self.changes.account_is_start:
            self.stream_state[ACCOUNT_KEY] = dict(self.changes.account)


#: Reads the update logs: every selected chat's stored position (a channel's pts;
#: ``None``: none yet, or a chat in the account's log) and the account's, to what
#: changed since (:meth:`.changes.reader.ChangeReader.read`).
ReadChanges = Callable[[Mapping[int, int | None], Mapping[str, int] | None], LogChanges]


def start_capture(
    source: EditedRecords,
    read: ReadChanges,
    settings: Settings,
    stream_state: MutableMapping[str, Any],
    partitions: Iterable[tuple[int, str | None, Mapping[str, Any]]],
    *,
    logger: logging.Logger,
) -> ChangeCapture | None:
    """Read what changed (``None``: ``track_changes`` off).

    ``partitions`` gives each chat's id, ``type`` and partition state.
    """
    if not settings.track_changes:
        return None
    chats = list(partitions)
    positions = {chat_id: _int(part.get(PTS_KEY)) for chat_id, _, part in chats}
    stored = stream_state.get(ACCOUNT_KEY)
    account = stored if isinstance(stored, Mapping) else None
    changes = read(positions, account)
    account_chats = {chat_id for chat_id, kind, _ in chats if kind in ACCOUNT_TYPES}
    capture = ChangeCapture(
        source,
        changes=changes,
        stream_state=stream_state,
        account_chats=account_chats,
        settings=settings,
        logger=logger,
    )
    report_failures(capture, [(chat_id, part) for chat_id, _, part in chats])
    return capture


def report_failures(capture: ChangeCapture, chats: Iterable[tuple[int, Mapping[str, Any]]]) -> None:
    """One line per log that failed; an error of the run at :data:`.failures.FAILED_RUNS`."""
    changes = capture.changes
    failed: list[tuple[str, str, int]] = []
    if changes.account_failed is not None:
        where = "the account's update log (private chats and basic groups)"
        failed.append((where, changes.account_failed, capture.account_failures))
    for chat_id, part in chats:
        found = changes.chats.get(chat_id)
        if found is not None and found.failed is not None:
            runs = failed_runs(dict(part), FAILS_KEY) + 1
            where = f"the update log of chat {capture.source.chat_label(chat_id)}"
            failed.append((where, found.failed, runs))
    for where, problem, runs in failed:
        line = failure_line(problem, runs)
        if runs < FAILED_RUNS:
            capture.logger.warning("%s: %s", where, line)
            continue
        error = LogFailedError(where, line)
        capture.source.failures.append(error)  # exit 5 at the end: every chat is read first
        capture.logger.error("tap-telegram: %s", error)


def legacy_first(settings: Settings, bookmark: int) -> int:
    """The first delivered id of a chat whose STATE predates change capture.

    Without ``start_date`` the chat was read from ``start_message_id`` (or from its
    first message). With it, the first id is unknown: changes are then emitted only
    for ids delivered from now on (above the bookmark), never for one not delivered.
    """
    if settings.start_date:
        return bookmark + 1
    return (settings.start_message_id or 0) + 1


def _int(value: Any) -> int | None:
    """An integer from STATE; ``None`` for anything else (missing or hand-edited)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None
