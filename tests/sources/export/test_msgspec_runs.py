"""The read's msgspec runs (:mod:`tap_telegram.sources.export.runs`): same records, exact errors."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.export_memory import write_export
from tap_telegram.errors import ExportFormatError
from tap_telegram.sources.base import MessageQuery
from tap_telegram.sources.export import read, runs
from tests.sources.export.support import ERAS, golden_lines, source

EXAMPLES = Path(__file__).parents[3] / "examples"


@pytest.fixture
def decoded(monkeypatch):
    """Messages msgspec decoded, counted."""
    seen = {"runs": 0, "messages": 0}
    real = runs.decode_run

    def counting(*args):
        batch = real(*args)
        if batch is not None:
            seen["runs"] += 1
            seen["messages"] += len(batch)
        return batch

    monkeypatch.setattr(read, "decode_run", counting)
    return seen


def lines_without_runs(path: Path, monkeypatch, **config) -> list[str]:
    with monkeypatch.context() as patch:
        patch.setattr(read, "_runs_usable", lambda span: False)
        return golden_lines(source(path, **config))


def tdesktop_layout(path: Path, target: Path) -> Path:
    """``path`` rewritten as tdesktop writes (one space of indent per level)."""
    target.write_text(json.dumps(json.loads(path.read_text()), indent=1, ensure_ascii=False))
    return target


@pytest.mark.parametrize("layout", ["bench", "tdesktop"])
def test_runs_give_the_very_records_ijson_gives(tmp_path, monkeypatch, decoded, layout):
    path = tmp_path / "result.json"
    write_export(path, 3_000)
    if layout == "tdesktop":
        path = tdesktop_layout(path, tmp_path / "indented.json")
    expected = lines_without_runs(path, monkeypatch)
    assert decoded["runs"] == 0
    assert golden_lines(source(path)) == expected
    assert decoded["runs"] > 3
    assert decoded["messages"] > 2_000


def test_whole_account_export_runs_only_in_the_last_chat(tmp_path, monkeypatch, decoded):
    path = tmp_path / "result.json"
    write_export(path, 6_000, chats=3)
    expected = lines_without_runs(path, monkeypatch)
    assert golden_lines(source(path)) == expected
    assert 0 < decoded["messages"] <= 2_000


@pytest.mark.parametrize(
    "path",
    [
        EXAMPLES / "telegram-export" / "result.json",
        EXAMPLES / "single-chat-export" / "result.json",
        *sorted(ERAS.glob("*.json")),
    ],
    ids=lambda path: path.name if path.parent == ERAS else path.parent.name,
)
def test_examples_and_eras_read_the_same(path, monkeypatch):
    config = {"export_timezone": "Europe/Berlin"}
    assert golden_lines(source(path, **config)) == lines_without_runs(path, monkeypatch, **config)


def damage(path: Path, at: float) -> None:
    """Break one message's JSON at ``at`` (share of the file), same size and time."""
    stat = path.stat()
    data = bytearray(path.read_bytes())
    where = data.index(b'"id": ', int(len(data) * at))
    data[where : where + 6] = b'"id"  '  # no colon: invalid JSON, same length
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def failure(path: Path, change: Callable[[Path, float], None] = damage) -> tuple[int, str]:
    """Records read before the error, and its text."""
    src = source(path)
    count = 0
    try:
        (chat,) = src.chats()
        change(path, 0.6)
        pages = src.history_pages(MessageQuery(chat_id=chat["id"]))
        try:
            for page in pages:
                count += len(page)
        except ExportFormatError as error:
            return count, str(error)
    finally:
        src.close()
    raise AssertionError("the damage was not found")


def test_file_damaged_after_the_scan_fails_with_ijson_s_error(tmp_path, monkeypatch, decoded):
    """Same size and time, so runs are tried: msgspec refuses the run, ijson says what and where."""
    path = tmp_path / "result.json"
    write_export(path, 3_000)
    fast = failure(path)
    assert decoded["runs"] > 0
    write_export(path, 3_000)
    with monkeypatch.context() as patch:
        patch.setattr(read, "_runs_usable", lambda span: False)
        slow = failure(path)
    assert fast[1] == slow[1]
    assert "the file changed while the tap was reading it" in fast[1]
    assert fast[0] >= slow[0]  # runs yield whole runs before the damaged one


def test_a_changed_size_or_time_reads_with_ijson_only(tmp_path, decoded):
    path = tmp_path / "result.json"
    write_export(path, 3_000)
    src = source(path)
    try:
        (chat,) = src.chats()
        os.utime(path, (1, 1))
        records = [r for page in src.history_pages(MessageQuery(chat_id=chat["id"])) for r in page]
    finally:
        src.close()
    assert len(records) == 3_000
    assert decoded["runs"] == 0


def test_a_lone_surrogate_falls_back_to_ijson(tmp_path, monkeypatch, decoded):
    """msgspec refuses ``\\ud800`` where ijson reads ``?``: the rest is ijson's, the same."""
    path = tmp_path / "result.json"
    write_export(path, 3_000)
    data = path.read_bytes()
    where = data.index(b'"text": "', len(data) // 2) + 9
    path.write_bytes(data[:where] + b"\\ud800" + data[where:])
    expected = lines_without_runs(path, monkeypatch)
    assert golden_lines(source(path)) == expected
    assert 0 < decoded["messages"] < 2_900


def test_cuts_only_after_a_brace_that_is_syntax():
    assert runs._cuts(b'{"a": 1},\n{"b": "} ]"}') == [8]
    assert runs._cuts(b'  {"a": 1}\n ]\n}') == [10]
    assert runs._cuts(b'{"a": "x} ]"}') == []


def merge_two(path: Path, at: float) -> None:
    """Two messages made one (valid JSON, one message fewer), same size and time."""
    stat = path.stat()
    data = bytearray(path.read_bytes())
    where = data.index(b"},\n  {", int(len(data) * at))
    data[where : where + 6] = b",\n    "
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_a_run_with_a_message_fewer_than_scanned_is_ijson_s(tmp_path, monkeypatch, decoded):
    """A run must hold what the scan counted, else ijson reads on: no message silently lost."""
    path = tmp_path / "result.json"
    write_export(path, 3_000)
    fast = failure(path, merge_two)
    write_export(path, 3_000)
    with monkeypatch.context() as patch:
        patch.setattr(read, "_runs_usable", lambda span: False)
        slow = failure(path, merge_two)
    assert fast[1] == slow[1]
    assert "the file changed while the tap was reading it" in fast[1]


@pytest.mark.parametrize(("encoding", "runs_used"), [("utf-8-sig", True), ("utf-16", False)])
def test_byte_order_mark_files_and_utf16_read_the_same(
    tmp_path, monkeypatch, decoded, encoding, runs_used
):
    """Marks are file offsets: after a UTF-8 BOM they hold; a converted UTF-16 file has none."""
    plain = tmp_path / "plain.json"
    write_export(plain, 3_000)
    path = tmp_path / "result.json"
    path.write_bytes(plain.read_text("utf-8").encode(encoding))
    expected = lines_without_runs(path, monkeypatch)
    assert golden_lines(source(path)) == expected
    assert (decoded["runs"] > 0) is runs_used
