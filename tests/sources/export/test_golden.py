"""Golden records of the bundled samples: the reviewed spec of the export mapping.

The files under tests/golden/ were generated once by the mapper and then reviewed
line by line. A change in mapping shows up here as a diff. To accept an intended
change, regenerate them and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/sources/export/test_golden.py
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from tests.sources.export.support import ACCOUNT_SAMPLE, SINGLE_SAMPLE, golden_lines, source

GOLDEN = Path(__file__).resolve().parents[3] / "tests" / "golden"


@pytest.mark.parametrize(
    ("sample", "name"),
    [(ACCOUNT_SAMPLE, "export_account.jsonl"), (SINGLE_SAMPLE, "export_single_chat.jsonl")],
)
def test_sample_matches_golden_records(sample, name):
    lines = golden_lines(source(sample))
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    expected = path.read_text(encoding="utf-8").splitlines()
    if lines != expected:
        diff = difflib.unified_diff(expected, lines, "golden", "now", lineterm="", n=0)
        pytest.fail("records differ from " + name + ":\n" + "\n".join(list(diff)[:40]))
