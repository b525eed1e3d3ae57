"""Run the tap against a fake world (in a subprocess, or in this process) and parse its output."""

from __future__ import annotations

import copy
import dataclasses
import json
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tests.fake_telegram.checked import ProbingWriter, check_run, checker_for, is_sync
from tests.fake_telegram.fake import FakeTelegram
from tests.fake_telegram.faults import Stats
from tests.fake_telegram.spec import STATS_ENV, dump_spec, fake_from_spec
from tests.fake_telegram.world import World
from tests.stream_check import StreamChecker, StreamReport

REPO_ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = REPO_ROOT / "tests" / "fake_telegram" / "bin" / "tap-telegram-fake"


@dataclasses.dataclass
class TapRun:
    """A finished tap run: exit code, output, parsed Singer messages, fake statistics."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    messages: list[dict[str, Any]]
    records: dict[str, list[dict[str, Any]]]
    schemas: dict[str, dict[str, Any]]
    states: list[dict[str, Any]]
    noise: list[str]
    stats: Stats | None
    #: What the stream checker saw (``None``: not a sync run, nothing to check).
    checked: StreamReport | None = None

    @property
    def state(self) -> dict[str, Any] | None:
        """The last STATE value (what a target would persist), if any."""
        return self.states[-1] if self.states else None

    @property
    def ok(self) -> bool:
        """Exit code 0."""
        return self.returncode == 0

    def check(self) -> TapRun:
        """Raise with the tap's stderr unless it exited 0; returns itself."""
        if self.returncode != 0:
            raise AssertionError(
                f"tap exited {self.returncode}: {' '.join(self.args)}\n{self.stderr[-4000:]}"
            )
        return self


def parse_singer(stdout: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Singer messages (JSON lines with a ``type``) and the other lines."""
    messages, noise = [], []
    for line in stdout.splitlines():
        try:
            data = json.loads(line)
        except ValueError:
            data = None
        if isinstance(data, dict) and "type" in data:
            messages.append(data)
        elif line.strip():
            noise.append(line)
    return messages, noise


def run_fake_tap(
    spec: Mapping[str, Any] | World | FakeTelegram,
    config: Mapping[str, Any] | None,
    state: Mapping[str, Any] | None = None,
    catalog: Mapping[str, Any] | None = None,
    extra_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    *,
    timeout: float = 300,
    cut_ok: bool = False,
) -> TapRun:
    """Run ``tap-telegram-fake --config ... [--state ...] [--catalog ...] *extra_args``.

    ``spec`` may be a JSON spec, a :class:`World` or a :class:`FakeTelegram` (its
    faults and latency included). ``config=None`` passes no ``--config``. A sync run's
    stdout goes through the stream checker (:mod:`.checked`); ``cut_ok`` when the test
    kills the run on purpose, so its last line may be cut (the lines before are checked).
    """
    with tempfile.TemporaryDirectory(prefix="fake-tap-") as tmp:
        folder = Path(tmp)
        spec_source = dict(spec) if isinstance(spec, Mapping) else spec
        spec_path = dump_spec(spec_source, folder / "world.json")
        stats_path = folder / "stats.json"
        args = [str(LAUNCHER), "--world", str(spec_path), "--"]
        for flag, value in (("--config", config), ("--state", state), ("--catalog", catalog)):
            if value is not None:
                path = folder / f"{flag[2:]}.json"
                path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
                args += [flag, str(path)]
        args += list(extra_args)
        run_env = dict(os.environ)
        run_env.update(env or {})
        run_env[STATS_ENV] = str(stats_path)
        run_env.setdefault("FAKE_TELEGRAM_PYTHON", sys.executable)
        done = subprocess.run(
            args,
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=run_env,
            cwd=REPO_ROOT,
            timeout=timeout,
            check=False,
        )
        stats = (
            Stats.from_dict(json.loads(stats_path.read_text(encoding="utf-8")))
            if stats_path.exists()
            else None
        )
    run = tap_run(args, done.returncode, done.stdout, done.stderr, stats)
    if config is not None and is_sync(extra_args):
        fake = fake_from_spec(dict(spec)) if isinstance(spec, Mapping) else spec
        run.checked = check_run(done.stdout, fake, config, state, cut_ok=cut_ok)
    return run


def tap_run(
    args: list[str], returncode: int, stdout: str, stderr: str, stats: Stats | None
) -> TapRun:
    """A :class:`TapRun` from the tap's output (Singer lines parsed, records by stream)."""
    messages, noise = parse_singer(stdout)
    records: dict[str, list[dict[str, Any]]] = {}
    schemas: dict[str, dict[str, Any]] = {}
    states: list[dict[str, Any]] = []
    for message in messages:
        kind = message["type"]
        if kind == "RECORD":
            records.setdefault(message["stream"], []).append(message["record"])
        elif kind == "SCHEMA":
            schemas[message["stream"]] = message["schema"]
        elif kind == "STATE":
            states.append(message["value"])
    return TapRun(
        args=args,
        returncode=returncode,
        stdout=stdout,
        stderr=stderr,
        messages=messages,
        records=records,
        schemas=schemas,
        states=states,
        noise=noise,
        stats=stats,
    )


class _Lines:
    """A binary stdout that feeds every line to the stream checker and keeps them.

    Each STATE holds every chat's bookmark: over thousands of chats, the STATE lines
    are most of the output (gigabytes for a first run of 2,000 chats). Past
    :attr:`KEEP` bytes kept, STATE lines are only checked, and the last one is kept.
    """

    KEEP = 16 * 1024 * 1024

    def __init__(self, checker: StreamChecker) -> None:
        self.checker = checker
        self.kept = bytearray()
        self.state = b""
        self._partial = b""

    def write(self, data: bytes) -> int:
        lines = (self._partial + bytes(data)).split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            self.checker.feed(line)
            if len(self.kept) > self.KEEP and line.startswith(b'{"type":"STATE"'):
                self.state = line
            else:
                self.kept += line + b"\n"
        return len(data)

    def close(self) -> StreamReport:
        """The checker's report (raises its first violation)."""
        if self._partial:
            self.checker.feed(self._partial)
        return self.checker.close()

    def text(self) -> str:
        return (bytes(self.kept) + self._partial + b"\n" + self.state).decode("utf-8")


class _Stdout:
    """What the tap's writer needs of ``sys.stdout``: a binary ``buffer`` and ``flush``."""

    def __init__(self, checker: StreamChecker) -> None:
        self.buffer = _Lines(checker)

    def write(self, text: str) -> int:
        return self.buffer.write(text.encode("utf-8"))

    def flush(self) -> None:
        """Nothing to flush: the bytes stay in :attr:`buffer`."""


#: The streams a run reads when no catalog says otherwise (selected by default).
DEFAULT_STREAMS = ("chats", "messages", "topics", "participants", "users")


def catalog_selecting(*streams: str) -> dict[str, Any]:
    """The tap's discovered catalog with exactly ``streams`` selected (all their properties).

    Discovery needs no config and no network; streams not named are deselected.
    """
    from tap_telegram.tap import TapTelegram

    catalog = copy.deepcopy(TapTelegram(config=None).catalog_dict)
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog


def run_in_process(
    fake: FakeTelegram,
    config: Mapping[str, Any],
    state: Mapping[str, Any] | None = None,
    *,
    catalog: Mapping[str, Any] | None = None,
) -> TapRun:
    """One sync in this process against ``fake`` (its world, faults and clock as they are).

    Much faster than :func:`run_fake_tap` for tests that run the tap many times; the
    fake's statistics start from zero and cover this run only; ``stderr`` holds the log
    lines that reach the root logger; ``states`` holds every STATE (past
    :attr:`_Lines.KEEP` bytes, the last one). Every line goes through the stream checker
    as it is written (:mod:`.checked`); its first violation is raised after the run. A
    user error gives its exit code. ``catalog`` selects streams (see
    :func:`catalog_selecting`); without one the SDK's defaults apply.
    """
    from tap_telegram.errors import TapTelegramError
    from tap_telegram.tap import TapTelegram

    class FakeTap(TapTelegram):
        client_factory = staticmethod(fake.client_factory)  # type: ignore[assignment]
        clock = staticmethod(fake.clock)
        message_writer_class = ProbingWriter

    fake.reset_stats()
    checker = checker_for(fake, config, state)
    out = _Stdout(checker)
    returncode = 0
    real = sys.stdout
    logs = _Logs()
    sys.stdout = out
    try:
        with logs:
            tap = FakeTap(
                config=dict(config),
                state=copy.deepcopy(dict(state or {})),
                catalog=copy.deepcopy(dict(catalog)) if catalog is not None else None,
            )
            writer = tap.message_writer
            assert isinstance(writer, ProbingWriter)
            writer.checker, writer.tap_state = checker, tap.state
            tap.sync_all()
    except TapTelegramError as error:
        returncode = error.exit_code
    except BaseException:
        sys.stdout = real
        out.buffer.close()  # a crash fault: the lines before it are checked (a violation wins)
        raise
    finally:
        sys.stdout = real
    report = out.buffer.close()
    run = tap_run(["in-process"], returncode, out.buffer.text(), logs.text(), fake.stats)
    run.checked = report
    return run


class _Logs(logging.Handler):
    """The run's log lines (what the tap prints on stderr), while it is active."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def __enter__(self) -> None:
        logging.getLogger().addHandler(self)

    def __exit__(self, *_: object) -> None:
        logging.getLogger().removeHandler(self)

    def text(self) -> str:
        return "\n".join(self.lines)
