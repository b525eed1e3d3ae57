"""The scan's msgspec runs (:class:`tap_telegram.sources.export.runs.MarkedEvents`).

The scan decodes most messages a run at a time with msgspec and parses the rest with
ijson's events. These tests hold it to the event scan it replaced: a run is accepted
only where ijson accepts the very same bytes with the very same values (random values
and damaged ones), and whole files, intact or damaged (bytes flipped, cut, nested too
deep, numbers past 64 bits, bad UTF-8, repeated keys), scan to the same chats or to
the same one-line error, naming the same byte, with runs and without.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import math
import random
from pathlib import Path
from typing import Any

import ijson
import pytest

from bench.export_memory import write_export
from tap_telegram.errors import ExportFormatError
from tap_telegram.sources.export import runs
from tap_telegram.sources.export.files import scan_file
from tap_telegram.sources.export.reader import BASE_READ
from tap_telegram.sources.export.scan import MAX_DEPTH
from tests.sources.export.support import message

#: What two scans of one file may differ in: the file object, and where runs were marked.
SKIP = ("file", "marks")
LOG = logging.getLogger("tests.scan_runs")
#: Byte strings a damage writes over a file, or a value holds.
JUNK = [
    b"\x01",
    b"\xff",
    b"\xc0\x80",
    b"\x0c",
    b"{",
    b"}",
    b"]",
    b"[",
    b",",
    b'"',
    b":",
    b"9",
    b"\\",
]


def same(a: Any, b: Any) -> bool:
    """Equal values of equal types all the way down (``1 == 1.0`` is not the same here)."""
    if type(a) is not type(b):
        return False
    if type(a) is list:
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is dict:
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if type(a) is float and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def ijson_values(text: bytes) -> list[Any] | None:
    """The values ijson's parser reads after a first value of a list, or ``None`` if it refuses."""
    try:
        values = list(ijson.items(io.BytesIO(b"[0" + text + b"]"), "item", use_float=True))
    except (ijson.JSONError, ValueError, UnicodeError, OverflowError):
        return None
    return values[1:]


def random_value(rng: random.Random, depth: int) -> Any:
    pick = rng.random()
    if depth > 0 and pick < 0.2:
        return [random_value(rng, depth - 1) for _ in range(rng.randrange(4))]
    if depth > 0 and pick < 0.4:
        keys = ["id", "date", "text", "from_id", rng.choice(["é", "a\nb", "\U0001f600"])]
        return {rng.choice(keys): random_value(rng, depth - 1) for _ in range(rng.randrange(4))}
    return rng.choice(
        [
            None, True, False, 0, -1, 2**31, 2**63 - 1, -(2**63), 2**63, -(2**63) - 1, 2**64,
            10**30, 1.5, -0.0, 1e300, "", "x", "é€\U0001f600", "a\u0000b", "\\", '"',
        ]
    )  # fmt: skip


def random_text(rng: random.Random) -> bytes:
    """``,`` value pairs as some writer might put them, then maybe damaged."""
    values = [random_value(rng, rng.randrange(12)) for _ in range(rng.randrange(1, 4))]
    space = rng.choice(["", " ", "\n  ", "\t", "\r\n"])
    text = "".join(
        "," + space + json.dumps(v, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, 1]))
        for v in values
    ).encode("utf-8", "surrogatepass")
    if rng.random() < 0.6:  # damage: a byte over, in, or cut off; an escape only msgspec refuses
        where = rng.randrange(len(text) + 1)
        kind = rng.randrange(4)
        if kind == 0:
            text = text[:where] + rng.choice(JUNK) + text[where + 1 :]
        elif kind == 1:
            text = text[:where] + rng.choice(JUNK) + text[where:]
        elif kind == 2:
            text = text[:where]
        else:
            text = text.replace(b'"x"', rng.choice([b'"\\ud800"', b'"\\udc00x"', b'"\\u12"']))
    return text


def depth_of(value: Any) -> int:
    if type(value) is list:
        return 1 + max(map(depth_of, value), default=0)
    if type(value) is dict:
        return 1 + max(map(depth_of, value.values()), default=0)
    return 0


def test_a_run_holds_only_what_ijson_reads_the_same():
    """Random and damaged values: msgspec's run is ijson's values, or no run at all."""
    rng = random.Random(26)
    accepted = refused = 0
    for _ in range(4_000):
        text = random_text(rng)
        run, parsed = runs.scan_run(text), ijson_values(text)
        if run is None:
            refused += 1
            continue
        accepted += 1
        assert parsed is not None, text
        assert same(run, parsed), text
        assert max(map(depth_of, run)) <= runs.RUN_DEPTH
    assert accepted > 800
    assert refused > 800


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (b", 9223372036854775808", "past int64: ijson's overflow"),
        (b", -9223372036854775809", "below int64"),
        (b", -9223372036854775808", "-2**63: ijson reads it only as a file's first number"),
        (b', {"a": 18446744073709551616}', "inside a message"),
        (b", " + b"[" * 9 + b"]" * 9, "deeper than RUN_DEPTH"),
        (b', "\xff"', "not UTF-8"),
        (b', "\\ud800"', "a lone surrogate (ijson reads ?)"),
        (b"\x0c, 1", "a form feed before the comma"),
        (b" 1", "no comma"),
        (b",", "nothing after the comma"),
        (b", 1e400", "a float out of range"),
    ],
)
def test_what_a_run_refuses(text, why):
    assert runs.scan_run(text) is None, why


def test_a_run_takes_64_bit_ints_and_json_whitespace():
    assert runs.scan_run(b"\r\n\t ,9223372036854775807, -9223372036854775807") == [
        2**63 - 1,
        1 - 2**63,
    ]


# -- whole files: the same chats or the same error, with runs and without ----------------


def outcome(path: Path) -> Any:
    """What the scan makes of ``path``: each chat's span (marks aside), or the error line."""
    try:
        export = scan_file(path, LOG)
    except ExportFormatError as error:
        return str(error)
    spans = []
    for span in export.chats:
        fields = dataclasses.fields(span)
        spans.append({f.name: getattr(span, f.name) for f in fields if f.name not in SKIP})
    return spans, export.people, export.self_id


def both(path: Path, monkeypatch) -> tuple[Any, Any, int]:
    """The scan's outcome with runs, without, and how many runs it took."""
    taken = []
    real = runs.scan_run

    def counting(data: bytes) -> list[Any] | None:
        found = real(data)
        taken.append(found is not None)
        return found

    with monkeypatch.context() as patch:
        patch.setattr(runs, "scan_run", counting)
        fast = outcome(path)
    with monkeypatch.context() as patch:
        patch.setattr(runs, "scan_run", lambda data: None)
        slow = outcome(path)
    return fast, slow, sum(taken)


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, bytes]:
    """The bench's export (one message a line) and as tdesktop indents, 3,000 messages."""
    folder = tmp_path_factory.mktemp("scan-runs")
    write_export(folder / "bench.json", 3_000, chats=2)
    raw = (folder / "bench.json").read_bytes()
    indented = json.dumps(json.loads(raw), indent=1, ensure_ascii=False).encode()
    return {"bench": raw, "tdesktop": indented}


@pytest.mark.parametrize("layout", ["bench", "tdesktop"])
def test_an_intact_export_scans_the_same_mostly_in_runs(tmp_path, monkeypatch, exports, layout):
    path = tmp_path / "result.json"
    path.write_bytes(exports[layout])
    fast, slow, taken = both(path, monkeypatch)
    assert fast == slow
    assert not isinstance(fast, str)
    assert taken * BASE_READ > len(exports[layout]) * 0.8  # most of the file came as runs


def damaged(data: bytes, rng: random.Random) -> bytes:
    """``data`` with one damage somewhere in its messages."""
    where = rng.randrange(len(data) // 20, len(data))
    kind = rng.randrange(7)
    if kind == 0:
        return data[:where] + rng.choice(JUNK) + data[where + 1 :]
    if kind == 1:
        return data[:where]
    at = data.index(b'"id": ', where) if b'"id": ' in data[where:] else data.index(b'"id": ')
    number = at + 6
    if kind == 2:  # a number past 64 bits
        big = rng.choice([b"9223372036854775808", b"18446744073709551616", b"-9223372036854775808"])
        return data[:number] + big + data[number:].lstrip(b"0123456789")
    if kind == 3:  # a message nested past the limit
        deep = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b", "
        return data[:at] + b'"deep": ' + deep + data[at:]
    if kind == 4:  # bad UTF-8 in a string
        return data[:at] + b'"x": "\xed\xa0\x80", ' + data[at:]
    if kind == 5:  # a lone surrogate: msgspec refuses, ijson reads "?"
        return data[:at] + b'"x": "\\ud800", ' + data[at:]
    # a form feed as whitespace: ijson reads it, msgspec does not
    return data[:at] + b"\x0c" + data[at:]


@pytest.mark.parametrize("layout", ["bench", "tdesktop"])
def test_damaged_exports_fail_the_same_with_runs_and_without(
    tmp_path, monkeypatch, exports, layout
):
    """Same error line (problem, byte position, chat, last id) or the same chats."""
    rng = random.Random(f"scan-runs-{layout}")
    path = tmp_path / "result.json"
    errors = 0
    for _ in range(30):
        path.write_bytes(damaged(exports[layout], rng))
        fast, slow, _ = both(path, monkeypatch)
        assert fast == slow
        errors += isinstance(fast, str)
    assert errors > 10


@pytest.mark.parametrize("layout", ["bench", "tdesktop"])
def test_bytes_held_after_a_cut_fail_at_the_position_they_always_named(
    tmp_path, monkeypatch, exports, layout
):
    """Damage just after the first chunk's last message: the error names that chunk's end.

    Those bytes wait for the next chunk (a run may start there); when no run can be
    made, ijson parses them with the position of the chunk they were read in.
    """
    data = exports[layout]
    cut = data.rindex(b"},\n", 0, BASE_READ) + 3
    broken = data[:cut] + data[cut:].replace(b'"id": ', b'"id"  ', 1)
    path = tmp_path / "result.json"
    path.write_bytes(broken)
    fast, slow, _ = both(path, monkeypatch)
    assert fast == slow
    assert f"near byte {BASE_READ} " in fast


def test_too_deep_in_the_middle_of_runs_is_the_scan_s_error(tmp_path, monkeypatch, exports):
    data = exports["bench"]
    at = data.index(b'"id": ', len(data) // 4)  # amid the first chat's runs
    deep = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    path = tmp_path / "result.json"
    path.write_bytes(data[:at] + b'"deep": ' + deep + b", " + data[at:])
    fast, slow, _ = both(path, monkeypatch)
    assert fast == slow
    assert f"nested more than {MAX_DEPTH} deep" in fast


def test_a_64_bit_overflow_in_the_middle_of_runs_is_ijson_s_error(tmp_path, monkeypatch, exports):
    data = exports["bench"]
    at = data.index(b'"id": ', len(data) // 4)  # amid the first chat's runs
    path = tmp_path / "result.json"
    path.write_bytes(data[:at] + b'"big": 9223372036854775808, ' + data[at:])
    fast, slow, _ = both(path, monkeypatch)
    assert fast == slow
    assert "integer overflow" in fast


def test_repeated_keys_count_their_last_value_with_runs_and_without(tmp_path, monkeypatch):
    """A key written twice: the read's dict keeps the last value, and so do both scans."""
    odd = (
        '{"id": %d, "action": "topic_created", "action": "pin_message", "date": {}, '
        '"date": "2024-01-01T10:00:00", "date_unixtime": "1704103200", "date_unixtime": [], '
        '"from_id": 7, "from_id": "user7", "text": "%s"}'
    )
    lines = [
        odd % (i, "x" * 300) if i % 10 == 0 else json.dumps(message(i, "x" * 300))
        for i in range(1, 1_000)
    ]
    path = tmp_path / "result.json"
    head = '{"name": "Odd", "type": "private_supergroup", "id": 9, "messages": [\n'
    path.write_text(head + ",\n".join(lines) + "\n]}\n")
    fast, slow, taken = both(path, monkeypatch)
    assert fast == slow
    assert taken > 2
    ((span,), _, _) = fast
    assert span["count"] == 999
    # the last action is no topic, the last sender a string, the last date local (no stamp)
    assert (span["forum"], span["int_peers"], span["str_peers"]) == (False, False, True)
    assert span["local_dates"] is True
