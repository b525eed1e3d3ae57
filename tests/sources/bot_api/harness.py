"""Helpers for the Bot API tests: the real tap CLI in a subprocess against the fake
Bot API (tests/fake_bot_api.py) on a real local HTTP server (pytest-httpserver).

Every run checks that the bot token appears nowhere in stdout (records, STATE) or
stderr (logs, errors).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer

from tests.fake_bot_api import CHANNEL, GROUP, TOKEN, FakeBotApi, message
from tests.fake_telegram.harness import REPO_ROOT, TapRun, parse_singer
from tests.stream_check import check_text


def new_fake(server: HTTPServer) -> FakeBotApi:
    """A fake bot served by ``server`` (the ``httpserver`` fixture)."""
    bot = FakeBotApi()
    bot.install(server)
    return bot


def cfg(fake: FakeBotApi, **settings: Any) -> dict[str, Any]:
    return {
        "source": "bot_api",
        "bot_token": fake.token,
        "bot_api_url": fake.url(),
        **settings,
    }


def write_args(folder: Path, config: dict, state: dict | None, extra: list[str]) -> list[str]:
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    args = [sys.executable, "-m", "tap_telegram", "--config", str(folder / "config.json")]
    if state is not None:
        (folder / "state.json").write_text(json.dumps(state), encoding="utf-8")
        args += ["--state", str(folder / "state.json")]
    return args + extra


def tap_result(
    args: list[str],
    returncode: int,
    stdout: str,
    stderr: str,
    *,
    state: dict | None = None,
    cut_ok: bool = False,
) -> TapRun:
    """The run's output parsed, its stdout through the stream checker (``cut_ok``: killed)."""
    checked = check_text(stdout, input_state=state, cut_ok=cut_ok)
    assert TOKEN not in stdout, "bot token in the tap's stdout"
    assert TOKEN not in stderr, "bot token in the tap's stderr"
    messages, noise = parse_singer(stdout)
    records: dict[str, list[dict[str, Any]]] = {}
    schemas: dict[str, dict[str, Any]] = {}
    states: list[dict[str, Any]] = []
    for msg in messages:
        if msg["type"] == "RECORD":
            records.setdefault(msg["stream"], []).append(msg["record"])
        elif msg["type"] == "SCHEMA":
            schemas[msg["stream"]] = msg["schema"]
        elif msg["type"] == "STATE":
            states.append(msg["value"])
    return TapRun(
        args, returncode, stdout, stderr, messages, records, schemas, states, noise, None, checked
    )


def run_tap(config: dict, state: dict | None = None, extra: list[str] | None = None) -> TapRun:
    with tempfile.TemporaryDirectory(prefix="bot-tap-") as tmp:
        args = write_args(Path(tmp), config, state, extra or [])
        done = subprocess.run(
            args, capture_output=True, text=True, cwd=REPO_ROOT, timeout=120, check=False
        )
    return tap_result(args, done.returncode, done.stdout, done.stderr, state=state)


def keys(run: TapRun) -> list[tuple[int, int]]:
    return [(r["chat_id"], r["id"]) for r in run.records.get("messages", [])]


def cursor(state: dict | None) -> int | None:
    if not state:
        return None
    return state["bookmarks"]["messages"].get("bot_api", {}).get("update_id")


def cursors(run: TapRun) -> list[int]:
    """The cursor of each STATE message, without repeats."""
    out: list[int] = []
    for state in run.states:
        value = cursor(state)
        if value is not None and (not out or out[-1] != value):
            out.append(value)
    return out


def push_mixed(fake: FakeBotApi, count: int, start: int = 1) -> list[tuple[int, tuple[int, int]]]:
    """``count`` updates alternating between the group and the channel."""
    out = []
    for n in range(start, start + count):
        chat, kind = (GROUP, "message") if n % 3 else (CHANNEL, "channel_post")
        update_id = fake.push(kind, message(chat, n, f"text {n}"))
        assert update_id is not None
        out.append((update_id, (chat["id"], n)))
    return out
