"""Shared by the batch tests: reading batch output as a target would, and one set-up per source.

:class:`Setup` gives what a test needs of a source: its batch config, every key a full
sync delivers (ground truth), what a STATE claims, a run to the end and the command of
a run that pauses between a batch file and its BATCH message (:mod:`tests.singer.batch_pause`).
"""

from __future__ import annotations

import abc
import gzip
import json
import subprocess
import sys
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from tests.fake_bot_api import FakeBotApi
from tests.fake_telegram import FakeTelegram, run_fake_tap, world_from_spec
from tests.fake_telegram.harness import REPO_ROOT, parse_singer
from tests.fake_telegram.spec import dump_spec
from tests.fake_telegram.worlds import three_chats_spec
from tests.sources.bot_api.harness import cfg, cursor, push_mixed, run_tap, write_args
from tests.sources.export.support import ACCOUNT_SAMPLE
from tests.sources.mtproto.helpers import bookmarks
from tests.stream_check import check_text

Key = tuple[int, int]
Message = dict[str, Any]


# ----- reading a run's output as a target would ------------------------------------------


def batch_records(message: Message) -> list[dict[str, Any]]:
    """The records in the files a BATCH message announces."""
    out: list[dict[str, Any]] = []
    for url in message["manifest"]:
        with gzip.open(Path(urllib.parse.urlparse(url).path), "rt", encoding="utf-8") as lines:
            out.extend(json.loads(line) for line in lines)
    return out


def message_batches(messages: list[Message]) -> Iterator[Message]:
    """The BATCH messages of the ``messages`` stream (``messages_<chat>`` included)."""
    for message in messages:
        if message["type"] == "BATCH" and message["stream"].startswith("messages"):
            yield message


def delivered(messages: list[Message]) -> dict[Key, dict[str, Any]]:
    """Every ``messages`` record in a BATCH message of this output, by key."""
    return {
        (record["chat_id"], record["id"]): record
        for message in message_batches(messages)
        for record in batch_records(message)
    }


def states_with_deliveries(messages: list[Message]) -> Iterator[tuple[Message, set[Key]]]:
    """Each STATE value with the keys in the BATCH messages written before it."""
    so_far: set[Key] = set()
    for message in messages:
        if message["type"] == "BATCH" and message["stream"].startswith("messages"):
            so_far |= {(r["chat_id"], r["id"]) for r in batch_records(message)}
        elif message["type"] == "STATE":
            yield message["value"], set(so_far)


def assert_states_covered(
    messages: list[Message], claims: Callable[[Message], set[Key]], before: set[Key]
) -> int:
    """Every STATE claims only records in a BATCH message written before it (or ``before``).

    Returns how many STATE messages claimed something.
    """
    claiming = 0
    for state, so_far in states_with_deliveries(messages):
        claimed = claims(state)
        missing = claimed - so_far - before
        assert not missing, f"a STATE claims {len(missing)} records in no earlier BATCH message"
        claiming += bool(claimed)
    return claiming


def last_state(messages: list[Message]) -> Message | None:
    """The last STATE value written (what a target would have stored), if any."""
    states = [m["value"] for m in messages if m["type"] == "STATE"]
    return states[-1] if states else None


def batch_config(root: Path, size: int) -> dict[str, Any]:
    """A ``batch_config`` setting: gzipped JSON Lines files of ``size`` records under ``root``."""
    return {
        "encoding": {"format": "jsonl"},
        "storage": {"root": root.as_uri()},
        "batch_size": size,
    }


# ----- the three sources ---------------------------------------------------------------


class Setup(abc.ABC):
    """One source: its config, what it must deliver, what a STATE claims, how to run it."""

    #: Records per batch file, chosen so batches and pages do not line up and one
    #: batch spans a page or chat end followed by another (where the SDK's own batch
    #: path writes STATE early).
    batch_size: ClassVar[int]
    #: After which ``messages`` batch files a crash test kills the run: the first, and
    #: one whose records the SDK's own path would already have claimed in STATE.
    kill_points: ClassVar[tuple[int, int]]

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.batches = folder / "batches"

    @abc.abstractmethod
    def config(self) -> dict[str, Any]:
        """The tap config of a batch run."""

    @abc.abstractmethod
    def truth(self) -> set[Key]:
        """Every ``messages`` key a complete sync delivers."""

    @abc.abstractmethod
    def claims(self, state: Message) -> set[Key]:
        """The keys a STATE says are delivered."""

    @abc.abstractmethod
    def run(self, state: Message | None) -> list[Message]:
        """A run to the end from ``state``: its Singer messages (exit 0 checked)."""

    @abc.abstractmethod
    def paused_args(self, marker: Path, count: int) -> list[str]:
        """The command of a run that pauses after the ``count``-th ``messages`` batch file."""


def history_claims(truth: set[Key], state: Message) -> set[Key]:
    """A history source's STATE claims every id up to each chat's bookmark."""
    marks = bookmarks(state)
    return {key for key in truth if (marks.get(key[0]) or 0) >= key[1]}


class ExportSetup(Setup):
    """The bundled account export; the truth is a run without ``batch_config``."""

    batch_size = 60  # chats of 20, 179, 20, 30, 198, 61 messages: 181-240 ends two
    kill_points = (1, 4)

    def __init__(self, folder: Path, **settings: Any) -> None:
        super().__init__(folder)
        self.settings = settings
        plain = {"source": "export", "export_path": str(ACCOUNT_SAMPLE), **settings}
        self.records = {(r["chat_id"], r["id"]): r for r in self._records(plain)}

    def _records(self, config: dict[str, Any]) -> list[dict[str, Any]]:
        """The records of a run without batches (what the batch files must equal)."""
        output = self.cli(config, None)
        return [
            m["record"]
            for m in output
            if m["type"] == "RECORD" and m["stream"].startswith("messages")
        ]

    def cli(  # the plain CLI in a subprocess, exit 0 checked
        self, config: dict[str, Any], state: Message | None, extra: list[str] | None = None
    ) -> list[Message]:
        args = write_args(self.folder, config, state, extra or [])
        done = subprocess.run(
            args, capture_output=True, text=True, cwd=REPO_ROOT, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr[-3000:]
        check_text(done.stdout, input_state=state)
        return parse_singer(done.stdout)[0]

    def config(self) -> dict[str, Any]:
        return {
            "source": "export",
            "export_path": str(ACCOUNT_SAMPLE),
            "batch_config": batch_config(self.batches, self.batch_size),
            **self.settings,
        }

    def truth(self) -> set[Key]:
        return set(self.records)

    def claims(self, state: Message) -> set[Key]:
        return history_claims(self.truth(), state)

    def run(self, state: Message | None) -> list[Message]:
        return self.cli(self.config(), state)

    def paused_args(self, marker: Path, count: int) -> list[str]:
        args = write_args(self.folder, self.config(), None, [])
        return [
            sys.executable,
            "-m",
            "tests.singer.batch_pause",
            str(marker),
            str(count),
            *args[3:],
        ]


class MtprotoSetup(Setup):
    """Two chats of the fake Telegram (150 and 120 messages)."""

    batch_size = 70  # pages of 30, chats of 150 and 120: 141-210 ends one and a page
    kill_points = (1, 3)

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.world = world_from_spec(three_chats_spec(seed=5, channel=150, group=120))
        self.fake = FakeTelegram(self.world)

    def config(self) -> dict[str, Any]:
        return self.fake.tap_config(
            chats=["@fake_news", "@fake_devs"],
            page_size=30,
            batch_config=batch_config(self.batches, self.batch_size),
        )

    def truth(self) -> set[Key]:
        return {
            (self.world.marked_id(chat), message_id)
            for chat in ("channel", "supergroup")
            for message_id in self.world.message_ids(chat)
        }

    def claims(self, state: Message) -> set[Key]:
        return history_claims(self.truth(), state)

    def run(self, state: Message | None) -> list[Message]:
        return run_fake_tap(self.fake, self.config(), state=state).check().messages

    def paused_args(self, marker: Path, count: int) -> list[str]:
        spec = dump_spec(self.fake, self.folder / "world.json")
        config = self.folder / "config.json"
        config.write_text(json.dumps(self.config()), encoding="utf-8")
        return [
            *(sys.executable, "-m", "tests.singer.batch_pause", str(marker), str(count)),
            *("--fake", "--", "--world", str(spec), "--", "--config", str(config)),
        ]


class BotApiSetup(Setup):
    """130 updates queued on the fake Bot API, alternating between a group and a channel."""

    batch_size = 20  # pages of 25: a batch cut inside a page, then at the page's end
    kill_points = (1, 2)

    def __init__(self, folder: Path, fake: FakeBotApi) -> None:
        super().__init__(folder)
        self.fake = fake
        self.pushed = push_mixed(fake, 130)

    def config(self) -> dict[str, Any]:
        config = batch_config(self.batches, self.batch_size)
        return cfg(self.fake, page_size=25, batch_config=config)

    def truth(self) -> set[Key]:
        return {key for _, key in self.pushed}

    def claims(self, state: Message) -> set[Key]:
        last = cursor(state) or 0
        return {key for update_id, key in self.pushed if update_id <= last}

    def run(self, state: Message | None) -> list[Message]:
        return run_tap(self.config(), state=state).check().messages

    def paused_args(self, marker: Path, count: int) -> list[str]:
        args = write_args(self.folder, self.config(), None, [])
        return [
            sys.executable,
            "-m",
            "tests.singer.batch_pause",
            str(marker),
            str(count),
            *args[3:],
        ]
