"""A lost connection: reconnect with backoff and re-send, or stop with one line.

Telethon reconnects on its own first (``connection_retries`` attempts a second apart,
then it re-sends what was in flight). When that fails, every request in flight and
every later one raises ``ConnectionError`` and the client stays disconnected. A
restarting server, a DC migration or a network blip longer than Telethon's few
seconds would end the run there. :class:`Connection` is what :class:`~.wire.calls.Caller`
hands such a failure to:

* one task reconnects (``client.connect()``), the others wait for it: attempts back
  off from about a second to :attr:`Backoff.cap`, shorter when the bound is short;
* when the connection is back, every failed request is sent again (its answer never
  arrived, so nothing is read twice) and one log line says how long it was down;
* when it stays down longer than ``max_reconnect_seconds``, every waiting request
  raises the same :class:`~tap_telegram.errors.ConnectionLostError`: one line, exit 3,
  saying what failed and that a rerun resumes from the saved STATE.

The clock and the sleep are injectable, so the tests run outages in no time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tap_telegram.errors import ConnectionLostError
from tap_telegram.settings import Settings

#: What a broken connection raises: Telethon's ``ConnectionError`` (after its own
#: retries, or "Cannot send requests while disconnected") and a half-read frame.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    asyncio.IncompleteReadError,
)
#: Everything :func:`connection_lost` may say yes to (what the caller catches).
DROPS: tuple[type[BaseException], ...] = (OSError, asyncio.TimeoutError, *CONNECTION_ERRORS)
#: The declared default of the ``max_reconnect_seconds`` setting.
DEFAULT_MAX_SECONDS = float(Settings().max_reconnect_seconds)
#: Where Telethon's sender logs its reconnects.
TELETHON_SENDER_LOGGER = "telethon.network.mtprotosender"
#: Attempts spread over the allowed time: the first pause is this part of it (≤ 1 s).
FIRST_PAUSE_SHARE = 1 / 32


class _NotTheEnd(logging.Filter):
    """Telethon's "Automatic reconnection failed" is no error for the tap: it goes on."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and str(record.msg).startswith("Automatic reconnection"):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


_NOT_THE_END = _NotTheEnd()


def quiet_telethon_giving_up() -> None:
    """Log Telethon's giving up on a connection as a warning (idempotent).

    A run that then reconnects must not show an ERROR line, and a run that stops
    shows exactly one: the tap's own.
    """
    logging.getLogger(TELETHON_SENDER_LOGGER).addFilter(_NOT_THE_END)


def connection_lost(exc: BaseException, client: Any) -> bool:
    """Whether ``exc`` means the connection is gone (and not, say, a full disk).

    Telethon's own connection errors always count; any other OS-level error or timeout
    counts only while the client is disconnected, which is how Telethon leaves it.
    """
    if isinstance(exc, CONNECTION_ERRORS):
        return True
    return isinstance(exc, (OSError, asyncio.TimeoutError)) and not client.is_connected()


@dataclasses.dataclass(frozen=True)
class Backoff:
    """Pauses between reconnect attempts: ``first``, doubling up to ``cap`` seconds."""

    first: float = 1.0
    cap: float = 15.0

    @classmethod
    def within(cls, max_seconds: float) -> Backoff:
        """A schedule that fits ``max_seconds``: about ten attempts in the default 90 s."""
        first = min(1.0, max(max_seconds * FIRST_PAUSE_SHARE, 0.001))
        return cls(first=first, cap=max(first, min(15.0, max_seconds / 4)))

    def pause(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return float(min(self.cap, self.first * 2 ** max(attempt - 1, 0)))


class Connection:
    """The run's connection to Telegram, as far as keeping it up is concerned."""

    def __init__(
        self,
        client: Any,
        logger: logging.Logger,
        *,
        max_seconds: float = DEFAULT_MAX_SECONDS,
        via_proxy: bool = False,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        #: The plain client: reconnecting goes to it, never to a takeout wrapper.
        self.client = client
        self.logger = logger
        self.max_seconds = max(0.0, float(max_seconds))
        self.via_proxy = via_proxy
        self.backoff = backoff or Backoff.within(self.max_seconds)
        self._sleep = sleep
        self._clock = clock
        self._lock: asyncio.Lock | None = None
        #: Bumped at every reconnect: a request sent before it failed on the old one.
        self.generation = 0
        #: Whether a request was ever answered on this run (a first connect or not).
        self.was_up = False
        self._gave_up: ConnectionLostError | None = None
        #: Outages survived and their seconds (see :meth:`summary`).
        self.outages = 0
        self.outage_seconds = 0.0

    def summary(self) -> str | None:
        """One line for the end of a run that survived outages (``None``: there were none)."""
        if not self.outages:
            return None
        return (
            f"{self.outages} lost connection(s) to Telegram survived, "
            f"{self.outage_seconds:.1f} s down in all"
        )

    def resume(self) -> None:
        """Let later requests reconnect again after a lasting outage was given up on.

        For a failure that costs only what failed (an update log's read: the history
        reads after it try again, each within ``max_reconnect_seconds``).
        """
        self._gave_up = None

    def clock(self) -> float:
        """The connection's clock (``time.monotonic`` unless a test injected one)."""
        return self._clock()

    async def recover(
        self,
        error: BaseException,
        *,
        sent_in: int,
        failing_since: float,
        chat: str | None,
        what: str,
    ) -> None:
        """Return once ``what`` (sent in generation ``sent_in``) is worth sending again.

        Raises :class:`ConnectionLostError` when the connection stayed down for
        ``max_reconnect_seconds`` (counted from ``failing_since``, when this request
        first failed), or when another request already gave up.
        """
        if self._lock is None:  # created inside the loop that uses it
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._gave_up is not None:
                raise ConnectionLostError(str(self._gave_up))
            if self.generation != sent_in and self.client.is_connected():
                return  # another request reconnected meanwhile
            await self._reconnect(error, failing_since, chat=chat, what=what)

    async def _reconnect(
        self, error: BaseException, failing_since: float, *, chat: str | None, what: str
    ) -> None:
        """Connect again with backoff until it works or the time is up."""
        started = self._clock()
        deadline = failing_since + self.max_seconds
        self.logger.warning(
            "%s; reconnecting (gives up after %g s, setting max_reconnect_seconds)",
            self._what_failed(error, chat=chat, what=what),
            self.max_seconds,
        )
        # Connected, yet the request failed on the connection (e.g. a file DC's):
        # pause before it is sent again rather than hammer on.
        pause = self.client.is_connected()
        attempt = 0
        last = error
        while True:
            if pause or attempt:
                remaining = deadline - self._clock()
                if remaining <= 0:
                    raise self._give_up(last, chat=chat, what=what, attempts=attempt)
                await self._sleep(min(self.backoff.pause(max(attempt, 1)), remaining))
                pause = False
            elif self._clock() >= deadline:  # max_reconnect_seconds: 0, no reconnecting
                raise self._give_up(last, chat=chat, what=what, attempts=attempt)
            attempt += 1
            try:
                await self.client.connect()  # returns at once when connected
            except DROPS as exc:
                if not connection_lost(exc, self.client):
                    raise
                last = exc
                continue
            break
        self.generation += 1
        down = max(self._clock() - min(started, failing_since), 0.0)
        self.outages += 1
        self.outage_seconds += down
        if not self.was_up:
            self.logger.warning("connected to Telegram after %.1f s (%d attempt(s))", down, attempt)
            return
        self.logger.warning(
            "connection to Telegram back after %.1f s (%d attempt(s)); sending %s again%s",
            down,
            attempt,
            what,
            "" if chat is None else f" for chat {chat}",
        )

    def _what_failed(self, error: BaseException, *, chat: str | None, what: str) -> str:
        """``lost the connection to Telegram during GetHistoryRequest for chat X (...)``.

        Before anything was answered it is ``cannot reach Telegram (...)``: most likely
        a setting (address, proxy) rather than an outage.
        """
        cause = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        if not self.was_up:
            return f"cannot reach Telegram{self._via()} ({cause})"
        where = "" if chat is None else f" for chat {chat}"
        return f"lost the connection to Telegram{self._via()} during {what}{where} ({cause})"

    def _via(self) -> str:
        return " through the proxy (setting 'proxy')" if self.via_proxy else ""

    def _give_up(
        self, error: BaseException, *, chat: str | None, what: str, attempts: int
    ) -> ConnectionLostError:
        """The one line for a lasting outage; every later request raises it too."""
        failed = self._what_failed(error, chat=chat, what=what)
        tried = f", {attempts} attempt(s)" if attempts else ""
        within = f"{self.max_seconds:g} s (max_reconnect_seconds{tried})"
        if self.was_up:
            text = (
                f"{failed} and it did not come back within {within}; progress is saved up "
                "to the last STATE: run the tap again to resume from there"
            )
        else:
            check = "the proxy setting, the network" if self.via_proxy else "the network"
            text = (
                f"{failed} within {within}; check {check} and the settings "
                "dc_id/server_address/server_port, then run again"
            )
        self._gave_up = ConnectionLostError(text)
        return self._gave_up
