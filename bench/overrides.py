"""What each speed-only singer-sdk override of the fence pays: the tap's CPU with and without.

    .venv/bin/python -m bench.overrides [--rounds 6] [--messages 30000] [--chats 500]

``tap_telegram/singer/sdk_private.py`` keeps a private override for speed only where it
pays (docs/development.md, "The singer-sdk fence"). This measures the two it has, back
to back in one process, alternating which goes first, each run against a fresh fake:

* ``record_loop``: RECORD messages made by the SDK's stream-map loop alone
  (``SdkStream._sdk_path_is_a_loop``) against the SDK's own ``_generate_record_messages``;
  one chat of ``--messages`` messages at 0 ms latency (the bench's 0 ms scenario).
* ``state_writer``: :class:`~tap_telegram.singer.sdk_private.LineStateWriter` against
  the SDK's ``StateWriter`` (a deep copy per STATE); a first run over ``--chats``
  dialogs of 20 messages with STATE after each page (``state_every_seconds: 0``, the
  cadence before issue 26; at the default cadence a run writes a handful of STATE
  messages and the deep copies cost next to nothing).

The figure is the tap's CPU per message: the process's CPU time (every thread) minus
the fake Telegram's own (``thread_time`` around each answer), so other load on the
machine moves it less than wall time. Prints one line per run and a JSON line with the
medians and ``without / with``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from singer_sdk.helpers._state import StateWriter

from bench.runners import tap_config
from bench.scenarios import Scenario
from tap_telegram.singer import sdk_private
from tap_telegram.tap import TapTelegram
from tests.fake_telegram import FakeTelegram, dialogs_world
from tests.fake_telegram.spec import fake_from_spec

LOOP = sdk_private.SdkStream._sdk_path_is_a_loop


def _sdk_path(_stream: sdk_private.SdkStream) -> bool:
    """The fence's test, answering "take the SDK's own record path" always."""
    return False


def tap_cpu_per_message(
    fake: FakeTelegram, config: dict[str, Any], messages: int, *, sdk_state_writer: bool
) -> float:
    """Microseconds of the tap's CPU per message for one sync (stdout to /dev/null)."""

    class FakeTap(TapTelegram):
        client_factory = staticmethod(fake.client_factory)  # type: ignore[assignment]

    stdout = sys.stdout
    with open(os.devnull, "w", encoding="utf-8") as sink:  # noqa: PTH123
        sys.stdout = sink
        try:
            tap = FakeTap(config=config)
            if sdk_state_writer:
                tap._state_writer = StateWriter(tap.message_writer)
            began = time.process_time()
            tap.sync_all()
            cpu = time.process_time() - began
        finally:
            sys.stdout = stdout
    return (cpu - fake.stats.fake_seconds) / messages * 1e6


def record_loop(messages: int) -> Callable[[bool], float]:
    """One 0 ms run of ``messages``; ``with_override=False`` takes the SDK's record path."""

    def run(with_override: bool) -> float:
        scenario = Scenario("overrides", "record path", 1, messages)
        path = LOOP if with_override else _sdk_path
        sdk_private.SdkStream._sdk_path_is_a_loop = path  # type: ignore[method-assign,assignment]
        try:
            fake = fake_from_spec(scenario.spec())
            return tap_cpu_per_message(fake, tap_config(scenario), messages, sdk_state_writer=False)
        finally:
            sdk_private.SdkStream._sdk_path_is_a_loop = LOOP  # type: ignore[method-assign]

    return run


def state_writer(chats: int) -> Callable[[bool], float]:
    """A first run over ``chats`` dialogs; ``with_override=False`` uses the SDK's writer."""

    def run(with_override: bool) -> float:
        fake = FakeTelegram(dialogs_world(chats, messages=20))
        # STATE at every page and chat (the cadence of old): the SDK's writer does not
        # report to the cadence, which would then write at every page after 10,000 records.
        config = fake.tap_config(state_every_seconds=0)
        return tap_cpu_per_message(fake, config, chats * 20, sdk_state_writer=not with_override)

    return run


def measure(run: Callable[[bool], float], rounds: int, log: Any = print) -> dict[str, Any]:
    """``rounds`` back-to-back pairs (the first of each pair alternates); medians."""
    got: dict[bool, list[float]] = {True: [], False: []}
    for index in range(rounds):
        for with_override in (True, False) if index % 2 == 0 else (False, True):
            got[with_override].append(run(with_override))
            label = "with" if with_override else "without"
            log(f"overrides:   {label:<7} {got[with_override][-1]:8.1f} us/msg")
    with_, without = statistics.median(got[True]), statistics.median(got[False])
    return {
        "with_us_per_msg": [round(x, 1) for x in got[True]],
        "without_us_per_msg": [round(x, 1) for x in got[False]],
        "median_with": round(with_, 1),
        "median_without": round(without, 1),
        "without_over_with": round(without / with_, 3) if with_ else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=6, help="back-to-back pairs per override")
    parser.add_argument("--messages", type=int, default=30_000, help="record_loop: messages")
    parser.add_argument("--chats", type=int, default=500, help="state_writer: dialogs")
    parser.add_argument("--only", choices=["record_loop", "state_writer"])
    args = parser.parse_args(argv)
    runs = {"record_loop": record_loop(args.messages), "state_writer": state_writer(args.chats)}
    out: dict[str, Any] = {"messages": args.messages, "chats": args.chats}
    for name, run in runs.items():
        if args.only and name != args.only:
            continue
        print(f"overrides: {name}")
        out[name] = measure(run, max(1, args.rounds))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
