"""Memory of the delivered tail of a chat, and what changed since (pure, no I/O).

With ``lookback_messages`` / ``lookback_days`` the tap re-reads the newest messages of
each chat on every run. To emit only the rows that changed, it must remember what it
delivered: per chat, the ids of the tail and a 32-bit hash of the fields that change
after a message is sent (:data:`MUTABLE_FIELDS`). That memory lives in the Singer
STATE next to the chat's bookmark, so it is checkpointed with the same STATE messages
and survives exactly what the bookmark survives. It is kept compact (id deltas and
4-byte hashes, zlib, base64: ~5.4 bytes a message) and bounded by the window
(:data:`MAX_WINDOW`).

:class:`TailTracker` is the per-chat, per-run logic:

* a re-read message (``id <= bookmark``) is emitted when its hash differs from the
  stored one. One without a stored hash is emitted only when the chat has no memory
  at all (lookback just turned on: the window is emitted once, targets upsert it);
  otherwise it just slid into the window from below (deletions make a window of N
  messages reach further back) and is only remembered;
* a new message (``id > bookmark``) is always emitted;
* a stored id inside the re-read range that Telegram no longer returns was deleted:
  when ``tombstones`` is on (channels and supergroups) a tombstone record is emitted
  (every field ``None`` but ``chat_id``, ``id``, ``deleted``, ``deleted_detected_at``)
  and the id is forgotten; otherwise it is only forgotten.
"""

from __future__ import annotations

import array
import base64
import dataclasses
import datetime as dt
import hashlib
import itertools
import json
import operator
import sys
import zlib
from collections.abc import Iterable
from typing import Any

import msgspec

from tap_telegram.records.builders import tombstone
from tap_telegram.records.constants import SCOPE_CHAT
from tap_telegram.records.types import plain

Record = dict[str, Any]

#: Most messages a lookback window holds, whatever ``lookback_messages`` says: it
#: bounds the window probes (MTProto) and the memory kept in STATE (~60 KB a chat).
MAX_WINDOW = 10_000

#: Fields whose change makes a re-read message worth emitting again.
MUTABLE_FIELDS = ("edit_date", "reactions", "views", "forwards", "replies_count")
#: Prefix of the packed form; a different one is ignored (a fresh baseline).
PACK_VERSION = "v1:"


def fingerprint(record: Record) -> int:
    """32-bit hash of a record's :data:`MUTABLE_FIELDS` (stable across runs and hosts)."""
    values = [record.get(field) for field in MUTABLE_FIELDS]
    date = values[0]
    if isinstance(date, dt.datetime) and date.tzinfo is not None:
        values[0] = date.astimezone(dt.timezone.utc)
    try:
        text = _encode(values)
    except (TypeError, msgspec.EncodeError):  # an odd value: fall back to its text
        text = json.dumps(values, default=str, sort_keys=True).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=4).digest(), "big")


def _encode(values: list[Any]) -> bytes:
    return msgspec.json.encode(values, order="deterministic")


def pack(entries: dict[int, int]) -> str:
    """``{id: hash}`` as a short ASCII string for STATE.

    Layout (little-endian uint32s): the count, the id deltas compressed with zlib
    (mostly 1 in channels: a few bytes), then the hashes as they are (random bytes do
    not compress). Array operations keep it near a millisecond for
    :data:`MAX_WINDOW` entries, so it can follow every page.
    """
    ids = sorted(entries)
    deltas = zlib.compress(_u32(map(operator.sub, ids, [0, *ids[:-1]])).tobytes(), 1)
    hashes = _u32(map(entries.__getitem__, ids)).tobytes()
    raw = _u32([len(ids), len(deltas)]).tobytes() + deltas + hashes
    return PACK_VERSION + base64.b64encode(raw).decode("ascii")


def unpack(text: Any) -> dict[int, int]:
    """Inverse of :func:`pack`; anything unreadable is an empty memory (a new baseline)."""
    if not isinstance(text, str) or not text.startswith(PACK_VERSION):
        return {}
    try:
        raw = base64.b64decode(text[len(PACK_VERSION) :], validate=True)
        head = _from_bytes(raw[:8])
        count, size = head
        deltas = _from_bytes(zlib.decompress(raw[8 : 8 + size]))
        hashes = _from_bytes(raw[8 + size :])
    except (ValueError, zlib.error):
        return {}
    if len(deltas) != count or len(hashes) != count:
        return {}
    return dict(zip(itertools.accumulate(deltas), hashes, strict=True))


def _from_bytes(raw: bytes) -> array.array[int]:
    """Little-endian uint32s back into an array (ValueError on a ragged length)."""
    out = array.array("I")
    out.frombytes(raw)
    if sys.byteorder != "little":  # pragma: no cover - big-endian hosts
        out.byteswap()
    return out


def _u32(values: Iterable[int]) -> array.array[int]:
    """Little-endian uint32 array (``"I"`` is 4 bytes on every supported platform)."""
    out = array.array("I", values)
    if sys.byteorder != "little":  # pragma: no cover - big-endian hosts
        out.byteswap()
    return out


@dataclasses.dataclass(frozen=True)
class Window:
    """Which messages are remembered.

    The newest ``messages`` ones plus those dated at or after ``since``; never more
    than :data:`MAX_WINDOW`.
    """

    messages: int = 0
    since: dt.datetime | None = None


@dataclasses.dataclass
class TailStats:
    """What one chat's lookback found (for the log line)."""

    reread: int = 0
    changed: int = 0
    deleted: int = 0


class TailTracker:
    """One chat in one run: filters pages, finds deletions, keeps the memory bounded.

    ``stored`` is the memory from STATE, ``bookmark`` the chat's bookmark at the start
    of the run, ``reread_after`` the id after which this run re-reads (ids in
    ``(reread_after, bookmark]`` are checked against ``stored``).
    """

    def __init__(
        self,
        chat_id: int,
        *,
        stored: dict[int, int],
        bookmark: int,
        reread_after: int,
        window: Window,
        tombstones: bool,
        now: dt.datetime,
    ) -> None:
        self.chat_id = chat_id
        self.bookmark = bookmark
        self.window = window
        self.tombstones = tombstones
        self.now = now
        self.stats = TailStats()
        # Ids at or below the re-read range left the window: forget them silently.
        self._pending = sorted(i for i in stored if reread_after < i <= bookmark)
        self._next = 0
        self._baseline = not stored
        self.hashes: dict[int, int] = {i: h for i, h in stored.items() if i > reread_after}
        # Unknown ids below the memory's oldest entry slid into the window from below;
        # an unknown id above it is a gap in the memory, so it is emitted to be safe.
        self._floor = min(self.hashes, default=0)
        self._dates: dict[int, dt.datetime | None] = {}
        self._packed: str | None = None

    def page(self, records: Iterable[Record]) -> list[Record]:
        """The records of one (ascending) page worth emitting, plus tombstones up to it."""
        out: list[Record] = []
        last = None
        for record in records:
            message_id = int(record["id"])
            last = message_id
            digest = fingerprint(record)
            if message_id <= self.bookmark:
                self.stats.reread += 1
                known = self.hashes.get(message_id)
                if known is None:
                    emit = self._baseline or message_id > self._floor
                else:
                    emit = known != digest
                if emit:
                    self.stats.changed += 1
                    out.append(record)
            else:
                out.append(record)
            if self.hashes.get(message_id) != digest:
                self.hashes[message_id] = digest
                self._packed = None
            self._dates[message_id] = record.get("date")
        if last is not None:
            out.extend(self._gone(up_to=min(last, self.bookmark), seen_last=last))
            out.sort(key=lambda record: int(record["id"]))
        if len(self.hashes) > 2 * MAX_WINDOW:
            self.prune()
        return out

    def finish(self) -> list[Record]:
        """Tombstones for stored ids never returned: call only after a complete read."""
        return self._gone(up_to=self.bookmark, seen_last=None)

    def _gone(self, *, up_to: int, seen_last: int | None) -> list[Record]:
        """Stored ids ``<= up_to`` that the (ascending) read has passed without seeing."""
        out = []
        pending = self._pending
        while self._next < len(pending) and pending[self._next] <= up_to:
            message_id = pending[self._next]
            self._next += 1
            if message_id in self._dates or (seen_last is not None and message_id == seen_last):
                continue  # re-read: still there
            self.hashes.pop(message_id, None)
            self._packed = None
            self.stats.deleted += 1
            if self.tombstones:
                out.append(plain(tombstone(self.chat_id, message_id, self.now, SCOPE_CHAT)))
        return out

    def prune(self) -> None:
        """Keep only what the next run's window can contain (dates go with the ids)."""
        since = self.window.since
        if since is None and len(self.hashes) <= self.window.messages:
            return
        ids = sorted(self.hashes)  # near-sorted already: cheap
        if since is None:
            kept = ids[-self.window.messages :]
        else:
            newest = len(ids) - self.window.messages
            dates = self._dates
            kept = [
                message_id
                for index, message_id in enumerate(ids)
                if index >= newest or (dates.get(message_id) or since) >= since
            ]
        kept = kept[-MAX_WINDOW:]
        if len(kept) == len(ids):
            return
        keep = set(kept) if since is not None else None
        dropped = ids[: len(ids) - len(kept)] if keep is None else ids
        for message_id in dropped:
            if keep is None or message_id not in keep:
                del self.hashes[message_id]
                self._dates.pop(message_id, None)
        self._packed = None

    @property
    def changed(self) -> bool:
        """Whether the memory changed since it was last packed."""
        return self._packed is None

    def packed(self) -> str:
        """The bounded memory, packed for STATE (cached until it changes)."""
        if self._packed is None:
            self.prune()
            self._packed = pack(self.hashes)
        return self._packed
