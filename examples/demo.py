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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "output" / "csv"
BIN = Path(sys.executable).parent
MELTANO = str(BIN / "meltano")
STATE_ID = "dev:tap-telegram-to-target-csv"


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


def meltano(*args: str) -> None:
    """Run one Meltano command in the project, failing the demo if it fails."""
    env = {**os.environ, "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"}
    result = subprocess.run([MELTANO, "--log-level=warning", *args], cwd=ROOT, env=env, check=False)
    if result.returncode:
        sys.exit(f"demo: `meltano {' '.join(args)}` failed with exit code {result.returncode}")


def main() -> None:
    """Install the two plugins (first time only), run the pipeline, summarise."""
    before = count_messages()
    if not (ROOT / ".meltano" / "loaders" / "target-csv" / "venv").exists():
        print("demo: installing tap-telegram and target-csv into .meltano/ (first run only) ...")
        meltano("install", "tap-telegram", "target-csv")
    print("demo: meltano run tap-telegram target-csv  (source: export, examples/telegram-export)")
    meltano("run", "tap-telegram", "target-csv")
    after = count_messages()
    titles = chat_titles()
    print()
    print(f"{'chat':<40} {'messages':>9} {'new':>6}")
    for chat_id in sorted(after, key=lambda key: -after[key]):
        title = titles.get(chat_id, chat_id)[:38]
        print(f"{title:<40} {after[chat_id]:>9} {after[chat_id] - before[chat_id]:>6}")
    new = sum(after.values()) - sum(before.values())
    print(f"{'total':<40} {sum(after.values()):>9} {new:>6}")
    print()
    print(
        f"CSV files: {OUTPUT}/ (one file per stream and run: messages, chats, users, "
        "topics, participants)"
    )
    print(f"State:     .venv/bin/meltano state get {STATE_ID}")
    if new == 0:
        print("0 new messages: the bookmarks in STATE say everything was loaded already.")
    print("Start over: make demo-reset")


if __name__ == "__main__":
    main()
