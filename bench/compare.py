"""Two ``make bench`` JSON lines side by side: before, after, after / before.

    .venv/bin/python -m bench.compare BEFORE.json AFTER.json [--noise 0.2]

For a change that must not cost speed (a restructuring): run the bench on both
checkouts back to back (docs/performance.md, "Before and after"), then compare. Rows:
every numeric goal (the ratios against the SDK ceiling, the naive script and one
request at a time, the flood share, peak RSS, request counts), msgs/s and net msgs/s
of each (scenario, contender), and the seconds and requests of the steady-state and
change-capture runs. A row whose after/before leaves ``1 ± noise`` (default 0.2, the
run-to-run spread of ratios on a shared machine) is marked ``!``; so is any change in a
request count (they hardly depend on the machine). Absolute msgs/s move with the
machine's load; the ratios against the ceiling, measured within one bench run, are the
figures to read first.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: Rows that count requests: they hardly depend on the machine, so any change is marked
#: (the parallel reader's history requests may still move by a few between runs).
EXACT = " requests"


def load(path: Path) -> dict[str, Any]:
    """The last JSON line of a file (a ``--json-out`` file or a whole saved bench log)."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("{"):
            data = json.loads(line)
            if data.get("bench") == "tap-telegram":
                return data
    raise SystemExit(f"{path}: no bench JSON line (write one with `python -m bench --json-out`)")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def rows(data: dict[str, Any]) -> Iterator[tuple[str, float]]:
    """``(row name, value)`` for every figure of one bench line worth comparing."""
    for key, value in (data.get("goals") or {}).items():
        number = _number(value)
        if number is not None:
            yield f"goal {key}", number
    for result in data.get("results") or []:
        name = f"{result['scenario']} {result['runner']}"
        yield f"{name} msgs/s", float(result["msgs_per_s"])
        if result["runner"] in {"tap", "tap-1"}:
            yield f"{name} net msgs/s", float(result["net_msgs_per_s"])
            yield f"{name} history requests", float(result["history_requests"])
    for step in data.get("steady") or []:
        name = f"steady {step['dialogs']} {step['runner']} {step['step']}"
        yield f"{name} requests", float(step["requests"])
        if step.get("seconds") is not None:
            yield f"{name} seconds", float(step["seconds"])
    for run in data.get("changes") or []:
        name = f"changes {run['runner']} {run['latency']}"
        yield f"{name} requests", float(run["requests"])
        yield f"{name} seconds", float(run["seconds"])
    seconds = _number(data.get("seconds"))
    if seconds is not None:
        yield "bench seconds", seconds


def compare(before: dict[str, Any], after: dict[str, Any], noise: float = 0.2) -> list[str]:
    """The comparison table, one line per row found in both (Markdown)."""
    old, new = dict(rows(before)), dict(rows(after))
    lines = ["| row | before | after | after / before | |", "|---|---:|---:|---:|---|"]
    for name, was in old.items():
        if name not in new:
            continue
        now = new[name]
        ratio = now / was if was else (1.0 if now == was else math.inf)
        exact = name.endswith(EXACT)
        off = now != was if exact else abs(ratio - 1) > noise
        lines.append(
            f"| {name} | {_show(was)} | {_show(now)} | {ratio:.2f} | {'!' if off else ''} |"
        )
    return lines


def _show(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:g}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--noise", type=float, default=0.2, help="allowed |after/before - 1|")
    args = parser.parse_args(argv)
    before, after = load(args.before), load(args.after)
    for label, data in (("before", before), ("after", after)):
        machine = data.get("machine", {})
        print(
            f"{label}: scale {data.get('scale')}, {data.get('seconds')} s, load "
            f"{machine.get('load_avg_1m')} -> {machine.get('load_avg_1m_end')}"
        )
    lines = compare(before, after, args.noise)
    print("\n".join(lines))
    marked = sum(1 for line in lines[2:] if line.endswith("| ! |"))
    print(f"{marked} of {len(lines) - 2} rows outside 1 ± {args.noise} (or a changed count)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
