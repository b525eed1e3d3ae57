"""``make bench``'s ``state`` scenario (issue 26): STATE next to the records, CPU per message.

    .venv/bin/python -m bench --only state [--quick]      # every case
    .venv/bin/python -m bench --only state_cpu [--quick]  # the cpu case only
    .venv/bin/python -m bench.state_cost [--quick] [--cpu-only]

Every run is the real tap in this process against the fake Telegram, stdout into a
counting sink (bytes and lines of STATE and of RECORD messages, the last STATE kept).
Two contenders, back to back in one process:

* ``now``: this tree;
* ``before``: the same tree with the two behaviours issue 26 replaced switched back,
  only inside the bench: STATE at every page and chat end (``state_every_seconds: 0``,
  the old cadence) and singer-sdk's own ``StreamStateManager`` (a scan of every
  partition per record) instead of :class:`~tap_telegram.singer.sdk_private.IndexedStateManager`.
  The per-chat ``stats`` counters that left STATE are not switched back: ``before``
  STATE is smaller here than it was (206 bytes a chat in each STATE; issue 26 has the
  figures measured on the tree before).

Cases (sizes at full scale; ``--quick`` multiplies dialogs and messages by 0.1, at
least 20 dialogs):

* ``first``/``quiet``/``changed`` over 300 and 2,000 dialogs of 30 messages (every
  chat kind, :func:`tests.fake_telegram.dialogs_world`): a first run, a rerun with
  nothing new, a rerun after 5 new messages in 10 chats;
* ``private_1M``: one private chat of 1,000,000 messages whose ids have gaps (the
  account's ids are spread over 32 chats, and 250,000 more were deleted in ranges and
  one by one, so its delivered-id index is many runs); ``--quick``: 100,000;
* ``cpu`` at 20, 2,000, 5,000 and 10,000 dialogs (:data:`CPU_SIZES`; ``--cpu-only``
  runs only this case): a STATE of that many chats, then a run where 20 chats have
  :data:`CPU_MESSAGES` new messages in all; the tap's CPU per new message (process CPU
  time minus the fake's own, less the same run with nothing new; each the least of
  :data:`CPU_REPEAT` runs from a collected heap, :func:`least_cpu`), and its ratio to
  the 20-dialog case.

The goal per case: STATE bytes <= max(5 % of RECORD bytes, 10 MB); the final STATE
of a first run at most 200 bytes a chat besides change capture (:data:`CHANGE_CAPTURE_KEYS`):
``final_state_goal_200_bytes_per_chat_<dialogs>`` is that number (``..._with_change_capture``
the whole), ``..._final_memory_bytes_per_chat`` the source's refresh memory in it; CPU per
message at 10,000 dialogs at most 1.2x that at 20 (``cpu_goal_10000_within_1.2x_of_20``; a
size whose dialogs were not all read fails it). Counts and ratios only; nothing here is
asserted on time.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import dataclasses
import datetime as dt
import gc
import json
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

from singer_sdk.streams._state import StreamStateManager

from bench.scenarios import sparse_deletions
from tap_telegram.singer import sdk_private
from tap_telegram.sources import state_keys
from tap_telegram.tap import TapTelegram
from tests.fake_telegram import FakeTelegram, World, dialogs_world
from tests.fake_telegram.checked import checker_for
from tests.stream_check import StreamChecker

#: The goal: STATE at most this share of RECORD bytes ...
GOAL_SHARE = 0.05
#: ... or at most this many bytes, whichever is larger.
GOAL_BYTES = 10_000_000
#: New messages of the CPU runs (spread over :data:`CPU_CHATS` chats).
CPU_MESSAGES = 30_000
CPU_CHATS = 20
#: Same runs per contender in the cpu case, the least CPU kept (:func:`least_cpu`); the
#: ``before`` figures only show what was replaced, and its runs are long.
CPU_REPEAT = {"before": 1, "now": 3}
CONTENDERS = ("before", "now")
#: STATE keys of change capture, left out of the 200-bytes-a-chat goal: the update logs'
#: positions and delivered ids (``track_changes``), verification marks, and the sweep of
#: old history that catches what the logs missed (``verify_requests_per_run``, issue 25;
#: docs/changes.md lists it among change capture's means).
CHANGE_CAPTURE_KEYS = frozenset(
    {
        state_keys.PTS_KEY,
        state_keys.FIRST_KEY,
        state_keys.INDEX_KEY,
        state_keys.ACCOUNT_KEY,
        state_keys.VERIFY_KEY,
        state_keys.FAILS_KEY,
        state_keys.ACCOUNT_FAILS_KEY,
        state_keys.SWEEP_AFTER,
        state_keys.SWEEP_END,
        state_keys.SWEEP_SINCE,
        state_keys.SWEEP_REASON,
        state_keys.SWEEP_KNOWN,
        state_keys.COMPLETE_KEY,
        state_keys.GAPS_KEY,
    }
)
#: Streams whose STATE holds the source's refresh memory (issue 18), measured apart.
MEMORY_STREAMS = ("chats", "participants", "topics")
#: The goal for the final STATE, per chat, besides change capture.
GOAL_BYTES_PER_CHAT = 200
#: The fake's clock (no refresh of chat info falls due between the runs).
NOW = dt.datetime(2024, 6, 3, 9, 30, tzinfo=dt.timezone.utc)


#: Feed every line to the stream checker too (tests: every run they make is checked).
CHECK_STREAMS = False


class CountingSink:
    """A stdout that counts STATE and RECORD lines and bytes, and keeps the last STATE."""

    def __init__(self, checker: StreamChecker | None = None) -> None:
        self.buffer = self
        self.checker = checker
        self.state_bytes = self.state_lines = self.record_bytes = self.record_lines = 0
        self.last_state = b""
        self._carry = b""

    def write(self, data: bytes | str) -> int:
        raw = data.encode() if isinstance(data, str) else bytes(data)
        lines = (self._carry + raw).split(b"\n")
        self._carry = lines.pop()
        for line in lines:
            if self.checker is not None:
                self.checker.feed(line)
            if line.startswith(b'{"type":"STATE"'):
                self.state_bytes += len(line) + 1
                self.state_lines += 1
                self.last_state = line
            elif line.startswith(b'{"type":"RECORD"'):
                self.record_bytes += len(line) + 1
                self.record_lines += 1
        return len(data)

    def flush(self) -> None:
        """Nothing buffered here."""

    def final_state(self) -> dict[str, Any]:
        """The last STATE's value."""
        value: dict[str, Any] = json.loads(self.last_state)["value"] if self.last_state else {}
        return value


@contextlib.contextmanager
def behaviour(contender: str) -> Iterator[dict[str, Any]]:
    """Settings for ``contender``; ``before`` also puts the SDK's state manager back."""
    if contender == "now":
        yield {}
        return
    original = sdk_private.SdkStream.state_manager

    def sdk_manager(stream: sdk_private.SdkStream) -> StreamStateManager:
        if stream._state_manager is None:
            stream._state_manager = StreamStateManager(
                tap_name=stream.tap_name,
                stream_name=stream.name,
                tap_state=stream._tap_state,
                state_partitioning_keys=stream.state_partitioning_keys,
                is_sorted=stream.is_sorted,
                check_sorted=stream.check_sorted,
            )
        return stream._state_manager

    sdk_private.SdkStream.state_manager = property(sdk_manager)  # type: ignore[assignment,method-assign]
    try:
        yield {"state_every_seconds": 0}
    finally:
        sdk_private.SdkStream.state_manager = original  # type: ignore[method-assign]


@dataclasses.dataclass
class Run:
    """One run of the tap: what it wrote, its CPU, the chats in its STATE."""

    case: str
    contender: str
    dialogs: int
    state_bytes: int
    state_lines: int
    record_bytes: int
    records: int
    cpu_seconds: float
    state: dict[str, Any] = dataclasses.field(repr=False)

    @property
    def goal_bytes(self) -> int:
        return max(int(GOAL_SHARE * self.record_bytes), GOAL_BYTES)

    @property
    def meets_goal(self) -> bool:
        return self.state_bytes <= self.goal_bytes

    @property
    def share(self) -> float | None:
        return round(self.state_bytes / self.record_bytes, 4) if self.record_bytes else None

    def final_bytes_per_chat(self) -> float:
        """Bytes of the last STATE (all of it: bookmarks, what the source remembers) per chat."""
        line = len(json.dumps(self.state, separators=(",", ":"), ensure_ascii=False).encode())
        return round(line / self.dialogs, 1) if self.state else 0.0

    def bytes_per_chat_without_changes(self) -> float:
        """:meth:`final_bytes_per_chat` without what change capture keeps (the goal's figure)."""

        def strip(node: Any) -> Any:
            if isinstance(node, dict):
                return {k: strip(v) for k, v in node.items() if k not in CHANGE_CAPTURE_KEYS}
            if isinstance(node, list):
                return [strip(item) for item in node]
            return node

        line = len(
            json.dumps(strip(self.state), separators=(",", ":"), ensure_ascii=False).encode()
        )
        return round(line / self.dialogs, 1) if self.state else 0.0

    def memory_bytes_per_chat(self) -> float:
        """Bytes of the last STATE's refresh memory (full info, members, topics) per chat."""
        bookmarks = self.state.get("bookmarks", {})
        memory = {name: bookmarks.get(name, {}).get("memory") for name in MEMORY_STREAMS}
        encoded = json.dumps(memory, separators=(",", ":"), ensure_ascii=False).encode()
        return round(len(encoded) / self.dialogs, 1) if self.state else 0.0

    def partition_bytes_per_chat(self) -> float:
        """Bytes of the last STATE's ``messages`` partitions, per partition."""
        parts = self.state.get("bookmarks", {}).get("messages", {}).get("partitions") or []
        if not parts:
            return 0.0
        encoded = json.dumps(parts, separators=(",", ":"), ensure_ascii=False).encode()
        return round(len(encoded) / len(parts), 1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "contender": self.contender,
            "dialogs": self.dialogs,
            "state_bytes": self.state_bytes,
            "state_lines": self.state_lines,
            "record_bytes": self.record_bytes,
            "records": self.records,
            "state_share_of_records": self.share,
            "goal_met": self.meets_goal,
            "final_state_bytes_per_chat": self.final_bytes_per_chat(),
            "final_partition_bytes_per_chat": self.partition_bytes_per_chat(),
            "final_bytes_per_chat_without_changes": self.bytes_per_chat_without_changes(),
            "final_memory_bytes_per_chat": self.memory_bytes_per_chat(),
            "cpu_seconds": round(self.cpu_seconds, 2),
        }


def run_tap(
    fake: FakeTelegram, contender: str, state: dict[str, Any] | None, case: str, dialogs: int
) -> Run:
    """One sync of the tap against ``fake`` as ``contender``; stdout counted."""

    class FakeTap(TapTelegram):
        client_factory = staticmethod(fake.client_factory)  # type: ignore[assignment]
        clock = staticmethod(fake.clock)

    stdout = sys.stdout
    with behaviour(contender) as settings:
        config = fake.tap_config(**settings)
        sink = CountingSink(checker_for(fake, config, state) if CHECK_STREAMS else None)
        fake_before = fake.stats.fake_seconds
        sys.stdout = sink
        try:
            tap = FakeTap(config=config, state=copy.deepcopy(state or {}))
            began = time.process_time()
            tap.sync_all()
            cpu = time.process_time() - began
        finally:
            sys.stdout = stdout
    if sink.checker is not None:
        sink.checker.close()
    return Run(
        case,
        contender,
        dialogs,
        sink.state_bytes,
        sink.state_lines,
        sink.record_bytes,
        sink.record_lines,
        cpu - (fake.stats.fake_seconds - fake_before),
        sink.final_state(),
    )


def hourly(dialogs: int, messages: int, log: Any = print) -> list[Run]:
    """First run, quiet rerun, 10 chats changed: each contender on its own fake."""
    runs: list[Run] = []
    for contender in CONTENDERS:
        world = dialogs_world(dialogs, messages=messages)
        fake = FakeTelegram(world, now=NOW)
        first = run_tap(fake, contender, None, "first", dialogs)
        quiet = run_tap(fake, contender, first.state, "quiet", dialogs)
        for index in range(10):
            world.append_messages(f"d{index * (dialogs // 10)}", 5)
        changed = run_tap(fake, contender, first.state, "changed", dialogs)
        for run in (first, quiet, changed):
            log(f"state: {dialogs} dialogs {run.case:<8} {contender:<6} {_line(run)}")
        runs += [first, quiet, changed]
    return runs


def private_chat(messages: int, log: Any = print) -> list[Run]:
    """One private chat of ``messages`` messages whose ids have irregular gaps.

    The account's ids are spread over 32 chats (a stride of 32) and a fifth more were
    deleted, in ranges and one by one (:func:`bench.scenarios.sparse_deletions`): the
    chat's delivered-id index is many runs, as a real account's is.
    """
    runs = []
    total = messages + messages // 4
    for contender in CONTENDERS:
        world = World(7, account_stride=32)
        world.add_generated_users(4)
        chat = world.add_chat("p", "private", messages=total, user="person")
        gone = sparse_deletions(total, messages, seed=3)
        world.delete_messages(chat, [chat.id_of(n) for n in gone])
        run = run_tap(FakeTelegram(world, now=NOW), contender, None, "private_1M", 1)
        log(f"state: private chat of {messages:,} {contender:<6} {_line(run)}")
        runs.append(run)
    return runs


def cpu_world(dialogs: int) -> World:
    """``dialogs`` dialogs of every kind, one message each.

    10,000 of them used to be dated past 2038, which Telegram's int32 dates cannot
    carry: the dialogs pass then read 103 chats. :func:`~tests.fake_telegram.dialogs_world`
    now spaces such a world's chats closer; a size whose dialogs are not all read still
    gives no figure (and fails the goal).
    """
    return dialogs_world(dialogs, messages=1)


def least_cpu(
    fake: FakeTelegram, contender: str, state: dict[str, Any], case: str, dialogs: int
) -> Run:
    """The run of least CPU of :data:`CPU_REPEAT` same runs, each from a collected heap.

    Before each run the heap is collected and what is alive is frozen out of the
    collector (``gc.freeze``): the fake Telegram's world (10,000 chats here) lives in
    this process, not in a real tap's, and a full collection that walks it once more or
    less moved a run by a second at 5,000 dialogs. The tap's own objects of the run
    (its STATE of every chat, the dialogs) are made during the run and stay collected.
    """
    runs = []
    for _ in range(CPU_REPEAT[contender]):
        gc.collect()
        gc.freeze()
        try:
            runs.append(run_tap(fake, contender, state, case, dialogs))
        finally:
            gc.unfreeze()
    return min(runs, key=lambda run: run.cpu_seconds)


def cpu_per_message(dialogs: int, messages: int, log: Any = print) -> dict[str, float]:
    """Microseconds of the tap's CPU per new message with ``dialogs`` chats in STATE."""
    world = cpu_world(dialogs)
    fake = FakeTelegram(world, now=NOW)
    state = run_tap(fake, "now", None, "setup", dialogs).state
    held = len(state.get("bookmarks", {}).get("messages", {}).get("partitions") or [])
    if held < dialogs:
        log(f"state: cpu {dialogs:>6} dialogs: only {held} chats read (see cpu_world): not valid")
        return {}
    quiet = {c: least_cpu(fake, c, state, "cpu_quiet", dialogs) for c in CONTENDERS}
    step = max(1, dialogs // CPU_CHATS)
    chats = [f"d{index * step}" for index in range(min(CPU_CHATS, dialogs))]
    appended = sum(len(world.append_messages(key, messages // len(chats))) for key in chats)
    out: dict[str, float] = {}
    for contender in CONTENDERS:
        changed = least_cpu(fake, contender, state, "cpu", dialogs)
        spent = changed.cpu_seconds - quiet[contender].cpu_seconds
        out[contender] = round(spent / max(1, appended) * 1e6, 1)
        log(
            f"state: cpu {dialogs:>6} dialogs {contender:<6} {out[contender]:8.1f} us/message "
            f"({appended:,} new; quiet run {quiet[contender].cpu_seconds:.2f} s, with them "
            f"{changed.cpu_seconds:.2f} s; least of {CPU_REPEAT[contender]} each)"
        )
    return out


def _line(run: Run) -> str:
    return (
        f"STATE {run.state_bytes:>13,} B in {run.state_lines:>5} lines, RECORD "
        f"{run.record_bytes:>13,} B, share {run.share}, "
        f"goal {'met' if run.meets_goal else 'MISSED'}"
    )


#: Dialogs in STATE of the CPU case at full scale; the goal compares the last to the first.
CPU_SIZES = (20, 2_000, 5_000, 10_000)
#: The goal: CPU per message at the most dialogs at most this times that at the fewest.
GOAL_CPU_RATIO = 1.2


def cpu_sizes(scale: float) -> list[int]:
    """:data:`CPU_SIZES` at ``scale`` (the first kept as is, the others at least 20)."""
    return [CPU_SIZES[0], *(max(20, int(n * scale)) for n in CPU_SIZES[1:])]


def run_cpu(scale: float, log: Any = print) -> dict[int, dict[str, float]]:
    """The ``cpu`` case at every size of :func:`cpu_sizes`; sizes not measured are absent."""
    cpu_messages = max(2_000, int(CPU_MESSAGES * scale))
    measured = {n: cpu_per_message(n, cpu_messages, log) for n in cpu_sizes(scale)}
    return {dialogs: figures for dialogs, figures in measured.items() if figures}


def run_state(scale: float, log: Any = print, *, cpu_only: bool = False) -> dict[str, Any]:
    """Every case at ``scale`` (``cpu_only``: the ``cpu`` case only); runs, CPU figures, goals."""
    sizes = [max(20, int(n * scale)) for n in (300, 2_000)]
    messages = max(3, int(30 * scale)) if scale < 1 else 30
    runs: list[Run] = []
    if not cpu_only:
        for dialogs in sizes:
            runs += hourly(dialogs, messages if scale < 1 else 30, log)
        runs += private_chat(max(1_000, int(1_000_000 * scale)), log)
    cpu = run_cpu(scale, log)
    return {"runs": runs, "cpu": cpu, "goals": goals(runs, cpu, cpu_sizes(scale))}


def goals(
    runs: list[Run], cpu: dict[int, dict[str, float]], planned: list[int] | None = None
) -> dict[str, Any]:
    """Issue 26's goals, as counts and ratios with pass/fail.

    The CPU goal is judged at the largest *planned* size against the smallest: a size
    whose run was not valid (not every dialog read) fails it instead of letting a
    smaller one stand in.
    """
    out: dict[str, Any] = {}
    for run in runs:
        key = f"state_{run.case}_{run.dialogs}_{run.contender}"
        out[f"{key}_share"] = run.share
        out[f"{key}_lines"] = run.state_lines
        out[f"{key}_goal"] = run.meets_goal
        if run.case == "first":
            out[f"{key}_final_bytes_per_chat"] = run.final_bytes_per_chat()
            out[f"{key}_final_partition_bytes_per_chat"] = run.partition_bytes_per_chat()
            out[f"{key}_final_bytes_per_chat_without_changes"] = (
                run.bytes_per_chat_without_changes()
            )
            out[f"{key}_final_memory_bytes_per_chat"] = run.memory_bytes_per_chat()
    planned = planned or sorted(cpu)
    smallest, largest = min(planned), max(planned)
    for dialogs, figures in cpu.items():
        for contender, value in figures.items():
            base = cpu.get(smallest, {}).get(contender)
            out[f"cpu_{dialogs}_{contender}_us_per_msg"] = value
            out[f"cpu_{dialogs}_{contender}_vs_{smallest}"] = (
                round(value / base, 2) if base else None
            )
    base = cpu.get(smallest, {}).get("now")
    top = cpu.get(largest, {}).get("now")
    ratio = round(top / base, 2) if base and top is not None else None
    out[f"cpu_{largest}_now_vs_{smallest}"] = ratio
    out[f"cpu_goal_{largest}_within_{GOAL_CPU_RATIO}x_of_{smallest}"] = (
        ratio is not None and ratio <= GOAL_CPU_RATIO
    )
    if runs:
        out["state_goal_all_now"] = all(r.meets_goal for r in runs if r.contender == "now")
        firsts = [r for r in runs if r.contender == "now" and r.case == "first"]
        for run in firsts:
            # The goal with its number: final STATE a chat without, and with, change capture.
            key = f"final_state_goal_{GOAL_BYTES_PER_CHAT}_bytes_per_chat_{run.dialogs}"
            out[key] = run.bytes_per_chat_without_changes()
            out[f"{key}_with_change_capture"] = run.final_bytes_per_chat()
        out[f"final_state_goal_{GOAL_BYTES_PER_CHAT}_bytes_per_chat"] = all(
            r.bytes_per_chat_without_changes() <= GOAL_BYTES_PER_CHAT for r in firsts
        )
    return out


def table(result: dict[str, Any]) -> str:
    """Markdown: each case, before and after side by side."""
    runs: list[Run] = result["runs"]
    lines = [
        "| case | dialogs | RECORD MB | STATE MB before | STATE MB now | STATE lines before "
        "| STATE lines now | STATE/RECORD now | goal now | final B/chat before "
        "| final B/chat now | of it messages partitions | of it refresh memory "
        "| now without change capture |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    by_key = {(r.case, r.dialogs, r.contender): r for r in runs}
    for case, dialogs, _ in [k for k in by_key if k[2] == "now"]:
        before, now = by_key[(case, dialogs, "before")], by_key[(case, dialogs, "now")]
        lines.append(
            f"| {case} | {dialogs:,} | {now.record_bytes / 1e6:.1f} | "
            f"{before.state_bytes / 1e6:.2f} | {now.state_bytes / 1e6:.2f} | "
            f"{before.state_lines:,} | {now.state_lines:,} | {now.share} | "
            f"{'met' if now.meets_goal else 'MISSED'} | {before.final_bytes_per_chat()} | "
            f"{now.final_bytes_per_chat()} | {now.partition_bytes_per_chat()} | "
            f"{now.memory_bytes_per_chat()} | {now.bytes_per_chat_without_changes()} |"
        )
    lines = [*lines, ""] if runs else []  # no runs (``--cpu-only``): the CPU table alone
    lines += ["| dialogs in STATE | CPU µs/message before | now | before vs 20 | now vs 20 |",
              "|---:|---:|---:|---:|---:|"]  # fmt: skip
    cpu: dict[int, dict[str, float]] = result["cpu"]
    smallest = min(cpu) if cpu else 0
    for dialogs, figures in cpu.items():
        ratios = [
            round(figures[c] / cpu[smallest][c], 2) if cpu[smallest][c] else None
            for c in CONTENDERS
        ]
        lines.append(
            f"| {dialogs:,} | {figures['before']} | {figures['now']} | {ratios[0]} | {ratios[1]} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="sizes x 0.1")
    parser.add_argument("--cpu-only", action="store_true", help="only the cpu case")
    args = parser.parse_args(argv)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    result = run_state(0.1 if args.quick else 1.0, cpu_only=args.cpu_only)
    print()
    print(table(result))
    print(json.dumps({"state": [r.as_dict() for r in result["runs"]], **result["goals"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
