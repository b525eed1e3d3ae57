"""``link``: Telegram's message and chat link forms (core.telegram.org/api/links), all sources."""

from __future__ import annotations

import pytest
from telethon.tl import types

from tap_telegram.records.links import chat_link, message_link
from tap_telegram.sources.bot_api.mapping.messages import map_chat as bot_api_chat
from tap_telegram.sources.bot_api.mapping.messages import map_message as bot_api_message
from tap_telegram.sources.export.mapping.messages import map_message as export_message
from tap_telegram.sources.export.mapping.peers import synthetic_chat_id
from tap_telegram.sources.mtproto.mapping.messages import PeerIndex, map_chat
from tap_telegram.sources.mtproto.mapping.messages import map_message as mtproto_message
from tests.records.logical import STAMP, wire
from tests.records.logical import mtproto_message as tl_message

CHANNEL = -1001234567890


@pytest.mark.parametrize(
    ("chat_id", "message_id", "username", "topic", "expected"),
    [
        (CHANNEL, 42, "dataeng", None, "https://t.me/dataeng/42"),
        (CHANNEL, 42, None, None, "https://t.me/c/1234567890/42"),
        (CHANNEL, 42, None, 7, "https://t.me/c/1234567890/7/42"),
        (CHANNEL, 42, "dataeng", 7, "https://t.me/dataeng/7/42"),
        (CHANNEL, 42, None, 1, "https://t.me/c/1234567890/42"),  # General: plain form
        (CHANNEL, 7, None, 7, "https://t.me/c/1234567890/7"),  # a topic's first message
        (42, 5, "alice", None, None),  # private chat: Telegram has no message links
        (-4242, 5, None, None, None),  # basic group: neither
        (CHANNEL, -999999939, None, None, None),  # an export's migrated-group message
    ],
)
def test_message_link_forms(chat_id, message_id, username, topic, expected):
    assert message_link(chat_id, message_id, username=username, topic_id=topic) == expected


def test_chat_link_only_with_a_username():
    assert chat_link("dataeng") == "https://t.me/dataeng"
    assert chat_link(None) is None
    assert chat_link("") is None


def forum(username: str | None) -> types.Channel:
    return types.Channel(
        id=1234567890,
        title="Data Eng",
        photo=types.ChatPhotoEmpty(),
        date=None,
        megagroup=True,
        forum=True,
        access_hash=1,
        username=username,
    )


def test_mtproto_public_forum_topic_and_private_channel():
    reply = types.MessageReplyHeader(reply_to_msg_id=7, forum_topic=True)
    public = PeerIndex.from_response([], [wire(forum("dataeng"))], self_id=99)
    record = mtproto_message(tl_message(42, reply_to=reply), CHANNEL, public)
    assert record is not None
    assert record["topic_id"] == 7
    assert record["link"] == "https://t.me/dataeng/7/42"
    assert map_chat(wire(forum("dataeng")))["link"] == "https://t.me/dataeng"
    private = PeerIndex.from_response([], [wire(forum(None))], self_id=99)
    general = mtproto_message(tl_message(43), CHANNEL, private)
    assert general is not None
    assert general["link"] == "https://t.me/c/1234567890/43"
    assert map_chat(wire(forum(None)))["link"] is None


def test_mtproto_private_chat_has_no_link():
    message = wire(
        types.Message(id=5, peer_id=types.PeerUser(42), date=None, message="hi", out=True)
    )
    record = mtproto_message(message, 42, PeerIndex(self_id=99))
    assert record is not None
    assert record["link"] is None


def test_bot_api_public_supergroup_topic_and_private_chat():
    chat = {"id": CHANNEL, "type": "supergroup", "username": "dataeng", "is_forum": True}
    topic = {"message_id": 42, "chat": chat, "date": STAMP, "text": "x"}
    topic.update(message_thread_id=7, is_topic_message=True)
    assert bot_api_message(topic)["link"] == "https://t.me/dataeng/7/42"
    reply = {"message_id": 43, "chat": chat, "date": STAMP, "text": "x", "message_thread_id": 40}
    assert bot_api_message(reply)["link"] == "https://t.me/dataeng/43"  # a thread, not a topic
    assert bot_api_chat(chat)["link"] == "https://t.me/dataeng"
    private = {"id": 42, "type": "private", "first_name": "Alice"}
    assert bot_api_message({"message_id": 5, "chat": private, "date": STAMP})["link"] is None
    assert bot_api_chat(private)["link"] is None


def test_export_uses_the_private_form_and_no_link_without_a_real_id():
    message = {"id": 42, "type": "message", "date_unixtime": str(STAMP), "text": ""}
    record = export_message(message, CHANNEL)
    assert record is not None
    assert record["link"] == "https://t.me/c/1234567890/42"  # exports name no username
    in_topic = export_message(message, CHANNEL, 7, forum=True)
    assert in_topic is not None
    assert in_topic["link"] == "https://t.me/c/1234567890/7/42"
    assert export_message(message, -4242)["link"] is None  # type: ignore[index]
    synthetic = synthetic_chat_id("private_channel", "Old", 1, 1)
    assert export_message(message, synthetic)["link"] is None  # type: ignore[index]
