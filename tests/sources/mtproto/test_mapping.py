"""Pure mapping: TL objects (read back from bytes, as off the wire) → records."""

import datetime as dt

from telethon.extensions import BinaryReader
from telethon.tl import types

from tap_telegram.records.schemas import MESSAGE_KEYS
from tap_telegram.sources.mtproto.mapping.messages import PeerIndex, map_chat, map_message, map_user

UTC = dt.timezone.utc
DATE = dt.datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
CHANNEL = types.Channel(
    id=1234567890,
    title="Data Eng",
    photo=types.ChatPhotoEmpty(),
    date=DATE,
    megagroup=True,
    access_hash=42,
    username="dataeng",
    forum=True,
)
ALICE = types.User(
    id=11, first_name="Alice", last_name="Liddell", username="alice", access_hash=7, premium=True
)
CHAT_ID = -1001234567890


def mapped(msg, chat_id, index):
    record = map_message(msg, chat_id, index)
    assert record is not None
    return record


def wire(obj):
    """Serialize and parse back, so optional flags read as Telegram sends them."""
    return BinaryReader(bytes(obj)).tgread_object()


def peers(self_id=99):
    return PeerIndex.from_response([wire(ALICE)], [wire(CHANNEL)], self_id)


def message(**kwargs):
    base = {"id": 5, "peer_id": types.PeerChannel(CHANNEL.id), "date": DATE, "message": ""}
    base.update(kwargs)
    return wire(types.Message(**base))


def test_text_entities_reply_and_sender():
    msg = message(
        message="Привет 👋 see docs",
        from_id=types.PeerUser(ALICE.id),
        entities=[
            types.MessageEntityBold(offset=0, length=6),
            types.MessageEntityTextUrl(offset=14, length=4, url="https://example.org"),
            types.MessageEntityMentionName(offset=10, length=3, user_id=ALICE.id),
            types.MessageEntityPre(offset=0, length=2, language="python"),
        ],
        reply_to=types.MessageReplyHeader(reply_to_msg_id=3, reply_to_top_id=2, forum_topic=True),
        edit_date=DATE + dt.timedelta(minutes=5),
        silent=True,
    )
    record = mapped(msg, CHAT_ID, peers())
    assert tuple(record) == MESSAGE_KEYS
    assert record["chat_id"] == CHAT_ID
    assert record["id"] == 5
    assert record["text"] == "Привет 👋 see docs"
    assert record["sender_id"] == ALICE.id
    assert record["sender_type"] == "user"
    assert record["sender_name"] == "Alice Liddell"
    assert record["sender_username"] == "alice"
    assert record["reply_to_msg_id"] == 3
    assert record["reply_to_top_id"] == 2
    assert record["edit_date"] == DATE + dt.timedelta(minutes=5)
    assert record["silent"] is True
    assert record["is_service"] is False
    assert [e["type"] for e in record["entities"]] == ["bold", "text_url", "mention_name", "pre"]
    assert record["entities"][1]["url"] == "https://example.org"
    assert record["entities"][2]["user_id"] == ALICE.id
    assert record["entities"][3]["language"] == "python"


def test_channel_post_counts_reactions_forward():
    msg = message(
        post=True,
        message="news",
        views=1500,
        forwards=12,
        replies=types.MessageReplies(replies=4, replies_pts=1),
        post_author="Editor",
        reactions=types.MessageReactions(
            results=[
                types.ReactionCount(reaction=types.ReactionEmoji(emoticon="🔥"), count=9),
                types.ReactionCount(reaction=types.ReactionCustomEmoji(document_id=555), count=2),
            ]
        ),
        fwd_from=types.MessageFwdHeader(
            date=DATE, from_id=types.PeerChannel(777), channel_post=31, post_author="Bob"
        ),
        grouped_id=123456789012345,
    )
    record = mapped(msg, CHAT_ID, peers())
    assert record["sender_id"] == CHAT_ID
    assert record["sender_type"] == "channel"
    assert record["sender_name"] == "Data Eng"
    assert (record["views"], record["forwards"], record["replies_count"]) == (1500, 12, 4)
    assert record["reactions"] == [
        {"emoji": "🔥", "custom_emoji_id": None, "paid": False, "count": 9},
        {"emoji": None, "custom_emoji_id": "555", "paid": False, "count": 2},
    ]
    assert record["fwd_from"] == {
        "from_id": -1000000000777,
        "from_type": "channel",
        "from_name": None,
        "date": DATE,
        "channel_post": 31,
        "post_author": "Bob",
    }
    assert record["grouped_id"] == 123456789012345


def test_private_chat_sender_rules():
    incoming = wire(types.Message(id=1, peer_id=types.PeerUser(ALICE.id), date=DATE, message="hi"))
    outgoing = wire(
        types.Message(id=2, peer_id=types.PeerUser(ALICE.id), date=DATE, message="yo", out=True)
    )
    assert mapped(incoming, ALICE.id, peers())["sender_id"] == ALICE.id
    assert mapped(outgoing, ALICE.id, peers(self_id=99))["sender_id"] == 99


def test_service_message_action():
    msg = wire(
        types.MessageService(
            id=9,
            peer_id=types.PeerChannel(CHANNEL.id),
            date=DATE,
            from_id=types.PeerUser(ALICE.id),
            action=types.MessageActionChatEditTitle(title="New title"),
        )
    )
    record = mapped(msg, CHAT_ID, peers())
    assert record["is_service"] is True
    assert record["action"] == {"type": "chat_edit_title", "details": {"title": "New title"}}
    assert record["text"] is None
    assert record["sender_id"] == ALICE.id


def test_media_document_video_and_poll():
    video = types.MessageMediaDocument(
        document=types.Document(
            id=1,
            access_hash=2,
            file_reference=b"x",
            date=DATE,
            mime_type="video/mp4",
            size=1048576,
            dc_id=2,
            attributes=[
                types.DocumentAttributeVideo(duration=12.5, w=1280, h=720),
                types.DocumentAttributeFilename(file_name="clip.mp4"),
            ],
        )
    )
    record = mapped(message(media=video), CHAT_ID, peers())
    assert record["media_type"] == "video"
    assert record["media"]["file_name"] == "clip.mp4"
    assert record["media"]["size"] == 1048576
    assert (record["media"]["width"], record["media"]["height"]) == (1280, 720)
    assert record["media"]["duration"] == 12.5
    poll = types.MessageMediaPoll(
        poll=types.Poll(
            id=5,
            question=types.TextWithEntities("Best DB?", []),
            hash=0,
            answers=[
                types.PollAnswer(text=types.TextWithEntities("Postgres", []), option=b"0"),
                types.PollAnswer(text=types.TextWithEntities("SQLite", []), option=b"1"),
            ],
        ),
        results=types.PollResults(
            total_voters=10,
            results=[
                types.PollAnswerVoters(option=b"0", voters=7, recent_voters=[]),
                types.PollAnswerVoters(option=b"1", voters=3, recent_voters=[], chosen=True),
            ],
        ),
    )
    record = mapped(message(media=poll), CHAT_ID, peers())
    assert record["media_type"] == "poll"
    assert record["media"]["question"] == "Best DB?"
    assert record["media"]["answers"] == [
        {"text": "Postgres", "voters": 7, "chosen": False},
        {"text": "SQLite", "voters": 3, "chosen": True},
    ]
    assert record["media"]["total_voters"] == 10


def test_empty_message_skipped():
    assert map_message(wire(types.MessageEmpty(id=3, peer_id=None)), CHAT_ID, peers()) is None


def test_user_and_chat_records():
    user = map_user(wire(ALICE))
    assert user["id"] == 11
    assert user["is_premium"] is True
    assert "phone" not in user
    full = types.ChannelFull(
        id=CHANNEL.id,
        about="All about data",
        read_inbox_max_id=0,
        read_outbox_max_id=0,
        unread_count=0,
        chat_photo=types.PhotoEmpty(id=0),
        notify_settings=types.PeerNotifySettings(),
        bot_info=[],
        pts=1,
        participants_count=321,
        linked_chat_id=555,
    )
    chat = map_chat(wire(CHANNEL), wire(full))
    assert chat["id"] == CHAT_ID
    assert chat["type"] == "supergroup"
    assert chat["is_forum"] is True
    assert chat["about"] == "All about data"
    assert chat["participants_count"] == 321
    assert chat["linked_chat_id"] == -1000000000555
    assert chat["created"] == DATE
