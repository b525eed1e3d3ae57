"""Memory and speed of the export source on a large single-chat export.

    .venv/bin/python bench/export_memory.py [--messages 1000000] [--keep PATH] [--unordered]

Writes an N-message Telegram Desktop export (one supergroup, tdesktop's layout, a
realistic mix: plain and formatted text with emoji, replies, edits, reactions,
forwards, photos, files, service messages) into a temp dir, streaming it so the
generator itself stays small. Then runs ExportSource over it like the tap does:
``chats()`` (the scan) and every page of ``history_pages()``, counting records.

Reports RSS (current and peak) before reading, after 100k messages and at the end,
plus messages/s for the scan, the read and both together. Flat memory means the
RSS at the end is about the RSS at 100k. Prints a table and one JSON line.

``--unordered`` writes each chat's messages in a random order (a file edited or
merged by a script): the tap then sorts them by id in runs on disk before reading
(tap_telegram/sources/export/order.py), which this measures.
"""

from __future__ import annotations

import argparse
import array
import json
import logging
import os
import random
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from tap_telegram.sources.base import MessageQuery, SourceContext
from tap_telegram.sources.export.source import ExportSource

CHECKPOINT = 100_000
VOCABULARY = (
    "ok thanks meeting tomorrow deploy pipeline data dbt airflow lunch coffee release bug fix "
    "review merged Привет как дела 今日は 会議 مرحبا شكرا 😂 👍 🔥 ☕"
)
WORDS = VOCABULARY.split()
PEOPLE = [
    (1000 + index, name) for index, name in enumerate(["Anna", "Omar", "Yuki", "Лена", "Max"])
]


def rss_mb() -> float:
    """Current resident set size (Linux /proc), in MB."""
    with Path("/proc/self/statm").open() as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_mb() -> float:
    """Peak resident set size so far, in MB (ru_maxrss is KB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def fake_message(message_id: int, rng: random.Random, start: int) -> dict[str, Any]:
    """One message in tdesktop's JSON shape."""
    stamp = start + message_id * 7
    user_id, name = PEOPLE[message_id % len(PEOPLE)]
    head: dict[str, Any] = {
        "id": message_id,
        "type": "message",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(stamp + 10_800)),
        "date_unixtime": str(stamp),
    }
    roll = rng.random()
    if roll < 0.03:
        head.update(type="service", actor=name, actor_id=f"user{user_id}", action="pin_message")
        head.update(message_id=max(1, message_id - 5), text="", text_entities=[])
        return head
    head.update({"from": name, "from_id": f"user{user_id}"})
    if rng.random() < 0.05:
        head.update(edited=head["date"], edited_unixtime=str(stamp + 60))
    if rng.random() < 0.15 and message_id > 1:
        head["reply_to_message_id"] = message_id - rng.randint(1, 20) if message_id > 20 else 1
    if rng.random() < 0.02:
        head["forwarded_from"] = "Tokyo Night Market 東京夜市"
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 25)))
    if roll < 0.08:
        head.update(
            photo=f"photos/photo_{message_id}.jpg", photo_file_size=123_456, width=1280, height=960
        )
    elif roll < 0.10:
        head.update(
            file=f"files/report_{message_id}.pdf",
            file_name=f"report_{message_id}.pdf",
            file_size=98_765,
            mime_type="application/pdf",
        )
    if roll < 0.25:
        parts = [
            words,
            {"type": "bold", "text": "важно"},
            " see ",
            {"type": "link", "text": "https://example.org/x"},
        ]
        head["text"] = parts
        head["text_entities"] = [
            {"type": "plain", "text": words},
            parts[1],
            {"type": "plain", "text": " see "},
            parts[3],
        ]
    else:
        head["text"] = words
        head["text_entities"] = [{"type": "plain", "text": words}]
    if rng.random() < 0.2:
        head["reactions"] = [{"type": "emoji", "count": rng.randint(1, 9), "emoji": "👍"}]
    return head


def write_export(path: Path, count: int, chats: int = 1, *, unordered: bool = False) -> None:
    """Stream an export of ``count`` messages to ``path``.

    One chat: a single-chat ``result.json``. More: a whole-account export whose
    ``chats.list`` holds ``chats`` supergroups sharing the messages evenly.
    ``unordered``: each chat's messages in a random order, not oldest first.
    """
    rng = random.Random(7)
    start = 1_600_000_000
    per_chat = -(-count // chats)
    with path.open("w", encoding="utf-8") as out:
        if chats > 1:
            out.write('{"about": "bench", "chats": {"about": "bench", "list": [\n')
        written = 0
        for number in range(chats):
            size = min(per_chat, count - written)
            if number:
                out.write(",\n")
            out.write(f'{{"name": "Bench group {number}", "type": "private_supergroup", ')
            out.write(f'"id": {1_234_567_890 + number}, "messages": [')
            order = array.array("i", range(1, size + 1))  # 4 bytes a message
            if unordered:
                rng.shuffle(order)
            for position, message_id in enumerate(order):
                out.write(",\n  " if position else "\n  ")
                out.write(json.dumps(fake_message(message_id, rng, start), ensure_ascii=False))
            out.write("\n ]}")
            written += size
        out.write("\n]}}\n" if chats > 1 else "\n")


def run(path: Path, count: int) -> dict[str, Any]:
    """Scan and read the export; measure memory and time."""
    result: dict[str, Any] = {"messages": count, "file_mb": round(path.stat().st_size / 1e6, 1)}
    result["rss_start_mb"] = round(rss_mb(), 1)
    source = ExportSource(SourceContext({"export_path": str(path)}, logging.getLogger("bench")))
    started = time.perf_counter()
    chats = source.chats()
    scanned = time.perf_counter()
    result["chats"] = len(chats)
    records = 0
    for chat in chats:
        for page in source.history_pages(MessageQuery(chat_id=chat["id"])):
            before = records
            records += len(page)
            if before < CHECKPOINT <= records:
                result["rss_100k_mb"] = round(rss_mb(), 1)
                result["peak_100k_mb"] = round(peak_mb(), 1)
    done = time.perf_counter()
    source.close()
    result.update(
        records=records,
        rss_end_mb=round(rss_mb(), 1),
        peak_end_mb=round(peak_mb(), 1),
        scan_s=round(scanned - started, 2),
        read_s=round(done - scanned, 2),
        scan_msgs_per_s=round(count / (scanned - started)),
        read_msgs_per_s=round(records / (done - scanned)),
        total_msgs_per_s=round(records / (done - started)),
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--chats", type=int, default=1, help="more than 1: whole-account export")
    parser.add_argument("--keep", type=Path, help="write the export here and keep it")
    parser.add_argument(
        "--unordered", action="store_true", help="messages in a random order (the tap sorts)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.keep or Path(folder) / "result.json"
        began = time.perf_counter()
        write_export(path, args.messages, args.chats, unordered=args.unordered)
        size = path.stat().st_size / 1e6
        print(f"wrote {path} ({size:.0f} MB) in {time.perf_counter() - began:.0f} s")
        result = run(path, args.messages)
    rows = [
        ("messages in the export", f"{result['messages']:,} in {result['chats']:,} chat(s)"),
        ("file size", f"{result['file_mb']} MB"),
        ("RSS before reading", f"{result['rss_start_mb']} MB"),
        (
            "RSS / peak after 100k",
            f"{result.get('rss_100k_mb', '-')} / {result.get('peak_100k_mb', '-')} MB",
        ),
        ("RSS / peak at the end", f"{result['rss_end_mb']} / {result['peak_end_mb']} MB"),
        ("records yielded", f"{result['records']:,}"),
        ("scan (chats())", f"{result['scan_s']} s, {result['scan_msgs_per_s']:,} msg/s"),
        ("read (history_pages)", f"{result['read_s']} s, {result['read_msgs_per_s']:,} msg/s"),
        ("scan + read", f"{result['total_msgs_per_s']:,} msg/s"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    print(json.dumps({"bench": "export_memory", **result}))


if __name__ == "__main__":
    main()
