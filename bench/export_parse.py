"""What each way of parsing an export costs, per 100,000 messages (issue 26).

    .venv/bin/python -m bench.export_parse [--messages 100000] [--rounds 3]

The export path parses every file twice: the scan (:func:`.files.scan_file`, ijson's
parse events and a Python loop over them) and the read (ijson's C item builder over
the messages). This measures, in CPU seconds of this process (the least of
``--rounds``), on the bench's export (:func:`bench.export_memory.write_export`):

* ``scan``: the tap's scan as it is (parser and loop);
* ``scan-parser``: ijson's parse events alone, drained in C (the loop's share is the
  difference);
* ``read``: ijson's items under the messages list (the tap's read parser);
* ``read-msgspec``: the proposed read: msgspec decoding runs of about 64 KB of messages
  cut at a ``},`` + newline (where the scan would record byte offsets);
* ``one-parse``: a bound for a scan with msgspec instead of ijson: the same msgspec runs
  plus a Python loop reading the keys the scan needs (``id``, ``date``, ``from_id``, ...);
  the read then decodes the runs once more (``read-msgspec``).

It answers "how far can a change of parser take the export path": the tap's CPU goes
down by at most the difference between today's ``scan`` + ``read`` and the new design
(``export_parse_saving_read_msgspec_s``: msgspec for the read only;
``export_parse_saving_one_parse_s``: msgspec for both), whatever the rest (mapping,
singer-sdk) costs. The runs are cut with a byte search that suits the bench's file (one
message a line); the tap would have to find them exactly, and keep ijson for errors.
One table and one JSON line.
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import resource
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ijson
import msgspec

from bench.export_memory import write_export
from tap_telegram.sources.export.files import scan_file
from tap_telegram.sources.export.mapping.dates import has_offset

#: Bytes of messages per msgspec run (the read's unit in the proposed design).
RUN = 1 << 16


def cpu() -> float:
    """CPU seconds (user + system) of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def runs(data: bytes) -> list[tuple[int, int]]:
    """``(start, end)`` of each ~64 KB run of messages: ``data[start:end]`` is whole messages.

    Cut after a ``}`` followed by ``,`` and a newline: a raw newline is never inside a
    JSON string, so the cut is between values (on the bench's file, between messages).
    """
    start = data.index(b"[") + 1
    found = []
    while True:
        cut = data.find(b"},\n", start + RUN)
        if cut < 0:
            end = data.rindex(b"]")
            found.append((start, end))
            return found
        found.append((start, cut + 1))
        start = cut + 2


def decode_runs(data: bytes, spans: list[tuple[int, int]]) -> int:
    """Messages decoded by msgspec over ``spans``."""
    decode = msgspec.json.Decoder().decode
    return sum(len(decode(b"[" + data[start:end] + b"]")) for start, end in spans)


def one_parse(data: bytes, spans: list[tuple[int, int]]) -> tuple[int, bool, bool, bool, bool]:
    """msgspec runs plus the scan's per-message Python work (what :class:`ChatSpan` keeps)."""
    decode = msgspec.json.Decoder().decode
    count = high = 0
    ordered, forum, local, peers = True, False, False, False
    for start, end in spans:
        for message in decode(b"[" + data[start:end] + b"]"):
            count += 1
            if type(message) is not dict:
                continue
            message_id = message.get("id")
            if type(message_id) is int and message_id > high:
                high = message_id
            else:
                ordered = False
            if "action" in message:
                forum = forum or message["action"] == "topic_created"
            if "date_unixtime" in message:
                peers = True
            else:
                date = message.get("date")
                local = local or (type(date) is str and not has_offset(date))
            sender = message.get("from_id", message.get("actor_id"))
            peers = peers or type(sender) is int
    return count, ordered, forum, local, peers


def measure(path: Path, rounds: int) -> dict[str, float]:
    """Least CPU seconds of each way over ``rounds``."""
    data = path.read_bytes()
    spans = runs(data)

    def drain(parse: Callable[[Any], Any]) -> None:
        with path.open("rb") as handle:
            collections.deque(parse(handle), maxlen=0)

    ways: dict[str, Callable[[], object]] = {
        "scan": lambda: scan_file(path, _quiet()),
        "scan-parser": lambda: drain(lambda handle: ijson.basic_parse(handle, use_float=True)),
        "read": lambda: drain(lambda handle: ijson.items(handle, "messages.item", use_float=True)),
        "read-msgspec": lambda: decode_runs(data, spans),
        "one-parse": lambda: one_parse(data, spans),
    }
    best = dict.fromkeys(ways, float("inf"))
    for _ in range(rounds):
        for name, way in ways.items():
            began = cpu()
            way()
            best[name] = min(best[name], cpu() - began)
    return best


def _quiet() -> logging.Logger:
    logger = logging.getLogger("bench.export_parse")
    logger.disabled = True
    return logger


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Write the export, measure, print the table and the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tap-telegram-parse-") as tmp:
        path = Path(tmp) / "result.json"
        write_export(path, args.messages)
        best = measure(path, args.rounds)
    per = 100_000 / args.messages
    print(f"| way | CPU s per 100,000 messages ({args.messages:,} measured) |")
    print("|---|---:|")
    for name, seconds in best.items():
        print(f"| {name} | {seconds * per:.3f} |")
    summary = {f"export_parse_{name}_s": round(seconds * per, 3) for name, seconds in best.items()}
    today = best["scan"] + best["read"]
    summary["export_parse_saving_read_msgspec_s"] = round(
        (best["read"] - best["read-msgspec"]) * per, 3
    )
    proposed = best["one-parse"] + best["read-msgspec"]  # the read still decodes once more
    summary["export_parse_saving_one_parse_s"] = round((today - proposed) * per, 3)
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
