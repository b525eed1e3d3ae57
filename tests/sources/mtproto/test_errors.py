"""Every error a user can fix ends with one line that says what to do, and the right
exit code: the real CLI in a subprocess against the fake Telegram."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tap_telegram.errors import ChatError
from tap_telegram.sources.mtproto.wire.calls import Caller
from tests.fake_telegram import FakeTelegram, run_fake_tap, three_chats_world, variety_world

BOT_TOKEN = "123456789:AAFakeBotTokenForTests_abcdefghijklmnop"


def error_lines(run):
    """The ERROR lines the tap printed (one per user error)."""
    return [line for line in run.stderr.splitlines() if "| ERROR" in line]


def assert_one_clear_line(run, code, *needles):
    assert run.returncode == code, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    lines = error_lines(run)
    assert len(lines) == 1, lines
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def world():
    return three_chats_world(seed=21)


@pytest.mark.parametrize(
    ("change", "needles"),
    [
        ({"api_id": None}, ["setting 'api_id' is required", "my.telegram.org"]),
        ({"api_hash": None}, ["setting 'api_hash' is required"]),
        ({"session_string": None}, ["setting 'session_string'", "tap-telegram login"]),
        ({"session_string": "not-a-session"}, ["not a Telethon string session"]),
        ({"session_string": BOT_TOKEN}, ["holds a bot token", "bot_api"]),
        ({"session_string": None, "session_file": "/nonexistent/me.session"}, ["session_file"]),
        ({"api_id": "12x"}, ["setting 'api_id' must be a whole number"]),
        ({"page_size": 500}, ["setting 'page_size' must be at most 100"]),
        ({"on_chat_error": "ignore"}, ["setting 'on_chat_error' must be one of"]),
    ],
)
def test_config_errors_name_the_setting(world, change, needles):
    fake = FakeTelegram(world)
    config = {**fake.tap_config(chats=["@fake_news"]), **change}
    config = {key: value for key, value in config.items() if value is not None}
    run = run_fake_tap(fake, config)
    line = assert_one_clear_line(run, 2, *needles)
    assert "12x" not in line
    assert BOT_TOKEN not in run.stderr
    assert not run.records


@pytest.mark.parametrize(
    ("status", "code", "needles"),
    [
        ("revoked", 3, ["not valid any more", "tap-telegram login"]),
        ("duplicated", 3, ["used from two places", "tap-telegram login"]),
        ("session_revoked", 3, ["SESSION_REVOKED", "tap-telegram login"]),
        ("bot", 2, ["bots cannot read history", "bot_api"]),
    ],
)
def test_session_errors(world, status, code, needles):
    fake = FakeTelegram(world)
    config = fake.tap_config(chats=["@fake_news"], session_string=fake.session_string(status))
    run = run_fake_tap(fake, config)
    assert_one_clear_line(run, code, *needles)
    assert not run.records.get("messages")


def test_wrong_api_id(world):
    fake = FakeTelegram(world)
    run = run_fake_tap(fake, fake.tap_config(chats=["@fake_news"], api_id=999))
    assert_one_clear_line(run, 2, "API_ID_INVALID", "'api_id'", "my.telegram.org")


def test_inaccessible_chats_continue_skip_and_fail():
    world = variety_world(seed=4)
    fake = FakeTelegram(world)
    private = world.chat("secret")
    assert private.invite_hash
    forum = world.marked_id("forum")
    chats = [
        "@fake_no_such_name",  # USERNAME_NOT_OCCUPIED
        f"https://t.me/+{private.invite_hash}",  # an invite link of a chat not joined
        "@fake_newsroom",  # fine, but CHANNEL_PRIVATE on its second page (banned meanwhile)
        str(forum),  # fine
    ]
    fake.add_fault("GetHistoryRequest", "CHANNEL_PRIVATE", chat="news", nth=2)
    run = run_fake_tap(fake, fake.tap_config(chats=chats))
    assert run.returncode == 5
    summary = error_lines(run)[-1]
    assert "3 chat(s) failed" in summary
    assert "@fake_no_such_name: no user, group or channel has this username" in summary
    assert "not a member of the chat behind the invite link" in summary
    assert "private, deleted or the account was banned" in summary
    got = [r["id"] for r in run.records["messages"] if r["chat_id"] == forum]
    assert got == world.message_ids("forum")

    skip = run_fake_tap(fake, fake.tap_config(chats=chats, on_chat_error="skip"))
    assert skip.returncode == 0
    assert "skipping this chat" in skip.stderr

    fail = run_fake_tap(fake, fake.tap_config(chats=chats, on_chat_error="fail"))
    assert_one_clear_line(fail, 1, "@fake_no_such_name")
    assert not fail.records.get("messages")


def test_server_error_storm_names_the_chat(world):
    """After Telethon's retries, a 500 storm is a ChatError naming chat and error."""
    fake = FakeTelegram(world)
    fake.add_fault("GetHistoryRequest", "INTERNAL", code=500, times=None)

    async def go():
        client = fake.client(request_retries=1)
        await client.connect()
        try:
            caller = Caller(client, logging.getLogger("test"), max_flood_wait=10)
            entity = await client.get_input_entity("@fake_news")
            from telethon import functions

            request = functions.messages.GetHistoryRequest(entity, 0, None, 0, 10, 0, 0, 0)
            with pytest.raises(ChatError) as caught:
                await caller(request, chat="-100 (@fake_news)")
            return str(caught.value)
        finally:
            await client.disconnect()

    message = asyncio.run(go())
    assert message.startswith("chat -100 (@fake_news): Telegram kept answering GetHistoryRequest")
    assert "INTERNAL" in message
    assert "run again later" in message


def test_flood_wait_counts_reach_metrics_and_summary_not_state(world):
    fake = FakeTelegram(world)
    fake.add_fault("GetHistoryRequest", "FLOOD_WAIT_1", chat="@fake_news", nth=3, times=1)
    config = fake.tap_config(chats=["@fake_news", "@fake_devs"])
    first = run_fake_tap(fake, config).check()
    parts = partitions(first)
    news = world.marked_id("@fake_news")
    assert parts[news]["replication_key_value"] == world.last_id("@fake_news")
    # The counters are metrics and the summary line, never STATE (issue 26).
    assert all("stats" not in part for part in parts.values())
    tags = f'"tags":{{"stream":"messages","context":{{"chat_id":{news}}}}}'
    requests = fake_history_requests(first, "channel") + 1  # + the retry
    assert f'"metric":"telegram_request_count","value":{requests},{tags}' in first.stderr
    assert f'"metric":"telegram_flood_wait_seconds","value":1.0,{tags}' in first.stderr
    assert f"chat {news} (@fake_news)" in first.stderr
    assert "flood wait 1 s on GetHistoryRequest" in first.stderr
    assert '"metric":"telegram_flood_wait_count","value":1' in first.stderr
    assert '"metric":"telegram_messages_per_second"' in first.stderr
    summary = [line for line in first.stderr.splitlines() if "run summary:" in line]
    assert len(summary) == 1
    total = world.message_count("@fake_news") + world.message_count("@fake_devs")
    assert f"run summary: {total} messages from 2 chats" in summary[0]
    assert "1 flood waits (1 s waited), 0 chats failed" in summary[0]

    # A second run resumes from the same bookmarks; its metrics are its own.
    world.append_messages("@fake_devs", 7)
    second = run_fake_tap(FakeTelegram(world), config, state=first.state).check()
    assert [r["id"] for r in second.records["messages"]] == world.message_ids("@fake_devs")[-7:]
    parts2 = partitions(second)
    assert "run summary: 7 messages from 2 chats" in second.stderr
    assert '"metric":"telegram_flood_wait_count","value":1' not in second.stderr
    assert parts2[news]["replication_key_value"] == world.last_id("@fake_news")


def partitions(run):
    assert run.state is not None
    return {p["context"]["chat_id"]: p for p in run.state["bookmarks"]["messages"]["partitions"]}


def fake_history_requests(run, key):
    assert run.stats is not None
    return run.stats.history[key]


def test_sync_never_prompts_without_a_session(world, tmp_path):
    """A cron job with a terminal-less stdin left open: no prompt, one line, exit 3."""
    import json
    import os
    import subprocess
    import sys

    from telethon.sessions import StringSession

    from tests.fake_telegram import dump_spec
    from tests.fake_telegram.checked import check_run
    from tests.fake_telegram.harness import LAUNCHER, REPO_ROOT
    from tests.fake_telegram.sessions import DEFAULT_DC, fresh_key

    fake = FakeTelegram(world)
    session = StringSession()
    session.set_dc(*DEFAULT_DC)
    session.auth_key = fresh_key(424242)  # a key Telegram never saw logged in
    config = fake.tap_config(chats=["@fake_news"], session_string=session.save())
    (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    spec = dump_spec(fake, tmp_path / "world.json")
    out_path, err_path = tmp_path / "out.txt", tmp_path / "err.txt"
    with out_path.open("w") as out_file, err_path.open("w") as err_file:
        child = subprocess.Popen(
            [str(LAUNCHER), "--world", str(spec), "--", "--config", str(tmp_path / "config.json")],
            stdin=subprocess.PIPE,  # open and never written: a prompt would block on it
            stdout=out_file,
            stderr=err_file,
            cwd=REPO_ROOT,
            env=dict(os.environ, FAKE_TELEGRAM_PYTHON=sys.executable),
        )
        try:
            child.wait(timeout=120)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
            assert child.stdin is not None
            child.stdin.close()
    out, err = out_path.read_text(), err_path.read_text()
    check_run(out, fake, config, None)
    assert child.returncode == 3, err[-2000:]
    assert "run `tap-telegram login`" in err
    assert "phone" not in (out + err).lower()
    assert "Traceback" not in err


def test_premium_flood_wait_is_waited_and_counted(world):
    fake = FakeTelegram(world)
    fake.add_fault("GetHistoryRequest", "FLOOD_PREMIUM_WAIT_1", times=1)

    async def go():
        from telethon import functions

        client = fake.client()
        await client.connect()
        try:
            caller = Caller(client, logging.getLogger("test"), max_flood_wait=10)
            entity = await client.get_input_entity("@fake_news")
            request = functions.messages.GetHistoryRequest(entity, 0, None, 0, 10, 0, 0, 0)
            result = await caller(request, chat="news")
            return result, caller.stats_for("news")
        finally:
            await client.disconnect()

    result, stats = asyncio.run(go())
    assert len(result.messages) == 10
    assert (stats.requests, stats.flood_waits, stats.flood_seconds) == (2, 1, 1)


@pytest.mark.parametrize("request_name", ["GetConfig", "GetHistoryRequest"])
def test_an_answer_of_another_layer_is_one_line(world, request_name):
    """A server speaking another layer (or no Telegram at all): say so, no traceback."""
    fake = FakeTelegram(world)
    fake.add_fault(request_name, kind="unknown_type", times=None)
    run = run_fake_tap(fake, fake.tap_config(chats=["@fake_news"]))
    line = assert_one_clear_line(run, 1, "with a type telethon", "update telethon")
    assert "1badc0de" in line
    assert "server_address/server_port" in line
