"""Crash safety, small version (the long one: ``bench/crash_harness.py --trials 10``).

Every trial really resumes mid-run: the kill point is read from the tap's stream
(:class:`~tests.e2e.pipeline.KillPoint`: the k-th record, or change record, after the
n-th STATE; a pause of the relay makes the kill cut a line), the target commits often
(``batch_size_rows``) so the crash run leaves a STATE in it, and each trial asserts that
it did and that the rerun, started from that STATE, sent less than a full run. Then the
table must equal the fake's ground truth: 0 missing, 0 invented, 0 duplicated, bookmarks
= max id per chat, and the crash run's bookmarks never ahead of its rows. Every run's
stdout, the crash run's up to its cut, passes the stream checker.

* MTProto, five chats of every kind, change capture on, ``tap | target-postgres`` (as
  Meltano pipes them): SIGKILL between a page's records and its STATE; SIGKILL with the
  tap blocked in the middle of a line; one SIGKILL through ``meltano run``.
* With edits, deletions and new messages (``crash.ChangeTrials``, docs/changes.md,
  "Change capture"): SIGKILL in the middle of a channel's change records (before the STATE that
  moves its ``pts``, cutting a line); SIGTERM there in a private chat's or basic group's
  (the STATE the tap writes then must not move ``account_log``); SIGKILL after a
  channel's last change record (its STATE moved ``pts``: the rerun must not redo it).
  The rerun must leave every edit's text, every tombstone, no other row, and the
  update-log positions at the fake's.
* The export source: SIGKILL in the middle of a page of 500 records.
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
    Stage,
    TrialResult,
    crash_world_spec,
    format_table,
    meltano_trial,
)
from tests.e2e.export_crash import export_trial
from tests.e2e.meltano_project import FAKE_TAP, MeltanoProject, Workspace, base_env, bookmarks
from tests.e2e.pipeline import KillPoint, run_pipeline
from tests.e2e.postgres import PostgresServer
from tests.e2e.worlds import WorldFile, three_chat_spec

pytestmark = pytest.mark.e2e
#: Seed of the kill points (override: TAP_TELEGRAM_CRASH_SEED).
SEED = int(os.environ.get("TAP_TELEGRAM_CRASH_SEED", "20240229"))
#: The target commits every this many rows (it emits STATE only at the end of its input).
TARGET_SETTINGS = {"batch_size_rows": 500}


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


def _assert_resumed(result: TrialResult) -> None:
    assert result.delivered, f"the tap had finished before the signal: {_explain(result)}"
    assert result.crash_states > 0, f"the target emitted no STATE: {_explain(result)}"
    assert result.resumed, f"the rerun did not start from the crash state: {_explain(result)}"
    assert result.behind == 0, f"a bookmark got ahead of the data: {_explain(result)}"
    assert result.lost == 0, _explain(result)
    assert result.duplicated == 0, _explain(result)
    assert result.extra == 0, _explain(result)
    assert result.bookmarks_ok, _explain(result)
    assert result.rerun_tap_exit == 0, _explain(result)
    assert result.rerun_target_exit == 0, _explain(result)
    assert result.crash_rows < result.expected, "the crash run loaded everything: no crash"


def test_kill_the_tap_mid_page_then_mid_line_then_resume(rig: CrashRig) -> None:
    """SIGTERM 37 records into the page after the 40th STATE (between the page's records and
    its STATE: the tap writes the state in memory, the stream ends whole, the target stores
    it); from there, SIGKILL with the tap blocked in the middle of a line (the relay stops
    reading 55 records after the 60th STATE): the target rejects the cut line and emits no
    STATE, so the store keeps the first one; the rerun starts from it."""
    page = Stage("SIGTERM", KillPoint(states=40, records=37))
    line = Stage("SIGKILL", KillPoint(states=60, records=55, pause=0.5))
    result = rig.chain(0, [page, line], target_settings=TARGET_SETTINGS)
    print(f"{result.kill}\n{format_table([result])}")
    assert page.run is not None
    assert line.run is not None
    assert not page.run.partial_last_line, result.kill
    assert page.run.target_states > 0, result.kill
    assert bookmarks(page.state), result.kill
    assert page.run.tap_returncode == 128 + signal.SIGTERM, page.run.describe()
    assert line.run.partial_last_line, f"the kill did not cut a line: {result.kill}"
    assert line.state == page.state, "the target stored a STATE of a stream it rejected"
    _assert_resumed(result)


@pytest.mark.parametrize("mode", ["SIGTERM"])
def test_signal_the_tap_under_meltano_run(
    rig: CrashRig, meltano_project: MeltanoProject, tmp_path: Path, mode: str
) -> None:
    ws: Workspace = meltano_project.workspace(tmp_path / "workspace")
    fraction = random.Random(f"{SEED}-{mode}").uniform(0.15, 0.7)
    result = meltano_trial(rig, ws, 0, mode, fraction, target_settings=TARGET_SETTINGS)
    print(format_table([result]))
    if mode == "SIGKILL":
        assert result.crash_tap_exit != 0, "meltano run reported success after the tap was killed"
    _assert_resumed(result)


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


#: The change trials: ``(signal, where)``; see ChangeTrials.change_kill_point/kill_point.
CHANGE_TRIALS = {
    "channel-changes": ("SIGKILL", 0),  # mid-line among a channel's edits and tombstones
    "account-changes": ("SIGTERM", 1),  # among a private chat's or basic group's
    "after-channel": ("SIGKILL", 2),  # after a channel's last change record and its STATE
}


@pytest.mark.parametrize("where", CHANGE_TRIALS)
def test_signal_the_tap_among_changes_then_rerun(change_trials: ChangeTrials, where: str) -> None:
    """Signalled among a chat's edits and tombstones: nothing lost, nothing invented.

    The rerun starts from the state the store holds: the target's last STATE, or the
    first run's when the stream was cut (target-postgres emits STATE only at the end of
    its input); it moved past the first run's when the stream ended whole.
    """
    mode, index = CHANGE_TRIALS[where]
    kill: int | KillPoint
    if where == "after-channel":
        kill = change_trials.kill_point(0)  # the last change record of a channel
    else:
        kill = change_trials.change_kill_point(index, account=where == "account-changes")
    result = change_trials.trial(index, mode, kill)
    print(result.line())
    assert result.delivered, f"the tap had finished before the signal: {_explain(result)}"
    assert result.stored, f"the store holds no state after the crash: {_explain(result)}"
    if where == "channel-changes":
        assert result.partial_line, f"the kill did not cut a line: {_explain(result)}"
    else:
        assert result.resumed, f"the rerun did not start mid-run: {_explain(result)}"
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


def test_kill_an_export_run_mid_page_then_resume(rig: CrashRig, tmp_path: Path) -> None:
    """The export source (pages of 500): SIGTERM 137 records into the 5th page, then from
    there SIGKILL with the tap blocked in the middle of a line of its 4th page."""
    stages = [
        (signal.SIGTERM, KillPoint(states=4, records=137)),
        (signal.SIGKILL, KillPoint(states=3, records=211, pause=0.5)),
    ]
    trial = export_trial(rig, tmp_path, stages)
    print(trial.line())
    first, second = trial.crashes
    assert first.signal_delivered, trial.line()
    assert second.signal_delivered, trial.line()
    assert not first.partial_last_line, trial.line()
    assert first.target_states > 0, trial.line()
    assert second.partial_last_line, f"the kill did not cut a line: {trial.line()}"
    assert trial.resumed, f"the rerun did not start mid-run: {trial.line()}"
    assert trial.behind == trial.lost == trial.duplicated == trial.extra == 0, trial.line()
    assert trial.rerun.tap_returncode == trial.rerun.target_returncode == 0, trial.line()


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
