"""The SDK state behaviours the fence's partition index and STATE cadence rely on (issue 26).

Like tests/singer/test_sdk_private.py (whose tiny tap these reuse), one test per SDK
member: ``Stream.state_manager`` / ``StreamStateManager.get_context_state`` (every
partition lookup of the SDK goes through it), ``_find_in_partitions_list`` (the scan the
index replaces), ``get_writeable_state_dict`` (what the index must agree with) and
``Stream.STATE_MSG_FREQUENCY`` (the SDK's own cadence, switched off).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pytest
from singer_sdk.helpers import _state as sdk_state
from singer_sdk.helpers.types import Context
from singer_sdk.streams._state import StreamStateManager

from tap_telegram.singer.cadence import StateCadence
from tap_telegram.singer.sdk_private import IndexedStateManager
from tests.singer.test_sdk_private import Rows, make_tap, messages

PARTS = 30


class PartitionedRows(Rows):
    """Rows in :data:`PARTS` partitions, ids ascending in each."""

    @property
    def partitions(self) -> list[dict[str, Any]] | None:
        return [{"part": part} for part in range(PARTS)]

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        assert context is not None
        yield from ({"id": n, "part": context["part"]} for n in range(1, 11))


def _partitions(state: Any) -> list[dict[str, Any]]:
    return [
        {key: value for key, value in part.items() if key != "starting_replication_value"}
        for part in state["bookmarks"]["rows"]["partitions"]
    ]


def test_every_partition_lookup_goes_through_the_indexed_manager(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``Stream.state_manager`` is what the SDK asks; its scan then never runs per record."""
    scans: list[int] = []
    real = sdk_state._find_in_partitions_list

    def counting(partitions: list[dict[str, Any]], context: Context) -> dict[str, Any] | None:
        scans.append(len(partitions))
        return real(partitions, context)

    monkeypatch.setattr(sdk_state, "_find_in_partitions_list", counting)
    tap, stream = make_tap(stream_class=PartitionedRows)
    assert isinstance(stream.state_manager, IndexedStateManager)
    tap.sync_all()
    indexed = _partitions(stream.tap_state)
    assert scans == [], "a lookup went around the index"
    # The SDK's own manager, scanning, makes the same STATE.
    monkeypatch.setattr(PartitionedRows, "state_manager", property(_sdk_manager))
    tap, stream = make_tap(stream_class=PartitionedRows)
    tap.sync_all()
    assert len(scans) >= PARTS * 10, "the SDK scans once a record (what the index saves)"
    assert _partitions(stream.tap_state) == indexed
    assert [p["replication_key_value"] for p in indexed] == [10] * PARTS
    capsys.readouterr()


def _sdk_manager(stream: Rows) -> StreamStateManager:
    if stream._state_manager is None or isinstance(stream._state_manager, IndexedStateManager):
        stream._state_manager = StreamStateManager(
            tap_name=stream.tap_name,
            stream_name=stream.name,
            tap_state=stream.tap_state,
            is_sorted=stream.is_sorted,
        )
    return stream._state_manager


def _manager(state: Any) -> IndexedStateManager:
    return IndexedStateManager(stream_name="rows", tap_state=state, is_sorted=True)


def test_the_index_agrees_with_get_writeable_state_dict_when_the_list_changes() -> None:
    """Replaced, shrunk, reordered or edited behind its back: the SDK's answer, always."""
    state: Any = {}
    manager = _manager(state)
    made = [manager.get_context_state({"part": n}) for n in range(5)]
    assert state["bookmarks"]["rows"]["partitions"] == made

    def sdk(context: dict[str, Any]) -> dict[str, Any]:
        return sdk_state.get_writeable_state_dict(state, "rows", state_partition_context=context)

    for n in range(5):
        assert manager.get_context_state({"part": n}) is sdk({"part": n})
    partitions = state["bookmarks"]["rows"]["partitions"]
    partitions.reverse()  # same length, other positions
    assert manager.get_context_state({"part": 1}) is sdk({"part": 1})
    partitions[0] = {"context": {"part": 4}, "replication_key_value": 9}  # replaced in place
    assert manager.get_context_state({"part": 4})["replication_key_value"] == 9
    del partitions[2]
    assert manager.get_context_state({"part": 0}) is sdk({"part": 0})
    state["bookmarks"]["rows"]["partitions"] = [{"context": {"part": 7}}]  # a new list
    assert manager.get_context_state({"part": 7}) is sdk({"part": 7})
    created = manager.get_context_state({"part": 8})
    assert state["bookmarks"]["rows"]["partitions"][-1] is created is sdk({"part": 8})
    assert manager.get_context_state(None) is sdk_state.get_writeable_state_dict(state, "rows")


def test_duplicate_partitions_still_fail_the_sdks_way() -> None:
    """``_find_in_partitions_list`` raises on a STATE with one context twice: so do we."""
    twice = [{"context": {"part": 1}}, {"context": {"part": 1}}]
    state: dict[str, Any] = {"bookmarks": {"rows": {"partitions": twice}}}
    with pytest.raises(ValueError, match="duplicate entries"):
        _manager(state).get_context_state({"part": 1})


class FrequentRows(Rows):
    """The SDK's own cadence at every second record."""

    STATE_MSG_FREQUENCY = 2


def test_the_sdk_reads_state_msg_frequency_and_the_fence_switches_it_off(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``Stream.STATE_MSG_FREQUENCY``: the SDK's STATE every N records; ours: none mid-stream."""
    rows = [{"id": n} for n in range(1, 7)]
    tap, _ = make_tap(rows, stream_class=FrequentRows)
    capsys.readouterr()
    tap.sync_all()
    kinds = [m["type"] for m in messages(capsys) if m["type"] in {"RECORD", "STATE"}]
    assert kinds[:6] == ["RECORD", "RECORD", "STATE", "RECORD", "RECORD", "STATE"]
    tap, _ = make_tap(rows)
    tap.sync_all()
    kinds = [m["type"] for m in messages(capsys) if m["type"] in {"RECORD", "STATE"}]
    assert kinds == ["RECORD"] * 6 + ["STATE"], "STATE only at the end (the cadence decides)"


def test_records_and_state_writes_reach_the_taps_cadence(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Records are counted (``_increment_stream_state``), STATE lines measured (the writer)."""
    tap, stream = make_tap([{"id": n} for n in range(1, 4)])
    assert stream.state_cadence is tap.state_cadence
    tap.sync_all()
    out = capsys.readouterr().out.splitlines()
    last = next(line for line in reversed(out) if json.loads(line)["type"] == "STATE")
    assert tap.state_cadence.written >= 1
    assert tap.state_cadence.records == 0, "the final STATE covers every record"
    compact = json.dumps(json.loads(last)["value"], separators=(",", ":"))
    assert tap.state_cadence.last_bytes == len(compact) + 1, "the value's line, newline included"


def test_write_state_if_due_writes_only_when_due(capsys: pytest.CaptureFixture[str]) -> None:
    """The hook the streams call between pages: nothing until the cadence says so."""
    tap, stream = make_tap()
    tap.state_cadence.start(every_records=3, every_seconds=3600)
    capsys.readouterr()
    stream.mark_state_changed()
    stream.write_state_if_due()
    assert messages(capsys) == []
    tap.state_cadence.count(3)
    stream.write_state_if_due()
    assert [m["type"] for m in messages(capsys)] == ["STATE"]


def test_cadence_by_records_by_state_size_and_by_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Due after N records, or one record per 20 bytes of the last STATE, or T seconds."""
    clock = [100.0]
    monkeypatch.setattr("tap_telegram.singer.cadence.time.monotonic", lambda: clock[0])
    cadence = StateCadence()
    cadence.start(every_records=10, every_seconds=60)
    cadence.count(9)
    assert not cadence.due()
    cadence.count()
    assert cadence.due()
    cadence.wrote(20 * 50)  # a big STATE: 50 records before the next
    cadence.count(49)
    assert not cadence.due()
    cadence.count()
    assert cadence.due()
    cadence.wrote(10)
    clock[0] += 59
    assert not cadence.due()
    clock[0] += 1
    assert cadence.due()
    cadence.start(every_records=10, every_seconds=0)
    assert cadence.due(), "0 seconds: at every point where STATE may be written"
