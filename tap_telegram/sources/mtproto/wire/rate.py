"""One shared request budget for a run: a concurrency cap, and each method's learned pace.

Telegram limits how often an account may call each method and answers FLOOD_WAIT_X
("a wait of X seconds is required") to the call that goes past the limit; the limits
are not published and differ per method. Scripts usually sleep a fixed second per page
(Telethon's ``iter_messages``, telegram-export, tg-archive), which is slow when Telegram
would allow more and still trips the limit when several chats are read at once. The
tap instead:

* caps the requests in flight (``max_concurrent_requests``), so concurrent chats and
  their parallel lanes share one budget;
* sends as fast as answers come back, per method, until Telegram says FLOOD_WAIT;
* on FLOOD_WAIT X for a method, holds that method's requests (only that method's:
  Telegram counts per method) until the X seconds are over, and **learns the method's
  budget** from it: the requests of the method Telegram accepted since the run started
  (or since the method's last wait; from a burst on when a pause came before it, see
  :func:`oldest_in_window`), ``n``, within the time from the first of them to the end of
  the wait, ``window``. From then on the method is paced as a sliding
  window of its own: a request starts only while fewer than ``n`` of that method's
  requests started in the last ``window`` seconds. That is how Telegram counts, so a
  burst of ``n`` goes through at once and the rest follows at Telegram's rate, with no
  further wait (MadelineProto's docs describe the same estimate, "N calls in the time
  they took plus X");
* keeps the learned budgets for :data:`KEEP_SECONDS` in STATE (the source stores them
  with its memory, a few dozen bytes per method that ever drew a wait), so the next
  hourly run starts paced and draws no wait at all; after that they are forgotten and
  learned again, so a limit Telegram raised does not slow the tap for good. A method
  that never drew a wait is never paced: a quiet account runs as fast as answers come.

A wait despite the pacing (another client of the account used the same budget, or
Telegram lowered it) learns again and keeps the stricter of the two budgets. A wait
above ``max_flood_wait`` fails its chat and teaches nothing (no chat waits longer than
the cap because of it).

:class:`~.wire.calls.Caller` awaits :meth:`RateBudget.slot` around each send and reports
FLOOD_WAIT answers with :meth:`RateBudget.flood`; nothing else needs to know.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping
from typing import Any

#: Flood answers ending within this many seconds of the method's current pause belong
#: to it (several requests in flight get the same answer): they teach nothing new.
SAME_EPISODE = 1.0
#: Learned budgets are kept this long (seconds, in STATE), then learned again.
KEEP_SECONDS = 7 * 24 * 3600
#: Added to a learned window: answers' timing varies a little from request to request.
MARGIN_SECONDS = 0.05
MARGIN_SHARE = 0.0
#: Start times of accepted requests kept per method (the learning looks this far back).
HISTORY = 4096
#: A window longer than this is not learned (the send log does not reach that far back).
LONGEST_WINDOW = 3600.0
#: Windows tried when learning (latest first; beyond, the whole episode is the window).
CANDIDATES = 64
#: A candidate window is checked against earlier requests at this share of its length
#: (the client's send times differ a little from Telegram's arrival times).
CONSISTENT = 0.95
#: While ``n`` requests of a paced method are all still in flight: look again after this.
RECHECK = 0.05


@dataclasses.dataclass(frozen=True)
class Pace:
    """A method's budget: at most ``requests`` started per sliding ``window`` seconds."""

    requests: int
    window: float

    def stricter(self, other: Pace) -> Pace:
        """The budget that keeps within both (fewer requests, longer window)."""
        return Pace(min(self.requests, other.requests), max(self.window, other.window))

    def __str__(self) -> str:
        return f"{self.requests} requests per {self.window:.1f} s"


@dataclasses.dataclass
class _Method:
    """What the budget knows of one method in this run."""

    pace: Pace | None = None
    #: Start times of this method's accepted requests (oldest first).
    sent: collections.deque[float] = dataclasses.field(
        default_factory=lambda: collections.deque(maxlen=HISTORY)
    )
    in_flight: int = 0
    paused_until: float = 0.0
    #: Requests accepted from here on belong to the current learning episode.
    episode_start: float = -math.inf
    #: The flood answer the pace was learned from: requests that started before it
    #: but were answered after it were accepted in the same window and count too.
    learned_at: float | None = None
    learned_from: float = 0.0


class RateBudget:
    """Concurrency cap plus per-method pacing learned from FLOOD_WAIT answers."""

    #: Bench switch (``bench/``): ``False`` waits as told and never paces (the tap before
    #: it learned budgets), to measure both in one run.
    learns = True

    def __init__(
        self,
        max_concurrent: int = 12,
        logger: logging.Logger | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.max_concurrent = max(1, int(max_concurrent))
        self.logger = logger or logging.getLogger(__name__)
        self._clock = clock
        #: How pacing waits (tests pass one that moves their clock on).
        self._sleep = sleep
        self._slots: asyncio.Semaphore | None = None
        self._methods: dict[str, _Method] = {}
        #: Where learned budgets are kept between runs (see :meth:`keep_in`).
        self._memory: MutableMapping[str, Any] | None = None
        self._key = ""
        self._stamp = 0
        #: Totals of the run (the Caller keeps per-chat ones).
        self.requests = 0
        self.flood_waits = 0
        self.flood_seconds = 0.0

    def pace(self, method: str) -> Pace | None:
        """The budget ``method`` is paced at (``None``: not paced)."""
        entry = self._methods.get(method)
        return entry.pace if entry else None

    def _method(self, method: str) -> _Method:
        return self._methods.setdefault(method, _Method())

    @contextlib.asynccontextmanager
    async def slot(self, method: str = "*") -> AsyncIterator[None]:
        """Hold one of the concurrent slots for one request of ``method``, started in pace.

        The method's pause and pace are checked again once the slot is held: a request
        that queued for a slot before the method's first FLOOD_WAIT (hundreds do when a
        first sync asks every chat's full info) must not be sent past the pause that
        wait started, nor past the budget it taught. Leaving without an exception counts
        the request as accepted (it is what Telegram counted); an exception (FLOOD_WAIT
        included) does not.
        """
        if self._slots is None:  # created inside the loop that uses it
            self._slots = asyncio.Semaphore(self.max_concurrent)
        slots = self._slots
        entry = self._method(method)
        while True:
            await self._turn(entry)
            await slots.acquire()
            if self._delay(entry, self._clock()) is None:
                break
            slots.release()  # paused or paced while it queued: wait for its turn again
        entry.in_flight += 1
        try:
            started = self._clock()
            self.requests += 1
            yield
        except BaseException:
            entry.in_flight -= 1
            raise
        finally:
            slots.release()
        entry.in_flight -= 1
        self._accepted(entry, method, started)

    async def _turn(self, entry: _Method) -> None:
        """Wait until the method's pause is over and its pace lets one more start."""
        while (delay := self._delay(entry, self._clock())) is not None:
            await self._sleep(delay)

    def _delay(self, entry: _Method, now: float) -> float | None:
        """Seconds until the method may start one more request (``None``: now)."""
        start = entry.paused_until
        pace = entry.pace
        if pace is not None:
            sent = entry.sent
            while sent and sent[0] <= now - pace.window:
                sent.popleft()
            over = len(sent) + entry.in_flight - pace.requests
            if over >= len(sent):  # the whole budget is in flight: wait for answers
                return RECHECK
            if over >= 0:  # the (over + 1)th oldest must leave the window first
                start = max(start, sent[over] + pace.window)
        return None if start <= now else start - now

    def _accepted(self, entry: _Method, method: str, started: float) -> None:
        entry.sent.append(started)
        learned = entry.learned_at
        if learned is not None and entry.learned_from <= started < learned and entry.pace:
            # Accepted in the window the pace was learned from, answered after the wait.
            entry.pace = Pace(entry.pace.requests + 1, entry.pace.window)
            self._store(method, entry.pace)

    def flood(self, seconds: float, method: str = "*", *, hold: bool = True) -> float:
        """Telegram answered FLOOD_WAIT ``seconds`` to ``method``: hold it, learn its budget.

        Returns the seconds until the method's pause ends (the caller's retry waits for
        it in :meth:`slot`). ``hold=False`` (a wait above ``max_flood_wait``: the chat
        fails) only counts it: holding the method, or pacing it by a window that long,
        would make every other chat wait longer than the cap allows.
        """
        now = self._clock()
        seconds = max(float(seconds), 0.0)
        until = now + seconds
        self.flood_waits += 1
        self.flood_seconds += seconds
        if not hold:
            return 0.0
        entry = self._method(method)
        if until > entry.paused_until + SAME_EPISODE:
            self._learn(entry, method, now, until)
            entry.episode_start = until
        entry.paused_until = max(entry.paused_until, until)
        return max(entry.paused_until - now, 0.0)

    def _learn(self, entry: _Method, method: str, now: float, until: float) -> None:
        """A new flood answer: the accepted requests of the episode, over their window."""
        episode = [t for t in entry.sent if t >= entry.episode_start]
        if not self.learns or not episode or until - episode[0] > LONGEST_WINDOW:
            entry.learned_at = None
            self.logger.info(
                "flood wait %g s on %s: holding %s until it is over",
                until - now,
                method,
                method,
            )
            return
        first = oldest_in_window(episode, now, until - now)
        window = until - episode[first]
        learned = Pace(len(episode) - first, window * (1 + MARGIN_SHARE) + MARGIN_SECONDS)
        if entry.pace is not None:
            learned = learned.stricter(entry.pace)
        entry.pace = learned
        entry.learned_at, entry.learned_from = now, episode[first]
        self._store(method, learned)
        self.logger.info(
            "flood wait %g s on %s: Telegram took %d of them in the %.1f s up to the end "
            "of the wait; pacing %s at %s from now on (flood waits so far: %d, %.0f s)",
            until - now,
            method,
            len(episode) - first,
            window,
            method,
            learned,
            self.flood_waits,
            self.flood_seconds,
        )

    # -- between runs ---------------------------------------------------------------

    def keep_in(self, memory: MutableMapping[str, Any], key: str, now: int) -> None:
        """Pace by the budgets ``memory[key]`` holds and keep the ones learned here there.

        ``memory[key]`` maps a method to ``[requests, window in ms, learned at (Unix s)]``
        (integers: targets read numbers in STATE as decimals); it exists only while it
        holds something. Entries older than :data:`KEEP_SECONDS` or unreadable
        (hand-edited) are dropped.
        """
        self._memory, self._key, self._stamp = memory, key, now
        stored = memory.get(key)
        stored = dict(stored) if isinstance(stored, Mapping) else {}
        kept = {}
        for method, value in stored.items():
            pace = _read(value, now)
            if pace is None or not self.learns:
                continue
            kept[method] = value
            entry = self._method(method)
            entry.pace = pace if entry.pace is None else entry.pace.stricter(pace)
            self.logger.info("pacing %s at %s (learned from an earlier flood wait)", method, pace)
        if kept:
            memory[key] = kept
        else:
            memory.pop(key, None)
        for method, entry in self._methods.items():  # learned before the STATE was at hand
            if entry.learned_at is not None and entry.pace is not None:
                self._store(method, entry.pace)

    def _store(self, method: str, pace: Pace) -> None:
        if self._memory is not None:
            stored = self._memory.setdefault(self._key, {})
            stored[method] = [pace.requests, math.ceil(pace.window * 1000), self._stamp]

    def summary(self) -> str:
        """One line for the end of the run."""
        paced = ", ".join(
            f"{name} {entry.pace}" for name, entry in sorted(self._methods.items()) if entry.pace
        )
        return (
            f"{self.requests} requests, {self.flood_waits} flood waits "
            f"({self.flood_seconds:.0f} s), " + (f"paced: {paced}" if paced else "unpaced")
        )


def oldest_in_window(sent: list[float], now: float, wait: float) -> int:
    """Index of the oldest of ``sent`` still in Telegram's window when it said ``wait``.

    Telegram's wait is the time until the oldest request in its window leaves it, so
    that request ``j`` is one Telegram's window, ``now + wait - sent[j]`` long, had let
    through with everything since; every request before it had already left (a gap of
    about ``wait`` before it). Of the ``j`` that fit, the latest whose window and count
    would also have let every earlier request of the run through is taken: a run that
    sent one request, paused, then a burst is limited by the burst, not by the average.
    """
    last = len(sent) - 1
    checked = 0
    for j in range(last, 0, -1):
        if sent[j] - sent[j - 1] <= wait - 1:
            continue
        checked += 1
        if checked > CANDIDATES:
            break
        window = (now + wait - sent[j]) * CONSISTENT
        if _lets_through(sent, len(sent) - j, window):
            return j
    return 0


def _lets_through(sent: list[float], requests: int, window: float) -> bool:
    """Whether ``requests`` per sliding ``window`` would have accepted all of ``sent``."""
    low = 0
    for high, at in enumerate(sent):
        while sent[low] <= at - window:
            low += 1
        if high - low >= requests:
            return False
    return True


def _read(value: Any, now: int) -> Pace | None:
    """A stored budget, if it is well formed and recent enough."""
    if not isinstance(value, list) or len(value) != 3:
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return None
    requests, millis, learned = value
    if not (1 <= requests <= HISTORY and 1 <= millis <= LONGEST_WINDOW * 1000):
        return None  # hand-edited: no run learns a budget like it
    if not now - KEEP_SECONDS <= learned <= now:
        return None
    return Pace(requests, millis / 1000)


def read_stored(stored: Mapping[str, Any], now: int) -> dict[str, Pace]:
    """The usable budgets of a stored table (for logs and tests)."""
    return {m: p for m, v in stored.items() if (p := _read(v, now)) is not None}
