"""Issue 16, part 1, over real TCP: the server goes away in the middle of a sync.

The plain tap (real ``MTProtoSender``, its own reconnects) against the fake Telegram's
TCP front. A short outage is survived by Telethon itself; one longer than Telethon's
retries is survived by the tap's reconnect; one that lasts is one line and exit 3.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fake_telegram import FakeTelegram, three_chats_world
from tests.fake_telegram.checked import check_run
from tests.fake_telegram.harness import REPO_ROOT, parse_singer
from tests.fake_telegram.tcp import TcpFront
from tests.sources.mtproto.helpers import bookmarks

CHATS = ["@fake_news", "@fake_devs"]


@pytest.fixture(scope="module")
def world():
    return three_chats_world(seed=77)


def sync(fake: FakeTelegram, tmp_path: Path, **settings) -> tuple[int, str, list[dict]]:
    """Run the plain tap against a TCP front of ``fake``: (exit code, stderr, messages)."""
    with TcpFront(fake) as front:
        front.accept_session(fake.session_string())
        config = fake.tap_config(
            chats=CHATS, server_address="127.0.0.1", server_port=front.port, **settings
        )
        path = tmp_path / "config.json"
        path.write_text(json.dumps(config), encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "tap_telegram", "--config", str(path)],
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            env=dict(os.environ),
            timeout=180,
            check=False,
        )
    check_run(done.stdout, fake, config, None)
    messages, _ = parse_singer(done.stdout)
    return done.returncode, done.stderr, messages


def message_keys(messages):
    return [
        (m["record"]["chat_id"], m["record"]["id"])
        for m in messages
        if m["type"] == "RECORD" and m["stream"] == "messages"
    ]


def truth(world):
    return sorted((world.marked_id(c), i) for c in CHATS for i in world.message_ids(c))


def test_the_server_gone_longer_than_telethon_retries_is_survived(world, tmp_path):
    """Down ~7 s: Telethon's five attempts a second apart fail, the tap reconnects."""
    fake = FakeTelegram(world)
    fake.add_fault("GetHistoryRequest", kind="disconnect", nth=4, outage_seconds=7.0)
    code, stderr, messages = sync(fake, tmp_path, max_concurrent_requests=4)
    assert code == 0, stderr[-3000:]
    assert "Traceback" not in stderr
    assert "connection to Telegram back after" in stderr
    keys = message_keys(messages)
    assert len(keys) == len(set(keys))
    assert sorted(keys) == truth(world)
    state = [m["value"] for m in messages if m["type"] == "STATE"][-1]
    assert bookmarks(state) == {world.marked_id(c): world.message_ids(c)[-1] for c in CHATS}
    assert "| ERROR" not in stderr  # Telethon's giving up is a warning: the tap went on


def test_the_server_gone_for_good_is_one_line_and_exit_3(world, tmp_path):
    fake = FakeTelegram(world)
    fake.add_fault("GetHistoryRequest", kind="disconnect", nth=4, outage_connects=None)
    code, stderr, messages = sync(fake, tmp_path, max_reconnect_seconds=1)
    assert code == 3, stderr[-3000:]
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if "| ERROR" in line]
    assert len(errors) == 1, errors
    assert "lost the connection to Telegram during GetHistoryRequest" in errors[0]
    assert "run the tap again to resume" in errors[0]
    states = [m["value"] for m in messages if m["type"] == "STATE"]
    assert states, "progress before the outage was saved"
    emitted = set(message_keys(messages))
    for chat_id, bookmark in bookmarks(states[-1]).items():
        if bookmark is not None:
            assert {(chat_id, i) for i in world.message_ids(chat_id) if i <= bookmark} <= emitted
