"""Copy the tap's stdout to a file, so the stream checker sees runs whose stdout a target eats.

Under ``meltano run`` (and any ``tap | target`` pipe) the tap's stdout goes to the
target; the e2e workspace sets ``TAP_TELEGRAM_TEE_DIR`` and the tap executables it uses
(``bin/tap-telegram-fake`` via :mod:`.launcher`, ``bin/tap-telegram-teed`` for the other
sources) write every byte of a sync's stdout also to ``<dir>/<run>.out``, and what the
checker needs to judge it to ``<dir>/<run>.json``: the command line, the input STATE
(Meltano deletes its ``--state`` file after the run), the selection settings and the
fake world's spec. The copy is written right after each write to the real stdout,
unbuffered, so a killed run leaves the prefix it wrote (a cut last line included).

    python -m tests.fake_telegram.tee -- <tap arguments>    # the plain tap, teed
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import IO, Any

from tests.fake_telegram.spec import WORLD_ENV

#: The folder of the copies (unset: no copy).
TEE_ENV = "TAP_TELEGRAM_TEE_DIR"
#: Settings that decide which chats a run may emit (what the checker needs of the config).
SELECTION_KEYS = ("source", "chats", "exclude_chats", "chat_types", "stream_per_chat")
#: Commands that print no Singer stream.
OFFLINE_FLAGS = frozenset({"--about", "--discover", "--help", "--version", "--test"})


class _TeeBuffer:
    """A binary stdout that writes to the real one, then to the copy."""

    def __init__(self, real: IO[bytes], copy: IO[bytes]) -> None:
        self.real = real
        self.copy = copy

    def write(self, data: bytes) -> int:
        written = self.real.write(data)
        self.copy.write(data)
        return written

    def flush(self) -> None:
        self.real.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class _TeeStdout:
    """``sys.stdout`` whose text writes go through the teed binary buffer, in order."""

    def __init__(self, real: Any, copy: IO[bytes]) -> None:
        self._real = real
        self.buffer = _TeeBuffer(real.buffer, copy)

    def write(self, text: str) -> int:
        self.buffer.write(text.encode("utf-8"))
        return len(text)

    def flush(self) -> None:
        self.buffer.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _option(args: list[str], flag: str) -> str | None:
    for index, arg in enumerate(args):
        if arg == flag and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return None


def _json_file(path: str | None) -> Any:
    if not path:
        return None
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def install(tap_args: list[str], world: str | None = None) -> Path | None:
    """Tee this process's stdout when ``TAP_TELEGRAM_TEE_DIR`` is set and this is a sync."""
    folder = os.environ.get(TEE_ENV)
    if not folder or OFFLINE_FLAGS.intersection(tap_args) or "login" in tap_args:
        return None
    base = Path(folder) / f"{time.time_ns()}-{os.getpid()}"
    base.parent.mkdir(parents=True, exist_ok=True)
    config = _json_file(_option(tap_args, "--config")) or {}
    meta = {
        "args": tap_args,
        "state": _json_file(_option(tap_args, "--state")),
        "config": {k: config[k] for k in SELECTION_KEYS if k in config},
        "world": world or os.environ.get(WORLD_ENV) or None,
    }
    base.with_suffix(".json").write_text(json.dumps(meta), encoding="utf-8")
    copy = base.with_suffix(".out").open("ab", buffering=0)
    sys.stdout = _TeeStdout(sys.stdout, copy)
    return base


def main() -> None:
    """The plain tap CLI with its stdout teed (``bin/tap-telegram-teed``)."""
    args = sys.argv[1:]
    if args[:1] == ["--"]:
        args = args[1:]
    install(args)
    from tap_telegram.cli.main import main as tap_main

    sys.argv = ["tap-telegram", *args]
    tap_main()


if __name__ == "__main__":
    main()
