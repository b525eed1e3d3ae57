"""Logical messages written three ways: as MTProto TL objects, export JSON, Bot API JSON.

Each native form is built here from one description (the text segments, the media
values), following each source's own documentation (TL schema, tdesktop's
export_output_json.cpp, the Bot API reference) and not the tap's translation tables,
so ``test_same_message.py`` can check that the three mappers agree.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from telethon.extensions import BinaryReader
from telethon.tl import types

UTC = dt.timezone.utc
CHANNEL_BARE = 1234567890
CHAT_ID = -1001234567890
ALICE_ID, BOB_ID, NEWS_BARE = 42, 77, 777
STAMP = 1714560000
EDITED = STAMP + 300
FORWARDED = STAMP - 86400
CUSTOM_EMOJI = 5368324170671202286

CHANNEL = types.Channel(
    id=CHANNEL_BARE,
    title="Data Eng",
    photo=types.ChatPhotoEmpty(),
    date=dt.datetime.fromtimestamp(STAMP, UTC),
    megagroup=True,
    access_hash=1,
)
ALICE = types.User(
    id=ALICE_ID, first_name="Alice", last_name="Liddell", username="alice", access_hash=2
)
BOT_API_CHAT = {"id": CHAT_ID, "type": "supergroup", "title": "Data Eng"}
BOT_API_ALICE = {
    "id": ALICE_ID,
    "is_bot": False,
    "first_name": "Alice",
    "last_name": "Liddell",
    "username": "alice",
}
BOT_API_BOB = {"id": BOB_ID, "is_bot": False, "first_name": "Bob"}


def wire(obj: Any) -> Any:
    """Serialize and parse back, so optional flags read as Telegram sends them."""
    return BinaryReader(bytes(obj)).tgread_object()


def text_with_entities(text: str) -> types.TextWithEntities:
    return types.TextWithEntities(text, [])


@dataclasses.dataclass(frozen=True)
class Segment:
    """A run of text, and how each source names the entity covering it (if any).

    ``mtproto`` builds the TL entity from (offset, length); ``export`` is tdesktop's
    part type plus its extra field; ``bot_api`` is the MessageEntity type plus fields.
    """

    text: str
    mtproto: Any = None
    export: tuple[str, dict[str, Any]] | None = None
    bot_api: tuple[str, dict[str, Any]] | None = None


def same(name: str, tl: Any) -> Segment:
    """An entity whose name is the same in the export and the Bot API."""
    return Segment(name, tl, (name, {}), (name, {}))


SEGMENTS = [
    Segment("Привет 👋 "),
    same("bold", types.MessageEntityBold),
    Segment(" "),
    same("italic", types.MessageEntityItalic),
    Segment(
        "docs",
        lambda o, n: types.MessageEntityTextUrl(o, n, url="https://example.org"),
        ("text_link", {"href": "https://example.org"}),
        ("text_link", {"url": "https://example.org"}),
    ),
    Segment(
        "Bob",
        lambda o, n: types.MessageEntityMentionName(o, n, user_id=BOB_ID),
        ("mention_name", {"user_id": BOB_ID}),
        ("text_mention", {"user": BOT_API_BOB}),
    ),
    Segment(
        "x = 1",
        lambda o, n: types.MessageEntityPre(o, n, language="python"),
        ("pre", {"language": "python"}),
        ("pre", {"language": "python"}),
    ),
    Segment(
        "😀",
        lambda o, n: types.MessageEntityCustomEmoji(o, n, document_id=CUSTOM_EMOJI),
        ("custom_emoji", {"document_id": str(CUSTOM_EMOJI)}),
        ("custom_emoji", {"custom_emoji_id": str(CUSTOM_EMOJI)}),
    ),
    Segment("https://t.me", types.MessageEntityUrl, ("link", {}), ("url", {})),
    Segment("old", types.MessageEntityStrike, ("strikethrough", {}), ("strikethrough", {})),
    Segment("+123", types.MessageEntityPhone, ("phone", {}), ("phone_number", {})),
    same("underline", types.MessageEntityUnderline),
    same("spoiler", types.MessageEntitySpoiler),
    same("code", types.MessageEntityCode),
    same("blockquote", types.MessageEntityBlockquote),
    Segment("#tag", types.MessageEntityHashtag, ("hashtag", {}), ("hashtag", {})),
    Segment("@bob", types.MessageEntityMention, ("mention", {}), ("mention", {})),
    Segment("a@b.io", types.MessageEntityEmail, ("email", {}), ("email", {})),
    Segment("/start", types.MessageEntityBotCommand, ("bot_command", {}), ("bot_command", {})),
    Segment("$USD", types.MessageEntityCashtag, ("cashtag", {}), ("cashtag", {})),
]


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def text_forms() -> tuple[str, list[Any], list[Any], list[dict[str, Any]]]:
    """``(text, TL entities, export text parts, Bot API entities)`` of :data:`SEGMENTS`."""
    text = ""
    tl: list[Any] = []
    parts: list[Any] = []
    bot: list[dict[str, Any]] = []
    for segment in SEGMENTS:
        offset, length = utf16(text), utf16(segment.text)
        text += segment.text
        if segment.mtproto is None:
            parts.append(segment.text)
            continue
        tl.append(segment.mtproto(offset, length))
        assert segment.export is not None
        assert segment.bot_api is not None
        kind, extra = segment.export
        parts.append({"type": kind, "text": segment.text, **extra})
        kind, extra = segment.bot_api
        bot.append({"type": kind, "offset": offset, "length": length, **extra})
    return text, tl, parts, bot


def mtproto_message(message_id: int, **fields: Any) -> Any:
    """A message by Alice in the supergroup, as read off the wire."""
    base: dict[str, Any] = {
        "id": message_id,
        "peer_id": types.PeerChannel(CHANNEL_BARE),
        "from_id": types.PeerUser(ALICE_ID),
        "date": dt.datetime.fromtimestamp(STAMP, UTC),
        "message": "",
    }
    base.update(fields)
    return wire(types.Message(**base))


def export_message(message_id: int, **fields: Any) -> dict[str, Any]:
    """The same message in tdesktop's JSON."""
    base: dict[str, Any] = {
        "id": message_id,
        "type": "message",
        "date": "2024-05-01T12:40:00",
        "date_unixtime": str(STAMP),
        "from": "Alice Liddell",
        "from_id": f"user{ALICE_ID}",
        "text": "",
        "text_entities": [],
    }
    base.update(fields)
    return base


def bot_api_message(message_id: int, **fields: Any) -> dict[str, Any]:
    """The same message as a Bot API Message object."""
    base: dict[str, Any] = {
        "message_id": message_id,
        "from": BOT_API_ALICE,
        "chat": BOT_API_CHAT,
        "date": STAMP,
    }
    base.update(fields)
    return base


@dataclasses.dataclass
class Logical:
    """One logical message: its three native forms (``None``: the source cannot carry it)
    and the record paths a source cannot know (compared for presence, not value)."""

    mtproto: Any
    export: dict[str, Any] | None
    bot_api: dict[str, Any] | None
    unknown: dict[str, set[str]] = dataclasses.field(default_factory=dict)


def text_message() -> Logical:
    """Text with every entity kind, a reply, a forward from a channel post, reactions."""
    text, tl, parts, bot = text_forms()
    reactions = types.MessageReactions(
        results=[
            types.ReactionCount(reaction=types.ReactionEmoji(emoticon="🔥"), count=9),
            types.ReactionCount(reaction=types.ReactionCustomEmoji(document_id=555), count=2),
            types.ReactionCount(reaction=types.ReactionPaid(), count=1),
        ]
    )
    news = {"id": -(10**12 + NEWS_BARE), "type": "channel", "title": "News"}
    return Logical(
        mtproto=mtproto_message(
            20,
            message=text,
            entities=tl,
            edit_date=dt.datetime.fromtimestamp(EDITED, UTC),
            reply_to=types.MessageReplyHeader(reply_to_msg_id=3),
            reactions=reactions,
            fwd_from=types.MessageFwdHeader(
                date=dt.datetime.fromtimestamp(FORWARDED, UTC),
                from_id=types.PeerChannel(NEWS_BARE),
                channel_post=31,
                post_author="Ed",
            ),
        ),
        export=export_message(
            20,
            text=parts,
            text_entities=[
                p if isinstance(p, dict) else {"type": "plain", "text": p} for p in parts
            ],
            edited_unixtime=str(EDITED),
            reply_to_message_id=3,
            forwarded_from="News",
            forwarded_from_id=f"channel{NEWS_BARE}",
            reactions=[
                {"type": "emoji", "count": 9, "emoji": "🔥"},
                {"type": "custom_emoji", "count": 2, "document_id": "555"},
                {"type": "paid", "count": 1},
            ],
        ),
        bot_api=bot_api_message(
            20,
            text=text,
            entities=bot,
            edit_date=EDITED,
            reply_to_message={"message_id": 3, "chat": BOT_API_CHAT, "date": STAMP - 60},
            forward_origin={
                "type": "channel",
                "date": FORWARDED,
                "chat": news,
                "message_id": 31,
                "author_signature": "Ed",
            },
        ),
        unknown={
            # MTProto names a forward's sender only when it hides its id (schema).
            "mtproto": {"fwd_from.from_name"},
            "export": {"fwd_from.date", "fwd_from.channel_post", "fwd_from.post_author"},
            "bot_api": {"reactions"},  # Bot API messages carry no reactions
        },
    )
