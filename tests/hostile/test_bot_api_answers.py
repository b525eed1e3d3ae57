"""Issue 27, items 2, 8 and 9 (Bot API): waits bounded and counted, odd answers in one line.

The real tap CLI (or the real client) against the fake Bot API on a real local HTTP
server (pytest-httpserver).
"""

from __future__ import annotations

import logging

import pytest

from tap_telegram.sources.bot_api.http import UNKNOWN_WAIT, BotApiClient
from tests.fake_bot_api import GROUP, TOKEN, flood, message
from tests.sources.bot_api.harness import cfg, cursor, keys, new_fake, run_tap

LOGGER = logging.getLogger("tests.hostile.bot_api")


@pytest.fixture
def fake(httpserver):
    return new_fake(httpserver)


def client_for(fake, waits: list[float], **options) -> BotApiClient:
    return BotApiClient(TOKEN, base_url=fake.url(), logger=LOGGER, sleep=waits.append, **options)


def last_line(stderr: str) -> str:
    return stderr.strip().splitlines()[-1].split("| ", 3)[-1]


# ----- item 2: Retry-After is the client's to wait, bounded and counted -----------------


def test_a_retry_after_header_is_waited_by_the_client_and_counted(fake):
    body = {"ok": False, "error_code": 429, "description": "Too Many Requests"}
    fake.fail("getMe", 429, body, {"Retry-After": "2"})
    waits: list[float] = []
    client = client_for(fake, waits)
    try:
        assert client.call("getMe")["id"] == 123456789
    finally:
        client.close()
    assert waits == [2]  # urllib3 did not sleep it out on its own
    assert (client.flood_waits, client.flood_seconds) == (1, 2)
    assert [c.method for c in fake.calls] == ["getMe", "getMe"]


def test_a_retry_after_header_above_max_flood_wait_ends_the_run_in_one_line(fake):
    fake.push("message", message(GROUP, 1, "waits"))
    fake.fail("getUpdates", 429, flood(1), {"Retry-After": "3600"})
    fake.fail("getUpdates", 429, {"ok": False, "error_code": 429}, {"Retry-After": "3600"})
    run = run_tap(cfg(fake, max_flood_wait=60))
    assert "Traceback" not in run.stderr
    assert run.returncode == 1
    assert "Bot API asked to wait 3600 s (429) on getUpdates, more than max_flood_wait=60 s" in (
        last_line(run.stderr)
    )
    assert "1 flood waits (1 s waited)" in run.stderr  # the first 429 (body: 1 s) was waited
    assert "messages" not in run.records


def test_a_body_wait_is_counted_in_the_run_summary(fake):
    fake.push("message", message(GROUP, 1, "after the wait"))
    fake.fail("getUpdates", 429, flood(1))
    run = run_tap(cfg(fake)).check()
    assert keys(run) == [(GROUP["id"], 1)]
    assert "1 flood waits (1 s waited)" in run.stderr


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("abc", UNKNOWN_WAIT), (-5, UNKNOWN_WAIT), (None, UNKNOWN_WAIT), ("3", 3), (2.2, 3)],
)
def test_an_unreadable_retry_after_is_an_unknown_wait(fake, retry_after, expected):
    body = {"ok": False, "error_code": 429, "parameters": {"retry_after": retry_after}}
    fake.fail("getMe", 429, body)
    waits: list[float] = []
    client = client_for(fake, waits)
    try:
        client.call("getMe")
    finally:
        client.close()
    assert waits == [expected]


def test_an_infinite_retry_after_is_refused_in_one_line(fake):
    raw = '{"ok": false, "error_code": 429, "parameters": {"retry_after": 1e400}}'
    fake.fail("getUpdates", 429, raw)
    run = run_tap(cfg(fake))
    assert "Traceback" not in run.stderr
    assert run.returncode == 1
    assert "asked to wait an unbounded time (429) on getUpdates" in last_line(run.stderr)


# ----- item 8: answers no Bot API server sends --------------------------------------------


@pytest.mark.parametrize(
    ("method", "result", "needle"),
    [
        ("getUpdates", None, "answered null instead of a list of updates"),
        ("getUpdates", {"update_id": 1}, "answered an object instead of a list of updates"),
        ("getUpdates", "updates", "answered a string instead of a list of updates"),
        ("getUpdates", [{"message": {}}], "update #1 without a whole-number 'update_id'"),
        ("getUpdates", [{"update_id": "7"}], "update #1 without a whole-number 'update_id'"),
        ("getUpdates", [{"update_id": 1.5}], "update #1 without a whole-number 'update_id'"),
        ("getMe", None, "Bot API getMe at"),
        ("getMe", {"id": "x"}, "an object whose 'id' is a string"),
    ],
)
def test_an_answer_no_bot_api_server_sends_is_one_line(fake, method, result, needle):
    fake.fail(method, 200, {"ok": True, "result": result})
    run = run_tap(cfg(fake))
    assert "Traceback" not in run.stderr
    assert run.returncode == 2
    line = last_line(run.stderr)
    assert needle in line
    assert "check that bot_api_url points at a Bot API server" in line
    assert run.states == [] or cursor(run.state) is None


def test_a_message_with_wrong_ids_is_skipped_with_a_warning(fake):
    good = fake.push("message", message(GROUP, 2, "fine"))
    bad = {"update_id": good - 1, "message": {**message(GROUP, 1, "x"), "message_id": "one"}}
    fake.fail("getUpdates", 200, {"ok": True, "result": [bad, *fake.updates]})
    run = run_tap(cfg(fake))
    assert run.returncode == 0, run.stderr[-2000:]
    assert keys(run) == [(GROUP["id"], 2)]
    assert f"Bot API update {good - 1} skipped: its message cannot be read" in run.stderr


# ----- item 9: message not an object, repeated and unordered ids, url credentials --------


def test_an_update_whose_message_is_not_an_object_is_said(fake):
    update_id = fake.push("message", message(GROUP, 1, "x"))
    fake.updates[-1]["message"] = "not an object"
    fake.push("message", message(GROUP, 2, "fine"))
    run = run_tap(cfg(fake)).check()
    assert keys(run) == [(GROUP["id"], 2)]
    assert (
        f"Bot API update {update_id} skipped: its 'message' is a string, not a message object"
        in run.stderr
    )


def test_repeated_and_decreasing_update_ids_are_emitted_once_in_order(fake):
    first = fake.push("message", message(GROUP, 1, "one"))
    fake.push("message", message(GROUP, 2, "two"))
    fake.push("message", message(GROUP, 3, "three"))
    one, two, three = (dict(u) for u in fake.updates)
    fake.fail("getUpdates", 200, {"ok": True, "result": [one, three, two, three]})
    run = run_tap(cfg(fake)).check()
    assert keys(run) == [(GROUP["id"], 1), (GROUP["id"], 2), (GROUP["id"], 3)]
    assert cursor(run.state) == first + 2
    assert "out of order or repeated (1 repeat(s) dropped)" in run.stderr
    # Every emitted update was confirmed only after it was emitted: the offset is past it.
    assert all(o is None or o <= first + 3 for o in fake.get_updates_offsets())


def test_bot_api_url_credentials_never_appear_in_error_lines():
    config = {
        "source": "bot_api",
        "bot_token": TOKEN,
        "bot_api_url": "http://proxyuser:s3cretPass@127.0.0.1:9",
    }
    run = run_tap(config)
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert "s3cretPass" not in run.stderr
    assert "proxyuser" not in run.stderr
    assert "http://***@127.0.0.1:9" in last_line(run.stderr)
