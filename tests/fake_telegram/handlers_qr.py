"""Logging in by QR code, as Telegram documents it (core.telegram.org/api/qr-login).

* ``auth.exportLoginToken(api_id, api_hash, except_ids)``: API_ID_INVALID for another app;
  else ``auth.loginToken(expires, token)``, valid ``AuthSettings.qr_ttl`` seconds (Telegram:
  "usually 30 seconds"). Called again after the token was accepted: ``auth.loginTokenSuccess``
  (the session is logged in), ``auth.loginTokenMigrateTo(dc_id, token)`` when the account
  lives in another data center (``AuthSettings.qr_dc``), or SESSION_PASSWORD_NEEDED for a
  2FA account (the session then takes the password, ``auth.checkPassword``).
* ``auth.importLoginToken(token)`` (core.telegram.org/method/auth.importLoginToken), on the
  data center moved to: the migration token logs the session in; AUTH_TOKEN_INVALID,
  AUTH_TOKEN_EXPIRED, AUTH_TOKEN_ALREADY_ACCEPTED as documented there.
* ``auth.acceptLoginToken(token)`` (core.telegram.org/method/auth.acceptLoginToken): what the
  phone sends when it scans the code, from a logged-in session; answers the new
  ``authorization`` and pushes ``updateLoginToken`` to the session that waits. Errors
  AUTH_TOKEN_INVALID (unknown), AUTH_TOKEN_EXPIRED, AUTH_TOKEN_ALREADY_ACCEPTED.

Tests "scan" with :func:`scan` (in-process) or, for a login in another process, by
appending the token (or the ``tg://login`` link) as a line to the file named by
``FAKE_TELEGRAM_SCANS``: the fake of that process watches it once a token was exported,
accepts each new line as the phone would and appends Telegram's answer (``OK`` or the
error) to ``<file>.answers``. Token lifetimes are real time (the client measures
``expires`` against its own clock), not the fake's clock.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import datetime as dt
import os
import secrets
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telethon.tl import types

from tests.fake_telegram import handlers_auth  # partly loaded here: used at call time
from tests.fake_telegram.faults import FakeRpcError
from tests.fake_telegram.handlers import handles

if TYPE_CHECKING:
    from tests.fake_telegram.fake import FakeTelegram
    from tests.fake_telegram.server import Server

#: Environment variable naming the file a test appends scanned tokens to.
SCANS_ENV = "FAKE_TELEGRAM_SCANS"
#: How often the fake looks at that file (seconds).
SCAN_POLL = 0.05


@dataclasses.dataclass
class Token:
    """One login token: when it expires (Unix seconds), and what became of it."""

    expires: int
    accepted: bool = False
    #: Its login was handed out (success, migration or the 2FA step): never again.
    used: bool = False
    #: A migration token (``auth.loginTokenMigrateTo``), for ``auth.importLoginToken``.
    migration: bool = False


@dataclasses.dataclass
class QrState:
    """The QR logins of one fake server."""

    tokens: dict[bytes, Token] = dataclasses.field(default_factory=dict)
    watcher: asyncio.Task[None] | None = None


_STATES: weakref.WeakKeyDictionary[Server, QrState] = weakref.WeakKeyDictionary()


def _state(server: Server) -> QrState:
    state = _STATES.get(server)
    if state is None:
        state = _STATES[server] = QrState()
    return state


def _new_token(server: Server, *, migration: bool = False) -> tuple[bytes, Token]:
    token = secrets.token_bytes(32)
    record = Token(expires=int(time.time()) + server.fake.auth.qr_ttl, migration=migration)
    _state(server).tokens[token] = record
    return token, record


def _usable(
    server: Server, token: bytes, *, migration: bool, taken: Callable[[Token], bool]
) -> Token:
    """The token's record, or Telegram's error: unknown (or the wrong kind), taken, expired."""
    record = _state(server).tokens.get(token)
    if record is None or record.migration != migration:
        raise FakeRpcError("AUTH_TOKEN_INVALID")
    if taken(record):
        raise FakeRpcError("AUTH_TOKEN_ALREADY_ACCEPTED")
    if time.time() > record.expires:
        raise FakeRpcError("AUTH_TOKEN_EXPIRED")
    return record


def _finish(server: Server) -> Any:
    """The login of an accepted token: success, or the 2FA step."""
    if server.fake.auth.password is not None:
        server.rekey = "password_needed"
        raise FakeRpcError("SESSION_PASSWORD_NEEDED", 401)
    return types.auth.LoginTokenSuccess(authorization=handlers_auth.logged_in(server))


@handles("ExportLoginTokenRequest")
def export_login_token(server: Server, request: Any, status: str) -> Any:
    """``auth.exportLoginToken``: a new token, or the outcome of an accepted one."""
    from tests.fake_telegram.fake import API_HASH, API_ID  # import cycle: fake imports handlers

    if request.api_id != API_ID or request.api_hash != API_HASH:
        raise FakeRpcError("API_ID_INVALID")
    state = _state(server)
    for record in state.tokens.values():
        if record.accepted and not record.used and not record.migration:
            record.used = True
            dc_id = server.fake.auth.qr_dc
            if dc_id is not None:
                token, moved = _new_token(server, migration=True)
                moved.accepted = True
                return types.auth.LoginTokenMigrateTo(dc_id=dc_id, token=token)
            return _finish(server)
    token, record = _new_token(server)
    _watch_scans(server)
    return types.auth.LoginToken(
        expires=dt.datetime.fromtimestamp(record.expires, dt.timezone.utc), token=token
    )


@handles("ImportLoginTokenRequest")
def import_login_token(server: Server, request: Any, status: str) -> Any:
    """``auth.importLoginToken``: the migration token, on the data center moved to."""
    record = _usable(server, request.token, migration=True, taken=lambda r: r.used)
    record.used = True
    return _finish(server)


@handles("AcceptLoginTokenRequest")
def accept_login_token(server: Server, request: Any, status: str) -> Any:
    """``auth.acceptLoginToken``: the phone scanned the code (a logged-in session)."""
    accept(server, request.token)
    return types.Authorization(
        hash=int.from_bytes(request.token[:8], "big", signed=True),
        device_model="tap-telegram",
        platform="fake",
        system_version="fake",
        api_id=0,
        app_name="tap-telegram",
        app_version="tap-telegram",
        date_created=dt.datetime.now(dt.timezone.utc),
        date_active=dt.datetime.now(dt.timezone.utc),
        ip="127.0.0.1",
        country="",
        region="",
    )


def accept(server: Server, token: bytes) -> None:
    """Accept a token as the phone does, and push ``updateLoginToken`` to the waiting client."""
    record = _usable(server, token, migration=False, taken=lambda r: r.accepted)
    record.accepted = True
    update = types.UpdateShort(
        update=types.UpdateLoginToken(), date=dt.datetime.now(dt.timezone.utc)
    )
    for sender in server.fake.senders:
        sender.push(update)


def token_of(text: str) -> bytes:
    """The token of a ``tg://login?token=...`` link, or of the bare base64url token."""
    value = text.strip().rsplit("token=", 1)[-1]
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def scan(fake: FakeTelegram, link: str) -> str:
    """Scan a code in-process: ``OK``, or the error Telegram answers the phone."""
    try:
        accept(fake.server, token_of(link))
    except FakeRpcError as error:
        return error.message
    return "OK"


def _watch_scans(server: Server) -> None:
    """Start watching the ``FAKE_TELEGRAM_SCANS`` file, once, in the running loop."""
    path = os.environ.get(SCANS_ENV)
    state = _state(server)
    if not path or state.watcher is not None:
        return
    state.watcher = asyncio.get_running_loop().create_task(_watch(server, Path(path)))


async def _watch(server: Server, path: Path) -> None:
    """Accept each new line of ``path`` as a scan; answers go to ``<path>.answers``."""
    done = 0
    answers = path.with_name(path.name + ".answers")
    while True:
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        for line in lines[done:]:
            if line.strip():
                answer = scan(server.fake, line)
                with answers.open("a", encoding="utf-8") as out:
                    out.write(answer + "\n")
        done = len(lines)
        await asyncio.sleep(SCAN_POLL)
