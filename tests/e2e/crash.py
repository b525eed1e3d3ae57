"""Crash safety: kill the tap mid-sync, rerun, and compare PostgreSQL with the fake's ground truth.

One *trial*: a fresh schema; a multi-chat sync ``tap | target-postgres`` whose tap gets
SIGKILL (or SIGTERM) after a chosen number of message records; the state the target
emitted before the end is what the next run gets (Meltano's rule); a rerun with that
state to completion; then the table is compared with the world:

* ``behind``: ids at or below the crash run's bookmark of their chat that are *not* in
  the table -- a bookmark ahead of the data, the one thing that loses messages for good;
* ``lost``: ground-truth messages missing after the rerun;
* ``duplicated``: extra rows for the same ``(chat_id, id)``;
* ``extra``: rows the world does not have;
* ``bookmarks_ok``: the final state's bookmark of every chat is its max message id;
* ``resent``: records the rerun delivered again (at-least-once overlap, informational).

Used by ``tests/e2e/test_crash.py`` (a few trials) and ``bench/crash_harness.py``.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import json
import os
import random
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psutil
from psycopg import sql

from tests.e2e.meltano_project import (
    FAKE_EXTRACTOR,
    FAKE_TAP,
    MeltanoProject,
    Workspace,
    base_env,
    bookmarks,
    build_meltano_yml,
    state_id,
)
from tests.e2e.pipeline import PipelineRun, run_pipeline
from tests.e2e.postgres import PostgresServer
from tests.fake_telegram import FakeTelegram, World, dump_spec, world_from_spec

#: The crash world's chats: key, kind, share of the messages, options.
CRASH_CHATS: tuple[tuple[str, str, float, dict[str, Any]], ...] = (
    ("news", "channel", 0.30, {"title": "Crash News", "username": "crash_news"}),
    ("devs", "supergroup", 0.25, {"title": "Crash Devs", "username": "crash_devs"}),
    ("forum", "forum", 0.15, {"title": "Crash Forum", "topics": ["Bugs", "Ideas"]}),
    ("family", "group", 0.15, {"title": "Crash Family"}),
    ("alice", "private", 0.15, {"user": "alice"}),
)
MODES = {"SIGKILL": signal.SIGKILL, "SIGTERM": signal.SIGTERM}
Key = tuple[int, int]
#: The tap's sync process under Meltano, told apart from its ``--discover`` run.
TAP_MARKER = "tests.fake_telegram.launcher"
#: About how many bytes the tap writes per message (measured: ~795 on stdout).
BYTES_PER_MESSAGE = 800


def crash_world_spec(seed: int = 7, messages: int = 20_000) -> dict[str, Any]:
    """Five chats of every id scheme, ``messages`` existing messages in all, some deleted."""
    chats: list[dict[str, Any]] = []
    for key, kind, share, options in CRASH_CHATS:
        count = max(1, round(messages * share))
        chat: dict[str, Any] = {"key": key, "kind": kind, **options}
        if kind in {"channel", "supergroup", "forum"} and count > 40:
            # Channel ids are dense: a gap is a deleted message (pages must skip it).
            deleted = sorted({3, 4, 5, count // 2, count // 2 + 1, count // 3 * 2})
            chat["deleted"] = deleted
            count += len(deleted)
        chat["messages"] = count
        chats.append(chat)
    # Round the total to exactly ``messages`` existing messages (on the first chat).
    existing = sum(c["messages"] - len(c.get("deleted", [])) for c in chats)
    chats[0]["messages"] += messages - existing
    return {
        "seed": seed,
        "generated_users": 8,
        "generated_bots": 1,
        "users": [{"key": "alice", "first_name": "Alice", "username": "alice_crash"}],
        "chats": chats,
    }


def ground_truth(world: World) -> dict[int, list[int]]:
    """``{marked chat id: [message ids, ascending]}`` of every chat in the world."""
    return {world.marked_id(key): world.message_ids(key) for key in world.chats}


def kill_points(seed: int, trials: int, total: int) -> list[int]:
    """``trials`` distinct points in ``[1, total)``: one random point per equal stratum."""
    rng = random.Random(seed)
    points = []
    for index in range(trials):
        low = 1 + (total - 1) * index // trials
        high = max(low, (total - 1) * (index + 1) // trials)
        points.append(rng.randint(low, high))
    rng.shuffle(points)
    return points


@dataclasses.dataclass
class TrialResult:
    """The figures of one crash trial (see the module docstring)."""

    trial: int
    mode: str
    kill_at: int
    delivered: bool
    crash_tap_exit: int
    crash_target_exit: int
    partial_line: bool
    crash_rows: int
    crash_bookmarks: dict[int, int]
    behind: int
    rerun_tap_exit: int
    rerun_target_exit: int
    resent: int
    rows: int
    expected: int
    lost: int
    duplicated: int
    extra: int
    bookmarks_ok: bool
    seconds: float
    #: ``pipe`` (tap | target, exit codes are the tap's and the target's) or ``meltano``
    #: (``meltano run``; the exit codes are Meltano's, the target's is -1, resent -1).
    via: str = "pipe"
    note: str = ""

    @property
    def ok(self) -> bool:
        """Everything the harness promises held."""
        return (
            self.delivered
            and self.behind == 0
            and self.rerun_tap_exit == 0
            and self.rerun_target_exit == 0
            and self.lost == 0
            and self.duplicated == 0
            and self.extra == 0
            and self.bookmarks_ok
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe."""
        data = dataclasses.asdict(self)
        data["crash_bookmarks"] = {str(k): v for k, v in self.crash_bookmarks.items()}
        data["ok"] = self.ok
        return data


class CrashRig:
    """A world, its ground truth, a PostgreSQL database and the target, for many trials."""

    def __init__(
        self,
        server: PostgresServer,
        project: MeltanoProject,
        workdir: Path,
        spec: Mapping[str, Any],
        *,
        database: str = "crash",
        tap_settings: Mapping[str, Any] | None = None,
    ) -> None:
        self.server = server
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.spec = dict(spec)
        self.world = world_from_spec(self.spec)
        self.truth = ground_truth(self.world)
        self.expected: set[Key] = {(c, i) for c, ids in self.truth.items() for i in ids}
        self.last_ids = {chat: ids[-1] for chat, ids in self.truth.items() if ids}
        self.fake = FakeTelegram(self.world)
        self.spec_path = dump_spec(self.spec, workdir / "world.json")
        self.tap_config = self.fake.tap_config(**dict(tap_settings or {}))
        self.target_bin = project.loader_bin("target-postgres")
        loaders = build_meltano_yml()["plugins"]["loaders"]
        repo_config = next(p for p in loaders if p["name"] == "target-postgres")["config"]
        self.target_base = {**repo_config, **server.target_config(database, "public")}
        self.database = database
        server.create_database(database)
        self.env = base_env()

    @property
    def total(self) -> int:
        """Messages in the world."""
        return len(self.expected)

    def tap_command(self, folder: Path, state: Mapping[str, Any] | None) -> list[str]:
        """The fake tap's command line for a run with ``state``."""
        config = folder / "tap.json"
        config.write_text(json.dumps(self.tap_config), encoding="utf-8")
        command = [str(FAKE_TAP), "--world", str(self.spec_path), "--", "--config", str(config)]
        if state is not None:
            state_path = folder / "state.json"
            state_path.write_text(json.dumps(state), encoding="utf-8")
            command += ["--state", str(state_path)]
        return command

    def target_command(self, folder: Path, schema: str) -> list[str]:
        """target-postgres writing into ``schema``."""
        config = folder / "target.json"
        config.write_text(
            json.dumps({**self.target_base, "default_target_schema": schema}), encoding="utf-8"
        )
        return [str(self.target_bin), "--config", str(config)]

    def run(
        self,
        folder: Path,
        schema: str,
        state: Mapping[str, Any] | None,
        *,
        label: str,
        signal_at: int | None = None,
        signal_number: int = signal.SIGKILL,
    ) -> PipelineRun:
        """One ``tap | target-postgres`` run."""
        folder.mkdir(parents=True, exist_ok=True)
        return run_pipeline(
            self.tap_command(folder, state),
            self.target_command(folder, schema),
            folder,
            env=self.env,
            signal_at=signal_at,
            signal_number=signal_number,
            label=label,
            timeout=600,
        )

    def rows(self, schema: str) -> collections.Counter[Key]:
        """``(chat_id, id)`` -> row count in ``schema.messages`` (empty if no table)."""
        with self.server.connect(self.database) as conn:
            exists = conn.execute(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = %s "
                "AND table_name = 'messages'",
                (schema,),
            ).fetchone()
            if not exists:
                return collections.Counter()
            query = sql.SQL("SELECT chat_id, id, count(*) FROM {}.messages GROUP BY 1, 2").format(
                sql.Identifier(schema)
            )
            return collections.Counter(
                {(int(c), int(i)): int(n) for c, i, n in conn.execute(query).fetchall()}
            )

    def drop(self, schema: str) -> None:
        """Drop a trial's schema."""
        with self.server.connect(self.database) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))

    def behind(self, rows: collections.Counter[Key], marks: Mapping[int, int]) -> int:
        """Ground-truth ids at or below their chat's bookmark that are not in ``rows``."""
        missing = 0
        for chat, mark in marks.items():
            missing += sum(
                1 for i in self.truth.get(chat, []) if i <= mark and (chat, i) not in rows
            )
        return missing

    def trial(self, index: int, mode: str, kill_at: int, *, keep: bool = False) -> TrialResult:
        """Run one crash trial (see the module docstring)."""
        started = time.monotonic()
        schema = f"crash_{mode.lower()}_{index:02d}"
        folder = self.workdir / schema
        self.drop(schema)
        crash = self.run(
            folder, schema, None, label="crash", signal_at=kill_at, signal_number=MODES[mode]
        )
        after_crash = self.rows(schema)
        crash_marks = bookmarks(crash.state)
        behind = self.behind(after_crash, crash_marks)
        rerun = self.run(folder, schema, crash.state, label="rerun")
        final = self.rows(schema)
        present = set(final)
        still_missing_before = len(self.expected - set(after_crash))
        result = TrialResult(
            trial=index,
            mode=mode,
            kill_at=kill_at,
            delivered=crash.signal_delivered,
            crash_tap_exit=crash.tap_returncode,
            crash_target_exit=crash.target_returncode,
            partial_line=crash.partial_last_line,
            crash_rows=sum(after_crash.values()),
            crash_bookmarks=crash_marks,
            behind=behind,
            rerun_tap_exit=rerun.tap_returncode,
            rerun_target_exit=rerun.target_returncode,
            resent=max(0, rerun.message_records - still_missing_before),
            rows=sum(final.values()),
            expected=len(self.expected),
            lost=len(self.expected - present),
            duplicated=sum(n - 1 for n in final.values() if n > 1),
            extra=len(present - self.expected),
            bookmarks_ok=bookmarks(rerun.state) == self.last_ids,
            seconds=time.monotonic() - started,
        )
        if not result.ok:
            result.note = f"crash: {crash.describe()}; rerun: {rerun.describe()}"
        if not keep and result.ok:
            self.drop(schema)
        return result


def find_tap_process(root_pid: int, timeout: float = 120) -> psutil.Process:
    """The tap's *sync* process among the descendants of ``root_pid`` (``meltano run``).

    Meltano first runs the extractor with ``--discover``; the sync is the later
    process of the fake launcher without that flag. Found by command line (psutil).
    """
    deadline = time.monotonic() + timeout
    root = psutil.Process(root_pid)
    while time.monotonic() < deadline:
        with contextlib.suppress(psutil.Error):
            for child in root.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    command = child.cmdline()
                    if TAP_MARKER in command and "--discover" not in command:
                        return child
        if not root.is_running() or root.status() == psutil.STATUS_ZOMBIE:
            break
        time.sleep(0.02)
    raise AssertionError(f"no tap sync process ({TAP_MARKER}) under pid {root_pid}")


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _written(process: psutil.Process) -> int:
    try:
        return int(process.io_counters().write_chars)
    except (psutil.Error, AttributeError):
        return -1


def meltano_trial(
    rig: CrashRig, ws: Workspace, index: int, mode: str, fraction: float
) -> TrialResult:
    """A crash trial through ``meltano run tap-telegram target-postgres``.

    The signal goes to the *tap* process (a child of Meltano, found by command line),
    once it has written about ``fraction`` of its expected output. Meltano keeps the
    state the target emitted; the rerun is a plain ``meltano run``.
    """
    started = time.monotonic()
    schema = f"meltano_{mode.lower()}_{index:02d}"
    rig.drop(schema)
    ws.use_world(rig.spec_path)
    ws.set_config(FAKE_EXTRACTOR, **rig.tap_config)
    ws.use_postgres({**rig.target_base, "default_target_schema": schema})
    sid = state_id(FAKE_EXTRACTOR, "target-postgres")
    process, log = ws.popen("run", FAKE_EXTRACTOR, "target-postgres")
    delivered = False
    try:
        tap = find_tap_process(process.pid)
        threshold = int(fraction * rig.total * BYTES_PER_MESSAGE)
        while _alive(tap) and 0 <= _written(tap) < threshold:
            time.sleep(0.005)
        delivered = _alive(tap)
        if delivered:
            tap.send_signal(MODES[mode])
        crash_exit = process.wait(timeout=600)
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)
    after_crash = rig.rows(schema)
    crash_marks = bookmarks(ws.state(sid))
    behind = rig.behind(after_crash, crash_marks)
    rerun = ws.run(FAKE_EXTRACTOR, "target-postgres")
    final = rig.rows(schema)
    present = set(final)
    result = TrialResult(
        trial=index,
        mode=mode,
        kill_at=int(fraction * rig.total),
        delivered=delivered,
        crash_tap_exit=crash_exit,
        crash_target_exit=-1,
        partial_line=False,
        crash_rows=sum(after_crash.values()),
        crash_bookmarks=crash_marks,
        behind=behind,
        rerun_tap_exit=rerun.returncode,
        rerun_target_exit=rerun.returncode,
        resent=-1,
        rows=sum(final.values()),
        expected=len(rig.expected),
        lost=len(rig.expected - present),
        duplicated=sum(n - 1 for n in final.values() if n > 1),
        extra=len(present - rig.expected),
        bookmarks_ok=bookmarks(ws.state(sid)) == rig.last_ids,
        seconds=time.monotonic() - started,
        via="meltano",
    )
    if not result.ok:
        result.note = f"logs: {log}; rerun: {rerun.output[-2000:]}"
    else:
        rig.drop(schema)
    return result


def format_table(results: list[TrialResult]) -> str:
    """A fixed-width table of trials."""
    header = (
        f"{'trial':>5} {'via':<7} {'mode':<7} {'kill at':>8} {'hit':>3} {'exit':>5} "
        f"{'rows@crash':>10} {'behind':>6} {'resent':>6} {'rows':>6} {'lost':>4} "
        f"{'dup':>3} {'extra':>5} {'marks':>5} {'secs':>5}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r.trial:>5} {r.via:<7} {r.mode:<7} {r.kill_at:>8} {'y' if r.delivered else 'n':>3} "
            f"{r.crash_tap_exit:>5} {r.crash_rows:>10} {r.behind:>6} {r.resent:>6} {r.rows:>6} "
            f"{r.lost:>4} {r.duplicated:>3} {r.extra:>5} {'ok' if r.bookmarks_ok else 'BAD':>5} "
            f"{r.seconds:>5.1f}"
        )
    return "\n".join(lines)


def summary(results: list[TrialResult]) -> dict[str, Any]:
    """Totals per signal: trials, rows, lost, duplicated, ... (for one JSON line)."""
    out: dict[str, Any] = {}
    for mode in sorted({r.mode for r in results}):
        group = [r for r in results if r.mode == mode]
        out[mode] = {
            "trials": len(group),
            "delivered": sum(r.delivered for r in group),
            "rows": sum(r.rows for r in group),
            "expected": sum(r.expected for r in group),
            "lost": sum(r.lost for r in group),
            "duplicated": sum(r.duplicated for r in group),
            "extra": sum(r.extra for r in group),
            "behind": sum(r.behind for r in group),
            "resent": sum(max(r.resent, 0) for r in group),
            "bookmarks_ok": sum(r.bookmarks_ok for r in group),
            "failed": sum(not r.ok for r in group),
        }
    return out
