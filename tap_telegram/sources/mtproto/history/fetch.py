"""Read ahead: several chats at once, channels as parallel lanes of pages, in order.

The SDK syncs chats (partitions) one after another and writes each chat's bookmark
after every page, so pages must reach it oldest first with no gaps. Fetching,
though, may run ahead and in parallel, as long as it is put back in order:

* **Chats ahead.** When the source plans (:meth:`Fetcher.plan`: every
  chat with its starting point), up to ``concurrent_chats`` chats are read at once
  in the background, each into a bounded queue; the SDK drains the current chat's
  queue while the next chats fill theirs.
* **Lanes.** Message ids of channels and supergroups are per chat, mostly dense (a
  gap is a deleted message), so ``(after_id, newest]`` is read by concurrent pagers
  placed where the density of the pages already read says later pages begin
  (:mod:`.history.lanes`): one page of ids apart where ids are dense, several pages apart
  where they are sparse, so that parallel reading costs about the requests of reading
  page after page. Private chats and basic groups have per-account ids that are not
  dense: they are read with one sequential pager.
* **Newest id.** Lanes need the newest id. When the dialogs already said it
  (``ResolvedChat.top_message``) no request asks for it, and a chat whose newest id
  is at or below the bookmark costs no request at all. Otherwise the first request is
  the chat's newest page: it says the newest id and is the chat's last page (often
  its only one), not a probe.
* **Bounded memory.** At most ``4 * max_concurrent_requests`` pages are in flight or
  buffered per chat, and every chat queue holds at most :data:`QUEUE_PAGES` pages, so
  memory stays flat however long the chat.

Every request goes through the run's :class:`~.wire.calls.Caller` and so shares one
concurrency cap and one adaptive rate (:mod:`.wire.rate`). The fetcher reads through a
:class:`~.history.reader.HistoryReader` and finds chats with a lookup it is given: it
knows nothing of the source that drives it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from telethon.tl import types

from tap_telegram.settings import Settings
from tap_telegram.sources.base import MessageQuery, Record
from tap_telegram.sources.mtproto.chats.resolve import ResolvedChat
from tap_telegram.sources.mtproto.history import probes
from tap_telegram.sources.mtproto.history.lanes import read_lanes
from tap_telegram.sources.mtproto.history.reader import HistoryReader, Page
from tap_telegram.sources.mtproto.wire.calls import CallStats
from tap_telegram.sources.mtproto.wire.loop import LoopThread

#: Seconds between progress lines of one chat.
PROGRESS_EVERY = 15.0
#: Pages buffered per chat between the fetcher and the SDK.
QUEUE_PAGES = 8
_END = object()


@dataclasses.dataclass(frozen=True)
class FetchSettings:
    """Concurrency settings (see docs/configuration.md)."""

    requests: int
    chats: int
    page_size: int

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchSettings:
        """Take ``max_concurrent_requests``, ``concurrent_chats`` and ``page_size``."""
        return cls(
            requests=max(1, settings.max_concurrent_requests),
            chats=max(1, settings.concurrent_chats),
            page_size=settings.page_size,
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
        """The chat's feed read ahead (planned with this very query), or one started now."""
        feed = self._feeds.get(query.chat_id)
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
        stats = self.history.caller.stats_for(chat.label)
        progress = _Progress(self.logger, chat.label, stats)
        after_id = query.after_id
        # The dialogs said the newest id: nothing new means no request at all.
        if chat.top_message is None or chat.top_message > after_id:
            if query.since is not None:
                since_id = await probes.last_id_before(self.history.caller, chat, query.since)
                after_id = max(after_id, since_id)
            parallel = self.settings.requests > 1 and not self.history.in_order(chat)
            pages = (
                self._windowed(chat, after_id, query.since)
                if parallel and dense_ids(chat)
                else self.history.pages(chat, after_id, chat.top_message, query.since)
            )
            async for page in pages:
                progress.add(len(page), page[-1]["id"])
                yield page
        progress.done()
        self.history.chat_finished(chat)

    async def _windowed(
        self, chat: ResolvedChat, after_id: int, since: dt.datetime | None
    ) -> AsyncIterator[list[Record]]:
        """``(after_id, newest]`` as parallel lanes (:mod:`.history.lanes`), in order.

        Without the newest id from the dialogs, the chat's newest page comes first: it
        says the newest id, and when it reaches back to the bookmark it is all there is
        (one request for a quiet chat or a small one). Otherwise the lanes read up to
        its oldest message and it is handed on last.
        """
        newest = bound = chat.top_message
        last: Page | None = None
        if bound is None:
            last = await self.history.newest(chat, after_id, since)
            if last.low <= after_id + 1:
                if last.records:
                    yield last.records
                return
            newest, bound = last.top, last.low - 1
        frontier = after_id
        lanes = read_lanes(
            lambda start: self.history.page(chat, start, since),
            after_id,
            bound,
            page_size=self.history.page_size,
            slots=self.settings.requests,
            newest=newest,
            known=last,
        )
        # Closed at once when the stream stops early: no lane keeps reading.
        async with contextlib.aclosing(lanes):
            async for records, covered in lanes:
                frontier = covered
                yield records
        rest = [r for r in last.records if r["id"] > frontier] if last is not None else []
        if rest:
            yield rest


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
