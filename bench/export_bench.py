"""The export path against its SDK ceiling (issue 26): CPU time, the same records.

    .venv/bin/python -m bench --only export

Writes one Telegram Desktop export (:func:`bench.export_memory.write_export`: one
supergroup, 100,000 messages at full scale, tdesktop's layout and a realistic mix of
kinds), then runs, each in its own process and interleaved (``repeat`` rounds, the
least CPU of each kept):

* **export-ceiling**: :mod:`bench.export_ceiling`, the optimised singer-sdk tap (the
  tap's datetime-only conformance and page-flushing msgspec writer) writing the
  export's own records, mapped before the sync; the CPU of that mapping is taken out;
* **export-tap**: the real CLI, ``source: export``, default settings.

Both are timed in CPU seconds of the child (user + system, from ``wait4``): other
engineers' jobs on a shared machine change wall time far more than CPU time. Start-up
(imports) is in both. The goal is the ceiling's CPU over the tap's, at least 0.8; and
the same records: each contender's ``messages`` RECORD lines are decoded and their
``record`` objects hashed in stream order (``time_extracted`` differs by nature and is
left out), so equal counts and hashes mean the very same records in the same order.
The tap's stream also goes through the stream checker (:mod:`tests.stream_check`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import msgspec

from bench.export_memory import write_export
from bench.runners import run_process
from tests.stream_check import StreamChecker

#: Messages of the export at scale 1.
MESSAGES = 100_000
#: The goal: the tap's export path at this share of the ceiling's speed, or more.
GOAL = 0.8
CEILING_DONE = "export-ceiling: "


class RecordHash:
    """Counts and hashes the ``record`` objects of ``messages`` RECORD lines, in order."""

    def __init__(self, checker: StreamChecker | None = None) -> None:
        self.records = 0
        self._hash = hashlib.sha256()
        self._checker = checker
        self._decode = msgspec.json.Decoder().decode
        self._encode = msgspec.json.Encoder().encode

    def feed(self, raw: str | bytes) -> None:
        """One line of a contender's stdout."""
        if self._checker is not None:
            self._checker.feed(raw)
        if b'"RECORD"' not in (raw if isinstance(raw, bytes) else raw.encode()):
            return
        message = self._decode(raw)
        if message.get("type") == "RECORD" and message.get("stream") == "messages":
            self.records += 1
            self._hash.update(self._encode(message["record"]) + b"\n")

    @property
    def digest(self) -> str:
        """The stream's SHA-256 (first 16 hex digits)."""
        return self._hash.hexdigest()[:16]


@dataclasses.dataclass
class ExportRun:
    """One contender's best round."""

    runner: str
    records: int
    digest: str
    cpu_seconds: float
    seconds: float
    peak_rss_mb: float
    returncode: int

    @property
    def cpu_rate(self) -> float:
        """Records per CPU second."""
        return self.records / self.cpu_seconds if self.cpu_seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "runner": self.runner,
            "records": self.records,
            "records_sha256": self.digest,
            "cpu_seconds": round(self.cpu_seconds, 2),
            "records_per_cpu_s": round(self.cpu_rate),
            "seconds": round(self.seconds, 2),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "returncode": self.returncode,
        }


def _ceiling(path: Path) -> ExportRun:
    sink = RecordHash()
    args = [sys.executable, "-m", "bench.export_ceiling", "--export", str(path)]
    done = run_process(args, checker=sink)
    prebuilt = 0.0
    for line in done.stderr.splitlines():
        if line.startswith(CEILING_DONE):
            prebuilt = float(line.split(" prebuilt in ")[1].split()[0])
    cpu = done.cpu_seconds - prebuilt
    return ExportRun(
        "export-ceiling", sink.records, sink.digest, cpu, done.seconds, done.peak_rss_mb,
        done.returncode,
    )  # fmt: skip


def _tap(path: Path, folder: Path) -> ExportRun:
    config = folder / "export.config.json"
    config.write_text(json.dumps({"source": "export", "export_path": str(path)}), "utf-8")
    checker = StreamChecker()
    sink = RecordHash(checker)
    args = [sys.executable, "-m", "tap_telegram", "--config", str(config)]
    done = run_process(args, checker=sink)
    checker.close()  # raises at the first line that breaks the stream's promises
    return ExportRun(
        "export-tap", sink.records, sink.digest, done.cpu_seconds, done.seconds,
        done.peak_rss_mb, done.returncode,
    )  # fmt: skip


def run_export(scale: float, folder: Path, repeat: int = 2, log: Any = print) -> list[ExportRun]:
    """Both contenders, interleaved, ``repeat`` rounds; the least CPU of each."""
    count = max(2_000, int(MESSAGES * scale))
    path = folder / "result.json"
    write_export(path, count)
    best: dict[str, ExportRun] = {}
    for _ in range(max(1, repeat)):
        for name, run in (
            ("export-ceiling", lambda: _ceiling(path)),
            ("export-tap", lambda: _tap(path, folder)),
        ):
            log(f"bench: export ({count:,} messages): {name} ...")
            result = run()
            log(
                f"bench:   {result.records:,} records, {result.cpu_seconds:.2f} s CPU "
                f"({result.seconds:.1f} s wall), peak RSS {result.peak_rss_mb:.0f} MB"
                + (f", EXIT {result.returncode}" if result.returncode else "")
            )
            if name not in best or result.cpu_seconds < best[name].cpu_seconds:
                best[name] = result
    return list(best.values())


def goals(runs: list[ExportRun]) -> dict[str, Any]:
    """The export goal: ceiling CPU over tap CPU (at least :data:`GOAL`), same records."""
    by_name = {run.runner: run for run in runs}
    tap, ceiling = by_name.get("export-tap"), by_name.get("export-ceiling")
    if tap is None or ceiling is None:
        return {}
    ratio = round(ceiling.cpu_seconds / tap.cpu_seconds, 2) if tap.cpu_seconds else None
    same = tap.records == ceiling.records and tap.digest == ceiling.digest
    return {
        "export_complete": tap.returncode == 0 and ceiling.returncode == 0 and tap.records > 0,
        "export_tap_vs_ceiling_cpu": ratio,
        "export_same_records": same,
        f"export_goal_{GOAL}": ratio is not None and ratio >= GOAL and same,
    }


def table(runs: list[ExportRun]) -> str:
    """A Markdown table (it goes into docs/performance.md as is)."""
    lines = [
        "| contender | records | records SHA-256 | CPU s | records / CPU s | wall s "
        "| peak RSS MB |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for run in runs:
        lines.append(
            f"| {run.runner} | {run.records:,} | {run.digest} | {run.cpu_seconds:.2f} | "
            f"{run.cpu_rate:,.0f} | {run.seconds:.1f} | {run.peak_rss_mb:.0f} |"
        )
    return "\n".join(lines)
