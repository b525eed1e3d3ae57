"""Run one contender on one scenario in a subprocess; measure time, records and memory.

Contenders:

* ``ceiling`` — :mod:`bench.ceiling`, a stock SDK tap writing prebuilt records;
* ``ceiling-tuned`` — the same with the tap's output tuning (0 ms scenario only);
* ``naive`` — :mod:`bench.naive_telethon`, ``iter_messages`` with Telethon's defaults
  (stopped after a time budget: its rate is flat);
* ``tap`` — the real CLI (``tests/fake_telegram/launcher``) with default settings;
* ``tap-1`` — the same with ``max_concurrent_requests=1, concurrent_chats=1``;
* ``tap-unpaced`` — the real CLI with its learned pacing off (:mod:`bench.unpaced`: it
  waits every FLOOD_WAIT out and never paces), on flood-limited scenarios.

The tap's stdout is read by a thread of this process that passes every line through the
stream checker (:mod:`tests.stream_check`, with the scenario's world) and counts the
records there, instead of trusting the tap's own log line; the other contenders' output
goes to ``/dev/null`` and their records are counted from their own stderr line. Peak
RSS comes from ``wait4`` (the child's ``ru_maxrss``); the tap can also be sampled over
time (``/proc/<pid>/status``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any, Protocol

from bench.scenarios import Scenario
from tests.fake_telegram.checked import checker_for
from tests.fake_telegram.fake import API_HASH, API_ID
from tests.fake_telegram.sessions import session_string
from tests.fake_telegram.spec import fake_from_spec

ROOT = Path(__file__).resolve().parents[1]
TAP_DONE = re.compile(r"chat .*?: (\d+) new messages in ([\d.]+) s")
NAIVE_DONE = re.compile(r"naive: (\d+) messages in ([\d.]+) s")
CEILING_DONE = re.compile(r"ceiling: (\d+) records")
FLOOD_LOG = re.compile(r"flood wait \d+ s on ")
SINGLE = {"max_concurrent_requests": 1, "concurrent_chats": 1}


class LineSink(Protocol):
    """What reads a contender's stdout line by line (:class:`StreamChecker`, a hash)."""

    def feed(self, raw: str | bytes) -> None:
        """One line of stdout."""


@dataclasses.dataclass
class Result:
    """One contender on one scenario."""

    scenario: str
    runner: str
    messages: int
    seconds: float
    peak_rss_mb: float
    returncode: int = 0
    #: Seconds the fake Telegram itself spent in the tap's process (CPU).
    fake_seconds: float = 0.0
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Messages per second over the whole process (start-up included)."""
        return self.messages / self.seconds if self.seconds else 0.0

    @property
    def net_rate(self) -> float:
        """Messages per second with the in-process fake's own CPU time taken out."""
        busy = self.seconds - self.fake_seconds
        return self.messages / busy if busy > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "runner": self.runner,
            "messages": self.messages,
            "seconds": round(self.seconds, 2),
            "msgs_per_s": round(self.rate),
            "net_msgs_per_s": round(self.net_rate),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "returncode": self.returncode,
            **self.extra,
        }


@dataclasses.dataclass
class Process:
    """A finished subprocess: exit code, wall time, stderr, peak RSS, RSS samples."""

    returncode: int
    seconds: float
    stderr: str
    peak_rss_mb: float
    samples: list[tuple[float, float]]
    #: The child's CPU time, user + system (``wait4``): what a loaded machine changes least.
    cpu_seconds: float = 0.0


def run_process(
    args: list[str],
    env: dict[str, str] | None = None,
    *,
    sample_every: float = 0.0,
    checker: LineSink | None = None,
) -> Process:
    """Run ``args``; ``wait4`` gives the child's own peak RSS.

    Its stdout goes to /dev/null, or with ``checker`` line by line into it (a thread).
    """
    run_env = dict(os.environ)
    run_env["PYTHONPATH"] = str(ROOT) + os.pathsep + run_env.get("PYTHONPATH", "")
    run_env.update(env or {})
    samples: list[tuple[float, float]] = []
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as errors:
        started = time.monotonic()
        proc = subprocess.Popen(
            args,
            stdout=subprocess.PIPE if checker else subprocess.DEVNULL,
            stderr=errors,
            cwd=ROOT,
            env=run_env,
        )
        reader = _feed(proc.stdout, checker) if checker and proc.stdout else None
        next_sample = started
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            now = time.monotonic()
            if sample_every and now >= next_sample:
                samples.append((round(now - started, 1), _rss_mb(proc.pid)))
                next_sample = now + sample_every
            time.sleep(0.02)
        seconds = time.monotonic() - started
        if reader is not None:
            reader.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        stderr = errors.read()
    cpu = usage.ru_utime + usage.ru_stime
    return Process(proc.returncode, seconds, stderr, usage.ru_maxrss / 1024, samples, cpu)


def _feed(stream: IO[bytes], checker: LineSink) -> threading.Thread:
    """A thread that passes every line of ``stream`` to ``checker`` until its end."""

    def read() -> None:
        with stream:
            for line in stream:
                checker.feed(line)

    thread = threading.Thread(target=read, name="stdout-checker", daemon=True)
    thread.start()
    return thread


def _rss_mb(pid: int) -> float:
    try:
        text = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return 0.0
    match = re.search(r"VmRSS:\s+(\d+) kB", text)
    return int(match.group(1)) / 1024 if match else 0.0


def _write(folder: Path, name: str, data: Any) -> str:
    path = folder / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def run_ceiling(scenario: Scenario, folder: Path, *, tuned: bool = False) -> Result:
    spec = _write(folder, f"{scenario.key}.json", scenario.spec())
    args = [sys.executable, "-m", "bench.ceiling", "--world", spec]
    done = run_process([*args, "--tuned"] if tuned else args)
    match = CEILING_DONE.search(done.stderr)
    return Result(
        scenario.key,
        "ceiling-tuned" if tuned else "ceiling",
        int(match.group(1)) if match else 0,
        done.seconds,
        done.peak_rss_mb,
        done.returncode,
    )


def run_naive(scenario: Scenario, folder: Path, seconds: float) -> Result:
    spec = _write(folder, f"{scenario.key}.json", scenario.spec())
    args = [sys.executable, "-m", "bench.naive_telethon", "--world", spec, "--seconds"]
    done = run_process([*args, str(seconds), "--chats", *scenario.usernames()])
    match = NAIVE_DONE.search(done.stderr)
    count, elapsed = (int(match.group(1)), float(match.group(2))) if match else (0, 0.0)
    # The rate is the script's own (over its iteration), not counting interpreter start-up.
    return Result(
        scenario.key,
        "naive",
        count,
        elapsed,
        done.peak_rss_mb,
        done.returncode,
        extra={"stopped_after_s": seconds},
    )


def tap_config(scenario: Scenario, **settings: Any) -> dict[str, Any]:
    """A config logged in to the scenario's fake, reading all its chats."""
    config: dict[str, Any] = {
        "source": "mtproto",
        "api_id": API_ID,
        "api_hash": API_HASH,
        "session_string": session_string(scenario.spec()["seed"], "ok", "main"),
        "chats": scenario.usernames(),
    }
    config.update(settings)
    return config


def run_tap(
    scenario: Scenario, folder: Path, *, single: bool = False, unpaced: bool = False
) -> Result:
    spec = _write(folder, f"{scenario.key}.json", scenario.spec())
    runner = "tap-1" if single else "tap-unpaced" if unpaced else "tap"
    config = _write(folder, f"{scenario.key}-{runner}.config.json", tap_config(
        scenario, **(SINGLE if single else {})
    ))  # fmt: skip
    stats_path = folder / f"{scenario.key}-{runner}.stats.json"
    module = "bench.unpaced" if unpaced else "tests.fake_telegram.launcher"
    launcher = [sys.executable, "-m", module, "--world", spec]
    settings = json.loads(Path(config).read_text(encoding="utf-8"))
    checker = checker_for(fake_from_spec(scenario.spec()), settings, None)
    done = run_process(
        [*launcher, "--", "--config", config],
        {"FAKE_TELEGRAM_STATS": str(stats_path)},
        sample_every=1.0 if scenario.rss_curve else 0.0,
        checker=checker,
    )
    report = checker.close()  # raises at the first line that breaks the stream's promises
    matches = TAP_DONE.findall(done.stderr)
    stats = json.loads(stats_path.read_text(encoding="utf-8")) if stats_path.exists() else {}
    history = sum(stats.get("history", {}).values())
    floods = sum(v for k, v in stats.get("errors", {}).items() if k.startswith("FLOOD_WAIT_"))
    extra: dict[str, Any] = {
        "history_requests": history,
        "flood_waits": floods,
        "flood_wait_log_lines": len(FLOOD_LOG.findall(done.stderr)),
        "fetch_seconds": round(max((float(s) for _, s in matches), default=0.0), 2),
    }
    if done.samples:
        extra["rss_curve_mb"] = _thin(done.samples)
    if done.returncode:
        extra["stderr_tail"] = done.stderr[-2000:]
    extra["tap_log_messages"] = sum(int(count) for count, _ in matches)
    return Result(
        scenario.key,
        runner,
        report.records.get("messages", 0),
        done.seconds,
        done.peak_rss_mb,
        done.returncode,
        fake_seconds=float(stats.get("fake_seconds", 0.0)),
        extra=extra,
    )


def _thin(samples: list[tuple[float, float]], points: int = 12) -> list[list[float]]:
    """At most ``points`` evenly spaced ``[seconds, MB]`` samples (last one included)."""
    step = max(1, len(samples) // points)
    picked = samples[::step]
    if picked[-1] != samples[-1]:
        picked.append(samples[-1])
    return [[t, round(mb, 1)] for t, mb in picked]
