"""Issue 27, items 3 and 6: deep nesting and long strings in an export cost bounded memory and time.

* Nesting deeper than ``MAX_DEPTH`` (64) is refused by the scan with one line (exit 4)
  before ijson's item builder, whose memory grows with depth times events (160 KB of
  brackets took gigabytes), ever sees the file.
* A string is read in chunks that double while the parser is inside it, so yajl's
  rescans of the buffered token add up to a few times its length, not length² / 64 KB;
  one longer than ``MAX_STRING`` (16 MiB) is refused with one line (exit 4).

Counts, not clocks: reads inside a string, and tracemalloc's peak.
"""

from __future__ import annotations

import json
import logging
import math
import tracemalloc
from pathlib import Path

import pytest

from tap_telegram.sources.export import encoding
from tap_telegram.sources.export.files import find_exports
from tests.sources.export.support import chat, message, run_tap

LOGGER = logging.getLogger("tests.hostile.export")


def export_with(folder: Path, text_json: str = '"hi"', extra: str = "") -> Path:
    """A one-chat export whose message 1 has ``text_json`` as its text (raw JSON)."""
    folder.mkdir(parents=True, exist_ok=True)
    raw = json.dumps(chat([message(1, "@@TEXT@@"), message(2)]))
    raw = raw.replace('"@@TEXT@@"', text_json)
    if extra:
        raw = raw[:-1] + f', "extra": {extra}}}'
    (folder / "result.json").write_text(raw, encoding="utf-8")
    return folder


def last_line(stderr: str) -> str:
    return stderr.strip().splitlines()[-1].split("| ", 3)[-1]


@pytest.mark.parametrize("where", ["text", "root"])
def test_nesting_deeper_than_the_limit_is_one_line(tmp_path: Path, where: str):
    nest = "[" * 100 + "]" * 100
    folder = (
        export_with(tmp_path / "ex", text_json=nest)
        if where == "text"
        else export_with(tmp_path / "ex", extra=nest)
    )
    run = run_tap(tmp_path / "run", {"export_path": str(folder)})
    assert "Traceback" not in run.stderr
    assert run.returncode == 4
    assert "objects and lists are nested more than 64 deep" in last_line(run.stderr)
    assert run.records.get("messages") is None


def test_deep_nesting_costs_no_memory_before_it_is_refused(tmp_path: Path):
    depth = 5_000  # 10 KB of brackets; the old scan's peak grew with depth * events
    folder = export_with(tmp_path / "ex", extra="[" * depth + "]" * depth)
    tracemalloc.start()
    try:
        with pytest.raises(Exception, match="nested more than 64 deep"):
            find_exports(str(folder), LOGGER)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000


def test_a_string_longer_than_the_limit_is_one_line(tmp_path: Path):
    folder = export_with(tmp_path / "ex", text_json='"' + "a" * (17 << 20) + '"')
    run = run_tap(tmp_path / "run", {"export_path": str(folder)})
    assert "Traceback" not in run.stderr
    assert run.returncode == 4
    assert "a string (or value) is longer than 16 MiB" in last_line(run.stderr)
    assert run.records.get("messages") is None


class _CountingHandle:
    """Counts the reads ijson makes that return no quote: reads inside one long string."""

    def __init__(self, handle) -> None:
        self._handle = handle
        self.inside = 0

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        if data and b'"' not in data:
            self.inside += 1
        return data

    def tell(self) -> int:
        return self._handle.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._handle.seek(offset, whence)

    def close(self) -> None:
        self._handle.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def test_a_long_string_is_read_in_doubling_chunks(tmp_path: Path, monkeypatch):
    size = 12 << 20
    folder = export_with(tmp_path / "ex", text_json='"' + "a" * size + '"')
    handles: list[_CountingHandle] = []
    real_open = Path.open

    def counting_open(self: Path, *args, **kwargs):
        handle = real_open(self, *args, **kwargs)
        if self.name == "result.json" and args[:1] == ("rb",):
            handles.append(_CountingHandle(handle))
            return handles[-1]
        return handle

    monkeypatch.setattr(Path, "open", counting_open)
    (found,) = find_exports(str(folder), LOGGER)
    assert found.chats[0].count == 2
    inside = sum(h.inside for h in handles)
    # 64 KB chunks would be size / 64 KB = 192 reads, each rescanning the string so far.
    assert 0 < inside <= 2 * math.log2(size / encoding.CHUNK) + 4
