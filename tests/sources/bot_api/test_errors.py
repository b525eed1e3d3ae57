"""``source: bot_api`` errors: 401, 409, 429, 5xx, network errors, a bot session given to
``source: mtproto``; one clear line each, the token never shown.
"""

from __future__ import annotations

import logging
import socket
import time

import pytest
import requests

from tests.fake_bot_api import GROUP, TOKEN, flood, message
from tests.sources.bot_api.harness import (
    cfg,
    cursor,
    keys,
    new_fake,
    run_tap,
)


@pytest.fixture
def fake(httpserver):
    return new_fake(httpserver)


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


# ----- the HTTP client on its own: persistent 5xx and network errors ----------------------


def test_persistent_5xx_becomes_a_clear_error_without_the_token(fake, caplog):

    from tap_telegram.sources.bot_api.http import BotApiClient, BotApiError

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

    from tap_telegram.sources.bot_api.http import BotApiClient, BotApiError

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


def test_429_again_and_again_gives_up_after_the_attempt_cap(fake):
    """A bot answered 429 on every call must not wait forever: the cap is in the error."""
    from tap_telegram.sources.bot_api.http import FLOOD_ATTEMPTS, BotApiClient, BotApiError

    for _ in range(FLOOD_ATTEMPTS + 3):
        fake.fail("getMe", 429, flood(2))
    waits: list[float] = []
    client = BotApiClient(
        TOKEN, base_url=fake.url(), logger=logging.getLogger("t"), sleep=waits.append
    )
    try:
        with pytest.raises(BotApiError) as info:
            client.call("getMe")
    finally:
        client.close()
    message = str(info.value)
    assert f"gave up after {FLOOD_ATTEMPTS} attempts" in message
    assert f"({2 * (FLOOD_ATTEMPTS - 1)} s waited)" in message
    assert TOKEN not in message
    assert [c.method for c in fake.calls] == ["getMe"] * FLOOD_ATTEMPTS
    assert waits == [2] * (FLOOD_ATTEMPTS - 1)
