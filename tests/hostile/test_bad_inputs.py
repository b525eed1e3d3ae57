"""Issue 27, item 8: bad config files, settings and STATE end in one line, never a traceback.

Each case runs the real CLI (a subprocess) and checks: exit code as documented (2 for
a config or STATE problem), the last stderr line names the input, no traceback, no
record, and no STATE written (the incoming STATE stands).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fake_telegram import FakeTelegram, run_fake_tap, three_chats_world
from tests.sources.export.support import ROOT, SINGLE_SAMPLE, run_tap

EXPORT = str(SINGLE_SAMPLE.parent)
CHAT = -1001633221100  # the sample's chat


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tap_telegram", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def one_line(stderr: str, returncode: int, expected_code: int, *needles: str) -> None:
    assert "Traceback" not in stderr, stderr[-2000:]
    assert returncode == expected_code, stderr[-2000:]
    last = stderr.strip().splitlines()[-1]
    assert "tap-telegram: " in last
    for needle in needles:
        assert needle in last, last


CONFIG_FILES = {
    "missing": (None, "does not exist"),
    "empty": (b"", "is empty"),
    "truncated": (b'{"source": "export", "export_pa', "cut off (truncated)"),
    "array": (b"[1, 2]", "holds a list, not a JSON object"),
    "string": (b'"export"', "holds a string, not a JSON object"),
    "nan": (b'{"source": "export", "max_flood_wait": NaN}', "holds NaN, which is not JSON"),
    "infinity": (b'{"source": "export", "lookback_days": Infinity}', "holds Infinity"),
    "deep": (b'{"a":' * 5000 + b"1" + b"}" * 5000, "nested deeper than 64 levels"),
    "not utf-8": (b'{"source": "\xff"}', "is not UTF-8 text"),
}


@pytest.mark.parametrize("case", sorted(CONFIG_FILES))
def test_a_bad_config_file_is_one_line(tmp_path: Path, case: str):
    content, needle = CONFIG_FILES[case]
    path = tmp_path / "config.json"
    if content is not None:
        path.write_bytes(content)
    done = cli("--config", str(path))
    one_line(done.stderr, done.returncode, 2, f"--config {path}: the config file", needle)
    assert done.stdout == ""


def test_a_config_folder_is_one_line(tmp_path: Path):
    done = cli("--config", str(tmp_path))
    one_line(done.stderr, done.returncode, 2, "is a folder")


def test_a_bad_state_file_is_one_line(tmp_path: Path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"source": "export", "export_path": EXPORT}), encoding="utf-8")
    state = tmp_path / "state.json"
    state.write_text('{"bookmarks": ', encoding="utf-8")
    done = cli("--config", str(config), "--state", str(state))
    one_line(done.stderr, done.returncode, 2, f"--state {state}: the STATE file", "truncated")
    assert done.stdout == ""


def partition(**fields: object) -> dict:
    return {"context": {"chat_id": CHAT}, "replication_key": "id", **fields}


def messages_state(*partitions: object, **extra: object) -> dict:
    return {"bookmarks": {"messages": {"partitions": list(partitions), **extra}}}


BAD_STATES = {
    "fraction bookmark": (
        messages_state(partition(replication_key_value=1.5)),
        "'bookmarks.messages.partitions[0].replication_key_value' should be a whole number, "
        "not a fraction",
    ),
    "list bookmark": (
        messages_state(partition(replication_key_value=[1])),
        "should be a whole number, not a list",
    ),
    "string bookmark": (
        messages_state(partition(replication_key_value="abc")),
        "STATE 'bookmarks.messages.partitions[0].replication_key_value' should be a whole "
        "number, not a string",
    ),
    "pts beyond 32 bits": (
        messages_state(partition(replication_key_value=3, pts=2**31)),
        "'bookmarks.messages.partitions[0].pts' is out of range (-2147483648 to 2147483647)",
    ),
    "duplicate partitions": (
        messages_state(partition(replication_key_value=3), partition(replication_key_value=9)),
        "'bookmarks.messages.partitions[1]' repeats the context of an earlier partition",
    ),
    "partitions an object": (
        {"bookmarks": {"messages": {"partitions": {"a": 1}}}},
        "'bookmarks.messages.partitions' should be a list, not an object",
    ),
    "partition a number": (messages_state(7), "'bookmarks.messages.partitions[0]' should be"),
    "memory a list": (
        {"bookmarks": {"chats": {"memory": [1]}}},
        "'bookmarks.chats.memory' should be an object, not a list",
    ),
    "bookmarks a list": ({"bookmarks": [1]}, "'bookmarks' should be an object, not a list"),
    "delivered_ids not strings": (
        messages_state(partition(replication_key_value=3, delivered_ids=[1])),
        "'bookmarks.messages.partitions[0].delivered_ids' should be a list of strings",
    ),
    "date bookmark not a date": (
        {
            "bookmarks": {
                "stats_graphs": {
                    "partitions": [
                        {
                            "context": {"chat_id": CHAT},
                            "replication_key": "date",
                            "replication_key_value": "yesterday",
                        }
                    ]
                }
            }
        },
        "'bookmarks.stats_graphs.partitions[0].replication_key_value' should be an ISO 8601 date",
    ),
    "contacts memory a list": (
        {"bookmarks": {"contacts": {"memory": [1]}}},
        "'bookmarks.contacts.memory' should be an object, not a list",
    ),
    "account log pts": (
        messages_state(account_log={"pts": 2**31, "qts": 0, "date": 0}),
        "'bookmarks.messages.account_log.pts' is out of range",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_STATES))
def test_a_bad_state_is_one_line_and_nothing_is_written(tmp_path: Path, case: str):
    state, needle = BAD_STATES[case]
    run = run_tap(tmp_path, {"export_path": EXPORT}, state)
    one_line(run.stderr, run.returncode, 2, needle, "fix or remove that entry")
    assert run.records == {}
    assert run.states == []


def test_a_good_state_still_resumes(tmp_path: Path):
    run = run_tap(
        tmp_path, {"export_path": EXPORT}, messages_state(partition(replication_key_value=3))
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert min(run.ids(CHAT)) > 3


@pytest.fixture(scope="module")
def fake() -> FakeTelegram:
    return FakeTelegram(three_chats_world(seed=5))


MTPROTO_SETTINGS: dict[str, tuple[dict[str, Any], str]] = {
    "chat_refresh_hours 1e308": ({"chat_refresh_hours": 1e308}, "chat_refresh_hours"),
    "chats 23 digits": ({"chats": ["99999999999999999999999"]}, "is no chat id"),
    "chats 0": ({"chats": ["0"]}, "'0' is no chat id"),
    "chats -2**63": ({"chats": [str(-(2**63))]}, "is no chat id"),
    "chats number -2**63": ({"chats": [-(2**63)]}, "is no chat id"),
    "proxy unclosed IPv6": ({"proxy": "socks5://u:pw@[::1:1080"}, "setting 'proxy' is no URL"),
    "api_id beyond 32 bits": ({"api_id": 2**40}, "setting 'api_id' must be at most"),
}


@pytest.mark.parametrize("case", sorted(MTPROTO_SETTINGS))
def test_a_bad_mtproto_setting_is_one_line(fake: FakeTelegram, case: str):
    settings, needle = MTPROTO_SETTINGS[case]
    run = run_fake_tap(fake, fake.tap_config(**settings))
    one_line(run.stderr, run.returncode, 2, needle)
    assert "pw" not in run.stderr.strip().splitlines()[-1]
    assert "messages" not in run.records
