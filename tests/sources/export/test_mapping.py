# ruff: noqa: RUF001 - Cyrillic test text on purpose
"""Pure mapping of Telegram Desktop export objects to records (no files)."""

from __future__ import annotations

import datetime as dt

import pytest

from tap_telegram.records.schemas import CHAT_KEYS, MESSAGE_KEYS, USER_KEYS
from tap_telegram.records.types import plain
from tap_telegram.sources.export.mapping import messages as export
from tap_telegram.sources.export.mapping.messages import (
    ThreadIndex,
    map_chat,
    map_message,
    map_reactions,
    map_sender_user,
    map_text,
    marked_chat_id,
    parse_peer,
    utf16_len,
)
from tap_telegram.sources.export.mapping.parts import MessageShapeError
from tests.sources.export.support import message

UTC = dt.timezone.utc
CHAT = -1001234567890


def test_plain_text_is_kept_without_entities():
    record = map_message(message(1, "Привет, мир"), CHAT)
    assert record is not None
    assert tuple(record) == MESSAGE_KEYS
    assert record["text"] == "Привет, мир"
    assert record["entities"] is None
    assert record["is_service"] is False


def test_text_array_gives_utf16_offsets_after_emoji():
    # 👋🏽 is two astral code points: 4 UTF-16 units; "é" is one.
    parts = [
        "👋🏽 Café ",
        {"type": "bold", "text": "Every Tuesday"},
        " 19:00 ",
        {"type": "text_link", "text": "🗺 map", "href": "https://example.org/m"},
    ]
    text, entities = map_text(parts, None)
    assert text == "👋🏽 Café Every Tuesday 19:00 🗺 map"
    assert entities is not None
    bold, link = entities
    assert (bold["type"], bold["offset"], bold["length"]) == ("bold", 10, 13)
    assert text.encode("utf-16-le")[20:46].decode("utf-16-le") == "Every Tuesday"
    assert (link["type"], link["offset"], link["length"], link["url"]) == (
        "text_url",
        30,
        6,
        "https://example.org/m",
    )


def test_text_entities_win_over_text_and_plain_parts_are_not_entities():
    entities_list = [
        {"type": "plain", "text": "see "},
        {"type": "link", "text": "https://t.me"},
        {"type": "plain", "text": " and "},
        {"type": "strikethrough", "text": "old"},
        {"type": "mention_name", "text": "Лена", "user_id": 5107788123},
        {"type": "pre", "text": "SELECT 1", "language": "sql"},
        {"type": "custom_emoji", "text": "❤️", "document_id": "5368324170671202286"},
        {"type": "blockquote", "text": "q", "collapsed": True},
    ]
    text, entities = map_text("ignored when text_entities is a list", entities_list)
    assert text == "see https://t.me and oldЛенаSELECT 1❤️q"
    assert entities is not None
    assert [entity["type"] for entity in entities] == [
        "url",
        "strike",
        "mention_name",
        "pre",
        "custom_emoji",
        "blockquote",
    ]
    assert entities[2]["user_id"] == 5107788123
    assert entities[3]["language"] == "sql"
    assert entities[4]["custom_emoji_id"] == "5368324170671202286"
    assert (entities[4]["offset"], entities[4]["length"]) == (36, 2)
    assert all(set(entity) == set(entities[0]) for entity in entities)


def test_utf16_len_counts_surrogate_pairs():
    assert utf16_len("abc") == 3
    assert utf16_len("Привет") == 6
    assert utf16_len("😂") == 2
    assert utf16_len("👨‍👩‍👧‍👦") == 11


def test_dates_come_from_unixtime_not_the_local_date_string():
    raw = message(1, date="2024-05-01T23:59:59", date_unixtime="1714521600")
    raw.update(edited="2024-05-02T01:00:00", edited_unixtime="1714525200")
    record = map_message(raw, CHAT)
    assert record is not None
    assert record["date"] == dt.datetime(2024, 5, 1, 0, 0, tzinfo=UTC)
    assert record["edit_date"] == dt.datetime(2024, 5, 1, 1, 0, tzinfo=UTC)
    assert record["date"].tzinfo is UTC


@pytest.mark.parametrize(
    ("from_id", "sender_id", "sender_type"),
    [
        ("user123", 123, "user"),
        ("channel1987654321", -1001987654321, "channel"),
        ("chat923456781", -923456781, "chat"),
    ],
)
def test_sender_ids_are_marked(from_id, sender_id, sender_type):
    record = map_message(message(1, from_id=from_id, **{"from": "X"}), CHAT)
    assert record is not None
    assert (record["sender_id"], record["sender_type"], record["sender_name"]) == (
        sender_id,
        sender_type,
        "X",
    )


def test_deleted_account_sender_has_no_name():
    record = map_message(message(1, **{"from": None}), CHAT)
    assert record is not None
    assert (record["sender_id"], record["sender_name"]) == (42, None)


@pytest.mark.parametrize("bad", ["user", "bot12", "user-5", 0, 3 << 32, -12, 1.5, "userabc"])
def test_unreadable_from_id_is_an_error(bad):
    with pytest.raises(MessageShapeError, match="message id 1: 'from_id'"):
        map_message(message(1, from_id=bad), CHAT)


def test_replies_and_cross_chat_replies():
    record = map_message(message(9, reply_to_message_id=7), CHAT, top_id=3)
    assert record is not None
    assert (record["reply_to_msg_id"], record["reply_to_top_id"]) == (7, 3)
    cross = map_message(
        message(10, reply_to_message_id=7, reply_to_peer_id="channel1987654321"), CHAT
    )
    assert cross is not None
    assert cross["reply_to_msg_id"] == 7


def test_forward_keeps_the_original_senders_name():
    record = map_message(message(1, forwarded_from="Tokyo Night Market"), CHAT)
    assert record is not None
    assert record["fwd_from"] == {
        "from_id": None,
        "from_type": None,
        "from_name": "Tokyo Night Market",
        "date": None,
        "channel_post": None,
        "post_author": None,
    }
    hidden = map_message(message(2, forwarded_from=None), CHAT)
    assert hidden is not None
    assert hidden["fwd_from"] is not None
    assert hidden["fwd_from"]["from_name"] is None
    with_id = map_message(message(3, forwarded_from="Ch", forwarded_from_id="channel5"), CHAT)
    assert with_id is not None
    forward = with_id["fwd_from"]
    assert forward is not None
    assert forward["from_id"] == -1000000000005
    assert forward["from_type"] == "channel"


def test_via_bot_has_no_id_in_exports_and_signature_is_post_author():
    record = map_message(message(1, via_bot="@gif", author="Yuki"), CHAT)
    assert record is not None
    assert tuple(record) == MESSAGE_KEYS  # the username is kept only once the schema has a column
    assert record["via_bot_id"] is None
    assert record["post_author"] == "Yuki"


def test_reactions_emoji_custom_and_paid():
    reactions = map_reactions(
        [
            {"type": "emoji", "count": 3, "emoji": "👍", "recent": [{"from": "A"}]},
            {"type": "custom_emoji", "count": 2, "document_id": "5368324170671202286"},
            {"type": "paid", "count": 20},
            {"type": "empty", "count": 1},
            {"emoji": "🔥", "count": 1},
        ]
    )
    assert reactions == [
        {"emoji": "👍", "custom_emoji_id": None, "paid": False, "count": 3},
        {"emoji": None, "custom_emoji_id": "5368324170671202286", "paid": False, "count": 2},
        {"emoji": None, "custom_emoji_id": None, "paid": True, "count": 20},
        {"emoji": "🔥", "custom_emoji_id": None, "paid": False, "count": 1},
    ]
    assert map_reactions(None) is None
    assert map_reactions([]) is None


def test_unsupported_messages_map_to_nothing():
    assert map_message({"id": 3, "type": "unsupported"}, CHAT) is None


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"id": "12"}, "'id' should be an integer"),
        ({"type": "story"}, "'type' should be message or service"),
        ({"date_unixtime": "yesterday"}, "'date_unixtime' should be a Unix time"),
        ({"date_unixtime": None}, "'date_unixtime' should be a Unix time"),
        ({"text": 5}, "'text' should be a string or a list"),
        ({"text": ["a", 5]}, "a text part is the number 5"),
        ({"reply_to_message_id": "7"}, "'reply_to_message_id' should be an integer"),
        ({"reactions": {"👍": 1}}, "'reactions' should be a list"),
        ({"photo": 5}, "'photo' should be a string"),
        ({"poll": []}, "'poll' should be an object"),
        ({"width": "800", "photo": "p.jpg"}, "'width' should be an integer"),
    ],
)
def test_wrong_types_raise_naming_the_key(change, problem):
    raw = message(1)
    raw.update(change)
    with pytest.raises(MessageShapeError, match=problem):
        map_message(raw, CHAT)


def test_local_date_without_a_zone_names_the_setting():
    raw = message(1)
    del raw["date_unixtime"]
    with pytest.raises(MessageShapeError, match=r"'date' is a local time .* set 'export_timezone'"):
        map_message(raw, CHAT)
    del raw["date"]
    with pytest.raises(MessageShapeError, match="no 'date_unixtime' and no 'date'"):
        map_message(raw, CHAT)


@pytest.mark.parametrize(
    ("export_type", "bare", "marked", "kind"),
    [
        ("personal_chat", 6234509876, 6234509876, "user"),
        ("bot_chat", 6100223344, 6100223344, "user"),
        ("saved_messages", 5107788123, 5107788123, "user"),
        ("private_group", 923456781, -923456781, "group"),
        ("private_supergroup", 1234567890, -1001234567890, "supergroup"),
        ("public_supergroup", 1234567890, -1001234567890, "supergroup"),
        ("private_channel", 1987654321, -1001987654321, "channel"),
        ("public_channel", 1987654321, -1001987654321, "channel"),
    ],
)
def test_chat_ids_are_marked_by_type(export_type, bare, marked, kind):
    assert marked_chat_id(export_type, bare) == marked
    record = map_chat("X", export_type, marked, forum=True, self_name=None)
    assert tuple(record) == CHAT_KEYS
    assert (record["id"], record["type"], record["source"]) == (marked, kind, "export")
    assert record["is_forum"] is (kind == "supergroup")


def test_saved_messages_take_the_owners_name_and_unknown_types_are_refused():
    record = map_chat(None, "saved_messages", 5, forum=False, self_name="Лена Соколова")
    assert record["title"] == "Лена Соколова"
    assert marked_chat_id("verification_codes", 5) is None
    with pytest.raises(MessageShapeError, match="unknown chat type"):
        map_chat("X", "verification_codes", 5, forum=False, self_name=None)


def test_parse_peer():
    assert parse_peer("user5", "k") == (5, "user")
    assert parse_peer("chat5", "k") == (-5, "chat")
    assert parse_peer("channel5", "k") == (-1000000000005, "channel")


def test_thread_index_follows_replies_into_topics():
    index = ThreadIndex()
    seen = {}
    stream = [
        {"id": 1, "type": "service", "action": "create_channel"},
        {"id": 2, "type": "service", "action": "topic_created"},
        {"id": 3, "type": "message"},  # General topic: no reply
        {"id": 4, "type": "message", "reply_to_message_id": 2},  # posted in topic 2
        {"id": 5, "type": "message", "reply_to_message_id": 4},  # reply inside topic 2
        {"id": 6, "type": "message", "reply_to_message_id": 3},  # reply in General
        {"id": 7, "type": "message", "reply_to_message_id": 2, "reply_to_peer_id": "channel9"},
        {"id": 8, "type": "service", "action": "topic_created"},
        {"id": 9, "type": "message", "reply_to_message_id": 5},
        {"id": 10, "type": "message", "reply_to_message_id": 8},
    ]
    for raw in stream:
        seen[raw["id"]] = index.observe(raw)
    assert seen == {1: None, 2: None, 3: None, 4: 2, 5: 2, 6: None, 7: None, 8: None, 9: 2, 10: 8}
    assert len(index) == 6  # 2 roots + 4 topic messages: nothing else is stored


def test_sender_user_record_uses_known_names():
    record = map_message(message(1, **{"from": "Анна Смирнова"}), CHAT)
    assert record is not None
    plain = map_sender_user(record, {})
    assert plain is not None
    assert tuple(plain) == USER_KEYS
    assert (plain["id"], plain["first_name"], plain["last_name"]) == (42, "Анна Смирнова", None)
    known = map_sender_user(record, {42: {"first_name": "Анна", "last_name": "Смирнова"}})
    assert known is not None
    assert (known["first_name"], known["last_name"]) == ("Анна", "Смирнова")
    bot = map_sender_user(record, {42: {"is_bot": True}})
    assert bot is not None
    assert (bot["first_name"], bot["is_bot"]) == ("Анна Смирнова", True)
    channel = map_message(message(2, from_id="channel5"), CHAT)
    assert channel is not None
    assert map_sender_user(channel, {}) is None


def test_via_bot_username_fills_the_column_once_the_schema_has_it(monkeypatch):
    monkeypatch.setattr(export, "MESSAGE_KEYS", (*MESSAGE_KEYS, export.VIA_BOT_KEY))
    record = map_message(message(1, via_bot="@gif"), CHAT)
    assert record is not None
    assert plain(record)[export.VIA_BOT_KEY] == "gif"
