"""Parse the entries of the ``chats`` and ``exclude_chats`` settings (strings, or ids as numbers).

Pure functions, no network: the MTProto source resolves the parsed references, the
export source matches them against the chats it finds. Accepted forms:

* numeric ids, bare or marked: ``123456``, ``-123456`` (basic group),
  ``-1001234567890`` (channel or supergroup);
* usernames: ``@name`` or ``name``;
* links: ``https://t.me/name``, ``t.me/s/name``, ``tg://resolve?domain=name``,
  ``t.me/c/1234567890/55`` (a private channel's message link), and invite links
  ``t.me/+HASH`` / ``t.me/joinchat/HASH``;
* chat folders (``chats`` only, MTProto): ``folder:Work`` by name, ``folder:3`` by id.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Literal

from tap_telegram.errors import ConfigError
from tap_telegram.records.constants import CHANNEL_MARK

RefKind = Literal["id", "username", "invite", "folder"]

#: Prefix of a chat folder entry: ``folder:<name or id>``.
FOLDER_PREFIX = "folder:"

_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
_LINK = re.compile(r"^(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)/(?P<path>.+)$")
#: Largest chat id, marked or bare: Telegram's ids have at most 52 significant bits,
#: a marked channel id adds 10**12 (core.telegram.org/api/bots/ids).
MAX_CHAT_ID = 2**53 - 1
_RESOLVE = re.compile(r"^tg://resolve\?domain=(?P<name>[A-Za-z0-9_]+)")


@dataclasses.dataclass(frozen=True)
class ChatRef:
    """One parsed entry of ``chats``: what to resolve, and how the user wrote it."""

    kind: RefKind
    value: str | int
    original: str

    def __str__(self) -> str:
        return self.original


def parse_chat_ref(text: str | int, setting: str = "chats") -> ChatRef:
    """Parse one entry of ``setting``; raise :class:`ConfigError` naming it if unusable.

    An entry may be a JSON number (``-1001234567890`` unquoted), read like its digits.
    """
    raw = str(text).strip()
    if not raw:
        raise ConfigError(
            f"setting '{setting}': empty entry; remove it or write an id, @username or link"
        )
    if re.fullmatch(r"-?\d+", raw):
        return ChatRef("id", _chat_id(raw, setting), raw)
    if raw[: len(FOLDER_PREFIX)].lower() == FOLDER_PREFIX:
        return _folder_ref(raw, setting)
    if match := _RESOLVE.match(raw):
        return ChatRef("username", match["name"], raw)
    if match := _LINK.match(raw):
        path = match["path"].split("?", 1)[0].strip("/")
        parts = path.split("/")
        if parts[0].startswith("+") and len(parts[0]) > 1:
            return ChatRef("invite", parts[0][1:], raw)
        if parts[0] == "joinchat" and len(parts) > 1:
            return ChatRef("invite", parts[1], raw)
        if parts[0] == "c" and len(parts) > 1 and parts[1].isdigit():
            return ChatRef(
                "id", _chat_id(f"-{CHANNEL_MARK + _chat_id(parts[1], setting)}", setting), raw
            )
        if parts[0] == "s" and len(parts) > 1:
            parts = parts[1:]
        if _USERNAME.match(parts[0]):
            return ChatRef("username", parts[0], raw)
    name = raw[1:] if raw.startswith("@") else raw
    if _USERNAME.match(name):
        return ChatRef("username", name, raw)
    raise ConfigError(
        f"setting '{setting}': cannot read {raw!r}; use a numeric id (e.g. -1001234567890), "
        "an @username or a t.me link"
    )


def _chat_id(digits: str, setting: str) -> int:
    """A numeric entry as an id, refused when no chat can have it (0, or too many digits)."""
    if len(digits) > 20 or not 0 < abs(int(digits)) <= MAX_CHAT_ID:
        raise ConfigError(
            f"setting '{setting}': {digits[:24]!r} is no chat id (ids are not 0 and have at "
            "most 16 digits); copy the id again, or use an @username or a t.me link"
        )
    return int(digits)


def _folder_ref(raw: str, setting: str) -> ChatRef:
    """``folder:<name>`` or ``folder:<id>``, in ``chats`` only: a folder selects, never excludes."""
    name = raw[len(FOLDER_PREFIX) :].strip()
    if setting != "chats":
        raise ConfigError(
            f"setting '{setting}': {raw!r}: chat folders select chats (in 'chats'), they do "
            "not exclude them; list the chats to leave out instead"
        )
    if not name:
        raise ConfigError(
            f"setting '{setting}': {raw!r} names no folder; write folder:<name> or folder:<id>"
        )
    return ChatRef("folder", int(name) if name.isdigit() else name, raw)


def parse_chat_refs(values: Sequence[str | int] | None, setting: str = "chats") -> list[ChatRef]:
    """Parse every entry of ``setting``, dropping exact duplicates, keeping the user's order.

    ``exclude_chats`` takes the same forms as ``chats``; errors name the setting.
    """
    refs: list[ChatRef] = []
    seen: set[tuple[str, str | int]] = set()
    for value in values or []:
        ref = parse_chat_ref(value, setting)
        key = (ref.kind, ref.value.lower() if isinstance(ref.value, str) else ref.value)
        if key not in seen:
            seen.add(key)
            refs.append(ref)
    return refs
