"""Where the CPU goes in the 0 ms scenario: the tap's own share vs the fake, Telethon, the SDK.

    .venv/bin/python -m bench.profile [--messages 50000] [--top 25] [--export]

``--export``: the export path instead (the bench's export, :mod:`bench.export_bench`,
read by the tap in-process with ``source: export``): the tap's reading and scanning,
its mapping, the parser (ijson, C: its time shows in ``next``), singer-sdk.

Runs the real tap in-process (the CLI's ``sync_all``, stdout to /dev/null) against the
fake Telegram with cProfile on BOTH threads (the SDK's main thread and the event-loop
thread that fetches and maps), then sums own time (``tottime``) by package: the fake
Telegram (on a real deployment that CPU is Telegram's; Telethon's TL *encoding* of the
answers is counted there too), Telethon (TL parsing, which any MTProto client pays), the
tap's mapping and fetching, singer-sdk, the rest. Lock and epoll waits are left out.
cProfile slows everything down roughly evenly; read the shares, not the seconds.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.export_memory import write_export
from bench.runners import tap_config
from bench.scenarios import Scenario
from tap_telegram.sources.mtproto.wire import loop as loop_module
from tap_telegram.tap import TapTelegram
from tests.fake_telegram.spec import fake_from_spec

GROUPS = (
    ("fake Telegram", "/tests/fake_telegram/"),
    ("tap: export mapping", "/tap_telegram/sources/export/mapping/"),
    ("tap: export reading and scanning", "/tap_telegram/sources/export/"),
    ("tap: mapping", "/tap_telegram/sources/mtproto/mapping/"),
    ("tap: mapping", "/tap_telegram/records/"),
    ("tap: output", "/tap_telegram/singer/output.py"),
    ("tap: fetching", "/tap_telegram/"),
    ("Telethon", "/telethon/"),
    ("singer-sdk", "/singer_sdk/"),
    ("asyncio", "/asyncio/"),
)


#: Builtins that are waiting, not working (thread hand-over, idle event loop).
WAITS = ("acquire' of '_thread.lock", "select.epoll", "of '_socket.socket'")
#: Telethon serialization and the fake's own clock: the fake's side of the wire.
FAKE_SIDE = ("_bytes", "__bytes__", "serialize_bytes", "serialize_datetime", "<genexpr>")
FAKE_BUILTINS = ("join' of 'bytes'", "time.thread_time")


def group_of(filename: str, function: str) -> str:
    """The package a function's own time is charged to."""
    if any(marker in function for marker in WAITS):
        return "waiting (not CPU)"
    if any(marker in function for marker in FAKE_BUILTINS):
        return "fake Telegram"
    if "/telethon/" in filename and function in FAKE_SIDE:
        return "fake Telegram"  # encoding answers: Telegram's work, not the client's
    for name, marker in GROUPS:
        if marker in filename:
            return name
    return "other (stdlib, builtins, msgspec)"


def profile(messages: int) -> tuple[pstats.Stats, float]:
    scenario = Scenario("profile", "profile", 1, messages)
    fake = fake_from_spec(scenario.spec())
    main_profile = cProfile.Profile()
    loop_profile = cProfile.Profile()
    original = loop_module.LoopThread._run

    def run_profiled(self: Any) -> None:
        loop_profile.enable()
        try:
            original(self)
        finally:
            loop_profile.disable()

    class FakeTap(TapTelegram):
        client_factory = staticmethod(fake.client_factory)  # type: ignore[assignment]

    loop_module.LoopThread._run = run_profiled  # type: ignore[method-assign]
    stdout = sys.stdout
    try:
        with open(os.devnull, "w", encoding="utf-8") as sink:  # noqa: PTH123
            sys.stdout = sink
            tap = FakeTap(config=tap_config(scenario), setup_mapper=True)
            started = time.monotonic()
            main_profile.enable()
            tap.sync_all()
            main_profile.disable()
            elapsed = time.monotonic() - started
    finally:
        sys.stdout = stdout
        loop_module.LoopThread._run = original  # type: ignore[method-assign]
    stats = pstats.Stats(main_profile)
    stats.add(loop_profile)
    return stats, elapsed


def profile_export(messages: int) -> tuple[pstats.Stats, float]:
    """The tap's export path in-process under cProfile (one thread: no event loop)."""
    with tempfile.TemporaryDirectory(prefix="tap-telegram-profile-") as folder:
        path = Path(folder) / "result.json"
        write_export(path, messages)
        stats = cProfile.Profile()
        stdout = sys.stdout
        try:
            with open(os.devnull, "w", encoding="utf-8") as sink:  # noqa: PTH123
                sys.stdout = sink
                tap = TapTelegram(
                    config={"source": "export", "export_path": str(path)}, setup_mapper=True
                )
                started = time.monotonic()
                stats.enable()
                tap.sync_all()
                stats.disable()
                elapsed = time.monotonic() - started
        finally:
            sys.stdout = stdout
    return pstats.Stats(stats), elapsed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--top", type=int, default=20, help="also list the top functions")
    parser.add_argument("--export", action="store_true", help="the export path instead")
    args = parser.parse_args(argv)
    stats, elapsed = (profile_export if args.export else profile)(args.messages)
    totals: collections.Counter[str] = collections.Counter()
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (filename, _, function), (_, _, tottime, _, _) in raw.items():
        totals[group_of(filename, function)] += tottime
    cpu = sum(v for k, v in totals.items() if k != "waiting (not CPU)")
    print(f"{args.messages:,} messages in {elapsed:.1f} s under cProfile; CPU by package:")
    for name, seconds in totals.most_common():
        if name == "waiting (not CPU)":
            continue
        per = seconds / args.messages * 1e6
        print(f"  {name:<36} {seconds:6.2f} s  {100 * seconds / cpu:5.1f} %  {per:6.1f} us/msg")
    if args.top:
        with contextlib.redirect_stdout(sys.stdout):
            stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
