"""The ids a private chat or basic group delivered, kept in STATE to attribute deletions.

Telegram reports a deletion in a private chat or a basic group as
``updateDeleteMessages``: message ids, no chat (core.telegram.org/constructor/
updateDeleteMessages). Their ids are unique per account, so the chat is the one that
delivered the id; this index remembers which ids each chat delivered. A tombstone is
emitted only for an id found here: never for a message the tap did not deliver.

**Form.** Per chat, in its partition of the ``messages`` STATE: a list of chunks of
at most :data:`CHUNK` ascending ids, each packed as id deltas (varints, zlib, base64,
``"i1:"`` prefix). Only the last chunk is packed again as ids are added (under a
millisecond), so a page costs the same however long the chat is.

**Size** (``tests/singer/test_id_index.py`` measures it): about 1.1 MB of STATE per
million messages when the account's ids are spread over ~30 active chats (deltas of
a few dozen), 0.3 MB when one chat gets most of them, under 0.01 MB when ids are dense.

**Horizon.** A chat keeps its newest :data:`HORIZON` ids (whole chunks are dropped
from the old end): deleting an older message of a private chat or basic group cannot
be attributed; such deletions are counted and logged. Channels and supergroups need
no index: their deletions name the channel.
"""

from __future__ import annotations

import base64
import bisect
import zlib
from collections.abc import Iterable
from typing import Any

from tap_telegram.errors import StateError

#: Ids per packed chunk.
CHUNK = 10_000
#: Newest ids a chat keeps (whole chunks): older deletions cannot be attributed.
HORIZON = 200_000
#: Prefix of a packed chunk; anything else is ignored (an empty chunk).
PACK_VERSION = "i1:"
#: Most bytes a chunk inflates to: CHUNK varints of at most 10 bytes (64-bit deltas).
#: STATE is input: a chunk that inflates further (a zlib bomb) is refused, not inflated.
MAX_PACKED = CHUNK * 10


def pack_ids(ids: list[int]) -> str:
    """Ascending non-negative ids as a short ASCII string (varint deltas, zlib, base64)."""
    out = bytearray()
    previous = 0
    for message_id in ids:
        delta, previous = message_id - previous, message_id
        while delta >= 0x80:
            out.append((delta & 0x7F) | 0x80)
            delta >>= 7
        out.append(delta)
    return PACK_VERSION + base64.b64encode(zlib.compress(bytes(out), 9)).decode("ascii")


def unpack_ids(text: Any) -> list[int]:
    """Inverse of :func:`pack_ids`; anything unreadable is no ids (never a wrong one).

    Raises :class:`StateError` (one line, exit 2) for a chunk that inflates past
    :data:`MAX_PACKED` bytes; it is inflated no further than that.
    """
    if not isinstance(text, str) or not text.startswith(PACK_VERSION):
        return []
    try:
        inflate = zlib.decompressobj()
        packed = base64.b64decode(text[len(PACK_VERSION) :], validate=True)
        raw = inflate.decompress(packed, MAX_PACKED + 1)
    except (ValueError, zlib.error):
        return []
    if len(raw) > MAX_PACKED:
        raise StateError(
            f"STATE 'delivered_ids' holds a chunk that inflates to more than {MAX_PACKED} "
            "bytes, which no run writes (a zlib bomb?); remove 'delivered_ids' from the "
            "partitions (deletions of older messages are then not attributed)"
        )
    out: list[int] = []
    total = delta = shift = 0
    for byte in raw:
        delta |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
            continue
        total += delta
        out.append(total)
        delta = shift = 0
    return [] if shift else out


class IdIndex:
    """One chat's delivered ids (see the module docstring), read from and saved to STATE."""

    def __init__(self, chunks: Any = None) -> None:
        packed = [c for c in chunks if isinstance(c, str)] if isinstance(chunks, list) else []
        #: Every chunk but the last, packed as stored (never unpacked unless searched).
        self._sealed: list[str] = packed[:-1]
        self._tail: list[int] = unpack_ids(packed[-1]) if packed else []
        self._loaded: list[list[int]] | None = None
        #: Ids that fell off the old end in this run (beyond the horizon).
        self.dropped = 0

    @property
    def newest(self) -> int | None:
        """The highest id kept (``None``: none)."""
        if self._tail:
            return self._tail[-1]
        return self._chunks()[-1][-1] if self._sealed else None

    @property
    def oldest(self) -> int | None:
        """The lowest id kept: deletions below it cannot be attributed."""
        chunks = [chunk for chunk in (*self._chunks(), self._tail) if chunk]
        return chunks[0][0] if chunks else None

    def add(self, ids: Iterable[int]) -> None:
        """Remember newly delivered ids (those at or below the newest are already in)."""
        newest = self.newest
        fresh = sorted(i for i in set(ids) if i >= 0 and (newest is None or i > newest))
        for message_id in fresh:
            if len(self._tail) >= CHUNK:
                self._sealed.append(pack_ids(self._tail))
                if self._loaded is not None:
                    self._loaded.append(self._tail)
                self._tail = []
            self._tail.append(message_id)
        while len(self._sealed) * CHUNK + len(self._tail) > HORIZON and self._sealed:
            self._sealed.pop(0)
            if self._loaded is not None:
                self.dropped += len(self._loaded.pop(0))
            else:
                self.dropped += CHUNK

    def __contains__(self, message_id: object) -> bool:
        if not isinstance(message_id, int):
            return False
        for chunk in (*self._chunks(), self._tail):
            if chunk and chunk[0] <= message_id <= chunk[-1]:
                i = bisect.bisect_left(chunk, message_id)
                return i < len(chunk) and chunk[i] == message_id
        return False

    def save(self) -> list[str]:
        """The chunks to store in STATE."""
        return [*self._sealed, pack_ids(self._tail)] if self._tail else list(self._sealed)

    def _chunks(self) -> list[list[int]]:
        """The sealed chunks unpacked (once: only a run with deletions to attribute asks)."""
        if self._loaded is None:
            self._loaded = [unpack_ids(chunk) for chunk in self._sealed]
        return self._loaded
