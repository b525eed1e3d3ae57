"""One shared, adaptive request budget for every MTProto request of a run.

Telegram limits requests per account (and per method) and answers FLOOD_WAIT_X
when a client goes too fast; each violation can make the next wait longer. Scripts
usually sleep a fixed second per page (Telethon's ``iter_messages``, telegram-export,
tg-archive), which is slow when Telegram would allow more and still trips the limit
when several chats are read at once. The tap instead:

* caps the requests in flight (``max_concurrent_requests``), so concurrent chats
  and their parallel lanes share one budget;
* sends as fast as answers come back until Telegram says FLOOD_WAIT;
* on FLOOD_WAIT pauses *every* request until the wait is over (one flood answer
  covers the whole account, so hammering on from other tasks would only earn more),
  and from then on paces requests at the rate Telegram accepted during the last
  episode (requests accepted between two floods / time between the two pause ends);
* probes back up: every :data:`PROBE_EVERY` accepted requests the pacing interval
  shrinks by :data:`PROBE_STEP`, so a temporary limit does not slow the rest of the
  run, and the next flood answer re-learns the rate.

:class:`~.wire.calls.Caller` awaits :meth:`RateBudget.slot` around each send and reports
FLOOD_WAIT answers with :meth:`RateBudget.flood`; nothing else needs to know.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable

#: Accepted requests between two speed-up steps while paced.
PROBE_EVERY = 10
#: Factor applied to the pacing interval at each speed-up step.
PROBE_STEP = 0.9
#: Below this interval (seconds) pacing is switched off altogether.
MIN_INTERVAL = 0.002
#: Flood answers ending within this many seconds of the current pause belong to it
#: (several requests in flight get the same answer).
SAME_EPISODE = 1.0


class RateBudget:
    """Concurrency cap plus adaptive pacing learned from FLOOD_WAIT answers."""

    def __init__(
        self,
        max_concurrent: int = 12,
        logger: logging.Logger | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_concurrent = max(1, int(max_concurrent))
        self.logger = logger or logging.getLogger(__name__)
        self._clock = clock
        self._slots: asyncio.Semaphore | None = None
        #: Seconds between request starts; 0 = no pacing (as fast as answers come).
        self.interval = 0.0
        self._next_start = 0.0
        self._paused_until = 0.0
        self._episode_start = clock()
        self._accepted_in_episode = 0
        self._streak = 0
        #: Totals of the run (the Caller keeps per-chat ones).
        self.requests = 0
        self.flood_waits = 0
        self.flood_seconds = 0.0

    @property
    def rate(self) -> float | None:
        """Requests per second the budget paces at (``None``: unpaced)."""
        return 1.0 / self.interval if self.interval else None

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the concurrent slots for one request, started at a paced time.

        Leaving without an exception counts the request as accepted (it feeds the
        rate estimate); an exception (FLOOD_WAIT included) does not.
        """
        if self._slots is None:  # created inside the loop that uses it
            self._slots = asyncio.Semaphore(self.max_concurrent)
        async with self._slots:
            await self._turn()
            self.requests += 1
            yield
            self._accepted()

    async def _turn(self) -> None:
        """Wait until no flood pause is active and the pacing interval has passed."""
        while True:
            now = self._clock()
            start = max(self._paused_until, self._next_start)
            if start <= now:
                self._next_start = now + self.interval
                return
            await asyncio.sleep(start - now)

    def _accepted(self) -> None:
        self._accepted_in_episode += 1
        if not self.interval:
            return
        self._streak += 1
        if self._streak >= PROBE_EVERY:
            self._streak = 0
            self.interval *= PROBE_STEP
            if self.interval < MIN_INTERVAL:
                self.interval = 0.0

    def flood(self, seconds: float) -> float:
        """Telegram answered FLOOD_WAIT ``seconds``: pause everyone, learn the rate.

        Returns the seconds until the pause ends (the caller's retry waits for it in
        :meth:`slot`, together with every other request).
        """
        now = self._clock()
        until = now + max(float(seconds), 0.0)
        self.flood_waits += 1
        self.flood_seconds += max(float(seconds), 0.0)
        if until > self._paused_until + SAME_EPISODE:
            span = until - self._episode_start
            if self._accepted_in_episode and span > 0:
                learned = span / self._accepted_in_episode
            else:
                learned = max(self.interval * 2, 0.05)
            self.interval = learned
            self._streak = 0
            self._episode_start = until
            self._accepted_in_episode = 0
            self.logger.info(
                "flood wait %g s: pausing all requests, then pacing at %.2f requests/s "
                "(flood waits so far: %d, %.0f s)",
                seconds,
                1.0 / learned,
                self.flood_waits,
                self.flood_seconds,
            )
        self._paused_until = max(self._paused_until, until)
        return max(self._paused_until - now, 0.0)

    def summary(self) -> str:
        """One line for the end of the run."""
        pace = f"{self.rate:.2f} requests/s" if self.rate else "unpaced"
        return (
            f"{self.requests} requests, {self.flood_waits} flood waits "
            f"({self.flood_seconds:.0f} s), ending {pace}"
        )
