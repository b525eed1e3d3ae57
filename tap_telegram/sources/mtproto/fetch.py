"""Read ahead: several chats at once, big channels as parallel id windows, in order.

The SDK syncs chats (partitions) one after another and writes each chat's bookmark
after every page, so pages must reach it oldest first with no gaps. Fetching,
though, may run ahead and in parallel, as long as it is put back in order:

* **Chats ahead.** When the stream announces its plan (:meth:`Fetcher.plan`: every
  chat with its starting point), up to ``concurrent_chats`` chats are read at once
  in the background, each into a bounded queue; the SDK drains the current chat's
  queue while the next chats fill theirs.
* **Id windows.** Message ids of channels and supergroups are dense per chat (a gap
  is a deleted message), so ``(after_id, newest]`` is cut into windows of about one
  page of messages, read by concurrent pagers (:meth:`.HistoryReader.pages`) and
  yielded in window order. Private chats and basic groups have per-account ids that
  are not dense: they are read with one sequential pager.
* **Bounded memory.** At most ``2 * max_concurrent_requests`` windows are in flight
  or buffered per chat, and every chat queue holds at most :data:`QUEUE_PAGES`
  pages, so memory stays flat however long the chat.

Every request goes through the run's :class:`~.calls.Caller` and so shares one
concurrency cap and one adaptive rate (:mod:`.rate`). The fetcher reads through a
:class:`~.history.HistoryReader` and finds chats with a lookup it is given: it
knows nothing of the source that drives it.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

from telethon.tl import types

from tap_telegram.sources.base import MessageQuery, Record
from tap_telegram.sources.mtproto import probes
from tap_telegram.sources.mtproto.calls import CallStats
from tap_telegram.sources.mtproto.chats import ResolvedChat
from tap_telegram.sources.mtproto.history import HistoryReader
from tap_telegram.sources.mtproto.loop import LoopThread

#: Seconds between progress lines of one chat.
PROGRESS_EVERY = 15.0
#: Pages buffered per chat between the fetcher and the SDK.
QUEUE_PAGES = 8
#: Largest window, in pages' worth of ids (sparse channels get wider windows).
MAX_WINDOW_PAGES = 20
_END = object()


@dataclasses.dataclass(frozen=True)
class FetchSettings:
    """Concurrency settings (see the README settings table)."""

    requests: int = 12
    chats: int = 4
    page_size: int = 100

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> FetchSettings:
        """Read ``max_concurrent_requests``, ``concurrent_chats`` and ``page_size``."""
        return cls(
            requests=max(1, int(config.get("max_concurrent_requests") or cls.requests)),
            chats=max(1, int(config.get("concurrent_chats") or cls.chats)),
            page_size=int(config.get("page_size") or cls.page_size),
        )


def dense_ids(chat: ResolvedChat) -> bool:
    """Channels and supergroups number messages per chat, 1, 2, 3, ..."""
    return isinstance(chat.entity, types.Channel)


class _Feed:
    """One chat being read in the background into a bounded queue."""

    def __init__(self, query: MessageQuery, pages: AsyncIterator[list[Record]]) -> None:
        self.query = query
        self.pages = pages
        self.queue: asyncio.Queue[Any] = asyncio.Queue(QUEUE_PAGES)
        self.task = asyncio.get_running_loop().create_task(self._pump())

    async def _pump(self) -> None:
        try:
            async for page in self.pages:
                await self.queue.put(page)
        except Exception as exc:  # noqa: BLE001 - handed to the consumer, in order
            await self.queue.put(exc)
        else:
            await self.queue.put(_END)

    async def stop(self) -> None:
        if not self.task.done():
            self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.pages.aclose()  # type: ignore[attr-defined]


class Fetcher:
    """Schedules chats and windows on the source's loop; hands pages to the SDK thread."""

    def __init__(
        self,
        runner: LoopThread,
        history: HistoryReader,
        chat: Callable[[int], ResolvedChat],
        logger: logging.Logger,
        settings: FetchSettings,
    ) -> None:
        self.runner = runner
        self.history = history
        #: The resolved chat of a marked id (the chats of a query).
        self.chat = chat
        self.logger = logger
        self.settings = settings
        self._planned: collections.deque[MessageQuery] = collections.deque()
        self._feeds: dict[int, _Feed] = {}

    # -- SDK thread ------------------------------------------------------------------

    def plan(self, queries: list[MessageQuery]) -> None:
        """The chats the stream will read, in order: start the first ones now."""
        self._planned = collections.deque(queries)
        self._fill()

    def pages(self, query: MessageQuery) -> Iterator[list[Record]]:
        """Pages of one chat in id order, from its feed (started now if not planned)."""
        feed = self._feed_for(query)
        # Chats further ahead start only now: the previous chat's final STATE is out.
        self._fill()
        try:
            while True:
                item = self.runner.run(feed.queue.get())
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self._feeds.pop(query.chat_id, None)
            # A generator abandoned at exit (SIGTERM) may be closed after the source:
            # the loop's own shutdown has then cancelled the feed already.
            if not self.runner.closed:
                self.runner.run(feed.stop())

    def _feed_for(self, query: MessageQuery) -> _Feed:
        """The chat's feed read ahead from the same point, or one started now."""
        feed = self._feeds.get(query.chat_id)
        if feed is not None and feed.query != query:
            self.logger.info(
                "chat %s: read ahead from id %d, but the stream starts after id %d: reading again",
                self.chat(query.chat_id).label,
                feed.query.after_id,
                query.after_id,
            )
            self.runner.run(feed.stop())
            feed = None
        if feed is None:
            planned = (q for q in self._planned if q.chat_id != query.chat_id)
            self._planned = collections.deque(planned)
            feed = self._feeds[query.chat_id] = self.runner.run(self._start(query))
        return feed

    def close(self) -> None:
        """Stop every feed still reading (the run is ending); the loop must be running."""
        feeds, self._feeds = list(self._feeds.values()), {}
        self._planned.clear()
        for feed in feeds:
            self.runner.run(feed.stop())

    def _fill(self) -> None:
        """Keep ``concurrent_chats`` chats reading (the one being written included)."""
        while self._planned and len(self._feeds) < self.settings.chats:
            query = self._planned.popleft()
            self._feeds[query.chat_id] = self.runner.run(self._start(query))

    # -- loop thread -----------------------------------------------------------------

    async def _start(self, query: MessageQuery) -> _Feed:
        return _Feed(query, self._chat_pages(query))

    async def _chat_pages(self, query: MessageQuery) -> AsyncIterator[list[Record]]:
        """All new pages of one chat, in order, with progress lines."""
        chat = self.chat(query.chat_id)
        after_id = query.after_id
        if query.since is not None:
            since_id = await probes.last_id_before(self.history.caller, chat, query.since)
            after_id = max(after_id, since_id)
        stats = self.history.caller.stats_for(chat.label)
        progress = _Progress(self.logger, chat.label, stats)
        pages = (
            self._windowed(chat, after_id, query.since)
            if dense_ids(chat) and self.settings.requests > 1 and not self.history.in_order(chat)
            else self.history.pages(chat, after_id, since=query.since)
        )
        async for page in pages:
            progress.add(len(page), page[-1]["id"])
            yield page
        progress.done()
        self.history.chat_finished(chat)

    async def _windowed(
        self, chat: ResolvedChat, after_id: int, since: dt.datetime | None
    ) -> AsyncIterator[list[Record]]:
        """``(after_id, newest]`` as parallel windows, yielded in order; then the tail."""
        top = await probes.top_id(self.history.caller, chat)
        size = self.settings.page_size
        ahead = 2 * self.settings.requests
        pending: collections.deque[tuple[int, asyncio.Task[list[list[Record]]]]] = (
            collections.deque()
        )
        start = after_id
        seen_ids = seen_messages = 0
        try:
            while start < top or pending:
                while start < top and len(pending) < ahead:
                    width = _window_width(size, seen_messages, seen_ids)
                    end = min(start + width, top)
                    task = asyncio.ensure_future(self._window(chat, start, end, since))
                    pending.append((end - start, task))
                    start = end
                width, task = pending[0]
                window_pages = await task
                pending.popleft()
                seen_ids += width
                for page in window_pages:
                    seen_messages += len(page)
                    yield page
            # Messages posted while the windows were read (never below the bookmark).
            async for page in self.history.pages(chat, max(top, after_id), since=since):
                yield page
        finally:
            for _, task in pending:
                task.cancel()
            await asyncio.gather(*(task for _, task in pending), return_exceptions=True)

    async def _window(
        self, chat: ResolvedChat, after_id: int, up_to_id: int, since: dt.datetime | None
    ) -> list[list[Record]]:
        return [page async for page in self.history.pages(chat, after_id, up_to_id, since)]


def _window_width(page_size: int, messages: int, ids: int) -> int:
    """Ids per window: one page when ids are dense, wider when many were deleted.

    A window wider than a page costs a second request whenever its part of the chat
    is dense, so widening starts only below half density, aiming at 80 % of a page.
    """
    density = messages / ids if ids else 1.0
    if density >= 0.5:
        return page_size
    return int(page_size * 0.8 / max(density, 1 / MAX_WINDOW_PAGES))


class _Progress:
    """Logs a chat's progress at INFO every :data:`PROGRESS_EVERY` seconds."""

    def __init__(self, logger: logging.Logger, label: str, stats: CallStats) -> None:
        self.logger = logger
        self.label = label
        self.stats = stats
        self.count = 0
        self.started = self.last = time.monotonic()

    def add(self, count: int, last_id: int) -> None:
        self.count += count
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY:
            self.last = now
            rate = self.count / max(now - self.started, 1e-9)
            self.logger.info(
                "chat %s: %d messages so far (%.0f msg/s), at id %d, %d flood waits (%.0f s)",
                self.label,
                self.count,
                rate,
                last_id,
                self.stats.flood_waits,
                self.stats.flood_seconds,
            )

    def done(self) -> None:
        elapsed = time.monotonic() - self.started
        self.logger.info(
            "chat %s: %d new messages in %.1f s (%.0f msg/s), %d requests, %d flood waits (%.0f s)",
            self.label,
            self.count,
            elapsed,
            self.count / max(elapsed, 1e-9),
            self.stats.requests,
            self.stats.flood_waits,
            self.stats.flood_seconds,
        )
