"""Run the real tap CLI against a fake Telegram built from a JSON spec.

    python -m tests.fake_telegram.launcher --world spec.json -- --config config.json
    FAKE_TELEGRAM_WORLD=spec.json python -m tests.fake_telegram.launcher --config c.json

Everything after the optional ``--`` goes to the tap's CLI unchanged. Crash faults
really kill the process here (``os._exit``), like ``kill -9``. With
``FAKE_TELEGRAM_STATS=path`` the fake's request statistics are written to ``path``
(JSON) when the tap exits normally, so tests can assert on them.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
from pathlib import Path

from tests.fake_telegram import tee
from tests.fake_telegram.fake import FakeTelegram
from tests.fake_telegram.spec import STATS_ENV, WORLD_ENV, fake_from_spec, load_spec

#: Commands that never talk to Telegram: they may run without a world.
OFFLINE_FLAGS = frozenset({"--about", "--discover", "--help", "--version"})


def split_args(argv: list[str]) -> tuple[str | None, list[str]]:
    """``(spec path, tap args)`` from the launcher's command line and environment."""
    args = list(argv)
    spec = os.environ.get(WORLD_ENV) or None
    if args[:1] == ["--world"] and len(args) > 1:
        spec, args = args[1], args[2:]
    elif args and args[0].startswith("--world="):
        spec, args = args[0].split("=", 1)[1], args[1:]
    if args[:1] == ["--"]:
        args = args[1:]
    return spec, args


def build_fake(spec_path: str | None, tap_args: list[str]) -> FakeTelegram:
    """The fake for this run (an empty world for offline commands without a spec)."""
    if spec_path:
        return fake_from_spec(load_spec(spec_path), crash_mode="exit")
    if OFFLINE_FLAGS.intersection(tap_args):
        return FakeTelegram(crash_mode="exit")
    sys.stderr.write(f"tap-telegram-fake: no world; pass --world spec.json or set {WORLD_ENV}\n")
    raise SystemExit(2)


def main(argv: list[str] | None = None) -> None:
    """Build the world, then hand over to ``tap_telegram.cli.main.main`` with a FakeTap."""
    spec_path, tap_args = split_args(sys.argv[1:] if argv is None else argv)
    fake = build_fake(spec_path, tap_args)
    tee.install(tap_args, spec_path)  # TAP_TELEGRAM_TEE_DIR: stdout copied for the checker
    stats_path = os.environ.get(STATS_ENV)
    if stats_path:
        atexit.register(
            lambda: Path(stats_path).write_text(json.dumps(fake.stats.to_dict()), encoding="utf-8")
        )
    from tap_telegram.cli.main import main as tap_main
    from tap_telegram.tap import TapTelegram

    class FakeTap(TapTelegram):
        client_factory = staticmethod(fake.client_factory)  # type: ignore[assignment]
        # The world's time (``"now"`` in the spec) is the tap's time too.
        clock = staticmethod(fake.clock)

    FakeTap.__doc__ = TapTelegram.__doc__  # what --about shows

    sys.argv = ["tap-telegram", *tap_args]
    tap_main(FakeTap)


if __name__ == "__main__":
    main()
