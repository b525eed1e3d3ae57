"""Apply each mutant to a copy of the repository, run its tests, print who killed it.

    python -m tests.mutants                 # every mutant (what `make mutants` runs)
    python -m tests.mutants state-early     # some, by id
    python -m tests.mutants --jobs 1 --list

The copy (one per job, under a temporary folder) holds the sources and tests; the
current interpreter runs pytest in it with the copy first on ``PYTHONPATH``, so the
tap's subprocesses (``tests/fake_telegram/bin/tap-telegram-fake``) run the mutated code
too. The tests every mutant names are first run on the unmutated copy: a test that fails
there would "kill" anything. Exit status 1 if a mutant survives or a text is not found
exactly once.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.mutants.catalog import MUTANTS, Mutant

REPO = Path(__file__).resolve().parents[2]
#: What the copy leaves out (environments, caches, outputs).
IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv*",
    ".lock-venv",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
    ".meltano",
    "output",
    "dist",
    "results",
)
#: Longest a mutant's tests may run (a mutant that hangs them counts as killed, by timeout).
TIMEOUT = 600
FAILED = re.compile(r"^(?:FAILED|ERROR) (.+?)(?: - (.*))?$", re.MULTILINE)


@dataclasses.dataclass
class Outcome:
    """One mutant's result: the test that killed it (``None``: it survived)."""

    mutant: Mutant
    killed_by: str | None
    seconds: float
    #: The first line of the killing failure (pytest's short summary).
    why: str = ""


def check_texts(mutants: list[Mutant]) -> list[str]:
    """Each problem of a mutant whose text is not in its file exactly once."""
    problems = []
    for mutant in mutants:
        text = (REPO / mutant.path).read_text(encoding="utf-8")
        for find, _ in mutant.edits:
            count = text.count(find)
            if count != 1:
                problems.append(
                    f"{mutant.id}: {mutant.path} holds its text {count} times, not once: "
                    f"update tests/mutants/catalog.py ({find.strip()[:60]!r})"
                )
    return problems


def copy_repo(into: Path) -> Path:
    """A copy of the repository's files to mutate."""
    target = into / "repo"
    shutil.copytree(REPO, target, ignore=IGNORE, symlinks=True)
    return target


def pytest(copy: Path, tests: list[str], *, stop_first: bool, workers: int = 0) -> tuple[int, str]:
    """Run ``tests`` in ``copy`` (its code first on the path); exit code and output."""
    env = dict(os.environ, PYTHONPATH=str(copy), PYTHONDONTWRITEBYTECODE="1", COLUMNS="400")
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfE"]
    args += ["-x"] if stop_first else []
    args += ["-n", str(workers)] if workers > 1 else []
    try:
        done = subprocess.run(
            [*args, *tests],
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return -1, "timeout"
    return done.returncode, done.stdout + done.stderr


def try_mutant(copy: Path, mutant: Mutant) -> Outcome:
    """Apply ``mutant`` to ``copy``, run its tests, put the file back."""
    path = copy / mutant.path
    pristine = path.read_text(encoding="utf-8")
    mutated = pristine
    for find, replace in mutant.edits:
        mutated = mutated.replace(find, replace)
    started = time.monotonic()
    path.write_text(mutated, encoding="utf-8")
    try:
        code, output = pytest(copy, list(mutant.tests), stop_first=True)
    finally:
        path.write_text(pristine, encoding="utf-8")
    why = ""
    if code == 0:
        killed = None
    elif code == -1:
        killed = "(timeout)"
    else:
        found = FAILED.search(output)
        killed = found.group(1) if found else f"(pytest exit {code})"
        why = (found.group(2) or "") if found else ""
    return Outcome(mutant, killed, time.monotonic() - started, why[:160])


def short(test: str) -> str:
    """A test id without its folders (``test_sync.py::test_x``)."""
    return test.rsplit("/", 1)[-1]


def table(outcomes: list[Outcome]) -> str:
    """The report: mutant, its tests, who killed it (or SURVIVED)."""
    rows = [("mutant", "tests run", "killed by")]
    for out in outcomes:
        tests = ", ".join(short(test) for test in out.mutant.tests)
        rows.append((out.mutant.id, tests, short(out.killed_by or "SURVIVED")))
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    lines = [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c}" for a, b, c in rows]
    lines.insert(1, "-" * max(len(line) for line in lines))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen mutants (all by default); 0 only if every one was killed."""
    parser = argparse.ArgumentParser(prog="python -m tests.mutants", description=__doc__)
    parser.add_argument("ids", nargs="*", help="mutant ids (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = parser.parse_args(argv)
    unknown = set(args.ids) - {m.id for m in MUTANTS}
    if unknown:
        parser.error(f"no such mutant: {', '.join(sorted(unknown))}")
    chosen = [m for m in MUTANTS if not args.ids or m.id in args.ids]
    if args.list:
        for mutant in chosen:
            print(f"{mutant.id:<28} {mutant.path}: {mutant.description}")
        return 0
    problems = check_texts(chosen)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="tap-telegram-mutants-") as tmp:
        jobs = max(1, min(args.jobs, len(chosen)))
        copies = [copy_repo(Path(tmp) / str(n)) for n in range(jobs)]
        tests = sorted({test for mutant in chosen for test in mutant.tests})
        started = time.monotonic()
        code, output = pytest(copies[0], tests, stop_first=False, workers=jobs)
        if code != 0:
            print(output[-6000:], file=sys.stderr)
            print("mutants: the named tests fail on the unmutated code: fix them first")
            return 1
        print(
            f"mutants: {len(tests)} named tests pass unmutated ({time.monotonic() - started:.0f} s)"
        )
        free = list(copies)
        outcomes: dict[str, Outcome] = {}
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            pending: dict[concurrent.futures.Future[Outcome], Path] = {}
            queue = list(chosen)
            while queue or pending:
                while queue and free:
                    copy, mutant = free.pop(), queue.pop(0)
                    pending[pool.submit(try_mutant, copy, mutant)] = copy
                done, _ = concurrent.futures.wait(
                    pending, return_when=concurrent.futures.FIRST_COMPLETED
                )
                for future in done:
                    free.append(pending.pop(future))
                    out = future.result()
                    outcomes[out.mutant.id] = out
                    verdict = out.killed_by or "SURVIVED"
                    print(f"  {out.mutant.id}: {verdict} ({out.seconds:.0f} s)", flush=True)
                    if out.why:
                        print(f"      {out.why}", flush=True)
    ordered = [outcomes[m.id] for m in chosen]
    print()
    print(table(ordered))
    survivors = [o.mutant.id for o in ordered if o.killed_by is None]
    print(
        f"\n{len(ordered) - len(survivors)} of {len(ordered)} mutants killed"
        + (f"; SURVIVED: {', '.join(survivors)}" if survivors else "")
    )
    return 1 if survivors else 0
