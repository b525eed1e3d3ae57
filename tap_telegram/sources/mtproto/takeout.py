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

import logging
from typing import Any

from telethon import TelegramClient, errors

from tap_telegram.errors import SessionError
from tap_telegram.sources.mtproto.calls import Caller

#: What the takeout may read: messages of every kind of chat, no contacts or files.
TAKEOUT_SCOPE: dict[str, bool] = {
    "users": True,
    "chats": True,
    "megagroups": True,
    "channels": True,
}


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
            await self._caller.call(proxy.__aenter__, chat="-", what="InitTakeoutSessionRequest")
        except errors.TakeoutInitDelayError as exc:
            raise SessionError(
                "Telegram holds the takeout (data export) session back for "
                f"{_duration(int(exc.seconds))} (TAKEOUT_INIT_DELAY): open Telegram on "
                "another device, allow the data export request in the message from "
                "Telegram, then run again; or set use_takeout: false"
            ) from None
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
            await proxy.__aexit__(failure, None, None)
        except (errors.RPCError, ValueError, ConnectionError) as exc:
            self._logger.warning(
                "could not finish the takeout session (%s); Telegram ends it by itself",
                type(exc).__name__,
            )
            self._client.session.takeout_id = None
            return
        self._logger.info("takeout session finished (success=%s)", success)
