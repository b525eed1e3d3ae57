"""Which chats a Bot API run takes: every chat the bot hears from said out loud,
``chat_types`` and ``exclude_chats`` honoured like in the other sources. The real tap
CLI against the fake Bot API."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fake_bot_api import CHANNEL, GROUP, message
from tests.sources.bot_api.harness import cfg, keys, new_fake, run_tap

PRIVATE: dict[str, Any] = {
    "id": 1001,
    "first_name": "Alice",
    "username": "alice",
    "type": "private",
}


@pytest.fixture
def fake(httpserver):
    bot = new_fake(httpserver)
    for chat in (GROUP, CHANNEL, PRIVATE):
        bot.add_chat(chat)
    bot.push("message", message(GROUP, 1, "group"))
    bot.push("channel_post", message(CHANNEL, 2, "channel"))
    bot.push("message", message(PRIVATE, 3, "private"))
    return bot


def warnings(stderr: str) -> list[str]:
    return [line.split("| ", 3)[-1] for line in stderr.splitlines() if "| WARNING" in line]


def test_every_chat_is_announced_before_the_first_update(fake):
    run = run_tap(cfg(fake)).check()
    assert keys(run) == [(GROUP["id"], 1), (CHANNEL["id"], 2), (PRIVATE["id"], 3)]
    lines = run.stderr.splitlines()
    (announce,) = [n for n, line in enumerate(lines) if "no `chats` setting" in line]
    first_read = next(n for n, line in enumerate(lines) if "reading updates after" in line)
    assert announce < first_read
    assert lines[announce].endswith(
        "tap-telegram: no `chats` setting, so extracting every chat this bot receives updates "
        "from; to extract less, list the chats in `chats`, keep some types with `chat_types` "
        "(user, group, supergroup, channel) or leave chats out with `exclude_chats`"
    )


def test_chat_types_keep_only_those_types(fake):
    run = run_tap(cfg(fake, chat_types=["channel", "supergroup"])).check()
    assert keys(run) == [(GROUP["id"], 1), (CHANNEL["id"], 2)]
    assert "2 from chats not in `chats`" not in run.stderr  # one skipped: the private chat
    assert "1 from chats not in `chats`" in run.stderr


def test_exclude_chats_out_of_every_chat(fake):
    excluded = ["@newsroom", str(PRIVATE["id"]), "@no_such_chat"]
    run = run_tap(cfg(fake, exclude_chats=excluded)).check()
    assert keys(run) == [(GROUP["id"], 1)]
    (miss,) = [line for line in warnings(run.stderr) if "setting 'exclude_chats'" in line]
    assert miss.startswith(
        "tap-telegram: setting 'exclude_chats': '@no_such_chat' matches no chat this bot can "
        "see (getChat failed), so it excludes nothing"
    )


def test_exclude_chats_out_of_chats(fake):
    config = cfg(fake, chats=["@builders", "@newsroom"], exclude_chats=["@Builders", "@alice"])
    run = run_tap(config).check()
    assert keys(run) == [(CHANNEL["id"], 2)]
    assert {chat["id"] for chat in run.records["chats"]} == {CHANNEL["id"]}
    (miss,) = [line for line in warnings(run.stderr) if "setting 'exclude_chats'" in line]
    assert "'@alice' matches none of the chats selected" in miss
    assert "no `chats` setting" not in run.stderr


def test_an_invite_link_cannot_exclude_for_a_bot(fake):
    run = run_tap(cfg(fake, exclude_chats=["https://t.me/+AbCdEf123"]))
    assert run.returncode == 2
    assert "setting 'exclude_chats': a bot cannot match invite links" in run.stderr
