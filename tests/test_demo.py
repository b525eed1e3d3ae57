"""The demo's per-chat table lines up in a terminal, whatever script the titles use."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo.py"


@pytest.fixture(scope="module")
def demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo", DEMO)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("title", "columns"),
    [
        ("Family", 6),
        ("中文聊天群组", 12),  # CJK: two terminal columns each
        ("東京 tech 🚀", 12),  # wide letters, ASCII and a wide emoji
        ("Cafe\u0301 crème", 10),  # a combining accent takes no column
        ("\uff46\uff55\uff4c\uff4c", 8),  # "full" in full-width Latin letters
    ],
)
def test_titles_are_padded_by_terminal_columns(demo, title, columns):
    row = demo.table_row(title, 1234, 5)
    # The title, then spaces up to column 40, then the numbers right-aligned.
    assert row == title + " " * (40 - columns) + " " + "     1234" + " " + "     5"


def test_long_wide_titles_are_clipped_to_the_column(demo):
    row = demo.table_row("字" * 30, 7, 0)
    # 19 wide characters (38 columns) and the ellipsis fill 39 columns, one space pads.
    assert row == "字" * 19 + "… " + " " + "        7" + " " + "     0"
    header = demo.table_row("chat", "messages", "new")
    assert header == "chat" + " " * 36 + " " + " messages" + " " + "   new"


def test_header_only_files_of_this_run_are_removed(demo, tmp_path):
    """A rerun with nothing new leaves no header-only CSV file behind (issue 28)."""
    old_empty = tmp_path / "messages-old.csv"
    old_empty.write_text("chat_id,id\n", encoding="utf-8")
    before = demo.csv_files(tmp_path)
    rows = tmp_path / "chats-new.csv"
    rows.write_text("id,title\n-100,Fake\n", encoding="utf-8")
    header_only = tmp_path / "messages-new.csv"
    header_only.write_text("chat_id,id\n", encoding="utf-8")
    assert demo.drop_header_only(before, tmp_path) == [header_only]
    assert sorted(demo.csv_files(tmp_path)) == [rows, old_empty]
