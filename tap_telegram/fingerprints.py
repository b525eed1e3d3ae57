"""Memory of the delivered tail of a chat, and what changed since (pure, no I/O).

With ``lookback_messages`` / ``lookback_days`` the tap re-reads the newest messages of
each chat on every run. To emit only the rows that changed, it must remember what it
delivered: per chat, the ids of the tail and a 32-bit hash of the fields that change
after a message is sent (:data:`MUTABLE_FIELDS`). That memory lives in the Singer
STATE next to the chat's bookmark, so it is checkpointed with the same STATE messages
and survives exactly what the bookmark survives. It is kept compact (sorted ids as
varint deltas plus 4-byte hashes, zlib, base64: ~5 bytes a message) and bounded by
the window (:data:`MAX_WINDOW`).

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

import base64
import dataclasses
import datetime as dt
import hashlib
import json
import zlib
from collections.abc import Iterable
from typing import Any

from tap_telegram.schemas import empty_message

Record = dict[str, Any]

#: Fields whose change makes a re-read message worth emitting again.
MUTABLE_FIELDS = ("edit_date", "reactions", "views", "forwards", "replies_count")
#: Most messages remembered per chat (keeps STATE under ~60 KB a chat).
MAX_WINDOW = 10_000
#: Prefix of the packed form; a different one is ignored (a fresh baseline).
PACK_VERSION = "v1:"


def fingerprint(record: Record) -> int:
    """32-bit hash of a record's :data:`MUTABLE_FIELDS` (stable across runs and hosts)."""
    values = [record.get(field) for field in MUTABLE_FIELDS]
    text = json.dumps(values, default=_json_default, sort_keys=True, ensure_ascii=False)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "big")


def _json_default(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat()
    return str(value)


def pack(entries: dict[int, int]) -> str:
    """``{id: hash}`` as a short ASCII string for STATE."""
    out = bytearray()
    hashes = bytearray()
    previous = 0
    for message_id in sorted(entries):
        _varint(out, message_id - previous)
        previous = message_id
        hashes += (entries[message_id] & 0xFFFFFFFF).to_bytes(4, "big")
    raw = _varint(bytearray(), len(entries)) + out + hashes
    return PACK_VERSION + base64.b64encode(zlib.compress(bytes(raw), 9)).decode("ascii")


def unpack(text: Any) -> dict[int, int]:
    """Inverse of :func:`pack`; anything unreadable is an empty memory (a new baseline)."""
    if not isinstance(text, str) or not text.startswith(PACK_VERSION):
        return {}
    try:
        raw = zlib.decompress(base64.b64decode(text[len(PACK_VERSION) :], validate=True))
        count, pos = _read_varint(raw, 0)
        ids = []
        previous = 0
        for _ in range(count):
            delta, pos = _read_varint(raw, pos)
            previous += delta
            ids.append(previous)
        if len(raw) - pos != 4 * count:
            return {}
        return {
            message_id: int.from_bytes(raw[pos + 4 * i : pos + 4 * i + 4], "big")
            for i, message_id in enumerate(ids)
        }
    except (ValueError, zlib.error, IndexError):
        return {}


def _varint(out: bytearray, value: int) -> bytearray:
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return out


def _read_varint(raw: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = raw[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def tombstone(chat_id: int, message_id: int, detected_at: dt.datetime) -> Record:
    """The record that tells a target a delivered message was deleted."""
    record = empty_message(chat_id, message_id)
    record["deleted"] = True
    record["deleted_detected_at"] = detected_at
    return record


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
        self._dates: dict[int, dt.datetime | None] = {}

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
                if (known is None and self._baseline) or (known is not None and known != digest):
                    self.stats.changed += 1
                    out.append(record)
            else:
                out.append(record)
            self.hashes[message_id] = digest
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
            self.stats.deleted += 1
            if self.tombstones:
                out.append(tombstone(self.chat_id, message_id, self.now))
        return out

    def prune(self) -> None:
        """Keep only what the next run's window can contain."""
        ids = sorted(self.hashes, reverse=True)
        keep = set(ids[: self.window.messages])
        since = self.window.since
        if since is not None:
            for message_id in ids:
                date = self._dates.get(message_id)
                if date is None or date >= since:
                    keep.add(message_id)
        kept = sorted(keep, reverse=True)[:MAX_WINDOW]
        self.hashes = {i: self.hashes[i] for i in kept}

    def packed(self) -> str:
        """The bounded memory, packed for STATE."""
        self.prune()
        return pack(self.hashes)
