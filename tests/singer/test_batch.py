"""Batch runs (``batch_config``) of every source, through the real CLI in a subprocess.

What a target relies on: no STATE claims a record that is not in a BATCH message
already written (it may store that STATE and never see the record otherwise), and a
run killed between a batch file and its BATCH message loses nothing when the next
run starts from the last STATE written. For the Bot API also: no update is confirmed
(an offset past it sent) before its record is in a BATCH message on stdout.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from tests.fake_telegram.harness import REPO_ROOT, parse_singer
from tests.singer.batch_support import (
    BotApiSetup,
    ExportSetup,
    Message,
    MtprotoSetup,
    Setup,
    assert_states_covered,
    batch_records,
    delivered,
    last_state,
    message_batches,
)
from tests.sources.bot_api.harness import new_fake, write_args
from tests.stream_check import check_text

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
    output = setup.cli(setup.config(), None, ["--catalog", str(tmp_path / "catalog.json")])
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
    stdout = (folder / "out").read_text(encoding="utf-8")
    check_text(stdout)  # killed while paused between a file and its message: no cut line
    return parse_singer(stdout)[0], marker.read_text()


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
    check_text(out_path.read_text(encoding="utf-8"))
    assert set(delivered(parse_singer(out_path.read_text(encoding="utf-8"))[0])) == setup.truth()
