"""``tap-telegram login --qr``: log in by scanning a QR code (core.telegram.org/api/qr-login).

No phone number and no code to type: the helper shows a QR code of a
``tg://login?token=<base64url>`` link (and the link itself, for screens that cannot show
the code); Telegram on the phone (Settings, Devices, Link Desktop Device) scans it and
accepts the token. The flow, as Telegram documents it:

1. ``auth.exportLoginToken`` gives a token that expires after about 30 seconds; an
   expired one is exported again and a new code shown;
2. once the phone accepted it, Telegram pushes ``updateLoginToken``, and the next
   ``auth.exportLoginToken`` answers ``auth.loginTokenSuccess``; or
   ``auth.loginTokenMigrateTo`` when the account lives in another data center: the
   client moves there and sends ``auth.importLoginToken``;
3. an account with two-step verification answers SESSION_PASSWORD_NEEDED instead,
   and the caller asks for the password as in the phone login.

If the push never arrives, the export at the token's expiry finds the login done all
the same. The code is drawn with the ``qrcode`` package (pure Python, no dependencies
of its own) in half-block characters, two modules a character row.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import io
from typing import Any

import qrcode
from telethon import TelegramClient, events, functions
from telethon.tl import types

from tap_telegram.cli.terminal import Screen
from tap_telegram.errors import SessionError

#: Codes shown before giving up (about five minutes at Telegram's 30 s a token).
CODES = 10
#: Bounds of one wait for a scan, in seconds, whatever the clocks say.
SHORTEST_WAIT, LONGEST_WAIT = 1.0, 120.0


class QrLoginFailedError(SessionError):
    """Nobody scanned the code in time, or Telegram answered something unexpected."""


def login_url(token: bytes) -> str:
    """The ``tg://login?token=`` link of a token (base64url, no padding)."""
    return "tg://login?token=" + base64.urlsafe_b64encode(token).decode().rstrip("=")


def qr_text(url: str) -> str:
    """The QR code of ``url`` as lines of half blocks (a quiet zone of 2 modules)."""
    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_L)
    code.add_data(url)
    code.make(fit=True)
    out = io.StringIO()
    code.print_ascii(out=out, invert=True)
    return out.getvalue()


def screen_text(url: str, number: int) -> str:
    """What one code looks like on the screen: how to scan it, the code, the link."""
    head = (
        "The QR code expired; here is a new one.\n"
        if number > 1
        else "Log in by QR code: in Telegram on your phone open Settings, Devices, "
        "Link Desktop Device, and scan this code.\n"
    )
    return (
        f"{head}{qr_text(url)}"
        f"Cannot scan it? Open this link on a device where Telegram is logged in:\n{url}\n"
        "(The code changes about every 30 seconds; Ctrl-C to give up.)\n"
    )


def _seconds_left(expires: dt.datetime | None) -> float:
    if expires is None:
        return LONGEST_WAIT
    left = (expires - dt.datetime.now(dt.timezone.utc)).total_seconds()
    return min(max(left, SHORTEST_WAIT), LONGEST_WAIT)


async def _switch_dc(client: TelegramClient, dc_id: int) -> None:
    """Move the client to data center ``dc_id`` (a new auth key there).

    Telethon has no public call for it; its own ``QRLogin.wait`` uses this one.
    """
    await client._switch_dc(dc_id)


async def qr_login(client: TelegramClient, show: Screen, *, codes: int | None = None) -> None:
    """Log ``client`` in by QR code (see the module docstring).

    Raises Telethon's ``SessionPasswordNeededError`` for an account with two-step
    verification (the caller asks for the password), :class:`QrLoginFailedError` when
    no code was scanned after ``codes`` of them (default :data:`CODES`).
    """
    codes = CODES if codes is None else codes
    scanned = asyncio.Event()

    async def on_update(_update: Any) -> None:
        scanned.set()

    client.add_event_handler(on_update, events.Raw(types.UpdateLoginToken))
    request = functions.auth.ExportLoginTokenRequest(client.api_id, client.api_hash, [])
    try:
        answer = await client(request)
        shown = 0
        while not isinstance(answer, types.auth.LoginTokenSuccess):
            if isinstance(answer, types.auth.LoginTokenMigrateTo):
                await _switch_dc(client, answer.dc_id)
                answer = await client(functions.auth.ImportLoginTokenRequest(answer.token))
                continue
            if not isinstance(answer, types.auth.LoginToken):
                raise QrLoginFailedError(
                    f"Telegram answered the QR login with {type(answer).__name__}; "
                    "run `tap-telegram login --qr` again, or log in by phone"
                )
            if shown == codes:
                raise QrLoginFailedError(
                    f"no QR code was scanned ({codes} shown, each valid about 30 seconds); "
                    "run `tap-telegram login --qr` again when your phone is at hand"
                )
            shown += 1
            scanned.clear()
            show(screen_text(login_url(answer.token), shown))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(scanned.wait(), _seconds_left(answer.expires))
            # Scanned: the login's outcome. Expired: a new token for a new code.
            answer = await client(request)
    finally:
        client.remove_event_handler(on_update)
