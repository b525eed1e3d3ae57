"""Takeout sessions (``use_takeout: true``): Telegram's data-export mode for bulk history.

Requests wrapped in ``invokeWithTakeout`` get lower flood limits, which is what a first
sync of years of history needs. Telegram may hold a new takeout back
(``TAKEOUT_INIT_DELAY_<seconds>``) until the user approves the export request that it
sends to the account's other apps; that becomes one line saying exactly that.

A takeout must be finished (``account.finishTakeoutSession``): with ``success=True``
when the run completed, ``success=False`` when it failed. :meth:`Takeout.finish` is
called from the source's ``close()``, which the tap runs on every exit path.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from telethon import TelegramClient, errors

from tap_telegram.errors import ConfigError, ConnectionLostError, SessionError, TapTelegramError
from tap_telegram.sources.mtproto.wire.calls import Caller

#: The request that opens a takeout (as errors name it).
INIT = "InitTakeoutSessionRequest"
#: What the takeout may read: messages of every kind of chat, no contacts or files.
TAKEOUT_SCOPE: dict[str, bool] = {
    "users": True,
    "chats": True,
    "megagroups": True,
    "channels": True,
}


def _not_opened(answer: BaseException) -> SessionError:
    """What an unexpected answer to InitTakeoutSession means: say it, offer the way out.

    It is not a chat's failure (there is none yet) and rarely a passing one: a server
    may not implement takeouts at all (NOT_IMPLEMENTED), so the line says what was
    answered rather than blaming Telegram's servers.
    """
    answered = (
        f"{answer.message} (code {answer.code})"
        if isinstance(answer, errors.RPCError)
        else str(answer)
    )
    return SessionError(
        f"the server did not open a takeout (data export) session: it answered {INIT} "
        f"with {answered}; set use_takeout: false to read without a takeout, or run "
        "again later"
    )


def _duration(seconds: int) -> str:
    hours, rest = divmod(max(seconds, 0), 3600)
    if hours:
        return f"{hours} h {rest // 60} min"
    return f"{rest // 60} min {rest % 60} s" if rest >= 60 else f"{rest} s"


class Takeout:
    """One takeout session of a run: :meth:`start` it, use :attr:`client`, :meth:`finish`."""

    def __init__(self, client: TelegramClient, caller: Caller, logger: logging.Logger) -> None:
        self._client = client
        self._caller = caller
        self._logger = logger
        self._proxy: Any = None

    @property
    def client(self) -> Any:
        """Telethon's takeout proxy: the client's methods, every request wrapped."""
        assert self._proxy is not None, "Takeout.start() first"
        return self._proxy

    async def start(self) -> Any:
        """Open the takeout session; returns the proxy client to send requests through."""
        session = self._client.session
        if session.takeout_id is not None:
            # A session file remembers the takeout of a run that died before finishing
            # it; Telegram ends stale ones by itself, so start a fresh one.
            self._logger.info("a previous run left a takeout session open; starting a new one")
            session.takeout_id = None
        proxy = self._client.takeout(finalize=True, **TAKEOUT_SCOPE)
        try:
            await self._caller.call(proxy.__aenter__, chat=None, what=INIT)
        except errors.TakeoutInitDelayError as exc:
            raise SessionError(
                "Telegram holds the takeout (data export) session back for "
                f"{_duration(int(exc.seconds))} (TAKEOUT_INIT_DELAY): open Telegram on "
                "another device, allow the data export request in the message from "
                "Telegram, then run again; or set use_takeout: false"
            ) from None
        except errors.RPCError as exc:  # an answer the error table has no row for
            raise _not_opened(exc) from None
        except TapTelegramError as exc:
            if isinstance(exc, (SessionError, ConfigError, ConnectionLostError)):
                raise  # its own line says what to do (log in again, ...)
            answer = exc.__context__  # the RPC error the caller explained
            raise _not_opened(answer if isinstance(answer, errors.RPCError) else exc) from None
        self._proxy = proxy
        self._logger.info("takeout session opened: history requests use the export limits")
        return proxy

    async def finish(self, success: bool) -> None:
        """Finish the takeout (``success`` as given); never raises, only logs."""
        proxy, self._proxy = self._proxy, None
        if proxy is None:
            return
        # Not ``proxy.success = ...``: the proxy forwards attribute writes to the client,
        # so that setter never runs. ``__aexit__`` derives the flag from the exception.
        failure = None if success else RuntimeError
        try:
            # Through the caller: a dropped connection is reconnected and the finish
            # sent again (unless the run already gave up on the connection).
            await self._caller.call(
                functools.partial(proxy.__aexit__, failure, None, None),
                chat=None,
                what="FinishTakeoutSessionRequest",
            )
        except (errors.RPCError, ValueError, ConnectionError, TapTelegramError) as exc:
            self._logger.warning(
                "could not finish the takeout session (%s); Telegram ends it by itself",
                type(exc).__name__,
            )
            self._client.session.takeout_id = None
            return
        self._logger.info("takeout session finished (success=%s)", success)
