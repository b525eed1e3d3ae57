"""Every MTProto request of a run goes through :class:`Caller`.

It applies one policy to every request: a slot of the run's shared rate budget
(:mod:`.rate`); FLOOD_WAIT up to ``max_flood_wait`` waited out with a log line naming
the chat, longer ones fail that chat; every other Telegram error looked up in the
table of :mod:`.rpc_errors` (private chats, revoked sessions, bot sessions...) and
raised as the one-line error it means. It also counts requests and flood waits per
chat, which progress lines, STATE and the run summary report.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telethon import TelegramClient, errors
from telethon.tl.tlobject import TLRequest

from tap_telegram.errors import ChatError
from tap_telegram.sources.mtproto.rate import RateBudget
from tap_telegram.sources.mtproto.rpc_errors import user_error

T = TypeVar("T")


@dataclasses.dataclass
class CallStats:
    """Counters for one chat (or for the run, under the key ``None``)."""

    requests: int = 0
    flood_waits: int = 0
    flood_seconds: float = 0.0

    def as_dict(self) -> dict[str, float]:
        """The counters by name (what STATE, metrics and the summary line report)."""
        return dataclasses.asdict(self)


class Caller:
    """Send requests with the tap's error policy; shared by all chats of a run."""

    def __init__(
        self,
        client: TelegramClient,
        logger: logging.Logger,
        *,
        max_flood_wait: float,
        budget: RateBudget | None = None,
    ) -> None:
        self.client = client
        self.logger = logger
        self.max_flood_wait = max_flood_wait
        #: Shared concurrency cap and adaptive pacing (see :mod:`.rate`).
        self.budget = budget or RateBudget(logger=logger)
        self.stats: dict[str, CallStats] = {}

    def stats_for(self, chat: str) -> CallStats:
        """Counters of one chat (created on first use)."""
        return self.stats.setdefault(chat, CallStats())

    def totals(self) -> CallStats:
        """Counters of the whole run (every chat, the connection and dialog loading)."""
        total = CallStats()
        for stats in self.stats.values():
            total.requests += stats.requests
            total.flood_waits += stats.flood_waits
            total.flood_seconds += stats.flood_seconds
        return total

    async def __call__(self, request: TLRequest, *, chat: str) -> Any:
        """Send ``request`` on behalf of ``chat`` (a label used in logs and errors)."""
        return await self.call(lambda: self.client(request), chat=chat, what=type(request).__name__)

    async def call(self, send: Callable[[], Awaitable[T]], *, chat: str, what: str) -> T:
        """Run ``send()`` (one or more requests) under the error and flood policy.

        ``send`` is a factory so that a flood wait can re-run it from the start; it is
        also how Telethon helpers that page on their own (``get_dialogs``) get the
        same policy as the tap's own requests.
        """
        stats = self.stats_for(chat)
        while True:
            stats.requests += 1
            try:
                async with self.budget.slot():
                    return await send()
            except (errors.FloodWaitError, errors.FloodPremiumWaitError) as exc:
                await self._wait_out(int(exc.seconds), stats, chat=chat, what=what)
            except errors.RPCError as exc:
                error = user_error(exc, chat=chat, what=what)
                if error is None:
                    raise
                raise error from None

    async def _wait_out(self, seconds: int, stats: CallStats, *, chat: str, what: str) -> None:
        """Sleep through a FLOOD_WAIT (pausing every request), or fail the chat above the cap."""
        seconds = max(seconds, 0)
        if seconds > self.max_flood_wait:
            raise ChatError(
                chat,
                f"Telegram asked to wait {seconds} s (FLOOD_WAIT) on "
                f"{what}, more than max_flood_wait="
                f"{self.max_flood_wait:g} s; run again later or raise max_flood_wait",
            ) from None
        stats.flood_waits += 1
        stats.flood_seconds += seconds
        self.logger.info(
            "chat %s: flood wait %d s on %s (wait %d of this chat, %.0f s in all)",
            chat,
            seconds,
            what,
            stats.flood_waits,
            stats.flood_seconds,
        )
        await asyncio.sleep(self.budget.flood(seconds))
