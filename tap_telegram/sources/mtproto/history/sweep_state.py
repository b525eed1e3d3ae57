"""What STATE keeps of a chat's sweep, and the commits that write it.

The sweep (:mod:`.sweep`) reads each chat's position once a run and writes it back only
through page commits, once the records before them are out. Reading and writing those
keys is kept here, in one place, so that the planning (:mod:`.sweep_plan`) and the
comparing (:mod:`.sweep_check`) see a chat's sweep as a :class:`Pass` and a set of
known-missing ids, never as STATE keys.

**STATE** (declared in :mod:`tap_telegram.sources.state_keys`), per chat::

    {"sweep_after": 4200, "sweep_end": 90000, "sweep_since": 1717400000,
     "sweep_reason": 1, "sweep_known": 72, "changes_complete_until": 1717300000,
     "sweep_gaps": ["i1:eJzt..."]}

Each page's commit stores where the pass stands once its records are written. A chat
first delivered with the sweep on starts complete (its content is as of this run); a
chat delivered before it learns its missing ids on its first pass (no tombstone below
``sweep_known`` until then).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, MutableMapping
from typing import Any

from tap_telegram.settings import Settings
from tap_telegram.sources.mtproto.changes import verify_marks
from tap_telegram.sources.mtproto.changes.capture import legacy_first
from tap_telegram.sources.mtproto.changes.id_index import CHUNK, pack_ids, unpack_ids
from tap_telegram.sources.pages import ChatState, Record
from tap_telegram.sources.state_keys import (
    COMPLETE_KEY,
    FIRST_KEY,
    GAPS_KEY,
    INDEX_KEY,
    SWEEP_AFTER,
    SWEEP_END,
    SWEEP_KNOWN,
    SWEEP_REASON,
    SWEEP_SINCE,
)

Partition = MutableMapping[str, Any]


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def load_gaps(partition: Partition) -> set[int]:
    """The chat's known-missing ids (never delivered, or already tombstoned)."""
    chunks = partition.get(GAPS_KEY)
    found: set[int] = set()
    for chunk in chunks if isinstance(chunks, list) else []:
        found.update(unpack_ids(chunk))
    return found


def save_gaps(partition: Partition, gaps: set[int]) -> None:
    """Store the known-missing ids packed (chunks of :data:`CHUNK`); none: no key."""
    ids = sorted(i for i in gaps if i >= 0)
    if not ids:
        partition.pop(GAPS_KEY, None)
        return
    partition[GAPS_KEY] = [pack_ids(ids[i : i + CHUNK]) for i in range(0, len(ids), CHUNK)]


def index_ids(partition: Partition) -> list[int] | None:
    """A private chat's or basic group's delivered ids (``None``: it has no index)."""
    chunks = partition.get(INDEX_KEY)
    if not isinstance(chunks, list):
        return None
    out: list[int] = []
    for chunk in chunks:
        out.extend(unpack_ids(chunk))
    return sorted(out)


@dataclasses.dataclass
class Pass:
    """Where one chat's sweep stands (its STATE keys, read once a run)."""

    after: int
    end: int
    since: int
    reason: int
    known: int
    first: int
    complete: int | None

    @property
    def done(self) -> bool:
        """The pass reached its end (the next turn starts a new one)."""
        return self.after >= self.end

    def store(self, partition: Partition) -> None:
        """Write the position into the chat's partition."""
        partition[SWEEP_AFTER] = self.after
        partition[SWEEP_END] = self.end
        partition[SWEEP_SINCE] = self.since
        partition[SWEEP_REASON] = self.reason
        partition[SWEEP_KNOWN] = self.known
        if self.complete is not None:
            partition[COMPLETE_KEY] = self.complete


def read_pass(settings: Settings, partition: Partition, bookmark: int) -> Pass:
    """The chat's pass as STATE has it; a chat delivered before the sweep starts one."""
    first = _int(partition.get(FIRST_KEY))
    if first is None:
        first = legacy_first(settings, bookmark)
    known = _int(partition.get(SWEEP_KNOWN))
    return Pass(
        after=_int(partition.get(SWEEP_AFTER)) or 0,
        end=_int(partition.get(SWEEP_END)) or 0,
        since=_int(partition.get(SWEEP_SINCE)) or -1,
        reason=_int(partition.get(SWEEP_REASON)) or 0,
        known=bookmark + 1 if known is None else known,
        first=first,
        complete=_int(partition.get(COMPLETE_KEY)),
    )


def pass_commit(position: Pass, missing: set[int], gaps: set[int]) -> Callable[[ChatState], bool]:
    """A sweep page's commit: the pass's new position, its newly known missing ids."""

    def commit(state: ChatState) -> bool:
        partition = state.partition
        if missing - gaps:
            gaps.update(missing)
            save_gaps(partition, gaps)
        position.store(partition)
        if position.done and position.reason:
            verify_marks.clear(partition)
        return True

    return commit


class Delivery:
    """Notes, as pages are written, the ids a dense chat never delivered (its gaps)."""

    def __init__(self, now: int, dense: bool, bookmark: int | None) -> None:
        self.now = now
        self.dense = dense
        self.last = self.start = bookmark
        self.fresh = bookmark is None
        self._gaps: set[int] | None = None

    def gaps(self, partition: Partition) -> set[int]:
        """The chat's known-missing ids, read once."""
        if self._gaps is None:
            self._gaps = load_gaps(partition)
        return self._gaps

    def commit(self, records: list[Record]) -> Callable[[ChatState], bool]:
        """The commit that notes a written page's ids (and starts a new chat's sweep)."""

        def note(state: ChatState) -> bool:
            partition = state.partition
            changed = False
            gaps = self.gaps(partition)
            before = len(gaps)
            for record in records:
                message_id = int(record["id"])
                if record.get("deleted"):
                    gaps.add(message_id)
                    continue
                if self.last is not None and message_id <= self.last:
                    continue
                if self.dense and self.last is not None:
                    gaps.update(range(self.last + 1, message_id))
                if self.last is None and FIRST_KEY not in partition:
                    partition[FIRST_KEY] = message_id
                self.last = message_id
            if len(gaps) != before:
                save_gaps(partition, gaps)
                changed = True
            if self.start is not None and SWEEP_KNOWN not in partition:
                # Delivered before the sweep: gaps are known from here on (the ids
                # below are learnt by its first pass).
                partition[SWEEP_KNOWN] = self.start + 1
                changed = True
            if self.fresh and self.last is not None and SWEEP_SINCE not in partition:
                first = _int(partition.get(FIRST_KEY)) or self.last
                Pass(0, 0, self.now, 0, first, first, self.now).store(partition)
                changed = True
            return changed

        return note
