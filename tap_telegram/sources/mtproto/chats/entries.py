"""How the source's per-chat memory is written in STATE: short positional lists.

Every STATE message carries the memory of every selected chat (issue 26: the final
STATE at most 200 bytes a chat besides change capture), so an entry is a JSON list of
its fields in a fixed order, not an object of named keys, and its empty fields at the
end are left out (an empty field before a kept one is ``null``):

* full info (``bookmarks.chats.memory.full``): ``[at, about, count, linked]``, e.g.
  ``[1717243200, "News of the day", 812, 1987654321]``; a private chat ``[1717243200]``;
* members (``bookmarks.participants.memory``): ``[at, top, count, hashes, admins_only]``,
  e.g. ``[1717243200, 48213, 812, "TpaoZnilqSYyjOUvchGn-0"]``; a chat only admins may
  list ``[1717243200, 48213, null, null, 1]``;
* topics (``bookmarks.topics.memory``): ``[at, top]``.

``at`` is when it was fetched (Unix seconds, as before: the refresh slots of
:mod:`.refresh` compare it to the second), ``top`` the chat's newest message id then,
``hashes`` the member pages' hashes (signed 64-bit) as 11 characters of URL-safe base64
each, one after another (a page hash as a decimal string took 19 to 20).

**Old STATE.** The previous version wrote objects (``{"at": ..., "about": ...}``,
hashes as decimal strings, ``"admins_only": true``); :func:`migrate` rewrites them
as lists when the memory is loaded, so the first STATE of a run is already short. An
entry no version wrote (hand-edited) reads as missing: the thing is fetched again.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Iterable, MutableMapping
from typing import Any

#: Characters of one page hash in :attr:`MemberEntry.hashes` (8 bytes of base64, unpadded).
HASH_WIDTH = 11
_MASK64 = (1 << 64) - 1


@dataclasses.dataclass(frozen=True)
class FullEntry:
    """A chat's remembered full info and when it was fetched."""

    at: int | None
    about: str | None = None
    count: int | None = None
    linked: int | None = None

    def encode(self) -> list[Any]:
        """The entry as STATE holds it."""
        return _trim([self.at, self.about, self.count, self.linked])


@dataclasses.dataclass(frozen=True)
class MemberEntry:
    """A chat's last member listing: when, its newest message then, and what it found."""

    at: int | None
    top: int | None = None
    admins_only: bool = False
    count: int | None = None
    hashes: tuple[int, ...] = ()

    def encode(self) -> list[Any]:
        """The entry as STATE holds it (the page hashes packed in one string)."""
        hashes = pack_hashes(self.hashes) or None
        return _trim([self.at, self.top, self.count, hashes, 1 if self.admins_only else None])


@dataclasses.dataclass(frozen=True)
class TopicEntry:
    """A forum's last topic listing: when, and its newest message then."""

    at: int | None
    top: int | None = None

    def encode(self) -> list[Any]:
        """The entry as STATE holds it."""
        return _trim([self.at, self.top])


def read_full(value: Any) -> FullEntry | None:
    """A full-info entry as stored (a list, or an old object); ``None`` if unreadable."""
    fields = _fields(value, ("at", "about", "count", "linked"))
    if fields is None:
        return None
    at, about, count, linked = fields
    return FullEntry(_integer(at), _text(about), _integer(count), _integer(linked))


def read_members(value: Any) -> MemberEntry | None:
    """A member-listing entry as stored (a list, or an old object); ``None`` if unreadable."""
    fields = _fields(value, ("at", "top", "count", "hashes", "admins_only"))
    if fields is None:
        return None
    at, top, count, hashes, admins_only = fields
    if isinstance(hashes, list):  # the old shape: decimal strings
        pages = tuple(h for h in map(_integer, hashes) if h is not None)
    else:
        pages = unpack_hashes(hashes)
    return MemberEntry(_integer(at), _integer(top), bool(admins_only), _integer(count), pages)


def read_topics(value: Any) -> TopicEntry | None:
    """A topic-listing entry as stored (a list, or an old object); ``None`` if unreadable."""
    fields = _fields(value, ("at", "top"))
    if fields is None:
        return None
    at, top = fields
    return TopicEntry(_integer(at), _integer(top))


def migrate(table: Any, read: Any) -> None:
    """Rewrite a table's old object entries as lists, in place (``read``: its reader).

    An object without a readable time is no entry any version wrote: it stays as it is
    (read as due, like before) until the thing is fetched again and replaces it.
    """
    if not isinstance(table, MutableMapping):
        return
    for key, value in list(table.items()):
        if isinstance(value, dict):
            entry = read(value)
            if entry is not None and entry.at is not None:
                table[key] = entry.encode()


def pack_hashes(hashes: Iterable[int]) -> str:
    """Page hashes as one string, :data:`HASH_WIDTH` characters each."""
    return "".join(
        base64.urlsafe_b64encode((value & _MASK64).to_bytes(8, "big")).decode()[:HASH_WIDTH]
        for value in hashes
    )


def unpack_hashes(text: Any) -> tuple[int, ...]:
    """The page hashes of :func:`pack_hashes`; none when the text is not such a string."""
    if not isinstance(text, str) or len(text) % HASH_WIDTH:
        return ()
    try:
        return tuple(
            int.from_bytes(
                base64.urlsafe_b64decode(text[i : i + HASH_WIDTH] + "="), "big", signed=True
            )
            for i in range(0, len(text), HASH_WIDTH)
        )
    except (binascii.Error, ValueError):
        return ()


def _fields(value: Any, names: tuple[str, ...]) -> list[Any] | None:
    """The fields of an entry in ``names`` order: from a list, or an old object by name."""
    if isinstance(value, list):
        return [*value[: len(names)], *[None] * (len(names) - len(value))]
    if isinstance(value, dict):
        return [value.get(name) for name in names]
    return None


def _trim(fields: list[Any]) -> list[Any]:
    """``fields`` without its empty (``None``) ones at the end."""
    while fields and fields[-1] is None:
        fields.pop()
    return fields


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
