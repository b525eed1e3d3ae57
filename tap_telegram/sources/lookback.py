"""Lookback: re-read each chat's newest messages and emit only what changed (MTProto, export).

A history source with ``lookback_messages`` / ``lookback_days`` on reads each
bookmarked chat from where its window starts, below the bookmark, and passes the
pages through the chat's :class:`ChatLookback`: it keeps re-read rows that changed,
new rows, and tombstones of stored ids no longer there (channels and supergroups,
:data:`TOMBSTONE_TYPES`), as :class:`~tap_telegram.sources.pages.PageKind` ``REREAD``
pages whose commit saves the chat's memory (:mod:`.fingerprints`) into its STATE
partition. Re-read rows and tombstones never move the bookmark (the stream's rule for
``REREAD`` pages), so it only ever moves forward and singer-sdk's sort check
(``InvalidStreamSortException``, ``helpers/_state.py:increment_state``) never sees an
id below it. :class:`Lookback` is one run's: the windows of every chat are probed at
once, at one ``now``, when the source plans (a source that cannot re-read, like the
export, has no probe: its window is empty and only the memory is built).

STATE of a chat with lookback on::

    {"context": {"chat_id": -1001}, "replication_key": "id",
     "replication_key_value": 1000, "lookback_tail": "v1:eJx..."}
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

from tap_telegram.settings import Settings
from tap_telegram.sources.base import HistorySource, MessageQuery
from tap_telegram.sources.fingerprints import MAX_WINDOW, Record, TailTracker, Window, unpack
from tap_telegram.sources.pages import ChatState, Page, PageKind

#: Key of the packed memory inside a chat's STATE partition.
STATE_KEY = "lookback_tail"
#: Chat kinds whose message ids are per chat and deletions are for everyone.
TOMBSTONE_TYPES = frozenset({"channel", "supergroup"})


def lookback_window(settings: Settings, now: dt.datetime) -> Window | None:
    """The ``lookback_messages`` / ``lookback_days`` settings as a window (None: off).

    Their types and bounds were checked when the settings were parsed.
    """
    messages, days = settings.lookback_messages, settings.lookback_days
    if not messages and not days:
        return None
    since = now - dt.timedelta(days=float(days)) if days else None
    return Window(messages=min(int(messages), MAX_WINDOW), since=since)


class WindowStarts(Protocol):
    """A source's probe: per chat id, the id after which its window starts (MTProto).

    ``bookmarks`` maps chat ids to their bookmarks. A window holds the newest
    ``messages`` messages at or below the bookmark plus those dated ``since`` or
    later, at most :data:`MAX_WINDOW`. Asked for all chats at once, before the first
    is read, so the source can probe them concurrently and read the chats ahead from
    the right ids. With ``skip_failed`` a chat whose probe fails (ChatError) is left
    out of the answer: it is asked again on its own when its turn comes, and fails
    there, in its own context.
    """

    def __call__(
        self,
        bookmarks: Mapping[int, int],
        *,
        messages: int,
        since: dt.datetime | None,
        skip_failed: bool = False,
    ) -> dict[int, int]:
        """Per chat id, where its window starts (see the class docstring)."""
        ...


class ChatLookback:
    """One chat's lookback in one run (wraps a :class:`TailTracker`)."""

    def __init__(self, tracker: TailTracker, read_after: int, label: str) -> None:
        self.tracker = tracker
        #: The query's ``after_id``: the start of the re-read range (or the bookmark).
        self.read_after = read_after
        self.label = label

    def pages(self, pages: Iterator[list[Record]], logger: logging.Logger) -> Iterator[Page]:
        """The source's pages filtered to what changed; the final tombstones last.

        Each page's commit saves the memory. The final tombstones are only produced
        when ``pages`` ends normally: a chat that fails half-way has not proven
        anything missing.
        """
        try:
            for page in pages:
                yield Page(self.tracker.page(page), PageKind.REREAD, self.save)
        finally:
            # Close the source's pager now (it owns an event loop task), not at GC.
            close = getattr(pages, "close", None)
            if close is not None:
                close()
        yield Page(self.tracker.finish(), PageKind.REREAD, self.save)
        self.summary(logger)

    def save(self, state: ChatState) -> bool:
        """Put the memory into the chat's STATE partition (once a page is written).

        Returns whether it changed, i.e. whether STATE needs writing for it.
        """
        partition_state = state.partition
        if not self.tracker.changed and STATE_KEY in partition_state:
            return False
        partition_state[STATE_KEY] = self.tracker.packed()
        return True

    def summary(self, logger: logging.Logger) -> None:
        """One INFO line: how much was re-read, changed and deleted."""
        stats = self.tracker.stats
        label = self.label
        logger.info(
            "chat %s: lookback re-read %d messages after id %d: %d changed, %d deleted%s",
            label,
            stats.reread,
            self.read_after,
            stats.changed,
            stats.deleted,
            ""
            if self.tracker.tombstones or not stats.deleted
            else " (not tombstoned: ids are per account here)",
        )


def plan_lookback(
    starts: WindowStarts | None,
    settings: Settings,
    bookmarks: Mapping[int, int],
    now: dt.datetime,
    *,
    skip_failed: bool = True,
) -> dict[int, int]:
    """Where each bookmarked chat's re-read starts, asked of the source for all at once.

    Done before the first chat so the source can read the chats ahead from the right
    ids; a chat whose probe failed is left out and probed again by
    :func:`start_lookback` when its turn comes (where its error belongs).
    """
    window = lookback_window(settings, now)
    if window is None or not bookmarks:
        return {}
    found = (
        dict(bookmarks)  # the source cannot re-read: every window is empty
        if starts is None
        else starts(
            bookmarks, messages=window.messages, since=window.since, skip_failed=skip_failed
        )
    )
    return {chat: max(0, min(start, bookmarks[chat])) for chat, start in found.items()}


def start_lookback(
    source: HistorySource,
    starts: WindowStarts | None,
    settings: Settings,
    partition_state: Mapping[str, Any],
    chat_id: int,
    *,
    bookmark: int | None,
    now: dt.datetime | None = None,
    planned: int | None = None,
) -> ChatLookback | None:
    """Set up a chat's lookback (None when it is off).

    With a bookmark, the chat is read from where the window starts: ``planned`` (from
    :func:`plan_lookback`, same ``now``) or asked of the source now; without one
    (first run) everything is new and the tracker only builds the memory.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    window = lookback_window(settings, now)
    if window is None:
        return None
    read_after = bookmark or 0
    if bookmark:
        if planned is None:
            alone = {chat_id: bookmark}
            planned = plan_lookback(starts, settings, alone, now, skip_failed=False).get(chat_id)
        read_after = bookmark if planned is None else planned
        if read_after < bookmark:
            source.logger.info(
                "chat %s: lookback re-reads ids %d..%d, then new messages",
                source.chat_label(chat_id),
                read_after + 1,
                bookmark,
            )
        else:
            source.logger.info(
                "chat %s: lookback has nothing to re-read (empty window, or source %s "
                "cannot re-read)",
                source.chat_label(chat_id),
                source.name,
            )
    chat_type = next((c.get("type") for c in source.chats() if c["id"] == chat_id), None)
    tracker = TailTracker(
        chat_id,
        stored=unpack(partition_state.get(STATE_KEY)),
        bookmark=bookmark or 0,
        reread_after=read_after,
        window=window,
        tombstones=chat_type in TOMBSTONE_TYPES,
        now=now,
    )
    return ChatLookback(tracker, read_after, source.chat_label(chat_id))


class Lookback:
    """One run's lookback over one history source (see the module docstring)."""

    def __init__(self, source: HistorySource, starts: WindowStarts | None = None) -> None:
        self.source = source
        self.starts = starts
        #: One ``now`` for every chat's window, and the starts probed up front.
        self.now: dt.datetime | None = None
        self.planned: dict[int, int] = {}

    def plan(self, queries: list[MessageQuery]) -> list[MessageQuery]:
        """Probe every bookmarked chat's window at once; the queries to read ahead with.

        A chat whose probe failed is left out (its read starts when its turn comes):
        it is probed again then (:meth:`pages`), where its error belongs.
        """
        self.now = dt.datetime.now(dt.timezone.utc)
        bookmarks = {q.chat_id: q.bookmark for q in queries if q.bookmark and q.state}
        self.planned = plan_lookback(self.starts, self.source.settings, bookmarks, self.now)
        on = lookback_window(self.source.settings, self.now) is not None
        unknown = set(bookmarks) - set(self.planned) if on else set()
        return [
            self._read_from(query, self.planned.get(query.chat_id))
            for query in queries
            if query.chat_id not in unknown
        ]

    def pages(
        self, query: MessageQuery, read: Callable[[MessageQuery], Iterator[list[Record]]]
    ) -> Iterator[Page]:
        """The chat's pages read by ``read``: through its lookback when on, else as new pages.

        Without a STATE to keep its memory in (``query.state`` is ``None``) there is no
        lookback.
        """
        chat = None
        if query.state is not None:
            chat = start_lookback(
                self.source,
                self.starts,
                self.source.settings,
                query.state.partition,
                query.chat_id,
                bookmark=query.bookmark,
                now=self.now,
                planned=self.planned.get(query.chat_id),
            )
        if chat is None:
            return (Page(page) for page in read(query))
        return chat.pages(read(self._read_from(query, chat.read_after)), self.source.logger)

    @staticmethod
    def _read_from(query: MessageQuery, start: int | None) -> MessageQuery:
        """``query`` reading from a window's start (a first run starts where it says)."""
        if start is None or query.bookmark is None:
            return query
        return dataclasses.replace(query, after_id=start)
