"""`make demo`: load the bundled Telegram Desktop export into CSV with Meltano.

Runs the real pipeline (`meltano run tap-telegram target-csv`, environment `dev`,
Meltano's own state store), then prints where the files are and how many messages
each chat has, in all and new in this run. Run it twice: the second run finds 0 new
messages, because the STATE of the first run was stored by Meltano.
"""

from __future__ import annotations

import collections
import csv
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "output" / "csv"
BIN = Path(sys.executable).parent
MELTANO = str(BIN / "meltano")
STATE_ID = "dev:tap-telegram-to-target-csv"
LOCK = ROOT / "constraints" / "dev.txt"
#: Terminal columns of the title column (titles are clipped to fit, with an ellipsis).
TITLE_WIDTH = 40


def char_width(char: str) -> int:
    """Terminal columns of one character: 2 for East Asian wide/full-width (CJK, most
    emoji), 0 for combining marks and invisible format characters, else 1."""
    if unicodedata.combining(char) or unicodedata.category(char) in {"Mn", "Me", "Cf"}:
        return 0
    return 2 if unicodedata.east_asian_width(char) in {"W", "F"} else 1


def display_width(text: str) -> int:
    """Terminal columns of ``text``: ``len`` counts a CJK character as one column, a
    terminal shows two, and a table padded by ``len`` misaligns."""
    return sum(char_width(char) for char in text)


def fit(text: str, width: int) -> str:
    """``text`` clipped (with "…") and padded with spaces to exactly ``width`` columns."""
    if display_width(text) > width:
        kept, used = [], 0
        for char in text:
            if used + char_width(char) > width - 1:
                break
            kept.append(char)
            used += char_width(char)
        text = "".join(kept) + "…"
    return text + " " * (width - display_width(text))


def table_row(title: str, total: object, new: object) -> str:
    """One line of the per-chat table: title, messages, new."""
    return f"{fit(title, TITLE_WIDTH)} {total!s:>9} {new!s:>6}"


def count_messages() -> collections.Counter[str]:
    """Rows per chat id over output/csv/messages-*.csv (one file per run)."""
    counts: collections.Counter[str] = collections.Counter()
    for path in sorted(OUTPUT.glob("messages-*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                counts[row["chat_id"]] += 1
    return counts


def chat_titles() -> dict[str, str]:
    """Chat id → title from output/csv/chats-*.csv."""
    titles: dict[str, str] = {}
    for path in sorted(OUTPUT.glob("chats-*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                titles[row["id"]] = row.get("title") or row["id"]
    return titles


def csv_files(folder: Path = OUTPUT) -> set[Path]:
    """The CSV files target-csv has written so far."""
    return set(folder.glob("*.csv"))


def drop_header_only(before: set[Path], folder: Path = OUTPUT) -> list[Path]:
    """Remove this run's CSV files that hold only the header line.

    target-csv opens a file for every stream it gets a SCHEMA for, records or not: a
    rerun's ``messages`` (nothing new) and an export's ``participants`` (exports list no
    members) would leave a header-only file per run. Files of earlier runs are kept.
    """
    removed = []
    for path in sorted(csv_files(folder) - before):
        with path.open(encoding="utf-8") as handle:
            handle.readline()  # the header
            if not handle.readline():
                removed.append(path)
    for path in removed:
        path.unlink()
    return removed


def meltano(*args: str, pinned: bool = False) -> None:
    """Run one Meltano command in the project, failing the demo if it fails.

    ``pinned``: the plugin venvs it installs get the versions of constraints/dev.txt
    (Meltano installs with uv, or pip with the virtualenv backend).
    """
    env = {**os.environ, "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"}
    if pinned:
        env["UV_CONSTRAINT"] = env["PIP_CONSTRAINT"] = str(LOCK)
    result = subprocess.run([MELTANO, "--log-level=warning", *args], cwd=ROOT, env=env, check=False)
    if result.returncode:
        sys.exit(f"demo: `meltano {' '.join(args)}` failed with exit code {result.returncode}")


def main() -> None:
    """Install the two plugins (first time only), run the pipeline, summarise."""
    before = count_messages()
    files = csv_files()
    if not (ROOT / ".meltano" / "loaders" / "target-csv" / "venv").exists():
        print("demo: installing tap-telegram and target-csv into .meltano/ (first run only) ...")
        # The tap with the pinned development versions; the loader is pinned in meltano.yml
        # (its own dependencies are its own: the dev pins would not fit every loader).
        meltano("install", "tap-telegram", pinned=True)
        meltano("install", "target-csv")
    print("demo: meltano run tap-telegram target-csv  (source: export, examples/telegram-export)")
    meltano("run", "tap-telegram", "target-csv")
    empty = drop_header_only(files)
    after = count_messages()
    titles = chat_titles()
    print()
    print(table_row("chat", "messages", "new"))
    for chat_id in sorted(after, key=lambda key: -after[key]):
        title = titles.get(chat_id, chat_id)
        print(table_row(title, after[chat_id], after[chat_id] - before[chat_id]))
    new = sum(after.values()) - sum(before.values())
    print(table_row("total", sum(after.values()), new))
    print()
    print(
        f"CSV files: {OUTPUT}/ (one file per stream and run: messages, chats, users, "
        "topics, participants)"
    )
    if empty:
        names = ", ".join(path.name.split("-")[0] for path in empty)
        print(f"           (no file kept for streams without records this run: {names})")
    print(f"State:     .venv/bin/meltano state get {STATE_ID}")
    if new == 0:
        print("0 new messages: the bookmarks in STATE say everything was loaded already.")
    print("Start over: make demo-reset")


if __name__ == "__main__":
    main()
