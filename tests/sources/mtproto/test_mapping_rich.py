"""Pure mapping of issue 7's structured fields: topics, members, media details."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from telethon.extensions import BinaryReader
from telethon.tl import types

from tap_telegram.records.schemas import (
    MEDIA_KEYS,
    MESSAGE_SCHEMA,
    PARTICIPANT_KEYS,
    TOPIC_KEYS,
)
from tap_telegram.records.topics import general_topic, topic_from_message
from tap_telegram.sources.base import MessageQuery, SourceContext
from tap_telegram.sources.export.source import ExportSource
from tap_telegram.sources.mtproto.mapping.media import map_media
from tap_telegram.sources.mtproto.mapping.members import map_participant, map_topic
from tap_telegram.sources.mtproto.mapping.messages import PeerIndex, map_message
from tests.fake_telegram import media as fake_media

UTC = dt.timezone.utc
DATE = dt.datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
FORUM = types.Channel(
    id=1234567890,
    title="Forum",
    photo=types.ChatPhotoEmpty(),
    date=DATE,
    megagroup=True,
    access_hash=42,
    forum=True,
)
PLAIN = types.Channel(
    id=1234567891,
    title="Plain",
    photo=types.ChatPhotoEmpty(),
    date=DATE,
    megagroup=True,
    access_hash=43,
)
FORUM_ID, PLAIN_ID = -1001234567890, -1001234567891


def wire(obj):
    """Serialize and parse back, so optional flags read as Telegram sends them."""
    return BinaryReader(bytes(obj)).tgread_object()


def record_of(chat, msg):
    index = PeerIndex.from_response([], [wire(chat)], self_id=99)
    chat_id = FORUM_ID if chat is FORUM else PLAIN_ID
    record = map_message(wire(msg), chat_id, index)
    assert record is not None
    return record


def text(chat, message_id=20, reply_to=None):
    return types.Message(
        id=message_id,
        peer_id=types.PeerChannel(chat.id),
        date=DATE,
        message="hi",
        reply_to=reply_to,
    )


@pytest.mark.parametrize(
    ("reply_to", "expected"),
    [
        (None, 1),
        (types.MessageReplyHeader(forum_topic=True, reply_to_msg_id=5), 5),
        (types.MessageReplyHeader(forum_topic=True, reply_to_msg_id=9, reply_to_top_id=5), 5),
        (types.MessageReplyHeader(reply_to_msg_id=9), 1),
    ],
)
def test_topic_id_in_a_forum(reply_to, expected):
    assert record_of(FORUM, text(FORUM, reply_to=reply_to))["topic_id"] == expected


def test_topic_id_of_the_creating_message_and_outside_forums():
    created = types.MessageService(
        id=7,
        peer_id=types.PeerChannel(FORUM.id),
        date=DATE,
        action=types.MessageActionTopicCreate(title="Bugs", icon_color=0x6FB9F0),
    )
    assert record_of(FORUM, created)["topic_id"] == 7
    reply = types.MessageReplyHeader(forum_topic=True, reply_to_msg_id=5)
    assert record_of(PLAIN, text(PLAIN, reply_to=reply))["topic_id"] is None


def test_map_topic():
    topic = wire(
        types.ForumTopic(
            id=4,
            date=DATE,
            peer=types.PeerChannel(FORUM.id),
            title="Ideas 💡",
            icon_color=0xFF93B2,
            top_message=99,
            read_inbox_max_id=0,
            read_outbox_max_id=0,
            unread_count=0,
            unread_mentions_count=0,
            unread_reactions_count=0,
            unread_poll_votes_count=0,
            from_id=types.PeerUser(11),
            notify_settings=types.PeerNotifySettings(),
            closed=True,
            icon_emoji_id=5_000_000_000_000_000_001,
        )
    )
    record = map_topic(topic, FORUM_ID)
    assert record is not None
    assert tuple(record) == TOPIC_KEYS
    assert record == {
        "chat_id": FORUM_ID,
        "id": 4,
        "title": "Ideas 💡",
        "icon_color": 0xFF93B2,
        "icon_emoji_id": "5000000000000000001",
        "created": DATE,
        "creator_id": 11,
        "top_message_id": 99,
        "closed": True,
        "pinned": False,
        "hidden": False,
    }
    assert map_topic(wire(types.ForumTopicDeleted(id=5)), FORUM_ID) is None


BANNED = types.ChatBannedRights(until_date=None, view_messages=True)
MUTED = types.ChatBannedRights(until_date=None, send_messages=True)


@pytest.mark.parametrize(
    ("participant", "role", "inviter", "rank"),
    [
        (
            types.ChannelParticipantCreator(11, types.ChatAdminRights(), rank="boss"),
            "creator",
            None,
            "boss",
        ),
        (
            types.ChannelParticipantAdmin(
                12, promoted_by=11, date=DATE, admin_rights=types.ChatAdminRights(), rank="mod"
            ),
            "admin",
            11,
            "mod",
        ),
        (types.ChannelParticipant(13, date=DATE), "member", None, None),
        (types.ChannelParticipantSelf(14, inviter_id=11, date=DATE), "member", 11, None),
        (
            types.ChannelParticipantBanned(types.PeerUser(15), 11, DATE, BANNED),
            "banned",
            11,
            None,
        ),
        (
            types.ChannelParticipantBanned(types.PeerUser(16), 11, DATE, MUTED),
            "restricted",
            11,
            None,
        ),
        (types.ChannelParticipantLeft(types.PeerUser(17)), "left", None, None),
        (types.ChatParticipantCreator(18), "creator", None, None),
        (types.ChatParticipantAdmin(19, inviter_id=18, date=DATE), "admin", 18, None),
        (types.ChatParticipant(20, inviter_id=18, date=DATE), "member", 18, None),
    ],
)
def test_map_participant_roles(participant, role, inviter, rank):
    record = map_participant(wire(participant), FORUM_ID)
    assert tuple(record) == PARTICIPANT_KEYS
    assert (record["role"], record["inviter_id"], record["rank"]) == (role, inviter, rank)
    assert record["chat_id"] == FORUM_ID
    assert record["user_id"] > 0
    assert record["source"] == "mtproto"
    if hasattr(participant, "date"):
        assert record["joined"] == DATE


STRUCTURED = [
    *(builder(77, 3, DATE) for builder in fake_media.MEDIA.values()),
    fake_media.media_webpage("https://example.org/a", 77),
    types.MessageMediaVenue(
        geo=types.GeoPoint(long=13.4, lat=52.5, access_hash=1),
        title="Cafe",
        address="Main St 1",
        provider="foursquare",
        venue_id="v1",
        venue_type="food",
    ),
    types.MessageMediaGeoLive(geo=types.GeoPoint(long=1.5, lat=2.5, access_hash=1), period=900),
    types.MessageMediaGame(
        game=types.Game(
            id=5,
            access_hash=6,
            short_name="race",
            title="Race",
            description="Fast cars",
            photo=types.PhotoEmpty(id=0),
        )
    ),
]


@pytest.mark.parametrize("item", STRUCTURED, ids=lambda m: type(m).__name__)
def test_structured_media_fields_are_declared(item):
    """Kind-specific details land in declared schema fields, so every target gets columns."""
    kind, media = map_media(wire(item))
    assert media["kind"] == kind
    assert set(MEDIA_KEYS) <= set(media)
    undeclared = set(media) - set(MEDIA_KEYS)
    assert undeclared <= {"provider", "venue_id", "venue_type"}, undeclared


def test_structured_values():
    _, poll = map_media(wire(fake_media.media_poll(77, 3, DATE)))
    assert poll["question"] == "Poll 3: ship it?"
    answers = poll["answers"]
    assert answers is not None
    assert [a["text"] for a in answers][:2] == ["Yes", "No"]
    assert sum(a["voters"] or 0 for a in answers) == poll["total_voters"]
    _, geo = map_media(wire(fake_media.media_geo(77, 3, DATE)))
    assert isinstance(geo["latitude"], float)
    assert isinstance(geo["longitude"], float)
    _, contact = map_media(wire(fake_media.media_contact(77, 3, DATE)))
    assert (contact["first_name"], contact["user_id"]) == ("Jane", None)
    _, page = map_media(wire(fake_media.media_webpage("https://example.org/a", 77)))
    assert (page["url"], page["site_name"]) == ("https://example.org/a", "Example News")
    _, game = map_media(wire(STRUCTURED[-1]))
    assert (game["title"], game["description"]) == ("Race", "Fast cars")
    _, dice = map_media(wire(fake_media.media_dice(77, 3, DATE)))
    assert dice["value"] == 1 + 77 % 6
    _, video = map_media(wire(fake_media.media_video(77, 3, DATE)))
    assert (video["width"], video["height"], video["file_name"]) == (1280, 720, "clip_3.mp4")
    assert video["duration"] == pytest.approx(5 + 77 % 300 + 0.5)


def test_media_schema_declares_download_fields():
    media = MESSAGE_SCHEMA["properties"]["media"]["properties"]
    assert {"path", "sha256", "question", "answers", "latitude", "phone_number"} <= set(media)


def test_topic_from_an_export_style_message():
    message = {
        "chat_id": FORUM_ID,
        "id": 11,
        "date": DATE,
        "sender_id": 5,
        "action": {"type": "topic_create", "details": {"title": "Pipelines"}},
    }
    topic = topic_from_message(message)
    assert topic is not None
    assert (topic["id"], topic["title"], topic["creator_id"], topic["created"]) == (
        11,
        "Pipelines",
        5,
        DATE,
    )
    assert topic_from_message({**message, "action": {"type": "pin_message"}}) is None
    assert general_topic(FORUM_ID)["id"] == 1


def test_export_source_lists_topics_and_topic_ids():
    source = ExportSource(
        SourceContext(
            {"source": "export", "export_path": "examples/telegram-export"}, logging.getLogger("t")
        )
    )
    try:
        forums = [chat["id"] for chat in source.chats() if chat["is_forum"]]
        assert forums
        topics = [t for chat_id in forums for t in source.topics(chat_id)]
        titles = {t["id"]: t["title"] for t in topics}
        assert titles[1] == "General"
        assert len(titles) >= 3
        for chat_id in forums:
            for page in source.history_pages(MessageQuery(chat_id=chat_id)):
                for record in page:
                    assert record["topic_id"] in titles
                    if record["reply_to_top_id"] is not None:
                        assert record["topic_id"] == record["reply_to_top_id"]
        plain = next(chat["id"] for chat in source.chats() if not chat["is_forum"])
        assert list(source.topics(plain)) == []
    finally:
        source.close()
