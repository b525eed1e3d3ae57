"""Deterministic integer hashing: every "random" value of the fake comes from here.

Message ``n`` of a chat must depend only on ``(world seed, chat, n)``, so nothing uses a
shared random generator: values are derived by mixing those integers (splitmix64's
finalizer, a few multiplications, ~1 µs) instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable

MASK64 = (1 << 64) - 1
UTC = dt.timezone.utc


def mix(*parts: int) -> int:
    """A well-spread unsigned 64-bit hash of some integers (order matters)."""
    x = 0x9E3779B97F4A7C15
    for part in parts:
        x = (x ^ (part & MASK64)) * 0xBF58476D1CE4E5B9 & MASK64
        x ^= x >> 31
        x = (x + 0x9E3779B97F4A7C15) * 0x94D049BB133111EB & MASK64
        x ^= x >> 29
    return x


def splitmix(salt: int, n: int) -> int:
    """Element ``n`` of the splitmix64 stream seeded by ``salt``: the hot-path hash.

    One call per generated value (~0.3 µs); ``mix`` is for everything else.
    """
    x = (salt + (n + 1) * 0x9E3779B97F4A7C15) & MASK64
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9 & MASK64
    x = (x ^ (x >> 27)) * 0x94D049BB133111EB & MASK64
    return x ^ (x >> 31)


def signed64(value: int) -> int:
    """Reinterpret an unsigned 64-bit value as a signed TL ``long``."""
    value &= MASK64
    return value - (1 << 64) if value >= 1 << 63 else value


def vector_hash(ids: Iterable[int]) -> int:
    """Telegram's hash of a list of ids (core.telegram.org/api/offsets, "Hash generation").

    Unsigned 64-bit arithmetic (wrapping add, logical shifts), read as a signed ``long``:
    the ``hash`` a client sends to get a ``*NotModified`` answer for an unchanged list.
    """
    value = 0
    for item in ids:
        value ^= value >> 21
        value = (value ^ (value << 35)) & MASK64
        value ^= value >> 4
        value = (value + (item & MASK64)) & MASK64
    return signed64(value)


def text_key(text: str) -> int:
    """A stable 64-bit key for a string (Python's ``hash`` is salted per process)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: Telegram's entity offsets and lengths use them."""
    return len(text.encode("utf-16-le")) // 2


def to_ts(value: dt.datetime) -> int:
    """Unix seconds of an aware (or UTC-naive) datetime."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())


def from_ts(seconds: int) -> dt.datetime:
    """Aware UTC datetime of Unix seconds (what Telethon gives for TL dates)."""
    return dt.datetime.fromtimestamp(seconds, UTC)
