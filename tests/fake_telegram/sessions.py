"""Session strings the fake accepts, with their status written into the auth key.

An auth key of the fake is ``MAGIC + "status:name" + MAC(seed, status:name) + filler``
(256 bytes, like a real key). The fake reads the status back from the key and
checks the MAC against its own seed, so a test process and a tap subprocess built
from the same spec agree on what a session string means without sharing state; any
other key (a fresh one Telethon generated, or one of another world) is "not logged in".
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from telethon.crypto import AuthKey
from telethon.sessions import SQLiteSession, StringSession

MAGIC = b"FAKE-TELEGRAM-1\x00"
KEY_SIZE = 256
TAG_SIZE = 64
#: ok: logged in. unauthorized/revoked: AUTH_KEY_UNREGISTERED on every call but
#: getConfig. duplicated: AUTH_KEY_DUPLICATED. session_revoked: SESSION_REVOKED.
#: bot: logged in as a bot (getHistory/getDialogs answer BOT_METHOD_INVALID).
#: password_needed: the code was accepted but the 2FA password not yet
#: (SESSION_PASSWORD_NEEDED on everything but the login requests).
STATUSES: tuple[str, ...] = (
    "ok",
    "unauthorized",
    "revoked",
    "duplicated",
    "session_revoked",
    "bot",
    "password_needed",
)
#: Error each non-working status answers, and its code.
STATUS_ERRORS: dict[str, tuple[str, int]] = {
    "unauthorized": ("AUTH_KEY_UNREGISTERED", 401),
    "revoked": ("AUTH_KEY_UNREGISTERED", 401),
    "duplicated": ("AUTH_KEY_DUPLICATED", 406),
    "session_revoked": ("SESSION_REVOKED", 401),
    "password_needed": ("SESSION_PASSWORD_NEEDED", 401),
}
DEFAULT_DC = (2, "127.0.0.1", 443)


def _mac(seed: int, tag: bytes) -> bytes:
    return hashlib.sha256(f"fake-telegram:{seed}:".encode() + tag).digest()


def auth_key_bytes(seed: int, status: str = "ok", name: str = "main") -> bytes:
    """The 256-byte auth key of a session with this status."""
    if status not in STATUSES:
        raise ValueError(f"unknown session status {status!r}; use one of {STATUSES}")
    tag = f"{status}:{name}".encode()
    if len(tag) > TAG_SIZE:
        raise ValueError("session name too long")
    tag = tag.ljust(TAG_SIZE, b"\x00")
    head = MAGIC + tag + _mac(seed, tag)
    filler = hashlib.sha512(head).digest() * 4
    return head + filler[: KEY_SIZE - len(head)]


def status_of(seed: int, key: bytes | None) -> str:
    """Status a key stands for in the world of ``seed`` ("unauthorized" if foreign)."""
    if not key or len(key) != KEY_SIZE or not key.startswith(MAGIC):
        return "unauthorized"
    tag = key[len(MAGIC) : len(MAGIC) + TAG_SIZE]
    mac = key[len(MAGIC) + TAG_SIZE : len(MAGIC) + TAG_SIZE + 32]
    if mac != _mac(seed, tag):
        return "unauthorized"
    status = tag.rstrip(b"\x00").decode().split(":", 1)[0]
    return status if status in STATUSES else "unauthorized"


def session_string(seed: int, status: str = "ok", name: str = "main") -> str:
    """A Telethon ``StringSession`` string (dc 2, 127.0.0.1:443) for the fake."""
    session = StringSession()
    session.set_dc(*DEFAULT_DC)
    session.auth_key = AuthKey(auth_key_bytes(seed, status, name))
    return str(session.save())


def fresh_key(counter: int) -> AuthKey:
    """A key as if Telethon had just generated one: valid, but not logged in."""
    data = hashlib.sha512(f"fresh:{counter}".encode()).digest() * 4
    return AuthKey(data[:KEY_SIZE])


def write_session_file(path: Path, session_string: str) -> Path:
    """A Telethon SQLite session file (``path``, ending in .session) holding the login of
    ``session_string``: the fake's sessions as ``session_file`` instead of a string."""
    source = StringSession(session_string)
    session = SQLiteSession(str(path))
    try:
        session.set_dc(source.dc_id, source.server_address, source.port)
        session.auth_key = AuthKey(source.auth_key.key)
        session.save()
    finally:
        session.close()
    return path
