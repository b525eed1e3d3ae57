"""Message ``n`` of a chat, as the TL object Telegram would send.

:class:`MessageFactory` turns ``(chat, n)`` into a ``types.Message`` or
``types.MessageService``. The content depends only on the world seed (through the
chat's ``salt``), the chat and ``n``: appending messages never changes earlier ones.
Tests' changes (edits, reactions, hand-written messages) are applied on top.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import functools
from typing import TYPE_CHECKING, Any

from telethon.tl import types

from tests.fake_telegram import media, texts
from tests.fake_telegram.hashing import mix, splitmix
from tests.fake_telegram.records import ALBUMS, FLAGS, TOPICS, ChatRecord, UserRecord

if TYPE_CHECKING:
    from tests.fake_telegram.world import World

#: (per-mille upper bound, kind): the content mix of generated messages.
KINDS: tuple[tuple[int, str], ...] = (
    (450, "text"),
    (570, "formatted"),
    (650, "reply"),
    (700, "forward"),
    (720, "via_bot"),
    (770, "photo"),
    (795, "document"),
    (820, "video"),
    (835, "voice"),
    (845, "audio"),
    (865, "sticker"),
    (880, "poll"),
    (890, "geo"),
    (900, "contact"),
    (935, "webpage"),
    (945, "dice"),
    (975, "service"),
)
ALBUM_SIZE = 4
REACTION_EMOJI = ("👍", "❤", "🔥", "😂", "🤔")
GENERAL_TOPIC_ID = 1


_BOUNDS = [bound for bound, _ in KINDS]
_PROTOTYPES: dict[type, dict[str, Any]] = {}


def kind_of(h: int) -> str:
    """The content kind for hash ``h`` (see :data:`KINDS`)."""
    index = bisect.bisect_right(_BOUNDS, (h >> 8) % 1000)
    return KINDS[index][1] if index < len(KINDS) else "text"


def tl_new(cls: type, fields: dict[str, Any]) -> Any:
    """``cls(**fields)`` for Telethon's (patched) message classes, 10x cheaper.

    Their ``__init__`` also computes client-side caches (sender id, text, buttons)
    that the fake never uses: the objects are only serialized with ``bytes()``, and
    what clients see is parsed back from those bytes. The instance gets every
    attribute a real constructor sets (copied from a prototype), so ``bytes()`` is
    exactly what ``cls(**fields)`` would give.
    """
    proto = _PROTOTYPES.get(cls)
    if proto is None:
        proto = _PROTOTYPES[cls] = dict(vars(cls(id=0, peer_id=types.PeerUser(0))))
    obj: Any = object.__new__(cls)
    state = dict(proto)
    state.update(fields)
    obj.__dict__ = state
    return obj


@dataclasses.dataclass
class _Cast:
    """World lists the generator picks from, rebuilt when the world changes."""

    users: list[UserRecord]
    bots: list[UserRecord]
    broadcasts: list[ChatRecord]


class MessageFactory:
    """Builds (never stores) the messages of a world."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._cast: _Cast | None = None
        self._cast_epoch = -1

    @property
    def cast(self) -> _Cast:
        """Users, bots and channels of the world (cached per world epoch)."""
        if self._cast is None or self._cast_epoch != self.world.epoch:
            people = [u for u in self.world.users.values() if not u.is_self]
            self._cast = _Cast(
                users=[u for u in people if not u.bot and not u.deleted],
                bots=[u for u in people if u.bot],
                broadcasts=[c for c in self.world.chats.values() if c.is_broadcast],
            )
            self._cast_epoch = self.world.epoch
        return self._cast

    # -- public --------------------------------------------------------------------

    def build(self, chat: ChatRecord, n: int) -> Any:
        """Message ``n`` of ``chat`` with the tests' edits and reactions applied."""
        custom = chat.custom.get(n)
        message = self._custom(chat, n, custom) if custom is not None else self._generated(chat, n)
        if isinstance(message, types.Message):
            edit = chat.edits.get(n)
            if edit is not None:
                message.message = edit.text
                message.entities = None
                message.edit_date = edit.date or chat.date_of(n) + dt.timedelta(hours=1)
            if n in chat.reactions:
                message.reactions = reactions(chat.reactions[n])
        return message

    def topic_of(self, chat: ChatRecord, n: int) -> int:
        """Forum topic id of message ``n`` (1 = General); 0 outside forums."""
        if chat.kind != "forum":
            return 0
        topics = len(chat.topics)
        if n <= topics + 1:
            return GENERAL_TOPIC_ID if n == 1 else n
        custom = chat.custom.get(n)
        if custom is not None:
            return int(custom.get("topic") or GENERAL_TOPIC_ID)
        index = splitmix(chat.salt ^ TOPICS, n) % (topics + 1)
        return GENERAL_TOPIC_ID if index == 0 else index + 1

    # -- generated -----------------------------------------------------------------

    def _generated(self, chat: ChatRecord, n: int) -> Any:
        h = splitmix(chat.salt, n)
        date = chat.date_of(n)
        if n == 1 and chat.kind != "private":
            return self._service(chat, n, h, date, self._create_action(chat))
        if chat.kind == "forum" and n <= len(chat.topics) + 1:
            topic = chat.topics[n - 2]
            action = types.MessageActionTopicCreate(title=topic.title, icon_color=topic.icon_color)
            return self._service(chat, n, h, date, action)
        block = (n - 1) // ALBUM_SIZE
        if block > 0 and splitmix(chat.salt ^ ALBUMS, block) % 25 == 0:
            fields = self._base(chat, n, h, date)
            fields["grouped_id"] = mix(chat.salt, block) >> 2
            fields["media"] = media.media_photo(h, n, date)
            fields["message"] = texts.plain_text(h, n) if n % ALBUM_SIZE == 1 else ""
            return tl_new(types.Message, fields)
        kind = kind_of(h)
        if kind == "service":
            return self._service(chat, n, h, date, self._random_action(chat, n, h))
        fields = self._base(chat, n, h, date)
        fields["message"] = texts.plain_text(h, n)
        if kind == "formatted":
            fields["message"], fields["entities"] = texts.formatted_text(h, n, self._mention(h))
        elif kind == "reply" and n > 1:
            self._reply(chat, n, h, fields)
        elif kind == "forward":
            fields["fwd_from"] = self._forward(h, date)
        elif kind == "via_bot" and self.cast.bots:
            fields["via_bot_id"] = self.cast.bots[h % len(self.cast.bots)].id
        elif kind == "webpage":
            text, entities, url = texts.url_text(h, n)
            fields.update(message=text, entities=entities, media=media.media_webpage(url, h))
        elif kind in media.MEDIA:
            fields["media"] = media.MEDIA[kind](h, n, date)
            fields["message"] = "" if kind in {"sticker", "dice", "poll", "voice"} else f"📎 {n}"
        return tl_new(types.Message, fields)

    def _base(self, chat: ChatRecord, n: int, h: int, date: dt.datetime) -> dict[str, Any]:
        """Fields every message of the chat has: id, peer, date, sender, flags, counters."""
        fields: dict[str, Any] = {
            "id": chat.id_of(n),
            "peer_id": self.world.peer(chat),
            "date": date,
        }
        flags = splitmix(chat.salt ^ FLAGS, n)
        if chat.is_broadcast:
            fields.update(post=True, views=50 + flags % 5000, forwards=flags % 30)
            if chat.signatures:
                fields["post_author"] = ("Редакция", "Alice Editor", "محرر")[flags % 3]
            if chat.linked:
                linked = self.world.chats[chat.linked]
                fields["replies"] = types.MessageReplies(
                    replies=flags % 7, replies_pts=n, comments=True, channel_id=linked.id
                )
        else:
            sender = self._sender(chat, h)
            fields["out"] = sender.is_self
            if chat.kind != "private" or sender.is_self:
                fields["from_id"] = types.PeerUser(sender.id)
        topic = self.topic_of(chat, n)
        if topic > GENERAL_TOPIC_ID:
            fields["reply_to"] = types.MessageReplyHeader(forum_topic=True, reply_to_msg_id=topic)
        if flags % 20 == 0:
            fields["edit_date"] = date + dt.timedelta(seconds=60 + flags % 3600)
        if flags % 97 == 1:
            fields["pinned"] = True
        if flags % 31 == 2:
            fields["silent"] = True
        if flags % 5 == 3:
            emoji = REACTION_EMOJI[(flags >> 8) % len(REACTION_EMOJI)]
            chosen: list[tuple[str | int, int]] = [(emoji, 1 + (flags >> 16) % 40)]
            if flags & 64:
                chosen.append((texts.custom_emoji_id(flags >> 24), 1 + (flags >> 32) % 3))
            fields["reactions"] = reactions(chosen)
        return fields

    def _sender(self, chat: ChatRecord, h: int) -> UserRecord:
        me = self.world.self_user
        if chat.kind == "private":
            assert chat.user_key is not None
            return me if h & 1 else self.world.users[chat.user_key]
        index = (h >> 4) % (len(chat.members) + 1)
        return me if index == len(chat.members) else self.world.users[chat.members[index]]

    def _mention(self, h: int) -> tuple[str | None, int] | None:
        users = self.cast.users or [self.world.self_user]
        user = users[(h >> 20) % len(users)]
        return user.username, user.id

    def _reply(self, chat: ChatRecord, n: int, h: int, fields: dict[str, Any]) -> None:
        """Reply to an earlier message (in the same topic for forums)."""
        topic = self.topic_of(chat, n)
        first = len(chat.topics) + 2 if chat.kind == "forum" else 1
        target = 0
        for back in range(1 + (h >> 12) % 8, 40):
            if n - back < first:
                break
            if self.topic_of(chat, n - back) == topic:
                target = n - back
                break
        if not target:
            return
        if topic > GENERAL_TOPIC_ID:
            fields["reply_to"] = types.MessageReplyHeader(
                forum_topic=True, reply_to_msg_id=chat.id_of(target), reply_to_top_id=topic
            )
        else:
            fields["reply_to"] = types.MessageReplyHeader(reply_to_msg_id=chat.id_of(target))

    def _forward(self, h: int, date: dt.datetime) -> Any:
        """A forward header: from a user, from a channel post, or from a hidden name."""
        origin = (h >> 16) % 3
        fwd_date = date - dt.timedelta(seconds=3600 + h % 86_400)
        if origin == 1 and self.cast.broadcasts:
            channel = self.cast.broadcasts[(h >> 24) % len(self.cast.broadcasts)]
            return types.MessageFwdHeader(
                date=fwd_date,
                from_id=types.PeerChannel(channel.id),
                channel_post=1 + (h >> 28) % 1000,
                post_author="Редакция" if channel.signatures else None,
            )
        if origin == 0 and self.cast.users:
            user = self.cast.users[(h >> 24) % len(self.cast.users)]
            return types.MessageFwdHeader(date=fwd_date, from_id=types.PeerUser(user.id))
        return types.MessageFwdHeader(date=fwd_date, from_name="Hidden Sender")

    # -- service messages ----------------------------------------------------------

    def _create_action(self, chat: ChatRecord) -> Any:
        if chat.kind == "group":
            ids = [self.world.users[key].id for key in chat.members]
            return types.MessageActionChatCreate(title=chat.title, users=ids)
        return types.MessageActionChannelCreate(title=chat.title)

    def _random_action(self, chat: ChatRecord, n: int, h: int) -> Any:
        choice = (h >> 16) % 5
        if chat.kind == "private" or (chat.is_broadcast and choice < 3):
            choice = 3
        member = (
            self.world.users[chat.members[(h >> 20) % len(chat.members)]] if chat.members else None
        )
        if choice == 0 and member is not None:
            return types.MessageActionChatAddUser(users=[member.id])
        if choice == 1 and member is not None:
            return types.MessageActionChatDeleteUser(user_id=member.id)
        if choice == 2:
            return types.MessageActionChatJoinedByLink(inviter_id=self.world.self_user.id)
        if choice == 4:
            return types.MessageActionChatEditTitle(title=f"{chat.title} ({n})")
        return types.MessageActionPinMessage()

    def _service(
        self, chat: ChatRecord, n: int, h: int, date: dt.datetime, action: Any
    ) -> types.MessageService:
        fields = self._base(chat, n, h, date)
        for key in ("views", "forwards", "replies", "post_author", "edit_date", "pinned"):
            fields.pop(key, None)
        fields["reactions"] = None
        if isinstance(action, types.MessageActionPinMessage):
            target = max(1, n - 1 - (h >> 8) % 10)
            fields["reply_to"] = types.MessageReplyHeader(reply_to_msg_id=chat.id_of(target))
        elif isinstance(action, types.MessageActionTopicCreate):
            fields.pop("reply_to", None)
        if isinstance(action, types.MessageActionChatJoinedByLink) and chat.members:
            joiner = self.world.users[chat.members[(h >> 24) % len(chat.members)]]
            fields["from_id"] = types.PeerUser(joiner.id)
            fields["out"] = False
        fields["action"] = action
        return tl_new(types.MessageService, fields)

    # -- hand-written --------------------------------------------------------------

    def _custom(self, chat: ChatRecord, n: int, custom: dict[str, Any]) -> Any:
        """A message appended by a test with explicit fields."""
        date = chat.date_of(n)
        fields: dict[str, Any] = {
            "id": chat.id_of(n),
            "peer_id": self.world.peer(chat),
            "date": date,
        }
        sender_key = custom.get("sender")
        if custom.get("sender_chat"):  # posted as a channel (discussion.py's post copies)
            fields["from_id"] = self.world.peer(custom["sender_chat"])
        elif chat.is_broadcast and sender_key is None:
            fields.update(
                post=True, views=custom.get("views", 1), forwards=custom.get("forwards", 0)
            )
            if custom.get("post_author"):
                fields["post_author"] = custom["post_author"]
        else:
            sender = self.world.users[sender_key] if sender_key else self.world.self_user
            fields["out"] = sender.is_self
            if chat.kind != "private" or sender.is_self:
                fields["from_id"] = types.PeerUser(sender.id)
        topic = self.topic_of(chat, n)
        reply_to = custom.get("reply_to")
        if reply_to or topic > GENERAL_TOPIC_ID:
            forum = topic > GENERAL_TOPIC_ID
            fields["reply_to"] = types.MessageReplyHeader(
                forum_topic=forum or None,
                reply_to_msg_id=reply_to or topic,
                reply_to_top_id=topic if forum and reply_to else custom.get("reply_to_top"),
            )
        for key in ("silent", "pinned", "grouped_id", "fwd_from", "media", "entities", "replies"):
            if custom.get(key) is not None:
                fields[key] = custom[key]
        if custom.get("via_bot"):
            fields["via_bot_id"] = self.world.users[custom["via_bot"]].id
        if custom.get("action") is not None:
            for key in ("media", "entities", "views", "fwd_from", "grouped_id"):
                fields.pop(key, None)
            return types.MessageService(action=custom["action"], **fields)
        return types.Message(message=custom.get("text") or "", **fields)


def reactions(chosen: list[tuple[str | int, int]]) -> types.MessageReactions | None:
    """``MessageReactions`` from ``(emoji or custom emoji id, count)`` pairs.

    Memoized: the objects are only ever serialized, and generated messages reuse a
    few hundred combinations.
    """
    return _reactions(tuple(chosen))


@functools.lru_cache(maxsize=4096)
def _reactions(chosen: tuple[tuple[str | int, int], ...]) -> types.MessageReactions | None:
    if not chosen:
        return None
    results = []
    for reaction, count in chosen:
        tl = (
            types.ReactionCustomEmoji(document_id=reaction)
            if isinstance(reaction, int)
            else types.ReactionEmoji(emoticon=reaction)
        )
        results.append(types.ReactionCount(reaction=tl, count=count))
    return types.MessageReactions(results=results)
