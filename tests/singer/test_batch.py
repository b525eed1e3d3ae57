"""Batch runs (``batch_config``) of every source, through the real CLI in a subprocess.

What a target relies on: no STATE claims a record that is not in a BATCH message
already written (it may store that STATE and never see the record otherwise), and a
run killed between a batch file and its BATCH message loses nothing when the next
run starts from the last STATE written. For the Bot API also: no update is confirmed
(an offset past it sent) before its record is in a BATCH message on stdout.
"""

from __future__ import annotations

import abc
import gzip
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.fake_bot_api import FakeBotApi
from tests.fake_telegram import FakeTelegram, run_fake_tap, world_from_spec
from tests.fake_telegram.harness import REPO_ROOT, parse_singer
from tests.fake_telegram.spec import dump_spec
from tests.fake_telegram.worlds import three_chats_spec
from tests.sources.bot_api.harness import cfg, cursor, new_fake, push_mixed, run_tap, write_args
from tests.sources.export.support import ACCOUNT_SAMPLE
from tests.sources.mtproto.helpers import bookmarks

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
    states = [m["value"] for m in messages if m["type"] == "STATE"]
    return states[-1] if states else None


def batch_config(root: Path, size: int) -> dict[str, Any]:
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
    batch_size = 60  # chats of 20, 179, 20, 30, 198, 61 messages: 181-240 ends two
    kill_points = (1, 4)

    def __init__(self, folder: Path, **settings: Any) -> None:
        super().__init__(folder)
        self.settings = settings
        plain = {"source": "export", "export_path": str(ACCOUNT_SAMPLE), **settings}
        self.records = {(r["chat_id"], r["id"]): r for r in self._records(plain)}

    def _records(self, config: dict[str, Any]) -> list[dict[str, Any]]:
        """The records of a run without batches (what the batch files must equal)."""
        output = self._cli(config, None)
        return [
            m["record"]
            for m in output
            if m["type"] == "RECORD" and m["stream"].startswith("messages")
        ]

    def _cli(
        self, config: dict[str, Any], state: Message | None, extra: list[str] | None = None
    ) -> list[Message]:
        args = write_args(self.folder, config, state, extra or [])
        done = subprocess.run(
            args, capture_output=True, text=True, cwd=REPO_ROOT, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr[-3000:]
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
        return self._cli(self.config(), state)

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


SOURCES = ["export", "export_per_chat", "mtproto", "bot_api"]


@pytest.fixture(params=SOURCES)
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Setup:
    if request.param == "bot_api":
        return BotApiSetup(tmp_path, new_fake(request.getfixturevalue("httpserver")))
    if request.param == "mtproto":
        return MtprotoSetup(tmp_path)
    if request.param == "export_per_chat":
        return ExportSetup(tmp_path, stream_per_chat=True)
    return ExportSetup(tmp_path)


# ----- a complete run --------------------------------------------------------------------


def test_every_state_follows_the_batches_that_hold_what_it_claims(setup: Setup) -> None:
    output = setup.run(None)
    assert assert_states_covered(output, setup.claims, before=set()) >= 2
    got = delivered(output)
    assert set(got) == setup.truth()
    assert not [m for m in output if m["type"] == "RECORD"], "a batch run writes no RECORD"
    # Several batches, STATE between them (not one STATE at the end).
    kinds = [m["type"] for m in output if m["type"] in {"BATCH", "STATE"}]
    assert kinds.count("BATCH") >= 4
    assert "BATCH" in kinds[kinds.index("STATE", kinds.index("BATCH")) :]
    # Every BATCH names a stream announced by a SCHEMA before it.
    announced: set[str] = set()
    for message in output:
        if message["type"] == "SCHEMA":
            announced.add(message["stream"])
        elif message["type"] == "BATCH":
            assert message["stream"] in announced
    if isinstance(setup, ExportSetup):
        # The batch files hold exactly what RECORD messages carry without batch_config.
        assert got == setup.records
        if setup.settings.get("stream_per_chat"):
            streams = {m["stream"] for m in message_batches(output)}
            assert streams == {f"messages_{abs(chat)}" for chat, _ in setup.records}


def test_batch_files_of_every_stream_leave_out_deselected_properties(tmp_path: Path) -> None:
    """Like RECORD messages: the SDK's own batch path would write every property."""
    setup = ExportSetup(tmp_path)
    args = write_args(tmp_path, setup.config(), None, ["--discover"])
    catalog = json.loads(
        subprocess.run(args, capture_output=True, check=True, cwd=REPO_ROOT).stdout
    )
    dropped = {"chats": "title", "messages": "text"}
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == ["properties", dropped.get(entry["tap_stream_id"])]:
                item["metadata"]["selected"] = False
    (tmp_path / "catalog.json").write_text(json.dumps(catalog), encoding="utf-8")
    output = setup._cli(setup.config(), None, ["--catalog", str(tmp_path / "catalog.json")])
    records = {
        stream: [
            r
            for m in output
            if m["type"] == "BATCH" and m["stream"] == stream
            for r in batch_records(m)
        ]
        for stream in dropped
    }
    assert len(records["chats"]) == 7  # six chats and one left chat
    assert len(records["messages"]) == len(setup.records)
    for stream, name in dropped.items():
        assert not [r for r in records[stream] if name in r], f"{stream}.{name} in a batch file"


# ----- a crash between a batch file and its BATCH message --------------------------------


def run_until_paused(args: list[str], marker: Path, folder: Path) -> tuple[list[Message], str]:
    """Start ``args``, SIGKILL it once it paused at ``marker``; its messages and the file."""
    with (folder / "out").open("w") as out, (folder / "err").open("w") as err:
        proc = subprocess.Popen(args, stdout=out, stderr=err, cwd=REPO_ROOT)
        try:
            while not marker.exists():
                if proc.poll() is not None:
                    stderr = (folder / "err").read_text(encoding="utf-8")[-3000:]
                    pytest.fail(f"the tap exited {proc.returncode} before the pause: {stderr}")
                time.sleep(0.05)
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.kill()
            proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return parse_singer((folder / "out").read_text(encoding="utf-8"))[0], marker.read_text()


@pytest.mark.parametrize("point", [0, 1])
def test_kill_between_a_batch_file_and_its_message_loses_nothing(setup: Setup, point: int) -> None:
    marker = setup.folder / "paused"
    kill_after = setup.kill_points[point]
    crashed, orphan = run_until_paused(setup.paused_args(marker, kill_after), marker, setup.folder)
    # The kill fell between the file and its BATCH message.
    assert Path(urllib.parse.urlparse(orphan).path).exists()
    announced = [url for m in crashed if m["type"] == "BATCH" for url in m["manifest"]]
    assert orphan not in announced
    first = delivered(crashed)
    assert set(first) < setup.truth()

    # A target stored the last STATE it got: the next run starts there, loses nothing.
    rerun = setup.run(last_state(crashed))
    lost = setup.truth() - set(first) - set(delivered(rerun))
    assert not lost, f"{len(lost)} records lost"
    assert_states_covered(crashed, setup.claims, before=set())
    assert_states_covered(rerun, setup.claims, before=set(first))


# ----- the Bot API confirms nothing that is not in a BATCH message -----------------------


def test_bot_api_confirms_only_updates_already_in_a_batch_message(
    httpserver: Any, tmp_path: Path
) -> None:
    """Each getUpdates deletes the updates below its offset: they must be on stdout already."""
    setup = BotApiSetup(tmp_path, new_fake(httpserver))
    out_path = tmp_path / "out"
    problems: list[str] = []
    offsets: list[int] = []

    def at_request(offset: int | None) -> None:
        if offset is None:
            return
        offsets.append(offset)
        so_far = set(delivered(parse_singer(out_path.read_text(encoding="utf-8"))[0]))
        confirmed = {key for update_id, key in setup.pushed if update_id < offset}
        if confirmed - so_far:
            problems.append(f"offset {offset} confirms {len(confirmed - so_far)} undelivered")

    setup.fake.on_get_updates = at_request
    args = write_args(tmp_path, setup.config(), None, [])
    with out_path.open("w") as out:
        done = subprocess.run(
            args, stdout=out, stderr=subprocess.PIPE, cwd=REPO_ROOT, timeout=120, check=False
        )
    setup.fake.on_get_updates = None
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(offsets) >= 5  # one per page of 25 after the first
    assert problems == []
    assert set(delivered(parse_singer(out_path.read_text(encoding="utf-8"))[0])) == setup.truth()
