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

:class:`ChangeTrials` does the same for a run that captures edits and deletions (see
``tests/e2e/README.md``, "Change capture").

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
from tests.e2e.pipeline import KillPoint, PipelineRun, run_pipeline
from tests.e2e.postgres import PostgresServer
from tests.fake_telegram import (
    FakeTelegram,
    Fault,
    World,
    dump_spec,
    world_from_spec,
    world_to_spec,
)
from tests.fake_telegram.checked import check_run, checker_for
from tests.fake_telegram.spec import fake_from_spec, load_spec

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

#: Seconds a change trial's crash run holds the history page after its signal point
#: (:meth:`ChangeTrials.crash_world`): the signal ends the run long before.
HOLD_SECONDS = 600.0

#: The crash runs' ``state_every_records``: a STATE at about every page (pages of 100).
STATE_EVERY_RECORDS = 100


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
    #: Where the signal went (a :class:`KillPoint`, read from the stream), the STATE
    #: messages the target emitted before the crash, and the records the rerun sent.
    kill: str = ""
    crash_states: int = -1
    rerun_records: int = -1

    @property
    def resumed(self) -> bool:
        """The crash left a STATE with bookmarks and the rerun started from it (sent less)."""
        return bool(self.crash_bookmarks) and 0 <= self.rerun_records < self.expected

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
        # STATE every 100 records (the default is 10,000): the kill points, counted in STATE
        # messages, fall inside a run of 20,000; the cadence decides them all the same.
        self.tap_config = self.fake.tap_config(
            **{"state_every_records": STATE_EVERY_RECORDS, **dict(tap_settings or {})}
        )
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

    def tap_command(
        self,
        folder: Path,
        state: Mapping[str, Any] | None,
        *,
        world: Path | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> list[str]:
        """The fake tap's command line for a run with ``state`` (``world``: another spec;
        ``settings``: more tap settings)."""
        config = folder / "tap.json"
        config.write_text(json.dumps({**self.tap_config, **dict(settings or {})}), encoding="utf-8")
        spec = world or self.spec_path
        command = [str(FAKE_TAP), "--world", str(spec), "--", "--config", str(config)]
        if state is not None:
            state_path = folder / "state.json"
            state_path.write_text(json.dumps(state), encoding="utf-8")
            command += ["--state", str(state_path)]
        return command

    def target_command(
        self, folder: Path, schema: str, settings: Mapping[str, Any] | None = None
    ) -> list[str]:
        """target-postgres writing into ``schema`` (``settings``: more of its settings)."""
        config = folder / "target.json"
        values = {**self.target_base, **dict(settings or {}), "default_target_schema": schema}
        config.write_text(json.dumps(values), encoding="utf-8")
        return [str(self.target_bin), "--config", str(config)]

    def run(
        self,
        folder: Path,
        schema: str,
        state: Mapping[str, Any] | None,
        *,
        label: str,
        signal_at: int | None = None,
        kill_at: KillPoint | None = None,
        signal_number: int = signal.SIGKILL,
        world: Path | None = None,
        tap_settings: Mapping[str, Any] | None = None,
        target_settings: Mapping[str, Any] | None = None,
    ) -> PipelineRun:
        """One ``tap | target-postgres`` run (``world``: another spec than the rig's),
        its stdout through the stream checker (the world's update logs, the input state)."""
        folder.mkdir(parents=True, exist_ok=True)
        fake = fake_from_spec(load_spec(world)) if world is not None else self.fake
        config = {**self.tap_config, **dict(tap_settings or {})}
        return run_pipeline(
            self.tap_command(folder, state, world=world, settings=tap_settings),
            self.target_command(folder, schema, target_settings),
            folder,
            env=self.env,
            signal_at=signal_at,
            kill_at=kill_at,
            signal_number=signal_number,
            label=label,
            timeout=600,
            checker=checker_for(fake, config, state),
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

    def chain(
        self,
        index: int,
        stages: list[Stage],
        *,
        target_settings: Mapping[str, Any] | None = None,
    ) -> TrialResult:
        """Interrupted runs one after the other, then a rerun to the end.

        Each run starts from the state the store holds (Meltano's rule: the target's
        last STATE, else the one before: target-postgres emits STATE only at the end of
        its input, so a stream cut in a line leaves none); the rerun must start from a
        non-empty one and send less than a full run.
        """
        started = time.monotonic()
        schema = f"chain_{index:02d}"
        folder = self.workdir / schema
        self.drop(schema)
        state: dict[str, Any] | None = None
        for number, stage in enumerate(stages):
            stage.run = self.run(
                folder,
                schema,
                state,
                label=f"crash{number}",
                kill_at=stage.kill,
                signal_number=MODES[stage.mode],
                target_settings=target_settings,
            )
            state = stage.run.state or state
            stage.state = state
            stage.behind = self.behind(self.rows(schema), bookmarks(state))
        last = stages[-1].run
        assert last is not None
        after_crash = self.rows(schema)
        rerun = self.run(folder, schema, state, label="rerun", target_settings=target_settings)
        final = self.rows(schema)
        present = set(final)
        result = TrialResult(
            trial=index,
            mode="+".join(stage.mode for stage in stages),
            kill_at=last.message_records,
            delivered=all(stage.run and stage.run.signal_delivered for stage in stages),
            crash_tap_exit=last.tap_returncode,
            crash_target_exit=last.target_returncode,
            partial_line=last.partial_last_line,
            crash_rows=sum(after_crash.values()),
            crash_bookmarks=bookmarks(state),
            behind=sum(stage.behind for stage in stages),
            rerun_tap_exit=rerun.tap_returncode,
            rerun_target_exit=rerun.target_returncode,
            resent=-1,
            rows=sum(final.values()),
            expected=len(self.expected),
            lost=len(self.expected - present),
            duplicated=sum(n - 1 for n in final.values() if n > 1),
            extra=len(present - self.expected),
            bookmarks_ok=bookmarks(rerun.state) == self.last_ids,
            seconds=time.monotonic() - started,
            kill="; ".join(stage.line() for stage in stages),
            crash_states=sum(stage.run.target_states for stage in stages if stage.run),
            rerun_records=rerun.message_records,
        )
        if not result.ok or not result.resumed:
            result.note = f"crash: {last.describe()}; rerun: {rerun.describe()}"
        if result.ok:
            self.drop(schema)
        return result

    def trial(
        self,
        index: int,
        mode: str,
        kill_at: int | KillPoint,
        *,
        keep: bool = False,
        target_settings: Mapping[str, Any] | None = None,
    ) -> TrialResult:
        """Run one crash trial (see the module docstring).

        ``kill_at``: after that many message records, or at a :class:`KillPoint`.
        ``target_settings``: e.g. a small ``batch_size_rows``, so that the target
        commits and emits STATE during the crash run (else it does at its end only).
        """
        started = time.monotonic()
        schema = f"crash_{mode.lower()}_{index:02d}"
        folder = self.workdir / schema
        self.drop(schema)
        point = kill_at if isinstance(kill_at, KillPoint) else None
        count = kill_at if isinstance(kill_at, int) else None
        crash = self.run(
            folder,
            schema,
            None,
            label="crash",
            signal_at=count,
            kill_at=point,
            signal_number=MODES[mode],
            target_settings=target_settings,
        )
        after_crash = self.rows(schema)
        crash_marks = bookmarks(crash.state)
        behind = self.behind(after_crash, crash_marks)
        rerun = self.run(
            folder, schema, crash.state, label="rerun", target_settings=target_settings
        )
        final = self.rows(schema)
        present = set(final)
        still_missing_before = len(self.expected - set(after_crash))
        result = TrialResult(
            trial=index,
            mode=mode,
            kill_at=crash.message_records if count is None else count,
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
            kill=point.describe() if point else f"record {kill_at}",
            crash_states=crash.target_states,
            rerun_records=rerun.message_records,
        )
        if not result.ok or not result.resumed:
            result.note = f"crash: {crash.describe()}; rerun: {rerun.describe()}"
        if not keep and result.ok:
            self.drop(schema)
        return result


@dataclasses.dataclass
class Stage:
    """One interrupted run of a :meth:`CrashRig.chain`: its signal, its kill point, what happened."""

    mode: str
    kill: KillPoint
    run: PipelineRun | None = None
    #: The state the store holds after it (the target's last, else the one before).
    state: dict[str, Any] | None = None
    behind: int = 0

    def line(self) -> str:
        """For reports."""
        assert self.run is not None
        return (
            f"{self.mode} at {self.kill.describe()}: {self.run.message_records} records, "
            f"cut line {self.run.partial_last_line}, {self.run.target_states} target states, "
            f"{len(bookmarks(self.state))} chats in the stored state, behind {self.behind}"
        )


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
    rig: CrashRig,
    ws: Workspace,
    index: int,
    mode: str,
    fraction: float,
    *,
    target_settings: Mapping[str, Any] | None = None,
) -> TrialResult:
    """A crash trial through ``meltano run tap-telegram target-postgres``.

    The signal goes to the *tap* process (a child of Meltano, found by command line),
    once it has written about ``fraction`` of its expected output. Meltano keeps the
    state the target emitted; the rerun is a plain ``meltano run``, whose input STATE
    (copied by :mod:`tests.fake_telegram.tee`) must be the one Meltano kept.
    """
    started = time.monotonic()
    schema = f"meltano_{mode.lower()}_{index:02d}"
    rig.drop(schema)
    ws.use_world(rig.spec_path)
    ws.set_config(FAKE_EXTRACTOR, **rig.tap_config)
    ws.use_postgres(
        {**rig.target_base, **dict(target_settings or {}), "default_target_schema": schema}
    )
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
    # The tap was killed on purpose: its copied stdout may end in a cut line.
    ws.check_tap_runs(cut_ok=mode == "SIGKILL")
    after_crash = rig.rows(schema)
    crash_state = ws.state(sid)
    crash_marks = bookmarks(crash_state)
    behind = rig.behind(after_crash, crash_marks)
    rerun = ws.run(FAKE_EXTRACTOR, "target-postgres")
    rerun_report = ws.checked[-1]
    singer = (crash_state or {}).get("singer_state", crash_state)
    started_from_crash = rerun_report.input_state == singer
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
        kill=f"{fraction:.0%} of the output written",
        crash_states=int(bool(crash_state)),
        rerun_records=rerun_report.records.get("messages", 0) if started_from_crash else -1,
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


# -- change capture: edits and deletions between two runs -------------------------------

#: Chat kinds whose changes are in the account's update log (the rest: a log per channel).
ACCOUNT_KINDS = frozenset({"private", "group"})
#: Columns that differ between two correct runs: when a deletion was seen, and the
#: target's metadata (``_sdc_*``). Left out when a table is compared with the reference.
VOLATILE_COLUMNS = ("deleted_detected_at",)


@dataclasses.dataclass(frozen=True)
class Row:
    """One ``messages`` row, as far as the change trials look at it."""

    text: str | None
    deleted: bool | None
    scope: str | None
    date: Any
    #: MD5 of every column but the volatile ones.
    digest: str


@dataclasses.dataclass
class WorldChanges:
    """The crash world after a complete first run, changed (the ground truth of the trials)."""

    world: World
    path: Path
    #: ``(chat, id)`` -> new text: edited messages that still exist.
    edited: dict[Key, str]
    #: Messages the first run delivered that are gone now: each must end as a tombstone.
    deleted: set[Key]
    #: Messages added since that still exist, and those deleted again before any run.
    new: set[Key]
    vanished: set[Key]
    #: Chat kind by marked id.
    kinds: dict[int, str]

    @property
    def existing(self) -> set[Key]:
        """Every message that exists now."""
        return {(c, i) for c, ids in ground_truth(self.world).items() for i in ids}

    def changed_between(self, log: Any, after: int, upto: int) -> set[Key]:
        """Messages edited or deleted by the events of ``log`` with ``after < pts <= upto``."""
        keys: set[Key] = set()
        for event in log.events:
            if not after < event.pts <= upto or event.kind == "new":
                continue
            chat = self.world.chat(event.chat)
            numbers = (event.first,) if event.kind == "edit" else event.numbers
            keys.update((self.world.marked_id(chat), chat.id_of(n)) for n in numbers)
        return keys


def _spread(rng: random.Random, ids: list[int], count: int) -> list[int]:
    """``count`` distinct ids: a third among the oldest 5 %, a third among the newest, the rest anywhere."""
    count = min(count, len(ids))
    edge = max(count, len(ids) // 20)
    chosen = set(rng.sample(ids[:edge], count // 3)) | set(rng.sample(ids[-edge:], count // 3))
    rest = [i for i in ids if i not in chosen]
    chosen |= set(rng.sample(rest, count - len(chosen)))
    picked = sorted(chosen)
    rng.shuffle(picked)
    return picked


def change_world(
    spec: Mapping[str, Any],
    path: Path,
    seed: int,
    *,
    edits: int = 35,
    deletions: int = 35,
    new: int = 20,
    history_latency: float = 0.4,
) -> WorldChanges:
    """The world of ``spec`` after edits, deletions and new messages in every chat, saved to ``path``.

    The sizes keep each channel within Telegram's reach: ``edits + deletions + new + 8``
    updates (98 by default), and a channel more than 100 updates behind is "too long"
    (the fake's default rule, tests/fake_telegram/README.md "Update logs"), which would
    leave its changes to no one.

    Per chat ``edits`` edited and ``deletions`` deleted messages of every age (the chat's
    newest stays: the first run's bookmark), five of the edited ones deleted later, and
    ``new`` new messages, one of them edited, two of them deleted again (no run ever
    delivers them: no tombstone may appear). The chats' mutations interleave, so the
    account's log mixes its chats' events, and deletions in private chats and basic
    groups hit ids that channels edit (account and channel ids overlap: the channel's
    edit must survive the id-only deletion). The spec makes the fake answer each history request after
    ``history_latency`` seconds (see :meth:`ChangeTrials.kill_point`).
    """
    world = world_from_spec(dict(spec))
    rng = random.Random(f"{seed}-changes")
    kinds: dict[int, str] = {world.marked_id(key): chat.kind for key, chat in world.chats.items()}
    plans: dict[str, tuple[list[int], list[int]]] = {}
    for key in world.chats:
        picks = _spread(rng, world.message_ids(key)[:-1], edits + deletions)
        editable = [i for i in picks if world.is_text(key, i)]
        to_edit = editable[:edits]
        to_delete = [i for i in picks if i not in set(to_edit)]
        plans[key] = (to_edit, to_delete[:deletions])
    edited: dict[Key, str] = {}
    deleted: set[Key] = set()
    new_keys: set[Key] = set()
    vanished: set[Key] = set()

    def edit(key: str, message_id: int) -> None:
        text = f"edited: {key} #{message_id} (seed {seed})"
        world.edit_message(key, message_id, text)
        edited[world.marked_id(key), message_id] = text

    def delete(key: str, ids: list[int]) -> None:
        world.delete_messages(key, ids)
        for message_id in ids:
            edited.pop((world.marked_id(key), message_id), None)

    for key in world.chats:
        to_edit = plans[key][0]
        for message_id in to_edit[: len(to_edit) // 2]:
            edit(key, message_id)
    for key in world.chats:
        to_delete = plans[key][1]
        delete(key, to_delete[: len(to_delete) // 2])
        deleted.update((world.marked_id(key), i) for i in to_delete[: len(to_delete) // 2])
    for key in world.chats:
        ids = world.append_messages(key, new)
        marked = world.marked_id(key)
        texts = [i for i in ids[:-1] if world.is_text(key, i)]
        if texts:
            edit(key, texts[0])
        gone: list[int] = []
        if len(ids) > 3:
            gone = [ids[len(ids) // 3], ids[len(ids) // 2]]
            delete(key, gone)
        new_keys.update((marked, i) for i in ids if i not in gone)
        vanished.update((marked, i) for i in gone)
    for key in world.chats:
        to_edit, to_delete = plans[key]
        for message_id in to_edit[len(to_edit) // 2 :]:
            edit(key, message_id)
        marked = world.marked_id(key)
        later = to_delete[len(to_delete) // 2 :]
        delete(key, later)
        deleted.update((marked, i) for i in later)
        twice = to_edit[:5]  # edited first, then deleted
        delete(key, twice)
        deleted.update((marked, i) for i in twice)
    slow = Fault("GetHistoryRequest", latency=history_latency, times=None)
    dump_spec({**world_to_spec(world), "faults": [slow.to_dict()]}, path)
    return WorldChanges(world, path, edited, deleted, new_keys, vanished, kinds)


@dataclasses.dataclass
class ChangeTrialResult:
    """The figures of one change-capture crash trial (see :class:`ChangeTrials`)."""

    trial: int
    mode: str
    kill_at: int
    #: The chat and kind of the reference run's record at ``kill_at``, and of the last
    #: record the crash run delivered (the tap had written ahead into the pipe).
    aimed_at: str
    cut: int
    cut_at: str
    delivered: bool
    crash_tap_exit: int
    #: STATE messages the target emitted in the crash run, and rows after it.
    crash_states: int
    crash_rows: int
    #: Crash run: positions in its last STATE that moved (chats, ``account``), and the
    #: changes they cover that were not in the table (must be 0); new messages at or
    #: below a bookmark that were not (``behind``, must be 0).
    moved: list[str]
    ahead: int
    behind: int
    rerun_tap_exit: int
    rerun_target_exit: int
    resent: int
    rows: int
    #: After the rerun: existing messages without a row, extra keys (``vanished``: rows
    #: of messages deleted before any run delivered them), duplicates, rows whose text
    #: is not the message's current text, live messages shown deleted, deletions not
    #: (or badly) tombstoned, rows unlike the uninterrupted reference run's.
    missing: int
    extra: int
    vanished: int
    duplicated: int
    stale: int
    undead: int
    bad_tombstones: int
    differs: int
    #: Edits and tombstones found right (out of all of them).
    edits_ok: int
    edits: int
    tombstones_ok: int
    tombstones: int
    bookmarks_ok: bool
    positions_ok: bool
    seconds: float
    note: str = ""
    #: The crash run's stream ended in a cut line.
    partial_line: bool = False
    #: The target emitted a STATE past the first one before the crash, and the rerun
    #: (started from it) sent fewer message records than the uninterrupted run.
    resumed: bool = False
    #: The state the store holds after the crash (the rerun's input) has bookmarks.
    stored: bool = False

    @property
    def ok(self) -> bool:
        """Everything the trial promises held."""
        return (
            self.delivered
            and self.ahead == 0
            and self.behind == 0
            and self.rerun_tap_exit == 0
            and self.rerun_target_exit == 0
            and self.missing == self.extra == self.duplicated == 0
            and self.stale == self.undead == self.bad_tombstones == self.differs == 0
            and self.edits_ok == self.edits
            and self.tombstones_ok == self.tombstones
            and self.bookmarks_ok
            and self.positions_ok
        )

    def line(self) -> str:
        """One line for reports."""
        return (
            f"{self.mode} trial {self.trial}: signal after record {self.kill_at} "
            f"({self.aimed_at}), cut after {self.cut} ({self.cut_at}); tap exit "
            f"{self.crash_tap_exit}, {self.crash_states} target states, rows {self.crash_rows}, moved {self.moved or 'nothing'}, ahead {self.ahead}, behind "
            f"{self.behind}; rerun resent {self.resent}, rows {self.rows}, missing "
            f"{self.missing}, extra {self.extra}, dup {self.duplicated}, stale {self.stale}, "
            f"undead {self.undead}, edits {self.edits_ok}/{self.edits}, tombstones "
            f"{self.tombstones_ok}/{self.tombstones}, differs {self.differs}, bookmarks "
            f"{'ok' if self.bookmarks_ok else 'BAD'}, positions "
            f"{'ok' if self.positions_ok else 'BAD'}, cut line {self.partial_line}, resumed "
            f"{self.resumed} ({self.seconds:.1f} s)"
        )


@dataclasses.dataclass
class Verdict:
    """A ``messages`` table against the changed world (see :class:`ChangeTrialResult`)."""

    missing: set[Key]
    extra: set[Key]
    vanished: set[Key]
    duplicated: int
    stale: set[Key]
    undead: set[Key]
    bad_tombstones: set[Key]
    edits_ok: int
    tombstones_ok: int

    @property
    def ok(self) -> bool:
        """The table equals the ground truth."""
        return not (
            self.missing
            or self.extra
            or self.duplicated
            or self.stale
            or self.undead
            or self.bad_tombstones
        )


class ChangeTrials:
    """Crash trials of a run that captures edits and deletions.

    Once per rig: a complete first run loads a base schema (its last target STATE is
    the first state); the world then gets edits, deletions and new messages
    (:func:`change_world`); an uninterrupted second run on a copy of the base (the
    *reference*: the tap's output is kept, so the order of its records is known) must
    already equal the ground truth. A trial: a copy of the base, the second run with
    the first state, killed after a chosen message record (among a chat's change
    records: see :meth:`kill_point`), a rerun with the state the target emitted, then
    the table must equal the ground truth and the reference (but for the volatile
    columns); the crash run's positions must not be ahead of its rows.
    """

    def __init__(
        self, rig: CrashRig, seed: int, *, batch_size_rows: int = 50, **sizes: Any
    ) -> None:
        self.rig = rig
        self.seed = seed
        #: The second runs' target commits every ``batch_size_rows`` records (it emits
        #: STATE only at the end of its input or every 5 minutes: singer-sdk's
        #: ``drain_all``; a full sink is drained without one).
        self.target_settings = {"batch_size_rows": batch_size_rows}
        #: One chat at a time: the next chat's history is asked for only once the
        #: previous chat's last STATE is out (see :meth:`kill_point`).
        #: STATE after every page (``state_every_seconds: 0``): a chat's changes (fewer
        #: than the crash rig's ``state_every_records``) end with a STATE of their own, the
        #: point the "after-channel" trial kills at.
        self.tap_settings = {"concurrent_chats": 1, "state_every_seconds": 0}
        self.folder = rig.workdir / "changes"
        self.base_schema = "changes_base"
        rig.drop(self.base_schema)
        first = rig.run(self.folder / "first", self.base_schema, None, label="first")
        if first.tap_returncode or first.target_returncode or not first.state:
            raise AssertionError(f"the first run failed: {first.describe()}")
        self.first_state: dict[str, Any] = first.state
        self.base = self.table(self.base_schema)
        if set(self.base) != rig.expected:
            raise AssertionError("the first run did not load the crash world")
        self.changes = change_world(rig.spec, self.folder / "world.json", seed, **sizes)
        self.sequence, self.reference_state, self.reference = self.uninterrupted(
            self.changes, "changes_reference"
        )

    # -- tables ----------------------------------------------------------------------

    def copy_base(self, schema: str) -> None:
        """``schema``: a fresh copy of the base schema's tables."""
        self.rig.drop(schema)
        base = sql.Identifier(self.base_schema)
        with self.rig.server.connect(self.rig.database) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
            tables = conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                "AND table_type = 'BASE TABLE'",
                (self.base_schema,),
            ).fetchall()
            for (name,) in tables:
                target = sql.Identifier(schema, name)
                source = sql.SQL("{}.{}").format(base, sql.Identifier(name))
                conn.execute(
                    sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL)").format(target, source)
                )
                conn.execute(sql.SQL("INSERT INTO {} SELECT * FROM {}").format(target, source))

    def table(self, schema: str) -> dict[Key, list[Row]]:
        """``(chat_id, id)`` -> its rows in ``schema.messages``."""
        with self.rig.server.connect(self.rig.database) as conn:
            columns = [
                name
                for (name,) in conn.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = %s AND table_name = 'messages'",
                    (schema,),
                ).fetchall()
            ]
            volatile = [c for c in columns if c.startswith("_sdc_") or c in VOLATILE_COLUMNS]
            query = sql.SQL(
                "SELECT chat_id, id, text, deleted, deleted_scope, date, "
                "md5((to_jsonb(m) - %s::text[])::text) FROM {}.messages m"
            ).format(sql.Identifier(schema))
            out: dict[Key, list[Row]] = collections.defaultdict(list)
            for chat, message_id, *fields in conn.execute(query, (volatile,)).fetchall():
                out[int(chat), int(message_id)].append(Row(*fields))
            return dict(out)

    def verify(
        self, table: Mapping[Key, list[Row]], changes: WorldChanges | None = None
    ) -> Verdict:
        """``table`` against the changed world (``changes``: another than the trials')."""
        changes = changes or self.changes
        existing = changes.existing
        stale: set[Key] = set()
        undead: set[Key] = set()
        edits_ok = 0
        for key in existing & set(table):
            row = table[key][0]
            if row.deleted:
                undead.add(key)
            expected: str | None
            if key in changes.edited:
                expected = changes.edited[key]
            elif key in self.base:
                expected = self.base[key][0].text
            else:  # a new message: as the uninterrupted run delivered it
                expected = self.reference[key][0].text if key in self.reference else row.text
            if row.text != expected:
                stale.add(key)
            elif key in changes.edited and not row.deleted:
                edits_ok += 1
        bad: set[Key] = set()
        for key in changes.deleted:
            rows = table.get(key)
            scope = "account" if changes.kinds[key[0]] in ACCOUNT_KINDS else "chat"
            if not rows or not (
                rows[0].deleted is True
                and rows[0].scope == scope
                and rows[0].text is None
                and rows[0].date is None
            ):
                bad.add(key)
        extra = set(table) - existing - changes.deleted
        return Verdict(
            missing=existing - set(table),
            extra=extra,
            vanished=extra & changes.vanished,
            duplicated=sum(len(rows) - 1 for rows in table.values()),
            stale=stale,
            undead=undead,
            bad_tombstones=bad,
            edits_ok=edits_ok,
            tombstones_ok=len(changes.deleted) - len(bad),
        )

    # -- runs ------------------------------------------------------------------------

    def uninterrupted(
        self, changes: WorldChanges, schema: str
    ) -> tuple[list[tuple[int, str]], dict[str, Any], dict[Key, list[Row]]]:
        """The second run on ``changes``, uninterrupted: ``tap > file``, ``target < file``
        into a copy of the base called ``schema``.

        Returns the chat and kind (``new``, ``edit``, ``tombstone``) of every message
        record in output order, the target's last state, and the table.
        """
        rig, folder = self.rig, self.folder / schema
        folder.mkdir(parents=True, exist_ok=True)
        output = folder / "tap.out"
        command = rig.tap_command(
            folder, self.first_state, world=changes.path, settings=self.tap_settings
        )
        with output.open("wb") as out, (folder / "tap.log").open("wb") as err:
            tap = subprocess.run(
                command, stdout=out, stderr=err, env=rig.env, cwd=folder, timeout=600, check=False
            )
        if tap.returncode:
            raise AssertionError(f"the uninterrupted run failed; log: {folder / 'tap.log'}")
        config = {**rig.tap_config, **self.tap_settings}
        check_run(output.read_bytes().splitlines(), changes.world, config, self.first_state)
        self.copy_base(schema)
        with output.open("rb") as source, (folder / "target.log").open("wb") as err:
            target = subprocess.run(
                rig.target_command(folder, schema),
                stdin=source,
                stdout=subprocess.PIPE,
                stderr=err,
                env=rig.env,
                cwd=folder,
                timeout=600,
                check=False,
            )
        states = [json.loads(s) for s in target.stdout.splitlines() if s.startswith(b"{")]
        if target.returncode or not states:
            raise AssertionError(f"the uninterrupted load failed; log: {folder / 'target.log'}")
        sequence: list[tuple[int, str]] = []
        seen = set(self.base)
        for line in output.read_bytes().splitlines():
            message = json.loads(line) if line.startswith(b"{") else {}
            if message.get("type") != "RECORD" or message.get("stream") != "messages":
                continue
            record = message["record"]
            key = (int(record["chat_id"]), int(record["id"]))
            kind = "tombstone" if record.get("deleted") else "edit" if key in seen else "new"
            seen.add(key)
            sequence.append((key[0], kind))
        return sequence, states[-1], self.table(schema)

    def blocks(self) -> list[tuple[int, int, int]]:
        """Runs of one chat's change records in the reference output: ``(chat, first, last)``.

        Positions count message records from 1 (what ``signal_at`` counts).
        """
        out: list[tuple[int, int, int]] = []
        for position, (chat, kind) in enumerate(self.sequence, start=1):
            if kind == "new":
                continue
            if out and out[-1][0] == chat and out[-1][2] == position - 1:
                out[-1] = (chat, out[-1][1], position)
            else:
                out.append((chat, position, position))
        return out

    def kill_point(self, index: int) -> int:
        """A seeded point among the change records of the reference run, by ``index % 3``.

        * 0: the last change record of a channel (not the run's last chat);
        * 1: the last change record of a private chat or basic group;
        * 2: anywhere inside a chat's change records.

        The tap writes a chat's change records and the STATE after them in one write
        and runs ahead of the relay by a pipe's worth (the target is slower), but then
        waits for the next chat's history, which the crash run holds back
        (:meth:`crash_world`; a latency would race a slow target): a signal after a
        block's last record lands while the tap waits, the stream ends after that
        STATE, and the target commits and emits it (positions of the chats done so far
        moved, the others not). A signal inside a block catches the tap in that write:
        the last line is cut, the target fails and emits no state.
        """
        rng = random.Random(f"{self.seed}-changes-{index}")
        blocks = self.blocks()
        kind = index % 3
        if kind == 2:
            _, first, last = rng.choice(blocks)
            return rng.randint(first, last)
        account = kind == 1
        ends = [
            last
            for chat, _, last in blocks[:-1]
            if (self.changes.kinds[chat] in ACCOUNT_KINDS) == account
        ]
        return rng.choice(ends)

    def crash_world(self, kill_at: int | KillPoint, folder: Path) -> Path:
        """The changed world for a crash run signalled after ``kill_at`` message records.

        When the next record is another chat's, that chat's first history page is held
        back (:data:`HOLD_SECONDS`): the tap waits there, having written everything up
        to the signal, however far the relay and the target lag behind it. The rerun
        reads the changed world as it is.
        """
        if not isinstance(kill_at, int) or not 0 < kill_at < len(self.sequence):
            return self.changes.path
        following = self.sequence[kill_at][0]  # the chat of the record after the signal
        if following == self.sequence[kill_at - 1][0]:
            return self.changes.path
        world = self.changes.world
        key = next(k for k in world.chats if world.marked_id(k) == following)
        held = Fault("GetHistoryRequest", chat=key, latency=HOLD_SECONDS)
        spec = load_spec(self.changes.path)
        spec["faults"] = [*spec.get("faults", []), held.to_dict()]
        folder.mkdir(parents=True, exist_ok=True)
        return dump_spec(spec, folder / "crash-world.json")

    def change_kill_point(
        self, index: int, *, account: bool, within: int = 3, pause: float = 0.5
    ) -> KillPoint:
        """A point read from the stream: the ``within``-th change record of a seeded
        chat's block of edits and tombstones (a channel's, or with ``account`` a private
        chat's or basic group's; never the run's last chat).

        With ``pause`` the relay stops reading there: the tap is writing that chat's
        change records, which are more than a pipe holds, so it blocks in the middle
        of one, before the STATE that moves the chat's ``pts``; the signal lands
        there (SIGKILL: the stream ends in a cut line; SIGTERM: the tap finishes the
        write, then writes the STATE in memory, which must not have moved the position).
        """
        rng = random.Random(f"{self.seed}-stream-{index}")
        blocks = [
            block
            for block in self.blocks()[:-1]
            if (self.changes.kinds[block[0]] in ACCOUNT_KINDS) == account
        ]
        _, first, last = rng.choice(blocks)
        before = sum(1 for _, kind in self.sequence[: first - 1] if kind != "new")
        return KillPoint(
            changes=True,
            records=before + min(within, last - first + 1),
            pause=pause,
            input_state=self.first_state,
        )

    def where(self, position: int) -> str:
        """Which record of the reference output is at ``position`` (from 1)."""
        if not 0 < position <= len(self.sequence):
            return "before any record" if position <= 0 else "after the last record"
        chat, kind = self.sequence[position - 1]
        text = f"{self.changes.world.chat(chat).key} {kind}"
        for block_chat, first, last in self.blocks():
            if block_chat == chat and first <= position <= last:
                text += f", change record {position - first + 1} of {last - first + 1}"
        return text

    def ahead(
        self, state: Mapping[str, Any], table: Mapping[Key, list[Row]]
    ) -> tuple[list[str], int]:
        """Positions in ``state`` that moved past the first state's, and the changes they
        cover (edits, deletions of delivered messages) that ``table`` lacks."""
        changes, world = self.changes, self.changes.world
        first, now = _partitions(self.first_state), _partitions(state)
        moved: list[str] = []
        covered: set[Key] = set()
        for name, chat in world.chats.items():
            if chat.kind in ACCOUNT_KINDS:
                continue
            marked = world.marked_id(name)
            before = first.get(marked, {}).get("pts")
            after = now.get(marked, {}).get("pts")
            if isinstance(before, int) and isinstance(after, int) and after > before:
                moved.append(name)
                covered |= changes.changed_between(chat.log, before, after)
        before = _account_pts(self.first_state)
        after = _account_pts(state)
        if before is not None and after is not None and after > before:
            moved.append("account")
            covered |= changes.changed_between(world.account_log, before, after)
        missing = 0
        for key in covered:
            rows = table.get(key)
            if key in changes.deleted:
                missing += not rows or rows[0].deleted is not True
            elif key in changes.edited:
                missing += not rows or rows[0].text != changes.edited[key]
        return moved, missing

    def positions_ok(self, state: Mapping[str, Any] | None) -> bool:
        """Every channel's ``pts`` and the account's position are the world's current ones."""
        world = self.changes.world
        parts = _partitions(state)
        for key, chat in world.chats.items():
            if (
                chat.kind not in ACCOUNT_KINDS
                and parts.get(world.marked_id(key), {}).get("pts") != chat.pts
            ):
                return False
        return _account_pts(state) == world.account_pts

    def bookmarks_ok(self, state: Mapping[str, Any] | None) -> bool:
        """Every chat's bookmark is its newest message."""
        world = self.changes.world
        return bookmarks(state) == {world.marked_id(k): world.last_id(k) for k in world.chats}

    def trial(
        self, index: int, mode: str, kill_at: int | KillPoint, *, keep: bool = False
    ) -> ChangeTrialResult:
        """Run one change trial (see the class docstring); ``kill_at``: after that many
        message records, or at a :class:`KillPoint` read from the stream."""
        started = time.monotonic()
        rig, changes = self.rig, self.changes
        schema = f"changes_{mode.lower()}_{index:02d}"
        folder = self.folder / schema
        self.copy_base(schema)
        crash = rig.run(
            folder,
            schema,
            self.first_state,
            label="crash",
            signal_at=kill_at if isinstance(kill_at, int) else None,
            kill_at=kill_at if isinstance(kill_at, KillPoint) else None,
            signal_number=MODES[mode],
            world=self.crash_world(kill_at, folder),
            tap_settings=self.tap_settings,
            target_settings=self.target_settings,
        )
        after_crash = self.table(schema)
        # Meltano keeps the previous state when the target emitted none.
        crash_state = crash.state or self.first_state
        moved, ahead = self.ahead(crash_state, after_crash)
        truth = ground_truth(changes.world)
        behind = sum(
            1
            for chat, mark in bookmarks(crash_state).items()
            for i in truth.get(chat, [])
            if i <= mark and (chat, i) not in after_crash
        )
        rerun = rig.run(
            folder,
            schema,
            crash_state,
            label="rerun",
            world=changes.path,
            tap_settings=self.tap_settings,
            target_settings=self.target_settings,
        )
        final = self.table(schema)
        verdict = self.verify(final)
        differs = sum(
            1
            for key, rows in final.items()
            if key in self.reference and rows[0].digest != self.reference[key][0].digest
        )
        result = ChangeTrialResult(
            trial=index,
            mode=mode,
            kill_at=kill_at if isinstance(kill_at, int) else crash.message_records,
            aimed_at=self.where(kill_at) if isinstance(kill_at, int) else kill_at.describe(),
            cut=crash.message_records,
            cut_at=self.where(crash.message_records),
            delivered=crash.signal_delivered,
            crash_tap_exit=crash.tap_returncode,
            crash_states=crash.target_states,
            crash_rows=sum(len(rows) for rows in after_crash.values()),
            moved=moved,
            ahead=ahead,
            behind=behind,
            rerun_tap_exit=rerun.tap_returncode,
            rerun_target_exit=rerun.target_returncode,
            resent=rerun.message_records,
            rows=sum(len(rows) for rows in final.values()),
            missing=len(verdict.missing),
            extra=len(verdict.extra),
            vanished=len(verdict.vanished),
            duplicated=verdict.duplicated,
            stale=len(verdict.stale),
            undead=len(verdict.undead),
            bad_tombstones=len(verdict.bad_tombstones),
            differs=differs,
            edits_ok=verdict.edits_ok,
            edits=len(changes.edited),
            tombstones_ok=verdict.tombstones_ok,
            tombstones=len(changes.deleted),
            bookmarks_ok=self.bookmarks_ok(rerun.state),
            positions_ok=self.positions_ok(rerun.state),
            seconds=time.monotonic() - started,
            partial_line=crash.partial_last_line,
            resumed=crash.state is not None
            and crash.state != self.first_state
            and rerun.message_records < len(self.sequence),
            stored=bool(bookmarks(crash_state)),
        )
        if not result.ok:
            samples = {
                name: sorted(keys)[:5]
                for name, keys in dataclasses.asdict(verdict).items()
                if isinstance(keys, set) and keys
            }
            result.note = f"crash: {crash.describe()}; rerun: {rerun.describe()}; {samples}"
        if not keep and result.ok:
            rig.drop(schema)
        return result


def _partitions(state: Mapping[str, Any] | None) -> dict[int, dict[str, Any]]:
    """``{chat_id: partition}`` of the ``messages`` stream in a Singer or Meltano state."""
    if not state:
        return {}
    singer = state.get("singer_state", state)
    parts = singer.get("bookmarks", {}).get("messages", {}).get("partitions", [])
    return {int(p["context"]["chat_id"]): p for p in parts}


def _account_pts(state: Mapping[str, Any] | None) -> int | None:
    """The account log's ``pts`` in a state (``None``: none stored)."""
    if not state:
        return None
    singer = state.get("singer_state", state)
    position = singer.get("bookmarks", {}).get("messages", {}).get("account_log")
    pts = position.get("pts") if isinstance(position, Mapping) else None
    return pts if isinstance(pts, int) else None
