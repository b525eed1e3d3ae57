"""Crash harness, long version: kill the tap at seeded random points, rerun, count the damage.

    .venv/bin/python bench/crash_harness.py --trials 10 --seed 7
    .venv/bin/python bench/crash_harness.py --trials 3 --signals SIGKILL --meltano-trials 1
    .venv/bin/python bench/crash_harness.py --trials 0 --meltano-trials 0 --change-trials 6
    .venv/bin/python bench/crash_harness.py --trials 0 --meltano-trials 0 --chain-trials 3

Per signal (SIGKILL, SIGTERM): ``--trials`` trials of a multi-chat sync (five chats,
``--messages`` messages, default 20,000) from the fake Telegram into a throwaway
PostgreSQL through ``tap | target-postgres`` (piped the way Meltano pipes them; the
state the target emits is what the rerun gets), each killed at a different seeded
point; plus ``--meltano-trials`` through ``meltano run`` (the signal goes to the tap
process, found by command line). After each rerun the table is compared with the
fake's ground truth. ``--change-trials``: trials of a second run that captures edits and
deletions, killed among its change records (``tests.e2e.crash.ChangeTrials``; signals
in turn). Prints a line per trial, a table, and one JSON line with the totals (trials,
rows, lost, duplicated, ...). Exit code 1 if any trial failed.

Needs PostgreSQL's server binaries (``bash scripts/postgres.sh install``) and installs
target-postgres into the e2e tests' cached Meltano project on first use.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from tests.e2e.crash import TrialResult


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=10, help="direct trials per signal")
    parser.add_argument("--seed", type=int, default=7, help="seed of kill points and world")
    parser.add_argument("--messages", type=int, default=20_000, help="messages in the world")
    parser.add_argument(
        "--signals", default="SIGKILL,SIGTERM", help="comma-separated: SIGKILL, SIGTERM"
    )
    parser.add_argument(
        "--meltano-trials", type=int, default=1, help="trials per signal through `meltano run`"
    )
    parser.add_argument(
        "--change-trials",
        type=int,
        default=0,
        help="trials with edits and deletions, killed among the change records",
    )
    parser.add_argument(
        "--chain-trials",
        type=int,
        default=0,
        help="chains: SIGTERM between a page's records and its STATE, then SIGKILL mid-line, "
        "then the rerun (kill points read from the stream)",
    )
    parser.add_argument("--keep", action="store_true", help="keep work files and schemas")
    parser.add_argument("--json-out", type=Path, help="also write the JSON summary here")
    args = parser.parse_args(argv)
    if min(args.trials, args.meltano_trials, args.change_trials, args.chain_trials) < 0 or (
        args.messages < 100
    ):
        parser.error("--trials/--meltano-trials/--change-trials must be >= 0, --messages >= 100")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the trials; print lines, a table and the JSON summary."""
    args = parse_args(argv)
    from tests.e2e.crash import (  # noqa: PLC0415 - after sys.path is set
        MODES,
        ChangeTrialResult,
        ChangeTrials,
        CrashRig,
        Stage,
        crash_world_spec,
        format_table,
        kill_points,
        meltano_trial,
        summary,
    )
    from tests.e2e.meltano_project import MeltanoProject  # noqa: PLC0415
    from tests.e2e.pipeline import KillPoint  # noqa: PLC0415
    from tests.e2e.postgres import PostgresServer  # noqa: PLC0415

    signals = [s.strip().upper() for s in args.signals.split(",") if s.strip()]
    unknown = [s for s in signals if s not in MODES]
    if unknown:
        print(f"crash_harness: unknown signal(s) {unknown}; use {', '.join(MODES)}")
        return 2
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="tap-telegram-crash-"))
    print(
        f"crash_harness: seed {args.seed}, {args.trials} trial(s) per signal {signals}, "
        f"{args.meltano_trials} through meltano run; work files in {work}"
    )
    project = MeltanoProject.provision()
    how = "cached" if project.cached else f"installed in {project.install_seconds:.0f} s"
    print(f"crash_harness: Meltano project {project.root} ({how})")
    server = PostgresServer.start()
    results: list[TrialResult] = []
    changed: list[ChangeTrialResult] = []
    try:
        rig = CrashRig(server, project, work, crash_world_spec(args.seed, args.messages))
        print(
            f"crash_harness: world of {len(rig.truth)} chats, {rig.total} messages; "
            f"PostgreSQL {server.dsn(rig.database)}"
        )
        for offset, mode in enumerate(signals):
            points = kill_points(args.seed + offset, args.trials, rig.total)
            for index, point in enumerate(points):
                result = rig.trial(index, mode, point, keep=args.keep)
                results.append(result)
                _report(result)
            rng = random.Random(f"{args.seed}-{mode}")
            for index in range(args.meltano_trials):
                ws = project.workspace(work / f"meltano-{mode.lower()}-{index:02d}")
                result = meltano_trial(rig, ws, index, mode, rng.uniform(0.15, 0.75))
                results.append(result)
                _report(result)
        pages = max(2, rig.total // 100)  # about one STATE per page of 100
        chains = random.Random(f"{args.seed}-chains")
        for index in range(args.chain_trials):
            first = chains.randint(1, pages // 3)
            stages = [
                Stage("SIGTERM", KillPoint(states=first, records=chains.randint(1, 99))),
                Stage(
                    "SIGKILL",
                    KillPoint(states=chains.randint(1, pages // 3), records=50, pause=0.5),
                ),
            ]
            result = rig.chain(index, stages, target_settings={"batch_size_rows": 500})
            results.append(result)
            _report(result)
            print(f"    {result.kill}; resumed {result.resumed}", flush=True)
        if args.change_trials:
            trials = ChangeTrials(rig, args.seed)
            for index in range(args.change_trials):
                mode = signals[index % len(signals)]
                change = trials.trial(index, mode, trials.kill_point(index), keep=args.keep)
                changed.append(change)
                print(f"  changes {change.line()} {'ok' if change.ok else 'FAILED'}", flush=True)
                if not change.ok:
                    print(f"    {change.note}", flush=True)
    finally:
        server.stop()
    print()
    print(format_table(results))
    totals: dict[str, Any] = {
        "seed": args.seed,
        "messages": args.messages,
        "chats": len(rig.truth),
        "trials": len(results),
        **summary(results),
        "changes": {
            "trials": len(changed),
            "moved_positions": sum(bool(c.moved) for c in changed),
            "edits": sum(c.edits_ok for c in changed),
            "tombstones": sum(c.tombstones_ok for c in changed),
            "failed": sum(not c.ok for c in changed),
        },
        "ok": all(r.ok for r in results) and all(c.ok for c in changed),
        "seconds": round(time.monotonic() - started, 1),
    }
    line = json.dumps(totals, sort_keys=True)
    print(line)
    if args.json_out:
        args.json_out.write_text(
            json.dumps({"summary": totals, "trials": [r.as_dict() for r in results]}, indent=1),
            encoding="utf-8",
        )
    if not args.keep and totals["ok"]:
        import shutil  # noqa: PLC0415

        shutil.rmtree(work, ignore_errors=True)
    return 0 if totals["ok"] else 1


def _report(result: TrialResult) -> None:
    status = "ok" if result.ok else "FAILED"
    print(
        f"  {result.via:<7} {result.mode:<7} trial {result.trial:>2}: kill at {result.kill_at:>6} "
        f"-> {result.crash_rows:>6} rows, behind {result.behind}, rerun resent "
        f"{result.resent:>4}, rows {result.rows}, lost {result.lost}, dup {result.duplicated}, "
        f"bookmarks {'ok' if result.bookmarks_ok else 'BAD'} ({result.seconds:.1f} s) {status}",
        flush=True,
    )
    if not result.ok:
        print(f"    {result.note}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
