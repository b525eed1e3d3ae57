"""``source: bot_api`` end to end: the real tap CLI in a subprocess against a real local
HTTP server that speaks the Bot API (tests/fake_bot_api.py), with real singer-sdk.

Every run asserts that the bot token appears nowhere in stdout (records, STATE) or
stderr (logs, errors).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.fake_bot_api import (
    ALICE,
    BOB,
    CHANNEL,
    GROUP,
    TOKEN,
    FakeBotApi,
    flood,
    message,
)
from tests.fake_telegram.harness import REPO_ROOT, TapRun, parse_singer

OTHER: dict[str, Any] = {"id": -1003333333333, "title": "Elsewhere", "type": "supergroup"}


@pytest.fixture
def fake(httpserver):
    bot = FakeBotApi()
    bot.install(httpserver)
    return bot


def cfg(fake: FakeBotApi, **settings: Any) -> dict[str, Any]:
    return {
        "source": "bot_api",
        "bot_token": fake.token,
        "bot_api_url": fake.url(),
        **settings,
    }


def _write(folder: Path, config: dict, state: dict | None, extra: list[str]) -> list[str]:
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    args = [sys.executable, "-m", "tap_telegram", "--config", str(folder / "config.json")]
    if state is not None:
        (folder / "state.json").write_text(json.dumps(state), encoding="utf-8")
        args += ["--state", str(folder / "state.json")]
    return args + extra


def _result(args: list[str], returncode: int, stdout: str, stderr: str) -> TapRun:
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
    return TapRun(args, returncode, stdout, stderr, messages, records, schemas, states, noise, None)


def run_tap(config: dict, state: dict | None = None, extra: list[str] | None = None) -> TapRun:
    with tempfile.TemporaryDirectory(prefix="bot-tap-") as tmp:
        args = _write(Path(tmp), config, state, extra or [])
        done = subprocess.run(
            args, capture_output=True, text=True, cwd=REPO_ROOT, timeout=120, check=False
        )
    return _result(args, done.returncode, done.stdout, done.stderr)


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


# ----- paging and state across runs ---------------------------------------------------


def test_pages_hundreds_of_updates_across_runs(fake):
    pushed = push_mixed(fake, 350)
    ids = [update_id for update_id, _ in pushed]

    first = run_tap(cfg(fake, page_size=40)).check()
    assert keys(first) == [key for _, key in pushed]
    # One getUpdates per page of 40; each later call confirms exactly the pages before it.
    assert fake.get_updates_offsets() == [None] + [ids[40 * k - 1] + 1 for k in range(1, 9)]
    # STATE after every page, before the call that confirms it.
    assert cursors(first) == [ids[40 * k - 1] for k in range(1, 9)] + [ids[-1]]
    # The run's last (short) page is not confirmed by this run: Telegram still has it.
    assert fake.pending_ids() == ids[320:]
    assert first.state is not None
    assert first.state["bookmarks"]["messages"] == {"bot_api": {"update_id": ids[-1]}}

    more = push_mixed(fake, 130, start=351)
    second = run_tap(cfg(fake, page_size=40), state=first.state).check()
    # The second run's first call confirms nothing; it finds the first run's last page
    # still queued, skips it (it was delivered) and confirms it with its next call.
    more_ids = [u for u, _ in more]
    assert fake.get_updates_offsets()[9:] == [None] + [more_ids[40 * k - 1] + 1 for k in (1, 2, 3)]
    assert keys(second) == [key for _, key in more]
    assert cursor(second.state) == more[-1][0]

    third = run_tap(cfg(fake, page_size=40), state=second.state).check()
    assert keys(third) == []
    assert cursor(third.state) == more[-1][0]
    assert fake.pending_ids() == []


def test_edits_upsert_by_primary_key_and_never_move_the_cursor_back(fake):
    fake.push("message", message(GROUP, 10, "draft"))
    fake.push("channel_post", message(CHANNEL, 5, "post"))
    fake.push("edited_message", message(GROUP, 10, "final", edit_date=1_760_001_000))
    fake.push("edited_channel_post", message(CHANNEL, 5, "post v2", edit_date=1_760_001_500))
    first = run_tap(cfg(fake)).check()
    assert keys(first) == [
        (GROUP["id"], 10),
        (CHANNEL["id"], 5),
        (GROUP["id"], 10),
        (CHANNEL["id"], 5),
    ]
    table = {(r["chat_id"], r["id"]): r for r in first.records["messages"]}  # a target's upsert
    assert table[(GROUP["id"], 10)]["text"] == "final"
    assert table[(GROUP["id"], 10)]["edit_date"].startswith("2025-10-09T")
    assert table[(CHANNEL["id"], 5)]["text"] == "post v2"
    # No `chats` setting: the chats stream lists the chats the updates showed.
    assert {c["id"]: c["type"] for c in first.records["chats"]} == {
        GROUP["id"]: "supergroup",
        CHANNEL["id"]: "channel",
    }

    # An edit in a later run has a message id below the ones already delivered (in
    # MTProto terms, below the bookmark): it is emitted, the cursor only moves forward.
    for n in range(11, 20):
        fake.push("message", message(GROUP, n, f"m{n}"))
    last = fake.push("edited_message", message(GROUP, 10, "final, again", edit_date=1_760_002_000))
    second = run_tap(cfg(fake), state=first.state).check()
    assert keys(second)[-1] == (GROUP["id"], 10)
    assert second.records["messages"][-1]["text"] == "final, again"
    assert cursor(second.state) == last > cursor(first.state)


def test_update_ids_restarting_lower_after_a_week_are_read_as_new(fake):
    for n in range(1, 6):
        fake.push("message", message(GROUP, n, f"m{n}"))
    first = run_tap(cfg(fake)).check()
    assert cursor(first.state) == 500_000_005
    fake.expire()  # a day later Telegram dropped the run's unconfirmed last page...
    fake.restart_ids(1000)  # ...and after a week without updates ids restart lower
    for n in range(6, 9):
        fake.push("message", message(GROUP, n, f"m{n}"))
    second = run_tap(cfg(fake), state=first.state).check()
    assert keys(second) == [(GROUP["id"], n) for n in (6, 7, 8)]
    assert "update ids restarted" in second.stderr
    assert cursor(second.state) == 1002
    # And the next run recognises its own last page again.
    third = run_tap(cfg(fake), state=second.state).check()
    assert keys(third) == []
    assert fake.pending_ids() == []


def test_catalog_from_discovery_without_config_still_reads_by_update_id(fake):
    catalog = json.loads(
        subprocess.run(
            [sys.executable, "-m", "tap_telegram", "--discover"],
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            check=True,
        ).stdout
    )
    for stream in catalog["streams"]:
        stream["metadata"][0]["metadata"]["selected"] = True
    messages_entry = next(s for s in catalog["streams"] if s["tap_stream_id"] == "messages")
    assert messages_entry.get("replication_key") == "id"  # made for MTProto
    fake.push("message", message(GROUP, 9, "late"))
    fake.push("message", message(GROUP, 3, "early id, later update"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "catalog.json"
        path.write_text(json.dumps(catalog), encoding="utf-8")
        run = run_tap(cfg(fake), extra=["--catalog", str(path)]).check()
    assert keys(run) == [(GROUP["id"], 9), (GROUP["id"], 3)]
    assert "replication_key_value" not in json.dumps(run.state)


def test_chats_filter_chats_and_users_streams(fake):
    fake.add_chat({**GROUP, "description": "We build things", "linked_chat_id": CHANNEL["id"]})
    fake.add_chat(CHANNEL)
    fake.push("message", message(GROUP, 1, "hello"))
    fake.push("message", message(OTHER, 1, "not selected"))
    fake.push("channel_post", message(CHANNEL, 2, "news"))
    fake.push("message", {**message(GROUP, 3, "hi"), "from": BOB})
    run = run_tap(cfg(fake, chats=["@builders", "@newsroom"])).check()
    assert keys(run) == [(GROUP["id"], 1), (CHANNEL["id"], 2), (GROUP["id"], 3)]
    chats = {c["id"]: c for c in run.records["chats"]}
    assert set(chats) == {GROUP["id"], CHANNEL["id"]}
    assert chats[GROUP["id"]]["about"] == "We build things"  # from getChat
    assert chats[CHANNEL["id"]]["type"] == "channel"
    assert {u["id"] for u in run.records["users"]} == {ALICE["id"], BOB["id"]}
    assert "1 from chats not in `chats`" in run.stderr
    # Streams run messages → chats → users, so chats lists what the updates showed.
    order = [m["stream"] for m in run.messages if m["type"] == "SCHEMA"]
    assert order == ["messages", "chats", "users"]


def test_unknown_configured_chat_fails_with_a_clear_line_but_keeps_the_others(fake):
    fake.push("message", message(GROUP, 1, "hello"))
    run = run_tap(cfg(fake, chats=["@builders", "@nosuchchat"]))
    assert run.returncode == 5
    assert "@nosuchchat" in run.stderr
    assert "chat not found" in run.stderr
    assert "Traceback" not in run.stderr
    assert keys(run) == [(GROUP["id"], 1)]


def test_stream_per_chat_names_a_stream_per_chat(fake):
    fake.push("message", message(GROUP, 1, "a"))
    fake.push("channel_post", message(CHANNEL, 1, "b"))
    fake.push("message", message(GROUP, 2, "c"))
    run = run_tap(cfg(fake, stream_per_chat=True)).check()
    group, channel = f"messages_{abs(GROUP['id'])}", f"messages_{abs(CHANNEL['id'])}"
    assert [r["id"] for r in run.records[group]] == [1, 2]
    assert [r["id"] for r in run.records[channel]] == [1]
    assert "messages" not in run.records
    assert set(run.schemas) >= {group, channel}
    assert cursor(run.state) is not None


def test_allowed_updates_and_long_polling(fake):
    run = run_tap(cfg(fake, allowed_updates=["channel_post"], bot_api_timeout=1))
    run.check()
    assert fake.allowed == ["channel_post"]  # Telegram remembers it for the bot
    assert fake.calls[-1].params["timeout"] == 1
    assert keys(run) == []

    polled: list[float] = []

    def later() -> None:
        time.sleep(0.5)
        assert fake.push("message", message(GROUP, 1, "not an allowed type")) is None
        fake.push("channel_post", message(CHANNEL, 7, "arrives while polling"))

    def on_poll(offset: int | None) -> None:
        if not polled:  # the first call finds nothing and waits: push while it does
            polled.append(time.monotonic())
            threading.Thread(target=later, daemon=True).start()

    fake.on_get_updates = on_poll
    run = run_tap(cfg(fake, allowed_updates=["channel_post"], bot_api_timeout=20)).check()
    fake.on_get_updates = None
    assert keys(run) == [(CHANNEL["id"], 7)]
    assert time.monotonic() - polled[0] < 15  # answered when the update came, not at timeout


# ----- errors -----------------------------------------------------------------------------


def test_bad_token_is_a_one_line_session_error(fake):
    run = run_tap({**cfg(fake), "bot_token": "999:not-the-token"})
    assert run.returncode == 3
    assert "rejected bot_token" in run.stderr
    assert "@BotFather" in run.stderr
    assert "999:not-the-token" not in run.stdout + run.stderr
    assert "Traceback" not in run.stderr


def test_token_revoked_during_a_run_keeps_the_delivered_pages(fake):
    for n in range(1, 4):
        fake.push("message", message(GROUP, n, f"m{n}"))

    def revoke_after_first(offset: int | None) -> None:
        fake.fail(
            "getUpdates", 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        )

    fake.on_get_updates = revoke_after_first
    run = run_tap(cfg(fake, page_size=2))
    assert run.returncode == 3
    assert "rejected bot_token" in run.stderr
    assert keys(run) == [(GROUP["id"], 1), (GROUP["id"], 2)]
    assert cursor(run.state) == 500_000_002


def test_missing_token_is_a_config_error(fake):
    config = cfg(fake)
    del config["bot_token"]
    run = run_tap(config)
    assert run.returncode == 2
    assert "bot_token" in run.stderr
    assert "@BotFather" in run.stderr


def test_malformed_token_is_a_config_error_that_does_not_echo_it(fake):
    run = run_tap({**cfg(fake), "bot_token": "12345 secret/with?odd chars"})
    assert run.returncode == 2
    assert "does not look like a bot token" in run.stderr
    assert "secret/with" not in run.stdout + run.stderr
    assert fake.calls == []  # nothing was sent


def test_webhook_conflict_says_how_to_remove_it(fake):
    fake.webhook = "https://example.invalid/hook"
    fake.push("message", message(GROUP, 1, "waiting"))
    run = run_tap(cfg(fake))
    assert run.returncode == 2
    assert "deleteWebhook" in run.stderr
    assert "<bot_token>" in run.stderr
    assert "Traceback" not in run.stderr
    assert keys(run) == []
    # Doing what the message says fixes it.
    answer = requests.post(f"{fake.url()}/bot{TOKEN}/deleteWebhook", timeout=5)
    assert answer.json()["ok"] is True
    assert keys(run_tap(cfg(fake)).check()) == [(GROUP["id"], 1)]


def test_another_poller_conflict(fake):
    fake.fail(
        "getUpdates",
        409,
        {
            "ok": False,
            "error_code": 409,
            "description": "Conflict: terminated by other getUpdates request",
        },
    )
    run = run_tap(cfg(fake))
    assert run.returncode == 2
    assert "another process polls this bot" in run.stderr


def test_429_waits_retry_after_then_goes_on(fake):
    fake.push("message", message(GROUP, 1, "after the wait"))
    fake.fail("getUpdates", 429, flood(1))
    started = time.monotonic()
    run = run_tap(cfg(fake)).check()
    assert time.monotonic() - started >= 1
    assert keys(run) == [(GROUP["id"], 1)]
    assert "wait 1 s (429) on getUpdates" in run.stderr
    assert fake.get_updates_offsets()[:2] == [None, None]  # the same page asked again


def test_429_above_max_flood_wait_fails_clearly_and_keeps_state(fake):
    for n in range(1, 6):
        fake.push("message", message(GROUP, n, f"m{n}"))
    # Page 2's request is refused with a long wait: page 1 was delivered and checkpointed.
    run1_offsets = []

    def refuse_second(offset: int | None) -> None:
        run1_offsets.append(offset)
        if len(run1_offsets) == 1:  # the next call (page 2) gets the 429
            fake.fail("getUpdates", 429, flood(600))

    fake.on_get_updates = refuse_second
    run = run_tap(cfg(fake, page_size=2, max_flood_wait=60))
    assert run.returncode == 1
    assert "asked to wait 600 s (429)" in run.stderr
    assert "max_flood_wait" in run.stderr
    assert "Traceback" not in run.stderr
    assert keys(run) == [(GROUP["id"], 1), (GROUP["id"], 2)]
    fake.on_get_updates = None
    rerun = run_tap(cfg(fake, page_size=2), state=run.state).check()
    assert keys(rerun) == [(GROUP["id"], n) for n in (3, 4, 5)]


def test_5xx_is_retried_with_backoff(fake):
    fake.push("message", message(GROUP, 1, "survives two 502s"))
    fake.fail("getUpdates", 502, None)
    fake.fail("getUpdates", 503, None)
    run = run_tap(cfg(fake)).check()
    assert keys(run) == [(GROUP["id"], 1)]
    assert len(fake.get_updates_offsets()) == 3
    assert "Traceback" not in run.stderr


# ----- crash between pages ------------------------------------------------------------


def _crash_run(fake: FakeBotApi, config: dict, kill_at_call: int) -> TapRun:
    """Run the tap; ``kill -9`` it while its ``kill_at_call``-th getUpdates is in flight.

    Telegram (and the fake) confirm on receipt, so the killed call has already
    deleted every update below its offset.
    """
    seen: list[int | None] = []
    proc_box: dict[str, subprocess.Popen] = {}

    def hook(offset: int | None) -> None:
        seen.append(offset)
        if len(seen) == kill_at_call:
            os.kill(proc_box["proc"].pid, signal.SIGKILL)
            proc_box["proc"].wait(timeout=30)

    fake.on_get_updates = hook
    with tempfile.TemporaryDirectory(prefix="bot-crash-") as tmp:
        folder = Path(tmp)
        args = _write(folder, config, None, [])
        with (folder / "out").open("w") as out, (folder / "err").open("w") as err:
            proc = subprocess.Popen(args, stdout=out, stderr=err, cwd=REPO_ROOT)
            proc_box["proc"] = proc
            proc.wait(timeout=120)
        fake.on_get_updates = None
        stdout = (folder / "out").read_text(encoding="utf-8")
        stderr = (folder / "err").read_text(encoding="utf-8")
    assert proc.returncode == -signal.SIGKILL
    return _result(args, proc.returncode, stdout, stderr)


@pytest.mark.parametrize("target_state", ["last", "one_behind"])
def test_crash_between_pages(fake, target_state):
    pushed = push_mixed(fake, 250)
    ids = [u for u, _ in pushed]
    expected = [key for _, key in pushed]
    config = cfg(fake, page_size=50)

    crashed = _crash_run(fake, config, kill_at_call=3)  # killed while asking for page 3
    # Pages 1 and 2 were emitted, each followed by its STATE; page 3 never arrived.
    assert keys(crashed) == expected[:100]
    assert cursors(crashed) == [ids[49], ids[99]]
    # Asking for page 3 (offset = page 2's last + 1) confirmed pages 1 and 2.
    assert fake.pending_ids() == ids[100:]

    if target_state == "last":
        # The target persisted the last STATE it received: nothing is lost, nothing
        # is emitted twice.
        rerun = run_tap(config, state=crashed.states[-1]).check()
        assert keys(rerun) == expected[100:]
        assert keys(crashed) + keys(rerun) == expected
    else:
        # The target died too and had persisted only page 1's STATE: page 2 was
        # already confirmed, so its updates are the loss window (at most one page).
        stale = next(s for s in crashed.states if cursor(s) == ids[49])
        rerun = run_tap(config, state=stale).check()
        assert keys(rerun) == expected[100:]
        lost = set(expected) - set(keys(rerun)) - set(expected[:50])
        assert lost == set(expected[50:100])


def test_kill_mid_page_re_emits_only_what_followed_the_last_state(fake):
    """Killed while writing page 2: what came after the last STATE is emitted again by
    the next run (at least once); nothing before it is, and nothing is lost."""
    pushed = []
    for n in range(1, 301):  # 2 KB texts: page 2 cannot fit in the pipe, the tap blocks mid-page
        pushed.append(
            (fake.push("message", message(GROUP, n, f"{n} " + "x" * 2000)), (GROUP["id"], n))
        )
    expected = [key for _, key in pushed]
    config = cfg(fake, page_size=100)
    with tempfile.TemporaryDirectory(prefix="bot-kill-") as tmp:
        args = _write(Path(tmp), config, None, [])
        with subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=REPO_ROOT, text=True
        ) as proc:
            assert proc.stdout is not None
            lines = []
            for line in proc.stdout:
                lines.append(line)
                data = json.loads(line)
                if data["type"] == "RECORD" and data["record"]["id"] == 101:
                    break  # first record of page 2: stop reading, the tap fills the pipe
            time.sleep(0.5)
            proc.kill()
            lines += proc.stdout.read().splitlines(keepends=True)
            proc.wait(timeout=30)
    crashed = _result(args, proc.returncode, "".join(lines), "")
    emitted = keys(crashed)
    assert cursors(crashed) == [pushed[99][0]]  # page 2's STATE was never written
    assert expected[:100] == emitted[:100]
    assert 100 < len(emitted) < 200
    # Page 2 was not confirmed (the request for page 3 was never sent).
    assert fake.pending_ids() == [u for u, _ in pushed[100:]]
    rerun = run_tap(config, state=crashed.states[-1]).check()
    assert keys(rerun) == expected[100:]
    assert set(keys(rerun)) & set(emitted) == set(emitted[100:])  # the re-emitted part
    assert set(emitted) | set(keys(rerun)) == set(expected)


# ----- the HTTP client on its own: persistent 5xx and network errors ----------------------


def test_persistent_5xx_becomes_a_clear_error_without_the_token(fake, caplog):
    import logging

    from tap_telegram.sources.bot_api_http import BotApiClient, BotApiError

    for _ in range(3):
        fake.fail("getMe", 503, None)
    client = BotApiClient(
        TOKEN,
        base_url=fake.url(),
        logger=logging.getLogger("t"),
        retries=2,
        backoff_factor=0,
    )
    try:
        with caplog.at_level(logging.DEBUG), pytest.raises(BotApiError) as info:
            client.call("getMe")
    finally:
        client.close()
    assert "503" in str(info.value)
    assert [c.method for c in fake.calls] == ["getMe"] * 3
    log = client_log(caplog)
    assert TOKEN not in log
    assert "Retry: /bot<bot_token>/getMe" in log  # urllib3's own retry lines, redacted


def client_log(caplog) -> str:
    """What the tap's side logged (the fake server's own access log names the token)."""
    return "\n".join(r.getMessage() for r in caplog.records if r.name != "werkzeug")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_network_error_after_retries_names_no_token(caplog):
    import logging

    from tap_telegram.sources.bot_api_http import BotApiClient, BotApiError

    client = BotApiClient(
        TOKEN,
        base_url=f"http://127.0.0.1:{_closed_port()}",
        logger=logging.getLogger("t"),
        retries=2,
        backoff_factor=0,
    )
    try:
        with caplog.at_level(logging.DEBUG), pytest.raises(BotApiError) as info:
            client.call("getUpdates", offset=5)
    finally:
        client.close()
    error = info.value
    assert "failed after retries" in str(error)
    assert "bot_api_url" in str(error)
    assert TOKEN not in str(error)
    assert "<bot_token>" in str(error)
    assert error.__context__ is None
    assert error.__cause__ is None
    log = client_log(caplog)
    assert TOKEN not in log
    assert "Retrying" in log
    assert "<bot_token>" in log
    # The filter is gone once the client is closed.
    assert not any(
        f
        for f in logging.getLogger("urllib3.connectionpool").filters
        if getattr(f, "secret", None) == TOKEN
    )


# ----- a bot session given to source: mtproto -------------------------------------------


def test_mtproto_history_answering_bot_method_invalid_says_use_bot_api():
    from tests.fake_telegram import FakeTelegram, run_fake_tap, three_chats_world

    fake = FakeTelegram(three_chats_world(seed=3))
    fake.add_fault("GetHistoryRequest", "BOT_METHOD_INVALID", times=None)
    result = run_fake_tap(fake, fake.tap_config(chats=["@fake_news"]))
    assert result.returncode == 2
    assert "source: bot_api" in result.stderr
    assert "Traceback" not in result.stderr
