"""Lookback glue between the ``messages`` stream, its Singer STATE and the source.

The stream stays thin: it asks :func:`start_lookback` for a :class:`ChatLookback`,
passes each page through it, and saves its memory into the chat's STATE partition
after each page (:meth:`ChatLookback.save`). Re-read rows have ids at or below the
bookmark; :func:`advances_bookmark` keeps them (and tombstones) from touching it, so
the bookmark only ever moves forward, and singer-sdk's sort check
(``InvalidStreamSortException``, ``helpers/_state.py:increment_state``) never sees an
id below the bookmark.

STATE of a chat with lookback on::

    {"context": {"chat_id": -1001}, "replication_key": "id",
     "replication_key_value": 1000, "lookback_tail": "v1:eJx..."}
"""

from __future__ import annotations

import datetime as dt
import decimal
import logging
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from tap_telegram.errors import ConfigError
from tap_telegram.singer.fingerprints import Record, TailTracker, Window, unpack
from tap_telegram.sources.base import MAX_WINDOW

if TYPE_CHECKING:
    from tap_telegram.sources.base import HistorySource

#: Key of the packed memory inside a chat's STATE partition.
STATE_KEY = "lookback_tail"
#: Chat kinds whose message ids are per chat and deletions are for everyone.
TOMBSTONE_TYPES = frozenset({"channel", "supergroup"})


def lookback_window(config: Mapping[str, Any], now: dt.datetime) -> Window | None:
    """The ``lookback_messages`` / ``lookback_days`` settings as a window (None: off)."""
    messages = config.get("lookback_messages") or 0
    days = config.get("lookback_days") or 0
    if not isinstance(messages, int) or isinstance(messages, bool) or messages < 0:
        raise ConfigError(
            f"setting 'lookback_messages': {messages!r} is not a count; use e.g. 1000 or 0 (off)"
        )
    if not isinstance(days, (int, float, decimal.Decimal)) or isinstance(days, bool) or days < 0:
        raise ConfigError(f"setting 'lookback_days': {days!r} is not a number; use e.g. 7 or 0")
    if not messages and not days:
        return None
    since = now - dt.timedelta(days=float(days)) if days else None
    return Window(messages=min(int(messages), MAX_WINDOW), since=since)


def advances_bookmark(partition_state: Mapping[str, Any], record: Mapping[str, Any]) -> bool:
    """Whether a record may move the chat's bookmark: only ids above it, never tombstones."""
    if record.get("deleted"):
        return False
    current = partition_state.get("replication_key_value")
    return not isinstance(current, int) or int(record["id"]) > current


class ChatLookback:
    """One chat's lookback in one run (wraps a :class:`TailTracker`)."""

    def __init__(self, tracker: TailTracker, read_after: int) -> None:
        self.tracker = tracker
        #: The query's ``after_id``: the start of the re-read range (or the bookmark).
        self.read_after = read_after

    def pages(self, pages: Iterator[list[Record]]) -> Iterator[list[Record]]:
        """The source's pages filtered to what changed; the final tombstones last.

        The final tombstones are only produced when ``pages`` ends normally: a chat
        that fails half-way has not proven anything missing.
        """
        try:
            for page in pages:
                yield self.tracker.page(page)
        finally:
            # Close the source's pager now (it owns an event loop task), not at GC.
            close = getattr(pages, "close", None)
            if close is not None:
                close()
        yield self.tracker.finish()

    def save(self, partition_state: dict[str, Any]) -> bool:
        """Put the memory into the chat's STATE partition (call after a page is written).

        Returns whether it changed, i.e. whether STATE needs writing for it.
        """
        if not self.tracker.changed and STATE_KEY in partition_state:
            return False
        partition_state[STATE_KEY] = self.tracker.packed()
        return True

    def summary(self, label: str, logger: logging.Logger) -> None:
        """One INFO line: how much was re-read, changed and deleted."""
        stats = self.tracker.stats
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
    source: HistorySource,
    config: Mapping[str, Any],
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
    window = lookback_window(config, now)
    if window is None or not bookmarks:
        return {}
    starts = source.lookback_starts(
        bookmarks, messages=window.messages, since=window.since, skip_failed=skip_failed
    )
    return {chat: max(0, min(start, bookmarks[chat])) for chat, start in starts.items()}


def start_lookback(
    source: HistorySource,
    config: Mapping[str, Any],
    partition_state: Mapping[str, Any],
    chat_id: int,
    bookmark: int | None,
    *,
    now: dt.datetime | None = None,
    planned: int | None = None,
) -> ChatLookback | None:
    """Set up a chat's lookback (None when it is off).

    With a bookmark, the chat is read from where the window starts: ``planned`` (from
    :func:`plan_lookback`, same ``now``) or asked of the source now; without one
    (first run) everything is new and the tracker only builds the memory.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    window = lookback_window(config, now)
    if window is None:
        return None
    read_after = bookmark or 0
    if bookmark:
        if planned is None:
            alone = {chat_id: bookmark}
            planned = plan_lookback(source, config, alone, now, skip_failed=False).get(chat_id)
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
    return ChatLookback(tracker, read_after)
