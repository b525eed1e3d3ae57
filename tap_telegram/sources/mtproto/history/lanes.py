"""One channel read as parallel lanes of pages, in order, with about the requests paging needs.

A page read upwards from an id ``p`` (:meth:`.HistoryReader.page`) holds the
``page_size`` oldest messages above ``p``: it *covers* ``(p, top]``, whatever the gaps.
Reading page after page, each from the previous ``top``, costs one request per page
and is what ``max_concurrent_requests: 1`` does. Reading in parallel means guessing
where later pages start, and every wrong guess is a request spent twice:

* A **lane** is a pager that starts at a guessed id and reads page after page until it
  reaches the next lane's start. Where two lanes meet, the earlier lane's last page
  overlaps what the next one read: that, and lanes that land in emptiness, are the
  only waste.
* Lanes are placed where the **density** of the pages read just before says a later
  page will start: where ids are dense (a channel without deletions) that is exactly
  one page of ids further, and lanes meet without any overlap. Where ids are sparse
  (deleted ranges, or a server that numbers ids differently) a lane is planned to span
  several pages, so the overlap at its end is a small part of it.
* Lanes are added one answer at a time, only while earlier guesses held (a **slow
  start**: a lane whose first page reached twice as far as planned halves how many
  may run), and only while little is read ahead of what the stream has taken, so
  memory stays bounded.
* A page that reaches past its lane's end covers the lanes after it: they skip ahead,
  or stop, instead of reading what is already there. An empty page ends the chat.

:func:`read_lanes` yields pages strictly in id order, with no gaps and no repeats.
"""

from __future__ import annotations

import asyncio
import bisect
import collections
import dataclasses
import math
from collections.abc import AsyncGenerator, Awaitable, Callable

from tap_telegram.sources.base import Record
from tap_telegram.sources.mtproto.history.reader import Page

#: Most pages a lane is planned to span where ids are sparse.
MAX_LANE_PAGES = 8
#: Share of a lane's requests that may go to waste where it meets the next lane.
LOSS_PER_PAGE = 0.03
#: Pages read ahead of the stream (buffered or in flight), per request slot.
AHEAD_PER_SLOT = 4

#: One page read upwards from an id (:meth:`.HistoryReader.page` with the chat bound).
PageReader = Callable[[int], Awaitable[Page]]


@dataclasses.dataclass(eq=False)
class Lane:
    """A pager over ``(start, end]``; ``end`` is the next lane's start (or the bound)."""

    start: int
    end: int
    #: Everything in ``(start, pos]`` has been read, by this lane or one before it.
    pos: int
    #: Answers not yet handed on: ``(read from, covered up to, records)``.
    pages: collections.deque[tuple[int, int, list[Record]]] = dataclasses.field(
        default_factory=collections.deque
    )
    #: Placed by a guess (every lane but the one at the bookmark).
    guessed: bool = False
    busy: bool = False
    done: bool = False
    answered: bool = False
    error: BaseException | None = None


class Density:
    """Messages per id, learned from the pages already read, near a given id.

    Each answer is kept as a sample ``(from, to, messages)``; the ids between the page's
    start and its first message are a sample of their own with no messages, so a long
    deleted range is seen as such and not smeared over its neighbours.
    """

    def __init__(self, page_size: int) -> None:
        self.page_size = page_size
        self._samples: list[tuple[int, int, int]] = []
        self._messages = self._ids = 0
        #: Density of everything to read, when answers tell it (:meth:`LanePlan.answered`);
        #: it says more than the pages read so far.
        self.whole: float | None = None

    def add(self, start: int, page: Page) -> None:
        """Learn from one non-empty answer read upwards from ``start``."""
        if page.low - 1 > start:
            bisect.insort(self._samples, (start, page.low - 1, 0))
        bisect.insort(self._samples, (max(start, page.low - 1), page.top, page.count))
        self._messages += page.count
        self._ids += page.top - start

    def forget_below(self, at: int) -> None:
        """Drop samples that end below ``at`` (behind every lane: no longer consulted)."""
        self._samples = [sample for sample in self._samples if sample[1] >= at]

    def overall(self) -> float:
        """Messages per id of the chat: what was read so far, at most what is known."""
        read = min(self._messages / self._ids, 1.0) if self._ids else 1.0
        return read if self.whole is None else min(read, self.whole)

    def near(self, at: int) -> tuple[float, bool]:
        """``(density, exact)`` of the ids read just below ``at``; exact: no gap seen there.

        Walks back over about a page of messages; a stretch without messages wider
        than what was gathered so far ends the walk (it is a deleted range, not the
        density here). Nothing read yet: dense, the common case for channels.
        """
        index = bisect.bisect_right(self._samples, (at, math.inf, math.inf))
        messages = ids = 0
        for start, end, count in (self._samples[i] for i in range(index - 1, -1, -1)):
            span = max(min(end, at) - start, 0)
            if not count and messages and span > ids:
                break
            below = max(1, round(count * span / (end - start))) if end > at and count else count
            messages, ids = messages + below, ids + span
            if messages >= self.page_size:
                break
        if not ids or not messages:
            return (1.0, True) if not ids else (1 / ids, False)
        return min(messages / ids, 1.0), messages == ids


def lane_width(page_size: int, density: float, *, exact: bool) -> int:
    """Ids a new lane should span: about a whole number of pages at ``density``.

    Where a lane meets the next one, its last page is partly wasted: by how much it
    stops short of a page boundary (the margin), or by a whole extra request when the
    lane holds more messages than planned. With message counts spread like random
    deletions (binomial), the margin that costs least is ``z`` standard deviations
    (``z`` from the normal density), and spanning more pages makes the loss a smaller
    share. The lane spans the fewest pages that keep that share under
    :data:`LOSS_PER_PAGE`; exactly one page of ids where no gap was seen.
    """
    if exact:
        return page_size
    pages, margin = MAX_LANE_PAGES, 0.0
    for count in range(1, MAX_LANE_PAGES + 1):
        spread = math.sqrt(count * page_size * (1 - density)) / page_size
        if spread <= 0:
            pages, margin = count, 0.0
            break
        z = math.sqrt(max(0.0, 2 * math.log(1 / (spread * math.sqrt(2 * math.pi)))))
        loss = z * spread + 0.5 * math.erfc(z / math.sqrt(2))
        pages, margin = count, z * spread * page_size
        if loss / count <= LOSS_PER_PAGE:
            break
    return max(1, math.floor((pages * page_size - margin) / density))


class LanePlan:
    """Where lanes read next (pure bookkeeping; :func:`read_lanes` does the reading)."""

    def __init__(
        self, after: int, bound: int, page_size: int, slots: int, newest: int | None = None
    ) -> None:
        self.page_size = page_size
        self.slots = max(1, slots)
        self.after = after
        #: The chat's newest id, if known: with the chat's message count (in every
        #: answer) it bounds the density of ``(after, newest]``; exact from id 0. A
        #: server that miscounts only makes lanes wider (slower) or changes nothing.
        self.newest = newest
        #: No lane reads beyond this id (the newest id known when the plan was made).
        self.bound = bound
        self.lanes: list[Lane] = [Lane(after, bound, after, done=after >= bound)]
        self.density = Density(page_size)
        #: Lanes that may read at once: one at first (no guess before an answer), one
        #: more per answer, half as many after a surprise; after one, only guesses that
        #: held make it grow again.
        self.allowance = 1
        self.surprised = False

    def held(self) -> int:
        """Pages read ahead of the stream: buffered, or asked for."""
        return sum(len(lane.pages) + lane.busy for lane in self.lanes)

    def to_send(self) -> list[Lane]:
        """Lanes that should ask for their next page now (new lanes included), marked busy.

        The first lane always may when the stream waits for it (nothing of it is
        buffered); otherwise lanes read while requests and the read-ahead budget allow.
        After a failed lane nothing reads: the lanes before it finish, so that their
        pages are handed on before the error.
        """
        out: list[Lane] = []
        busy = sum(lane.busy for lane in self.lanes)
        room = AHEAD_PER_SLOT * self.slots - self.held()
        for index, lane in enumerate(self.lanes):
            if lane.error is not None:
                return out
            if lane.busy or lane.done:
                continue
            waited_for = not index and not lane.pages
            if not waited_for and (busy >= self.allowance or room <= 0):
                break
            lane.busy = True
            busy, room = busy + 1, room - 1
            out.append(lane)
        while busy < self.allowance and room > 0:
            new = self._split()
            if new is None:
                break
            new.busy = True
            busy, room = busy + 1, room - 1
            out.append(new)
        return out

    def answered(self, lane: Lane, start: int, page: Page) -> None:
        """Take in ``lane``'s answer to a page read from ``start``."""
        lane.busy = False
        if lane not in self.lanes:
            return  # dropped: an earlier lane covered it while this request was out
        if not page.count or page.top <= start:
            self._end_at(start)
            return
        guess = lane.guessed and not lane.answered
        surprise = guess and page.top - start > 2 * (lane.end - lane.start) > 0
        self.learn(start, page, surprise=surprise, guess=guess)
        lane.answered = True
        lane.pages.append((start, page.top, page.records))
        self._covered(lane, page.top)

    def learn(self, start: int, page: Page, *, surprise: bool = False, guess: bool = False) -> None:
        """What an answer read from ``start`` says: density, and whether guesses hold.

        A surprise is a guessed lane whose first page reached more than twice as far as
        the lane was planned: ids there are much sparser than guessed (a deleted range
        that several guesses may have landed in).
        """
        self.density.add(start, page)
        span = max(self.newest or 0, page.top) - self.after
        if self.newest and page.total and span > 0:
            self.density.whole = min(1.0, page.total / span)
        if surprise:
            self.surprised = True
            self.allowance = max(1, self.allowance // 2)
        elif guess or not self.surprised:
            self.allowance = min(self.slots, self.allowance + 1)

    def failed_with(self, lane: Lane, error: BaseException) -> None:
        """A lane's request failed: nothing after it reads; the error waits for its turn."""
        lane.busy = False
        lane.error = error

    def pop_finished(self) -> Lane | None:
        """Drop the first lane if it has nothing more to give; return the lane dropped."""
        head = self.lanes[0]
        if head.done and not head.pages and head.error is None:
            self.density.forget_below(head.start)
            return self.lanes.pop(0)
        return None

    def _covered(self, lane: Lane, top: int) -> None:
        """``lane`` has read up to ``top``: it and the lanes after it skip what that covers."""
        for other in self.lanes[self.lanes.index(lane) :]:
            if other.start >= top:
                break
            other.pos = max(other.pos, top)
            if other.pos >= other.end:
                other.done = True

    def _end_at(self, last: int) -> None:
        """Nothing exists above ``last``: lanes beyond it have nothing to read."""
        self.bound = min(self.bound, last)
        for lane in self.lanes:
            lane.end = min(lane.end, self.bound)
            if lane.pos >= lane.end:
                lane.done = True

    def _split(self) -> Lane | None:
        """A new lane where a lane's pages are expected to leave off; the earliest first.

        A lane is split only if what it has left is expected to hold more than one and
        a half lanes of pages: a shorter rest is read by the lane itself, whose last
        page would otherwise cover much of the new lane's part.
        """
        for index, lane in enumerate(self.lanes):
            if lane.error is not None:
                return None
            if lane.done:
                continue
            local, exact = self.density.near(lane.pos)
            overall = self.density.overall()
            density, exact = min(local, overall), exact and overall >= 1.0
            width = lane_width(self.page_size, density, exact=exact)
            start = lane.pos + width
            if lane.end - start >= width / 2:
                new = Lane(start, lane.end, start, guessed=True)
                lane.end = start
                self.lanes.insert(index + 1, new)
                return new
        return None


async def read_lanes(
    read: PageReader,
    after: int,
    bound: int,
    *,
    page_size: int,
    slots: int,
    newest: int | None = None,
    known: Page | None = None,
) -> AsyncGenerator[tuple[list[Record], int], None]:
    """``(records, covered_up_to)`` of ``(after, bound]`` and beyond, in order, no repeats.

    ``read(start)`` is one page read upwards from ``start``. Up to ``slots`` lanes read
    at once; a failed request is raised once the pages before it are handed on.
    ``newest`` is the chat's newest id, when known; ``known``, a page read before (the
    chat's newest page), to learn from.
    """
    plan = LanePlan(after, bound, page_size, slots, newest)
    if known is not None and known.count:
        plan.learn(known.low - 1, known)
    tasks: set[asyncio.Task[None]] = set()
    changed = asyncio.Event()

    async def one(lane: Lane, start: int) -> None:
        try:
            page = await read(start)
        except Exception as exc:  # noqa: BLE001 - raised in order by the consumer below
            plan.failed_with(lane, exc)
        else:
            plan.answered(lane, start, page)
            launch()
        changed.set()

    def launch() -> None:
        for lane in plan.to_send():
            task = asyncio.ensure_future(one(lane, lane.pos))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    frontier = after
    try:
        while plan.lanes:
            launch()
            head = plan.lanes[0]
            if head.pages:
                start, top, records = head.pages.popleft()
                if start > frontier:  # pragma: no cover - a planning bug, never data loss
                    msg = f"id lanes left a gap after id {frontier} (next page from {start})"
                    raise RuntimeError(msg)
                fresh = [record for record in records if record["id"] > frontier]
                frontier = max(frontier, top)
                if fresh:
                    yield fresh, frontier
            elif head.error is not None:
                raise head.error
            elif plan.pop_finished() is None:
                changed.clear()
                await changed.wait()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
