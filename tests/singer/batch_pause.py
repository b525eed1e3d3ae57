"""Run the tap with a pause between a ``messages`` batch file and its BATCH message.

    python -m tests.singer.batch_pause MARKER N -- <tap arguments>
    python -m tests.singer.batch_pause MARKER N --fake -- --world spec.json -- <tap arguments>

The SDK's JSON Lines batcher is wrapped so that once it has written the ``N``-th batch
file of a ``messages`` stream, the file's URL goes to ``MARKER`` and the process sleeps
before handing the file on (so before its BATCH message is written). A test waits for
``MARKER`` and kills the process with SIGKILL there: a real crash at the worst moment,
with no hook in the tap itself. ``--fake`` runs the fake Telegram's launcher
(:mod:`tests.fake_telegram.launcher`) instead of the plain CLI.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

from singer_sdk.contrib.batch_encoder_jsonl import JSONLinesBatcher

#: Long enough for any test to notice the marker and kill the process.
PAUSE_SECONDS = 600


def pause_after(marker: Path, count: int) -> None:
    """Make the ``count``-th ``messages`` batch file stop the process once written."""
    original = JSONLinesBatcher.get_batches
    written = 0

    def get_batches(self: JSONLinesBatcher, records: Iterator[dict]) -> Iterator[list[str]]:
        nonlocal written
        for manifest in original(self, records):
            if self.stream_name.startswith("messages"):
                written += 1
                if written == count:
                    # Whole or not at all: the test kills as soon as the marker exists.
                    partial = marker.with_suffix(".partial")
                    partial.write_text(manifest[0], encoding="utf-8")
                    partial.rename(marker)
                    time.sleep(PAUSE_SECONDS)
            yield manifest

    JSONLinesBatcher.get_batches = get_batches  # type: ignore[method-assign]


def main(argv: list[str]) -> None:
    """``MARKER N [--fake] -- args``: install the pause, then run the tap."""
    marker, count, rest = Path(argv[0]), int(argv[1]), argv[2:]
    fake = rest[:1] == ["--fake"]
    rest = rest[1:] if fake else rest
    if rest[:1] == ["--"]:
        rest = rest[1:]
    pause_after(marker, count)
    if fake:
        from tests.fake_telegram.launcher import main as launch

        launch(rest)
        return
    from tap_telegram.cli.main import main as tap_main

    sys.argv = ["tap-telegram", *rest]
    tap_main()


if __name__ == "__main__":
    main(sys.argv[1:])
