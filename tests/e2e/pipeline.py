"""``tap | target`` without Meltano, the way Meltano runs it, with a signal on demand.

Meltano reads the tap's stdout line by line and writes it to the target's stdin; the
STATE messages the *target* prints (after it has committed the records before them)
are what Meltano stores, and the next run gets the last one with ``--state``. This
module does the same, in-process, so a crash loop needs no Meltano start-up per run,
and it can send a signal to the tap at a point chosen from the stream itself: after the
N-th ``messages`` RECORD line has been relayed, or at a :class:`KillPoint` (the k-th
record after the n-th STATE, counting only change records if asked, optionally after the
relay stopped reading so that the tap blocks in the middle of a line). Every line the
tap wrote goes through the stream checker (:class:`tests.stream_check.StreamChecker`). Lines the tap had already written into the pipe before
it died are still relayed, as a real pipe would deliver them, partial last line
included (the tap's stdout is block-buffered, as under Meltano).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from tests.stream_check import StreamChecker, StreamReport

#: The start of a RECORD line of the messages stream (msgspec and json writers).
_RECORD_MARKERS = (b'"type":"RECORD"', b'"type": "RECORD"')
_MESSAGES_MARKERS = (b'"stream":"messages', b'"stream": "messages')


@dataclasses.dataclass
class KillPoint:
    """Where to signal the tap, read from its stream.

    After the ``records``-th ``messages`` RECORD that follows the ``states``-th STATE
    line (``records=0``: right after that STATE). With ``changes`` only change records
    count: tombstones and records of ids at or below their chat's bookmark in
    ``input_state`` (edits and lookback rows). ``pause``: the relay stops reading for
    that long before the signal, so the tap fills the pipe and blocks in the middle of
    a write: the stream then ends in a cut line.
    """

    states: int = 0
    records: int = 0
    changes: bool = False
    pause: float = 0.0
    input_state: Mapping[str, Any] | None = None
    #: What was counted so far.
    seen_states: int = 0
    seen_records: int = 0

    def __post_init__(self) -> None:
        singer = dict(self.input_state or {})
        singer = singer.get("singer_state", singer)
        parts = singer.get("bookmarks", {}).get("messages", {}).get("partitions", [])
        self._marks = {
            int(p["context"]["chat_id"]): int(p.get("replication_key_value") or 0) for p in parts
        }

    def reached(self, line: bytes) -> bool:
        """Whether the signal is due after this line."""
        if line.startswith(b'{"type":"STATE"'):
            self.seen_states += 1
            return self.records == 0 and self.seen_states == self.states
        if self.seen_states < self.states or not _is_message_record(line):
            return False
        if self.changes:
            try:
                record = json.loads(line)["record"]
            except (ValueError, KeyError):
                return False
            mark = self._marks.get(int(record.get("chat_id", 0)))
            if not (record.get("deleted") or (mark is not None and record["id"] <= mark)):
                return False
        self.seen_records += 1
        return self.seen_records == self.records

    def describe(self) -> str:
        """For reports."""
        what = "change record" if self.changes else "record"
        where = f"{what} {self.records} after STATE {self.states}"
        return where + (f", relay paused {self.pause} s" if self.pause else "")


class PipelineError(AssertionError):
    """The pipeline did not finish in time or could not start."""


@dataclasses.dataclass
class PipelineRun:
    """What one ``tap | target`` run did."""

    tap_returncode: int
    target_returncode: int
    #: RECORD lines relayed, all streams / the messages stream(s).
    records: int
    message_records: int
    #: Signal sent to the tap (``None``: none), after how many message records, and
    #: whether the tap was still running when it was sent.
    signal_sent: int | None
    signal_at: int | None
    signal_delivered: bool
    #: STATE messages the target printed; the last one (what Meltano would store).
    target_states: int
    state: dict[str, Any] | None
    #: The tap's own last STATE line (for diagnostics only).
    tap_state: dict[str, Any] | None
    partial_last_line: bool
    #: What the stream checker saw of the tap's stdout (cut last line allowed after a signal).
    checked: StreamReport | None
    seconds: float
    tap_log: Path
    target_log: Path

    def describe(self) -> str:
        """One line for assertion messages."""
        sig = signal.Signals(self.signal_sent).name if self.signal_sent else "none"
        return (
            f"tap exit {self.tap_returncode}, target exit {self.target_returncode}, "
            f"{self.message_records} message records, signal {sig} at {self.signal_at} "
            f"(delivered: {self.signal_delivered}), {self.target_states} target states, "
            f"partial last line: {self.partial_last_line}, {self.seconds:.1f} s; "
            f"logs: {self.tap_log}, {self.target_log}"
        )

    def tail(self, lines: int = 40) -> str:
        """The end of both logs, for assertion messages."""
        parts = []
        for log in (self.tap_log, self.target_log):
            text = log.read_text(encoding="utf-8", errors="replace").splitlines()
            parts.append(f"--- {log.name}\n" + "\n".join(text[-lines:]))
        return "\n".join(parts)


def _is_message_record(line: bytes) -> bool:
    head = line[:80]
    return any(m in head for m in _RECORD_MARKERS) and any(m in head for m in _MESSAGES_MARKERS)


def _is_record(line: bytes) -> bool:
    head = line[:40]
    return any(m in head for m in _RECORD_MARKERS)


class _StateReader(threading.Thread):
    """Reads the target's stdout and keeps the last state it printed."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__(name="target-stdout", daemon=True)
        self.stream = stream
        self.count = 0
        self.state: dict[str, Any] | None = None

    def run(self) -> None:
        for raw in self.stream:
            try:
                message = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(message, dict):
                continue
            # Targets print bare state values, one JSON object a line (Meltano stores
            # each); accept a Singer STATE message as well.
            self.count += 1
            self.state = message.get("value") if message.get("type") == "STATE" else message


def run_pipeline(
    tap_command: Sequence[str],
    target_command: Sequence[str],
    workdir: Path,
    *,
    env: Mapping[str, str] | None = None,
    signal_at: int | None = None,
    kill_at: KillPoint | None = None,
    signal_number: int = signal.SIGKILL,
    timeout: float = 600,
    label: str = "run",
    checker: StreamChecker | None = None,
) -> PipelineRun:
    """Run ``tap | target``; with ``signal_at``, signal the tap after that many message
    records, with ``kill_at`` at that point of the stream.

    ``tap_command`` carries ``--config``/``--state`` already. Logs go to
    ``workdir/<label>.tap.log`` and ``workdir/<label>.target.log``. Every line of the
    tap goes through ``checker`` (default: one without a world or input state).
    """
    checker = checker if checker is not None else StreamChecker()
    workdir.mkdir(parents=True, exist_ok=True)
    tap_log = workdir / f"{label}.tap.log"
    target_log = workdir / f"{label}.target.log"
    run_env = dict(env if env is not None else os.environ)
    started = time.monotonic()
    deadline = started + timeout
    with tap_log.open("wb") as tap_err, target_log.open("wb") as target_err:
        target = subprocess.Popen(
            list(target_command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=target_err,
            env=run_env,
            cwd=workdir,
        )
        try:
            tap = subprocess.Popen(
                list(tap_command),
                stdout=subprocess.PIPE,
                stderr=tap_err,
                env=run_env,
                cwd=workdir,
            )
        except BaseException:
            target.kill()
            target.wait()
            raise
        assert tap.stdout is not None
        assert target.stdin is not None
        assert target.stdout is not None
        reader = _StateReader(target.stdout)
        reader.start()
        watchdog = threading.Timer(timeout, _kill_all, args=(tap, target))
        watchdog.daemon = True
        watchdog.start()
        records = message_records = 0
        delivered = False
        sent: int | None = None
        tap_state: dict[str, Any] | None = None
        partial = False
        try:
            for line in tap.stdout:
                partial = not line.endswith(b"\n")
                checker.feed(line)
                if _is_record(line):
                    records += 1
                    if _is_message_record(line):
                        message_records += 1
                elif b'"STATE"' in line[:20]:
                    with contextlib.suppress(ValueError):
                        tap_state = json.loads(line).get("value")
                try:
                    target.stdin.write(line)
                except BrokenPipeError:
                    # The target died: nothing reads the tap any more; stop it too.
                    _kill_all(tap)
                    break
                due = signal_at is not None and message_records >= signal_at
                if kill_at is not None and sent is None and kill_at.reached(line):
                    due = True
                    time.sleep(kill_at.pause)  # not reading: the tap fills the pipe
                if due and sent is None:
                    sent = signal_number
                    delivered = tap.poll() is None
                    if delivered:
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(tap.pid, signal_number)
            with contextlib.suppress(BrokenPipeError):
                target.stdin.close()
            tap_code = tap.wait(timeout=max(1.0, deadline - time.monotonic()))
            target_code = target.wait(timeout=max(1.0, deadline - time.monotonic()))
            reader.join(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _kill_all(tap, target)
            raise PipelineError(
                f"pipeline {label} did not finish within {timeout} s; logs: {tap_log}, {target_log}"
            ) from None
        finally:
            watchdog.cancel()
            _kill_all(tap, target)
            reader.join(timeout=10)
            for pipe in (tap.stdout, target.stdin, target.stdout):
                with contextlib.suppress(OSError):
                    pipe.close()
    if time.monotonic() > deadline:
        raise PipelineError(f"pipeline {label} timed out after {timeout} s (killed)")
    # A run the test killed (SIGKILL) may end in a cut line; every line before it is checked.
    # SIGTERM never cuts one: the tap finishes the write under way first.
    report = checker.close(cut_ok=sent == signal.SIGKILL)
    return PipelineRun(
        tap_returncode=tap_code,
        target_returncode=target_code,
        records=records,
        message_records=message_records,
        signal_sent=sent,
        signal_at=signal_at if sent is not None else None,
        signal_delivered=delivered,
        target_states=reader.count,
        state=reader.state,
        tap_state=tap_state,
        partial_last_line=partial,
        checked=report,
        seconds=time.monotonic() - started,
        tap_log=tap_log,
        target_log=target_log,
    )


def _kill_all(*processes: subprocess.Popen[bytes]) -> None:
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
