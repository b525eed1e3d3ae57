"""The SDK behaviours tap_telegram/singer/sdk_private.py relies on, one test each.

Each test drives the fence's hooks on a tiny tap of its own, so that an SDK upgrade
that renames, stops calling or changes one of the private or ``@final`` members the
fence wraps fails here, with the member's name in the test, rather than in a sync.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import signal
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from jsonschema import ValidationError
from singer_sdk import Stream
from singer_sdk.exceptions import InvalidStreamSortException
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.helpers.types import Context

from tap_telegram.singer.output import PageFlushWriter
from tap_telegram.singer.sdk_private import SDK_UNHANDLED_ERROR, LineStateWriter, SdkStream, SdkTap
from tests.singer.batch_support import batch_config, batch_records

SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "note": {"type": ["string", "null"]},
        "when": {"type": ["string", "null"], "format": "date-time"},
    },
}


class ReportedError(Exception):
    """An error the tap prints itself (``reports_error_itself`` says so)."""


class Rows(SdkStream):
    """A sorted incremental stream of the rows it is given."""

    name = "rows"
    schema = SCHEMA
    primary_keys: ClassVar[list[str]] = ["id"]
    replication_key: str | None = "id"
    is_sorted = True
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, tap: FenceTap) -> None:
        super().__init__(tap)
        self.events = tap.events
        self.rows: list[dict[str, Any]] = []
        #: Ids that must not move the bookmark (moves_bookmark says no).
        self.kept_back: set[int] = set()
        self.withhold_schema = False
        self.fail = False
        self.error: Exception = RuntimeError("the source broke")

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        self.events.append("rows")
        if self.fail:
            raise self.error
        yield from (dict(row) for row in self.rows)

    def announces_schema(self) -> bool:
        return not self.withhold_schema

    def moves_bookmark(self, record: dict[str, Any], context: Context | None) -> bool:
        return record["id"] not in self.kept_back

    def reports_error_itself(self, error: BaseException) -> bool:
        return isinstance(error, ReportedError)


class ConformedRows(Rows):
    """Rows whose records take the SDK's own record path (conformance on)."""

    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.RECURSIVE


class FullTableRows(Rows):
    """Rows without a replication key: full table, with a stream version."""

    replication_key = None


class FenceTap(SdkTap):
    """The smallest tap on the fence: records what its hooks see."""

    name = "tap-fence"
    config_jsonschema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "page_size": {"type": "integer", "default": 100},
            "secret": {"type": "string"},
        },
    }
    stream_class: ClassVar[type[Rows]] = Rows

    def __init__(self, **kwargs: Any) -> None:
        self.events: list[str] = []
        self.checks: list[tuple[list[list[Any]], bool]] = []
        super().__init__(**kwargs)

    def discover_streams(self) -> list[Stream]:
        return [self.stream_class(self)]

    @contextlib.contextmanager
    def run_scope(self) -> Iterator[None]:
        self.events.append("enter")
        try:
            yield
        finally:
            self.events.append("exit")

    def check_config(self, errors: list[ValidationError], *, raise_errors: bool) -> list[str]:
        self.checks.append(([list(error.path) for error in errors], raise_errors))
        return [error.message for error in errors]


def make_tap(
    rows: Iterable[dict[str, Any]] = (),
    stream_class: type[Rows] = Rows,
    **kwargs: Any,
) -> tuple[FenceTap, Rows]:
    tap_class = type("Tap", (FenceTap,), {"stream_class": stream_class})
    tap = tap_class(**kwargs)
    stream = tap.streams["rows"]
    assert isinstance(stream, Rows)
    stream.rows = list(rows)
    return tap, stream


def messages(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_sync_all_is_wrapped_in_run_scope() -> None:
    """``Tap.sync_all`` (@final) still syncs every stream, inside our scope."""
    tap, _ = make_tap([{"id": 1}])
    tap.sync_all()
    assert tap.events == ["enter", "rows", "exit"]


def test_run_scope_is_left_when_a_stream_fails() -> None:
    tap, stream = make_tap()
    stream.fail = True
    with pytest.raises(RuntimeError, match="the source broke"):
        tap.sync_all()
    assert tap.events == ["enter", "rows", "exit"]


def _error_lines(caplog: pytest.LogCaptureFixture, error: Exception) -> list[str]:
    """The ERROR lines a sync logs when its stream fails with ``error`` (re-raised)."""
    tap, stream = make_tap()
    stream.fail, stream.error = True, error
    caplog.clear()
    with caplog.at_level(logging.ERROR), pytest.raises(type(error)):
        tap.sync_all()
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def test_the_sdk_logs_the_unhandled_error_line_the_fence_matches(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """``Stream.sync`` logs a line beginning with :data:`SDK_UNHANDLED_ERROR`, then re-raises.

    If the SDK changes that text, the tap's user errors get the SDK's line above them
    again: this fails first.
    """
    (line,) = _error_lines(caplog, RuntimeError("the source broke"))
    assert line.startswith(SDK_UNHANDLED_ERROR)
    assert "'rows'" in line


def test_an_error_the_tap_reports_itself_gets_no_sdk_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """``reports_error_itself``: the SDK's line is left out; the error still ends the sync."""
    assert _error_lines(caplog, ReportedError("do this instead")) == []


def test_termination_writes_state_then_exits_128_plus_signal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``_handle_termination``: the SDK writes STATE; we turn its exit 0 into 128 + signal."""
    state = {"bookmarks": {"rows": {"replication_key": "id", "replication_key_value": 7}}}
    tap, _ = make_tap(state=state)
    capsys.readouterr()
    with pytest.raises(SystemExit) as stopped:
        tap._handle_termination(signal.SIGTERM, None)
    assert stopped.value.code == 128 + signal.SIGTERM
    (line,) = messages(capsys)
    assert line["type"] == "STATE"
    assert line["value"]["bookmarks"]["rows"]["replication_key_value"] == 7


def test_termination_during_a_write_waits_for_the_write_to_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A SIGTERM that lands inside a page's write: the page ends whole, then STATE, exit."""
    state = {"bookmarks": {"rows": {"replication_key": "id", "replication_key_value": 7}}}
    tap, _ = make_tap(state=state)
    tap.message_writer = writer = PageFlushWriter()

    class Pipe(io.BytesIO):
        """stdout whose first write is interrupted by the signal, like a full pipe."""

        signalled = False

        def write(self, data: Any) -> int:
            if not self.signalled:
                self.signalled = True
                tap._handle_termination(signal.SIGTERM, None)  # runs mid-write
            return super().write(data)

    pipe = Pipe()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(pipe, write_through=True))
    page = b"".join(b'{"type":"RECORD","stream":"rows","record":{"id":%d}}\n' % i for i in range(3))
    writer._pending += page
    with pytest.raises(SystemExit) as stopped:
        writer.flush()
    assert stopped.value.code == 128 + signal.SIGTERM
    lines = pipe.getvalue().decode().splitlines()
    assert [json.loads(line)["type"] for line in lines] == ["RECORD"] * 3 + ["STATE"]


def test_config_check_sees_schema_errors_and_defaults_are_filled_in() -> None:
    """``_validate_config`` runs at construction; ``_config`` gets the schema's defaults."""
    tap, _ = make_tap(config={"secret": 5}, validate_config=False)
    assert tap.checks == [([["secret"]], False)]
    assert tap.config["page_size"] == 100
    strict, _ = make_tap(config={"secret": "s"})
    assert strict.checks == [([], True)]


def test_schema_messages_carry_the_suffix_or_are_withheld(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``_write_schema_message`` goes through ``_generate_schema_messages``."""
    _, stream = make_tap()
    capsys.readouterr()
    stream.write_schema_now()
    stream.message_suffix = "_42"
    stream.write_schema_now()
    stream.withhold_schema = True
    stream.write_schema_now()
    assert [(m["type"], m["stream"]) for m in messages(capsys)] == [
        ("SCHEMA", "rows"),
        ("SCHEMA", "rows_42"),
    ]


def test_records_are_written_through_generate_record_messages(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``_write_record_message`` uses ``_generate_record_messages`` (our suffix shows)."""
    tap, stream = make_tap([{"id": 1}, {"id": 2}])
    stream.message_suffix = "_42"
    capsys.readouterr()
    tap.sync_all()
    records = [m for m in messages(capsys) if m["type"] == "RECORD"]
    assert [(m["stream"], m["record"]["id"]) for m in records] == [("rows_42", 1), ("rows_42", 2)]


def _records_of(
    capsys: pytest.CaptureFixture[str], stream_class: type[Rows], config: dict[str, Any]
) -> list[dict[str, Any]]:
    tap, stream = make_tap(
        [{"id": 1, "note": "a", "when": None}, {"id": 2, "note": None, "when": None}],
        stream_class,
        config=config,
    )
    stream.message_suffix = "_9"
    capsys.readouterr()
    tap.sync_all()
    records = [m for m in messages(capsys) if m["type"] == "RECORD"]
    assert records
    for record in records:
        assert record.pop("time_extracted")
    return records


@pytest.mark.parametrize(
    ("full_table", "config"),
    [
        (False, {}),
        (True, {"emit_activate_version_messages": True}),
        (False, {"stream_maps": {"rows": {"__alias__": "renamed", "note": "__NULL__"}}}),
        (False, {"stream_maps": {"copy": {"__source__": "rows"}}}),
        (False, {"stream_maps": {"rows": {"__filter__": "id > 1"}}}),
    ],
)
def test_the_loop_path_makes_what_the_sdk_path_makes(
    capsys: pytest.CaptureFixture[str], full_table: bool, config: dict[str, Any]
) -> None:
    """``_generate_record_messages`` with nothing to pop or conform is its stream-map loop.

    The same rows through the SDK's own method (conformance on) and through the loop
    give the same RECORD messages: stream names, records, ``version``
    (``_stream_version``) and keys.
    """
    loop_class: type[Rows] = FullTableRows if full_table else Rows
    sdk_class = type(
        "SdkPath", (loop_class,), {"TYPE_CONFORMANCE_LEVEL": ConformedRows.TYPE_CONFORMANCE_LEVEL}
    )
    _, loop_stream = make_tap(stream_class=loop_class, config=config)
    assert loop_stream._sdk_path_is_a_loop()
    _, sdk_stream = make_tap(stream_class=sdk_class, config=config)
    assert not sdk_stream._sdk_path_is_a_loop()
    assert _records_of(capsys, loop_class, config) == _records_of(capsys, sdk_class, config)


def test_a_deselected_property_takes_the_sdk_path(capsys: pytest.CaptureFixture[str]) -> None:
    """With a property deselected the SDK's own method runs and drops it."""
    tap, _ = make_tap()
    catalog = tap.catalog_dict
    for item in catalog["streams"][0]["metadata"]:
        item["metadata"]["selected"] = item["breadcrumb"] != ["properties", "note"]
    tap, stream = make_tap([{"id": 1, "note": "secret", "when": None}], catalog=catalog)
    assert not stream._sdk_path_is_a_loop()
    capsys.readouterr()
    tap.sync_all()
    (record,) = [m["record"] for m in messages(capsys) if m["type"] == "RECORD"]
    assert record == {"id": 1, "when": None}


def test_moves_bookmark_keeps_rows_below_the_bookmark_from_it() -> None:
    """``_increment_stream_state``: the SDK's sort check fails on a lower id unless we veto."""
    state = {"bookmarks": {"rows": {"replication_key": "id", "replication_key_value": 5}}}
    rows = [{"id": 6}, {"id": 3}, {"id": 7}]
    tap, stream = make_tap(rows, state=state)
    with pytest.raises(InvalidStreamSortException):
        tap.sync_all()
    tap, stream = make_tap(rows, state=state)
    stream.kept_back = {3}
    tap.sync_all()
    assert stream.stream_state["replication_key_value"] == 7


def test_state_is_written_only_when_marked_changed(capsys: pytest.CaptureFixture[str]) -> None:
    """``state_manager.is_flushed`` is what ``_write_state_message`` goes by."""
    _, stream = make_tap()
    capsys.readouterr()
    stream.mark_state_changed()
    stream.write_state_if_changed()
    stream.write_state_if_changed()
    assert [m["type"] for m in messages(capsys)] == ["STATE"]


# ----- batch runs (``_sync_batches``, ``_sync_records``, ``SDKBatchMessage``) --------------


class PagedRows(Rows):
    """Rows that checkpoint like the ``messages`` streams: after every ``page`` rows.

    ``write_state_if_changed`` like a history page, or ``checkpoint`` like the Bot API
    before its next request.
    """

    page = 3
    hook = "write_state_if_changed"

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        for index, row in enumerate(self.rows):
            if index and index % self.page == 0:
                self.mark_state_changed()
                getattr(self, self.hook)()
            yield dict(row)


def batch_run(
    capsys: pytest.CaptureFixture[str], stream_class: type[Rows], **config: Any
) -> list[tuple[str, Any]]:
    """Sync ids 1..7; the output as ("BATCH", (stream, ids)) and ("STATE", bookmark)."""
    tap, _ = make_tap(
        [{"id": n, "note": "n", "when": None} for n in range(1, 8)], stream_class, config=config
    )
    capsys.readouterr()
    tap.sync_all()
    out: list[tuple[str, Any]] = []
    for message in messages(capsys):
        if message["type"] == "BATCH":
            out.append(("BATCH", (message["stream"], [r["id"] for r in batch_records(message)])))
        elif message["type"] == "STATE":
            rows = message["value"]["bookmarks"].get("rows", {})
            out.append(("STATE", rows.get("replication_key_value")))
    return out


def test_a_batch_run_writes_state_only_after_the_batch_that_covers_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``_sync_batches`` is what a sync runs with ``batch_config``; the stream's page STATE waits.

    The SDK's own path would write the page STATE (bookmark 3, then 6) before the one
    BATCH message that holds those rows.
    """
    out = batch_run(capsys, PagedRows, batch_config=batch_config(tmp_path / "batches", 5))
    assert out == [
        ("BATCH", ("rows", [1, 2, 3, 4, 5])),
        ("STATE", 5),
        ("BATCH", ("rows", [6, 7])),
        ("STATE", 7),
    ]


def test_checkpoint_writes_the_waiting_rows_first(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``checkpoint`` (the Bot API's, before its next request) delivers what waits, then STATE."""
    stream_class = type("Checkpointing", (PagedRows,), {"hook": "checkpoint"})
    out = batch_run(capsys, stream_class, batch_config=batch_config(tmp_path / "batches", 5))
    assert out == [
        ("BATCH", ("rows", [1, 2, 3])),
        ("STATE", 3),
        ("BATCH", ("rows", [4, 5, 6])),
        ("STATE", 6),
        ("BATCH", ("rows", [7])),
        ("STATE", 7),
    ]


def test_outside_a_batch_run_checkpoint_is_a_state_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    stream_class = type("Checkpointing", (PagedRows,), {"hook": "checkpoint"})
    tap, _ = make_tap([{"id": n} for n in range(1, 8)], stream_class)
    capsys.readouterr()
    tap.sync_all()
    kinds = [(m["type"], m.get("record", {}).get("id")) for m in messages(capsys)]
    assert kinds[1:] == [
        *(("RECORD", n) for n in (1, 2, 3)),
        ("STATE", None),
        *(("RECORD", n) for n in (4, 5, 6)),
        ("STATE", None),
        ("RECORD", 7),
        ("STATE", None),
    ]


def test_batch_files_hold_what_record_messages_would(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Records go through ``_generate_record_messages``: suffix, stream maps, selection."""
    tap, _ = make_tap()
    catalog = tap.catalog_dict
    for item in catalog["streams"][0]["metadata"]:
        item["metadata"]["selected"] = item["breadcrumb"] != ["properties", "note"]
    config = {
        "batch_config": batch_config(tmp_path / "batches", 10),
        "stream_maps": {"rows": {"__filter__": "id != 2"}},
    }
    tap, stream = make_tap(
        [{"id": n, "note": "secret", "when": None} for n in (1, 2, 3)],
        catalog=catalog,
        config=config,
    )
    stream.message_suffix = "_9"
    capsys.readouterr()
    tap.sync_all()
    (batch,) = [m for m in messages(capsys) if m["type"] == "BATCH"]
    assert batch["stream"] == "rows_9"
    assert batch["encoding"] == {"format": "jsonl"}
    assert batch_records(batch) == [{"id": 1, "when": None}, {"id": 3, "when": None}]


def test_termination_in_a_batch_run_writes_no_state(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The state in memory may cover rows waiting for their file: the last STATE stands."""
    state = {"bookmarks": {"rows": {"replication_key": "id", "replication_key_value": 7}}}
    tap, _ = make_tap(state=state, config={"batch_config": batch_config(tmp_path / "batches", 5)})
    capsys.readouterr()
    with pytest.raises(SystemExit) as stopped:
        tap._handle_termination(signal.SIGTERM, None)
    assert stopped.value.code == 128 + signal.SIGTERM
    assert messages(capsys) == []


def test_state_goes_through_the_taps_state_writer_which_skips_repeats(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Tap._state_writer`` is what streams and the tap write every STATE through."""
    tap, _ = make_tap([{"id": 1}, {"id": 2}])
    writer = tap.state_writer
    assert isinstance(writer, LineStateWriter)
    capsys.readouterr()
    state: dict[str, Any] = {"bookmarks": {"rows": {"a": 1}}}
    writer.write_state(state)  # type: ignore[arg-type]
    writer.write_state({"bookmarks": {"rows": {"a": 1}}})
    state["bookmarks"]["rows"]["a"] = 2  # changed in place, as streams change it
    writer.write_state(state)  # type: ignore[arg-type]
    assert [m["value"]["bookmarks"]["rows"]["a"] for m in messages(capsys)] == [1, 2]
    written: list[Any] = []
    monkeypatch.setattr(writer, "write_state", written.append)
    tap.sync_all()
    assert written, "a sync writes its STATE through the tap's writer"
    assert written[-1]["bookmarks"]["rows"]["replication_key_value"] == 2
