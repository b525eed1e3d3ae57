"""The sweep: re-read old history on a budget and emit what the update log missed.

Telegram's update log cannot vouch for every change: a busy channel's difference is
"too long" after about 100 events, a stored position can be refused, a log can keep
failing (:mod:`..changes.verify_marks`). The sweep re-reads each delivered chat's
history, oldest first, at most ``verify_requests_per_run`` ``getHistory`` requests a
run, and emits, as ``CHANGE`` pages that never move the bookmark:

* an **edit**: a message whose ``edit_date`` is at or after the start of the chat's
  last complete pass (``changes_complete_until``; none yet: every edited message, once);
* a **tombstone** for a delivered id that is gone. Channels and supergroups (dense
  ids): an id inside the delivered range, missing from the answer, that is not among
  the chat's known-missing ids (``sweep_gaps``: ids never delivered, noted as the
  history delivered the ids around them, and ids already tombstoned). Private chats
  and basic groups: an id of the chat's delivered-id index (:mod:`..changes.id_index`)
  missing from the answer. An id the tap never delivered never gets one.

**Order.** With B the budget: chats marked for verification come first and take up to
``B - ⌊B/4⌋`` requests (all B when no other chat waits); what is left goes to every
chat, a pass under way before any new one, then by the start of its last pass, oldest
first: least recently verified first. Each chat gets the requests its pass still needs
(``⌈ids left / page_size⌉``; private chats and basic groups: ids of its index), until
the budget is spent. A chat
marked while a pass was under way starts a new pass (the old one began before the
mark). A chat whose last pass started at this run's time is not swept again.

**Guarantee.** A chat's pass started at time S reads every page after S, so once it
reaches its end every change made before S is delivered: ``changes_complete_until``
becomes S and a mark the pass started under is cleared. With P the sum over the
chats of ``⌈delivered range / 100⌉`` (private chats: delivered ids), every chat
completes a pass at least every ⌈P/B⌉ + 1 runs when no chat is marked, and every
⌈P/⌊B/4⌋⌉ + 1 runs when some are marked on every run; a marked chat of n messages,
the only one marked: within ⌈⌈n/100⌉/(B - ⌊B/4⌋)⌉ runs of its mark (⌈⌈n/100⌉/B⌉ when no
other chat needs re-checking).

**STATE** (declared in :mod:`tap_telegram.sources.state_keys`), per chat::

    {"sweep_after": 4200, "sweep_end": 90000, "sweep_since": 1717400000,
     "sweep_reason": 1, "sweep_known": 72, "changes_complete_until": 1717300000,
     "sweep_gaps": ["i1:eJzt..."]}

Each page's commit stores where the pass stands once its records are written. A chat
first delivered with the sweep on starts complete (its content is as of this run); a
chat delivered before it learns its missing ids on its first pass (no tombstone below
``sweep_known`` until then).
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import logging
import math
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from typing import Any

from telethon.tl import types

from tap_telegram.errors import ChatError
from tap_telegram.records.builders import tombstone
from tap_telegram.records.constants import SCOPE_ACCOUNT, SCOPE_CHAT
from tap_telegram.records.types import plain
from tap_telegram.settings import Settings
from tap_telegram.sources.lookback import TOMBSTONE_TYPES
from tap_telegram.sources.mtproto.changes import verify_marks
from tap_telegram.sources.mtproto.changes.capture import ACCOUNT_TYPES, legacy_first
from tap_telegram.sources.mtproto.changes.id_index import CHUNK, pack_ids, unpack_ids
from tap_telegram.sources.mtproto.chats.resolve import ResolvedChat
from tap_telegram.sources.mtproto.history.reader import HistoryReader, get_history
from tap_telegram.sources.mtproto.wire.loop import LoopThread
from tap_telegram.sources.pages import ChatState, Page, PageKind, Record, then
from tap_telegram.sources.state_keys import (
    COMPLETE_KEY,
    FIRST_KEY,
    GAPS_KEY,
    INDEX_KEY,
    SWEEP_AFTER,
    SWEEP_END,
    SWEEP_KNOWN,
    SWEEP_REASON,
    SWEEP_SINCE,
)

Partition = MutableMapping[str, Any]
#: Marked chats take at most all but 1/ROTATION_SHARE of a run's budget while others
#: wait: a chat marked on every run (a busy channel) cannot starve the rotation.
ROTATION_SHARE = 4
#: One ``getHistory`` answer of ``page_size`` messages above an id: (messages, users, chats).
ReadPage = Callable[[int, int], Any]
#: Maps raw messages of a chat to records (enriched like history): (chat, msgs, users, chats).
MapRecords = Callable[[int, list[Any], list[Any], list[Any]], list[Record]]


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def load_gaps(partition: Partition) -> set[int]:
    """The chat's known-missing ids (never delivered, or already tombstoned)."""
    chunks = partition.get(GAPS_KEY)
    found: set[int] = set()
    for chunk in chunks if isinstance(chunks, list) else []:
        found.update(unpack_ids(chunk))
    return found


def save_gaps(partition: Partition, gaps: set[int]) -> None:
    """Store the known-missing ids packed (chunks of :data:`CHUNK`); none: no key."""
    ids = sorted(i for i in gaps if i >= 0)
    if not ids:
        partition.pop(GAPS_KEY, None)
        return
    partition[GAPS_KEY] = [pack_ids(ids[i : i + CHUNK]) for i in range(0, len(ids), CHUNK)]


def index_ids(partition: Partition) -> list[int] | None:
    """A private chat's or basic group's delivered ids (``None``: it has no index)."""
    chunks = partition.get(INDEX_KEY)
    if not isinstance(chunks, list):
        return None
    out: list[int] = []
    for chunk in chunks:
        out.extend(unpack_ids(chunk))
    return sorted(out)


@dataclasses.dataclass
class Pass:
    """Where one chat's sweep stands (its STATE keys, read once a run)."""

    after: int
    end: int
    since: int
    reason: int
    known: int
    first: int
    complete: int | None

    @property
    def done(self) -> bool:
        """The pass reached its end (the next turn starts a new one)."""
        return self.after >= self.end

    def store(self, partition: Partition) -> None:
        """Write the position into the chat's partition."""
        partition[SWEEP_AFTER] = self.after
        partition[SWEEP_END] = self.end
        partition[SWEEP_SINCE] = self.since
        partition[SWEEP_REASON] = self.reason
        partition[SWEEP_KNOWN] = self.known
        if self.complete is not None:
            partition[COMPLETE_KEY] = self.complete


@dataclasses.dataclass
class _Turn:
    """One chat's share of this run: its pass (restarted or not) and its requests."""

    chat_id: int
    dense: bool
    position: Pass
    requests: int


class Sweep:
    """One run's sweep (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        *,
        now: dt.datetime,
        page_size: int,
        read: ReadPage,
        records_of: MapRecords,
        logger: logging.Logger,
    ) -> None:
        self.settings = settings
        self.budget = int(settings.verify_requests_per_run)
        self.now = int(now.timestamp())
        self.detected = now
        self.page_size = max(1, page_size)
        self.read = read
        self.records_of = records_of
        self.logger = logger
        self.turns: dict[int, _Turn] = {}
        #: Requests sent, edits and tombstones emitted, passes completed (the summary).
        self.requests = self.edits = self.deletions = self.completed = 0

    @property
    def on(self) -> bool:
        """Whether the sweep runs at all (``verify_requests_per_run`` > 0)."""
        return self.budget > 0

    # -- planning ------------------------------------------------------------------

    def plan(self, chats: Iterable[tuple[int, str | None, Partition, int | None]]) -> None:
        """Share the run's budget: marked chats first, then the least recently verified.

        ``chats`` gives each chat's id, ``type``, partition and bookmark as the run
        started (``None``: first delivered in this run, nothing to re-check).
        """
        if not self.on:
            return
        candidates: list[tuple[tuple[int, ...], _Turn, int]] = []
        for chat_id, kind, partition, bookmark in chats:
            dense = kind in TOMBSTONE_TYPES
            if bookmark is None or not (dense or kind in ACCOUNT_TYPES):
                continue
            position = self.position(partition, bookmark)
            mark = verify_marks.marked(partition)
            if position.done and mark is None and position.since >= self.now:
                continue  # verified as of now: a new pass would tell nothing new
            # Least recently verified first: by when its current (or last) pass started.
            # A pass under way is finished first: at most one chat's pass is left
            # half-way by a run, and it is the next run's first.
            order = (
                0 if mark is not None else 1,
                int(mark or 0),
                1 if position.done else 0,
                position.since,
                chat_id,
            )
            if position.done or (mark is not None and position.reason == 0):
                position = dataclasses.replace(
                    position,
                    after=position.first - 1,
                    end=bookmark,
                    since=self.now,
                    reason=int(mark or 0),
                )
            need = self._need(partition, position, dense=dense)
            if need is None or need <= 0:
                continue
            candidates.append((order, _Turn(chat_id, dense, position, 0), need))
        self._share(candidates)

    def _share(self, candidates: list[tuple[tuple[int, ...], _Turn, int]]) -> None:
        """Marked chats first, then every chat by least recently verified.

        Marked chats take all but ``1/ROTATION_SHARE`` of the budget while others wait,
        so that marks never starve the rotation.
        """
        ordered = sorted(candidates, key=lambda item: item[0])
        unmarked = any(order[0] for order, _, _ in ordered)
        left = self.budget
        marked_left = left - (left // ROTATION_SHARE if unmarked else 0)
        for order, turn, need in ordered:
            if order[0] == 0 and marked_left > 0:
                turn.requests = min(marked_left, need)
                marked_left -= turn.requests
                left -= turn.requests
        for _, turn, need in sorted(ordered, key=lambda item: item[0][2:]):
            if left <= 0:
                break
            more = min(left, need - turn.requests)
            turn.requests += more
            left -= more
        self.turns = {turn.chat_id: turn for _, turn, _ in ordered if turn.requests}

    def position(self, partition: Partition, bookmark: int) -> Pass:
        """The chat's pass as STATE has it; a chat delivered before the sweep starts one."""
        first = _int(partition.get(FIRST_KEY))
        if first is None:
            first = legacy_first(self.settings, bookmark)
        known = _int(partition.get(SWEEP_KNOWN))
        return Pass(
            after=_int(partition.get(SWEEP_AFTER)) or 0,
            end=_int(partition.get(SWEEP_END)) or 0,
            since=_int(partition.get(SWEEP_SINCE)) or -1,
            reason=_int(partition.get(SWEEP_REASON)) or 0,
            known=bookmark + 1 if known is None else known,
            first=first,
            complete=_int(partition.get(COMPLETE_KEY)),
        )

    def _need(self, partition: Partition, position: Pass, *, dense: bool) -> int | None:
        """Requests the pass still needs (an upper bound); ``None``: cannot sweep it."""
        if dense:
            return math.ceil(max(0, position.end - position.after) / self.page_size)
        ids = index_ids(partition)
        if ids is None:
            return None  # private chat without a delivered-id index: no tombstone possible
        left = sum(1 for i in ids if position.after < i <= position.end)
        return math.ceil(left / self.page_size)

    # -- one chat -------------------------------------------------------------------

    def pages(
        self,
        chat_id: int,
        chat_type: str | None,
        bookmark: int | None,
        state: ChatState,
        pages: Iterator[Page],
    ) -> Iterator[Page]:
        """The chat's pages, noting the ids they deliver, then its sweep pages.

        ``state`` is read here (never written: only commits write, once the records
        before them are out).
        """
        if not self.on:
            yield from pages
            return
        tracker = _Delivery(self, chat_type in TOMBSTONE_TYPES, bookmark)
        for page in pages:
            yield Page(page.records, page.kind, then(page.commit, tracker.commit(page.records)))
        turn = self.turns.pop(chat_id, None)
        if turn is not None:
            yield from self._sweep(turn, state.partition, tracker.gaps(state.partition))

    def _sweep(self, turn: _Turn, partition: Partition, gaps: set[int]) -> Iterator[Page]:
        """Up to ``turn.requests`` pages of the chat's pass, each a ``CHANGE`` page."""
        position = turn.position
        index = None if turn.dense else index_ids(partition)
        for _ in range(turn.requests):
            if position.done:
                break
            try:
                answer = self.read(turn.chat_id, position.after)
            except ChatError as error:
                self.logger.warning(
                    "chat %s: the sweep stopped for this run (%s); it goes on next run",
                    turn.chat_id,
                    error,
                )
                return
            self.requests += 1
            checked = check_page(position, answer, gaps, index, page_size=self.page_size)
            records = self._records(turn, checked, answer)
            nxt = dataclasses.replace(position, after=checked.covered)
            if nxt.done:
                nxt.complete = position.since
                nxt.known = min(nxt.known, nxt.first)  # every missing id is known now
                self.completed += 1
            yield Page(records, PageKind.CHANGE, _commit(nxt, checked.missing, gaps))
            position = nxt

    def _records(self, turn: _Turn, checked: Checked, answer: Any) -> list[Record]:
        """The page's edited records and tombstones, in id order."""
        wanted = {int(m.id) for m in checked.edited}
        records = [
            r
            for r in self.records_of(turn.chat_id, checked.edited, answer.users, answer.chats)
            if r["id"] in wanted
        ]
        scope = SCOPE_CHAT if turn.dense else SCOPE_ACCOUNT
        records.extend(
            plain(tombstone(turn.chat_id, i, self.detected, scope)) for i in checked.gone
        )
        self.edits += len(wanted)
        self.deletions += len(checked.gone)
        return sorted(records, key=lambda r: int(r["id"]))

    def summary(self) -> str:
        """One line for the run summary (and the log)."""
        return (
            f"sweep: {self.requests} of {self.budget} history requests, {self.edits} edits, "
            f"{self.deletions} deletions, {self.completed} chats fully re-checked"
        )


def _commit(position: Pass, missing: set[int], gaps: set[int]) -> Callable[[ChatState], bool]:
    """A sweep page's commit: the pass's new position, its newly known missing ids."""

    def commit(state: ChatState) -> bool:
        partition = state.partition
        if missing - gaps:
            gaps.update(missing)
            save_gaps(partition, gaps)
        position.store(partition)
        if position.done and position.reason:
            verify_marks.clear(partition)
        return True

    return commit


@dataclasses.dataclass
class Checked:
    """What one sweep page proved about ``(after, covered]``."""

    covered: int
    edited: list[Any]
    #: Delivered ids gone now (tombstones), and every id now known missing.
    gone: list[int]
    missing: set[int]


def check_page(
    position: Pass, answer: Any, gaps: set[int], index: list[int] | None, *, page_size: int
) -> Checked:
    """Compare one answer with what the chat delivered (pure: see the module docstring).

    ``index`` is a private chat's or basic group's delivered ids (``None``: dense ids).
    The answer holds the oldest ``page_size`` messages above ``position.after``: it
    covers up to its newest id, or to the pass's end when nothing newer came back.
    """
    messages = [m for m in answer.messages if not isinstance(m, types.MessageEmpty)]
    present = {int(m.id) for m in messages}
    above = [i for i in present if i > position.after]
    full = len(messages) >= page_size and above
    covered = min(max(above), position.end) if full else position.end
    low = position.after
    edited = [
        m
        for m in messages
        if low < m.id <= covered
        and m.id >= position.first
        and m.id not in gaps
        and (index is None or _has(index, int(m.id)))
        and m.edit_date is not None
        and (position.complete is None or m.edit_date.timestamp() >= position.complete)
    ]
    gone: list[int] = []
    missing: set[int] = set()
    if index is None:
        for message_id in range(max(low + 1, position.first), covered + 1):
            if message_id in present or message_id in gaps:
                continue
            missing.add(message_id)
            if message_id >= position.known:
                gone.append(message_id)
    else:
        start = bisect.bisect_right(index, low)
        for message_id in index[start : bisect.bisect_right(index, covered)]:
            if message_id >= position.first and not (message_id in present or message_id in gaps):
                gone.append(message_id)
                missing.add(message_id)
    return Checked(covered, edited, gone, missing)


def start_sweep(
    settings: Settings,
    runner: LoopThread,
    history: HistoryReader,
    chat: Callable[[int], ResolvedChat],
    queries: Iterable[tuple[int, str | None, Partition, int | None]],
    *,
    now: dt.datetime,
    logger: logging.Logger,
) -> Sweep | None:
    """The run's sweep over the source's history reader, planned (``None``: off)."""
    if settings.verify_requests_per_run <= 0:
        return None
    size = history.page_size

    def read(chat_id: int, after: int) -> Any:
        request = get_history(
            history.caller, chat(chat_id), offset_id=after + 1, add_offset=-size, limit=size
        )
        return runner.run(request)

    def records_of(chat_id: int, messages: list[Any], users: list[Any], chats: list[Any]) -> Any:
        if not messages:
            return []
        return runner.run(history.records_of(chat(chat_id), messages, users, chats))

    sweep = Sweep(
        settings, now=now, page_size=size, read=read, records_of=records_of, logger=logger
    )
    sweep.plan(queries)
    return sweep


def _has(index: list[int], message_id: int) -> bool:
    i = bisect.bisect_left(index, message_id)
    return i < len(index) and index[i] == message_id


class _Delivery:
    """Notes, as pages are written, the ids a dense chat never delivered (its gaps)."""

    def __init__(self, sweep: Sweep, dense: bool, bookmark: int | None) -> None:
        self.sweep = sweep
        self.dense = dense
        self.last = self.start = bookmark
        self.fresh = bookmark is None
        self._gaps: set[int] | None = None

    def gaps(self, partition: Partition) -> set[int]:
        """The chat's known-missing ids, read once."""
        if self._gaps is None:
            self._gaps = load_gaps(partition)
        return self._gaps

    def commit(self, records: list[Record]) -> Callable[[ChatState], bool]:
        """The commit that notes a written page's ids (and starts a new chat's sweep)."""

        def note(state: ChatState) -> bool:
            partition = state.partition
            changed = False
            gaps = self.gaps(partition)
            before = len(gaps)
            for record in records:
                message_id = int(record["id"])
                if record.get("deleted"):
                    gaps.add(message_id)
                    continue
                if self.last is not None and message_id <= self.last:
                    continue
                if self.dense and self.last is not None:
                    gaps.update(range(self.last + 1, message_id))
                if self.last is None and FIRST_KEY not in partition:
                    partition[FIRST_KEY] = message_id
                self.last = message_id
            if len(gaps) != before:
                save_gaps(partition, gaps)
                changed = True
            if self.start is not None and SWEEP_KNOWN not in partition:
                # Delivered before the sweep: gaps are known from here on (the ids
                # below are learnt by its first pass).
                partition[SWEEP_KNOWN] = self.start + 1
                changed = True
            if self.fresh and self.last is not None and SWEEP_SINCE not in partition:
                first = _int(partition.get(FIRST_KEY)) or self.last
                Pass(0, 0, self.sweep.now, 0, first, first, self.sweep.now).store(partition)
                changed = True
            return changed

        return note
