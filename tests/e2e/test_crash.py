"""Crash safety, small version (the long one: ``bench/crash_harness.py --trials 10``).

A five-chat, 20,000-message sync into PostgreSQL; the tap gets SIGKILL or SIGTERM at
a seeded random point; the rerun gets the state the target emitted; then the table
must equal the fake's ground truth: 0 missing, 0 duplicated, bookmarks = max id per
chat, and the crash run's bookmarks never ahead of its rows. Three trials through
``tap | target-postgres`` (as Meltano pipes them) and one SIGKILL through ``meltano run``
(SIGTERM through Meltano is in the long harness: ``--meltano-trials``).

With change capture (``crash.ChangeTrials``, docs/changes.md, "Change capture"): after a complete
first run the world gets edits, deletions and new messages in every chat; the second run
is killed after a channel's change records, after a private chat's or basic group's, and
inside a chat's; the rerun must leave every edit's text, every tombstone, no other row,
and the update-log positions at the fake's; the crash state's positions never ahead of
the changes in the table.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
from pathlib import Path

import pytest

from tests.e2e.crash import (
    ACCOUNT_KINDS,
    ChangeTrialResult,
    ChangeTrials,
    CrashRig,
    TrialResult,
    crash_world_spec,
    format_table,
    kill_points,
    meltano_trial,
)
from tests.e2e.meltano_project import FAKE_TAP, MeltanoProject, Workspace, base_env, bookmarks
from tests.e2e.pipeline import run_pipeline
from tests.e2e.postgres import PostgresServer
from tests.e2e.worlds import WorldFile, three_chat_spec

pytestmark = pytest.mark.e2e
#: Seed of the kill points (override: TAP_TELEGRAM_CRASH_SEED).
SEED = int(os.environ.get("TAP_TELEGRAM_CRASH_SEED", "20240229"))
#: (mode, trial index) of the direct trials; points from kill_points(SEED, 3, ...).
DIRECT_TRIALS = [("SIGKILL", 0), ("SIGKILL", 1), ("SIGTERM", 2)]
#: (mode, trial index) of the trials with edits and deletions (ChangeTrials.kill_point):
#: killed after a channel's change records, after a private chat's or basic group's,
#: and inside a chat's.
CHANGE_TRIALS = [("SIGKILL", 0), ("SIGKILL", 1), ("SIGTERM", 2)]


@pytest.fixture(scope="module")
def rig(
    pg_server: PostgresServer,
    meltano_project: MeltanoProject,
    tmp_path_factory: pytest.TempPathFactory,
) -> CrashRig:
    """The crash world (5 chats, 20,000 messages) and a database for its trials."""
    folder = tmp_path_factory.mktemp("crash")
    crash_rig = CrashRig(pg_server, meltano_project, folder, crash_world_spec(seed=SEED % 1000))
    assert crash_rig.total >= 20_000
    assert len(crash_rig.truth) >= 5
    return crash_rig


@pytest.fixture(scope="module")
def change_trials(rig: CrashRig) -> ChangeTrials:
    """A complete first run of the crash world, then edits, deletions and new messages."""
    return ChangeTrials(rig, SEED)


def _explain(result: TrialResult | ChangeTrialResult) -> str:
    if isinstance(result, ChangeTrialResult):
        return f"seed {SEED}\n{result.line()}\n{result.note}"
    return f"seed {SEED}\n{format_table([result])}\n{result.note}"


@pytest.mark.parametrize(("mode", "index"), DIRECT_TRIALS, ids=str)
def test_signal_the_tap_then_rerun(rig: CrashRig, mode: str, index: int) -> None:
    point = kill_points(SEED, len(DIRECT_TRIALS), rig.total)[index]
    result = rig.trial(index, mode, point)
    assert result.delivered, f"the tap had finished before the signal: {_explain(result)}"
    assert result.behind == 0, f"a bookmark got ahead of the data: {_explain(result)}"
    assert result.lost == 0, _explain(result)
    assert result.duplicated == 0, _explain(result)
    assert result.extra == 0, _explain(result)
    assert result.bookmarks_ok, _explain(result)
    assert result.rerun_tap_exit == 0, _explain(result)
    assert result.rerun_target_exit == 0, _explain(result)
    assert result.crash_rows < result.expected, "the crash run loaded everything: no crash"


@pytest.mark.parametrize("mode", ["SIGKILL"])
def test_signal_the_tap_under_meltano_run(
    rig: CrashRig, meltano_project: MeltanoProject, tmp_path: Path, mode: str
) -> None:
    ws: Workspace = meltano_project.workspace(tmp_path / "workspace")
    fraction = random.Random(f"{SEED}-{mode}").uniform(0.15, 0.7)
    result = meltano_trial(rig, ws, 0, mode, fraction)
    assert result.delivered, f"the tap had finished before the signal: {_explain(result)}"
    if mode == "SIGKILL":
        assert result.crash_tap_exit != 0, "meltano run reported success after the tap was killed"
    assert result.behind == 0, f"a bookmark got ahead of the data: {_explain(result)}"
    assert result.lost == 0, _explain(result)
    assert result.duplicated == 0, _explain(result)
    assert result.extra == 0, _explain(result)
    assert result.bookmarks_ok, _explain(result)
    assert result.rerun_tap_exit == 0, _explain(result)


def test_changes_without_a_crash_match_the_ground_truth(change_trials: ChangeTrials) -> None:
    """The reference the trials are held to: the second run, uninterrupted."""
    changes = change_trials.changes
    verdict = change_trials.verify(change_trials.reference)
    assert verdict.ok, verdict
    assert verdict.edits_ok == len(changes.edited) > 0
    assert verdict.tombstones_ok == len(changes.deleted) > 0
    assert change_trials.positions_ok(change_trials.reference_state)
    assert change_trials.bookmarks_ok(change_trials.reference_state)
    # Every chat had change records, channels' and the account log's alike.
    changed = {chat for chat, _, _ in change_trials.blocks()}
    assert changed == set(changes.kinds)
    assert {changes.kinds[c] in ACCOUNT_KINDS for c in changed} == {True, False}
    # The checks see what is missing: the first run's table lacks every change, and the
    # final positions claim them all.
    stale = change_trials.verify(change_trials.base)
    assert len(stale.stale) == verdict.edits_ok - len(changes.new & set(changes.edited))
    assert len(stale.bad_tombstones) == len(changes.deleted)
    moved, ahead = change_trials.ahead(change_trials.reference_state, change_trials.base)
    assert set(moved) == {*(c.key for c in changes.world.chats.values()), "account"} - {
        c.key for c in changes.world.chats.values() if c.kind in ACCOUNT_KINDS
    }
    assert ahead == len(changes.edited) + len(changes.deleted)


@pytest.mark.parametrize(("mode", "index"), CHANGE_TRIALS, ids=str)
def test_signal_the_tap_among_changes_then_rerun(
    change_trials: ChangeTrials, mode: str, index: int
) -> None:
    """Killed among a chat's edits and tombstones: nothing lost, nothing invented."""
    result = change_trials.trial(index, mode, change_trials.kill_point(index))
    print(result.line())
    assert result.delivered, f"the tap had finished before the signal: {_explain(result)}"
    assert result.ahead == 0, f"a position got ahead of the changes written: {_explain(result)}"
    assert result.behind == 0, f"a bookmark got ahead of the data: {_explain(result)}"
    assert result.missing == result.extra == result.duplicated == 0, _explain(result)
    assert result.stale == result.undead == 0, _explain(result)
    assert result.edits_ok == result.edits, _explain(result)
    assert result.tombstones_ok == result.tombstones, _explain(result)
    assert result.bad_tombstones == result.differs == 0, _explain(result)
    assert result.bookmarks_ok, _explain(result)
    assert result.positions_ok, _explain(result)
    assert result.rerun_tap_exit == 0, _explain(result)
    assert result.rerun_target_exit == 0, _explain(result)
    assert result.ok, _explain(result)


def test_sigterm_while_waiting_for_telegram_exits_cleanly(tmp_path: Path) -> None:
    """SIGTERM while the tap waits for a history page (here: every page takes 0.3 s).

    The SDK's handler writes STATE and exits; the tap must not turn that into a
    traceback (e.g. closing the history generator while its prefetch still runs).
    """
    world_file = WorldFile(three_chat_spec(seed=21), tmp_path / "world.json")
    world_file.fake.add_fault("GetHistoryRequest", latency=0.3, times=None)
    world_file.save()
    config = tmp_path / "tap.json"
    config.write_text(json.dumps(world_file.fake.tap_config()), encoding="utf-8")
    sink = [sys.executable, "-c", "import sys\nfor _ in sys.stdin.buffer: pass"]
    tap = [str(FAKE_TAP), "--world", str(world_file.path), "--", "--config", str(config)]
    run = run_pipeline(
        tap, sink, tmp_path, env=base_env(), signal_at=250, signal_number=signal.SIGTERM
    )
    log = run.tap_log.read_text(encoding="utf-8", errors="replace")
    assert run.signal_delivered
    assert "Traceback" not in log, f"{run.describe()}\n{log[-3000:]}"
    assert run.tap_returncode in {0, 128 + signal.SIGTERM}, run.describe()
    assert bookmarks(run.tap_state), "no STATE with progress was written on SIGTERM"
