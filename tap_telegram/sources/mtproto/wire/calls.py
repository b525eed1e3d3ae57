"""Every MTProto request of a run goes through :class:`Caller`.

It applies one policy to every request: a slot of the run's shared rate budget, paced
per method (:mod:`.wire.rate`, keyed by ``what``); a FLOOD_WAIT up to ``max_flood_wait``
teaches the budget the method's limit and is waited out with a log line naming the
chat, a longer one fails that chat; a lost connection handed to :mod:`.wire.connection`
(reconnect, then the request is sent again; a lasting outage ends the run in one
line); an answer of a type this Telethon cannot read, and every other Telegram error
looked up in the table of :mod:`.wire.errors` (private chats, revoked sessions, bot
sessions...), raised as the one-line error it means. It also counts requests and
flood waits per chat, which progress lines, STATE and the run summary report.

``chat=None`` marks a request of the run itself (connecting, signing in, the
takeout): its failures are the run's, never a chat's.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telethon import TelegramClient, errors
from telethon.tl.tlobject import TLRequest

from tap_telegram.errors import ChatError, TapTelegramError
from tap_telegram.sources.mtproto.wire.connection import DROPS, Connection, connection_lost
from tap_telegram.sources.mtproto.wire.errors import protocol_mismatch, user_error
from tap_telegram.sources.mtproto.wire.rate import RateBudget

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
        connection: Connection | None = None,
    ) -> None:
        self.client = client
        self.logger = logger
        self.max_flood_wait = max_flood_wait
        #: Shared concurrency cap and adaptive pacing (see :mod:`.wire.rate`).
        self.budget = budget or RateBudget(logger=logger)
        #: Reconnects after a lost connection (see :mod:`.wire.connection`).
        self.connection = connection or Connection(client, logger)
        self.stats: dict[str | None, CallStats] = {}

    def stats_for(self, chat: str | None) -> CallStats:
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

    async def __call__(self, request: TLRequest, *, chat: str | None) -> Any:
        """Send ``request`` on behalf of ``chat`` (a label used in logs and errors)."""
        return await self.call(lambda: self.client(request), chat=chat, what=type(request).__name__)

    async def call(self, send: Callable[[], Awaitable[T]], *, chat: str | None, what: str) -> T:
        """Run ``send()`` (one or more requests) under the error, flood and connection policy.

        ``send`` is a factory so that a flood wait or a reconnect can re-run it from
        the start; it is also how Telethon helpers that page on their own
        (``get_dialogs``) get the same policy as the tap's own requests.
        """
        stats = self.stats_for(chat)
        connection = self.connection
        failing_since: float | None = None
        while True:
            stats.requests += 1
            sent_in = connection.generation
            try:
                try:
                    async with self.budget.slot(what):
                        result = await send()
                except (errors.FloodWaitError, errors.FloodPremiumWaitError) as exc:
                    await self._wait_out(int(exc.seconds), stats, chat=chat, what=what)
                    continue
                except DROPS as exc:
                    if not connection_lost(exc, connection.client):
                        raise
                    if failing_since is None:
                        failing_since = connection.clock()
                    await connection.recover(
                        exc, sent_in=sent_in, failing_since=failing_since, chat=chat, what=what
                    )
                    continue
            except (errors.RPCError, errors.TypeNotFoundError) as exc:
                # From the request, or from a reconnect's own connect().
                raise self._explain(exc, chat=chat, what=what) from None
            connection.was_up = True
            return result

    @staticmethod
    def _explain(exc: BaseException, *, chat: str | None, what: str) -> BaseException:
        """The one-line error ``exc`` means, or ``exc`` itself when it has no meaning here."""
        if isinstance(exc, errors.TypeNotFoundError):
            return protocol_mismatch(exc, what=what)
        if isinstance(exc, errors.RPCError):
            return user_error(exc, chat=chat, what=what) or exc
        return exc

    async def _wait_out(
        self, seconds: int, stats: CallStats, *, chat: str | None, what: str
    ) -> None:
        """Learn from a FLOOD_WAIT and sleep through it, or fail the chat above the cap.

        Above the cap the budget only counts it: no other chat is held that long.
        """
        seconds = max(seconds, 0)
        pause = self.budget.flood(seconds, what, hold=seconds <= self.max_flood_wait)
        if seconds > self.max_flood_wait:
            text = (
                f"Telegram asked to wait {seconds} s (FLOOD_WAIT) on {what}, more than "
                f"max_flood_wait={self.max_flood_wait:g} s; run again later or raise "
                "max_flood_wait"
            )
            raise (TapTelegramError(text) if chat is None else ChatError(chat, text)) from None
        stats.flood_waits += 1
        stats.flood_seconds += seconds
        self.logger.info(
            "%s: flood wait %d s on %s (wait %d of this chat, %.0f s in all)",
            "connection" if chat is None else f"chat {chat}",
            seconds,
            what,
            stats.flood_waits,
            stats.flood_seconds,
        )
        await asyncio.sleep(pause)
