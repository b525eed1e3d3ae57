"""A crash trial of the export source: ``tap-telegram (export) | target-postgres``, killed mid-run.

A whole-account export of a few supergroups (``bench.export_memory.write_export``); the
tap reads it in pages of 500 records with a STATE after each. Interrupted runs one after
the other, each signalled at a point read from the stream
(:class:`~tests.e2e.pipeline.KillPoint`) and started from the state the store holds
(the target's last STATE, else the one before); then a rerun to the end, which must
start from a non-empty state and send less than everything; then the table must hold
every message of the export exactly once.
"""

from __future__ import annotations

import dataclasses
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

from bench.export_memory import write_export
from tests.e2e.crash import CrashRig
from tests.e2e.meltano_project import bookmarks
from tests.e2e.pipeline import KillPoint, PipelineRun, run_pipeline
from tests.stream_check import StreamChecker

#: Chat ids of ``write_export``'s supergroups, and their marked form.
FIRST_CHAT_ID = 1_234_567_890
CHANNEL_MARK = 10**12


@dataclasses.dataclass
class ExportTrial:
    """The figures of one export crash trial."""

    stages: str
    crashes: list[PipelineRun]
    rerun: PipelineRun
    #: The state the rerun started from.
    state: dict[str, Any] | None
    crash_rows: int
    behind: int
    expected: int
    lost: int
    duplicated: int
    extra: int
    seconds: float

    @property
    def resumed(self) -> bool:
        """The rerun started from a state with bookmarks and sent less than everything."""
        return bool(bookmarks(self.state)) and self.rerun.message_records < self.expected

    def line(self) -> str:
        """One line for reports."""
        return (
            f"export: {self.stages}; rows {self.crash_rows}, behind {self.behind}; rerun sent "
            f"{self.rerun.message_records} of {self.expected}, lost {self.lost}, dup "
            f"{self.duplicated}, extra {self.extra} ({self.seconds:.1f} s)"
        )


def export_truth(messages: int, chats: int) -> set[tuple[int, int]]:
    """``(marked chat id, id)`` of every message ``write_export(messages, chats)`` writes."""
    per_chat = -(-messages // chats)
    keys: set[tuple[int, int]] = set()
    written = 0
    for number in range(chats):
        size = min(per_chat, messages - written)
        chat = -(CHANNEL_MARK + FIRST_CHAT_ID + number)
        keys.update((chat, i) for i in range(1, size + 1))
        written += size
    return keys


def export_trial(
    rig: CrashRig,
    folder: Path,
    stages: list[tuple[signal.Signals, KillPoint]],
    *,
    messages: int = 6_000,
    chats: int = 4,
) -> ExportTrial:
    """Write the export, interrupt runs at ``stages`` (signal, point), rerun to the end."""
    started = time.monotonic()
    folder.mkdir(parents=True, exist_ok=True)
    export = folder / "result.json"
    write_export(export, messages, chats)
    truth = export_truth(messages, chats)
    schema = "export_crash"
    rig.drop(schema)
    config = folder / "tap.config.json"
    # STATE after every page of 500 (the default is every 10,000 records): the kill
    # points count STATE messages.
    settings = {"source": "export", "export_path": str(export), "state_every_records": 500}
    config.write_text(json.dumps(settings))

    def run(
        state: dict[str, Any] | None, label: str, point: KillPoint | None, sig: signal.Signals
    ) -> PipelineRun:
        command = [sys.executable, "-m", "tap_telegram", "--config", str(config)]
        if state is not None:
            (folder / f"{label}.state.json").write_text(json.dumps(state), encoding="utf-8")
            command += ["--state", str(folder / f"{label}.state.json")]
        return run_pipeline(
            command,
            rig.target_command(folder, schema),
            folder,
            env=rig.env,
            kill_at=point,
            signal_number=sig,
            label=label,
            checker=StreamChecker(input_state=state),
        )

    state: dict[str, Any] | None = None
    crashes: list[PipelineRun] = []
    behind = 0
    lines = []
    for number, (sig, point) in enumerate(stages):
        crash = run(state, f"crash{number}", point, sig)
        crashes.append(crash)
        state = crash.state or state
        after = rig.rows(schema)
        marks = bookmarks(state)
        behind += sum(1 for chat, i in truth if i <= marks.get(chat, 0) and (chat, i) not in after)
        lines.append(
            f"{sig.name} at {point.describe()}: {crash.message_records} records, cut line "
            f"{crash.partial_last_line}, {crash.target_states} target states"
        )
    crash_rows = sum(rig.rows(schema).values())
    rerun = run(state, "rerun", None, signal.SIGKILL)
    final = rig.rows(schema)
    present = set(final)
    return ExportTrial(
        stages="; ".join(lines),
        crashes=crashes,
        rerun=rerun,
        state=state,
        crash_rows=crash_rows,
        behind=behind,
        expected=len(truth),
        lost=len(truth - present),
        duplicated=sum(n - 1 for n in final.values() if n > 1),
        extra=len(present - truth),
        seconds=time.monotonic() - started,
    )
