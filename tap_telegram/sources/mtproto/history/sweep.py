"""The sweep: re-read old history on a budget and emit what the update log missed.

Telegram's update log cannot vouch for every change: a busy channel's difference is
"too long" after about 100 events, a stored position can be refused, a log can keep
failing (:mod:`..changes.verify_marks`). The sweep re-reads each delivered chat's
history, oldest first, at most ``verify_requests_per_run`` ``getHistory`` requests a
run, and emits, as ``CHANGE`` pages that never move the bookmark, the edits and the
tombstones of delivered ids that are gone.

This module is the run's sweep: it reads the planned pages and turns what they prove
into records. The rest stands apart, each a concern of its own:

* :mod:`.sweep_plan`: which chats a run re-reads and how many requests each gets (the
  order, and the guarantee: how soon every chat, and a marked one, is re-checked);
* :mod:`.sweep_check`: what one page proves (which messages are edits, which ids
  tombstones);
* :mod:`.sweep_state`: what STATE keeps of a chat's pass and the commits that write
  it, including the ids noted as the history delivers them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from tap_telegram.errors import ChatError
from tap_telegram.records.builders import tombstone
from tap_telegram.records.constants import SCOPE_ACCOUNT, SCOPE_CHAT
from tap_telegram.records.types import plain
from tap_telegram.settings import Settings
from tap_telegram.sources.lookback import TOMBSTONE_TYPES
from tap_telegram.sources.mtproto.chats.resolve import ResolvedChat
from tap_telegram.sources.mtproto.history.reader import HistoryReader, get_history
from tap_telegram.sources.mtproto.history.sweep_check import Checked, check_page
from tap_telegram.sources.mtproto.history.sweep_plan import ChatStart, Turn, plan_turns
from tap_telegram.sources.mtproto.history.sweep_state import (
    Delivery,
    Partition,
    index_ids,
    pass_commit,
)
from tap_telegram.sources.mtproto.wire.loop import LoopThread
from tap_telegram.sources.pages import ChatState, Page, PageKind, Record, then

#: One ``getHistory`` answer of ``page_size`` messages above an id: (messages, users, chats).
ReadPage = Callable[[int, int], Any]
#: Maps raw messages of a chat to records (enriched like history): (chat, msgs, users, chats).
MapRecords = Callable[[int, list[Any], list[Any], list[Any]], list[Record]]


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
        self.turns: dict[int, Turn] = {}
        #: Requests sent, edits and tombstones emitted, passes completed (the summary).
        self.requests = self.edits = self.deletions = self.completed = 0

    @property
    def on(self) -> bool:
        """Whether the sweep runs at all (``verify_requests_per_run`` > 0)."""
        return self.budget > 0

    def plan(self, chats: Iterable[ChatStart]) -> None:
        """Share the run's budget among the chats (:mod:`.sweep_plan`).

        ``chats`` gives each chat's id, ``type``, partition and bookmark as the run
        started (``None``: first delivered in this run, nothing to re-check).
        """
        if not self.on:
            return
        self.turns = plan_turns(
            self.settings, chats, budget=self.budget, now=self.now, page_size=self.page_size
        )

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
        tracker = Delivery(self.now, chat_type in TOMBSTONE_TYPES, bookmark)
        for page in pages:
            yield Page(page.records, page.kind, then(page.commit, tracker.commit(page.records)))
        turn = self.turns.pop(chat_id, None)
        if turn is not None:
            yield from self._sweep(turn, state.partition, tracker.gaps(state.partition))

    def _sweep(self, turn: Turn, partition: Partition, gaps: set[int]) -> Iterator[Page]:
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
            yield Page(records, PageKind.CHANGE, pass_commit(nxt, checked.missing, gaps))
            position = nxt

    def _records(self, turn: Turn, checked: Checked, answer: Any) -> list[Record]:
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


def start_sweep(
    settings: Settings,
    runner: LoopThread,
    history: HistoryReader,
    chat: Callable[[int], ResolvedChat],
    queries: Iterable[ChatStart],
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
