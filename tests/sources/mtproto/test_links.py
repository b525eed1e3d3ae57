"""``link`` on MTProto records through the real tap and the fake Telegram (``variety_world``):
the public channel's links use its username, the forum's the private topic form, private
chats and basic groups have none; a chat's own link is its username's."""

from __future__ import annotations

from tests.fake_telegram import FakeTelegram
from tests.fake_telegram.harness import run_in_process
from tests.fake_telegram.worlds import variety_world


def test_links_follow_the_chat_kind_username_and_topic():
    world = variety_world(seed=3)
    fake = FakeTelegram(world)
    run = run_in_process(fake, fake.tap_config())
    assert run.returncode == 0
    news, forum = world.marked_id("news"), world.marked_id("forum")
    bare_forum = -forum - 10**12
    by_chat: dict[int, list[dict]] = {}
    for record in run.records["messages"]:
        by_chat.setdefault(record["chat_id"], []).append(record)
    assert by_chat[news]
    for record in by_chat[news]:
        assert record["link"] == f"https://t.me/fake_newsroom/{record['id']}"
    topics = 0
    for record in by_chat[forum]:
        topic, message_id = record["topic_id"], record["id"]
        if topic in (1, message_id):
            assert record["link"] == f"https://t.me/c/{bare_forum}/{message_id}"
        else:
            topics += 1
            assert record["link"] == f"https://t.me/c/{bare_forum}/{topic}/{message_id}"
    assert topics > 0
    for key in ("alice", "family"):
        assert by_chat[world.marked_id(key)]
        assert {r["link"] for r in by_chat[world.marked_id(key)]} == {None}
    chats = {chat["id"]: chat for chat in run.records["chats"]}
    assert chats[news]["link"] == "https://t.me/fake_newsroom"
    assert chats[forum]["link"] is None
    assert chats[world.marked_id("alice")]["link"] == "https://t.me/alice_fake"
