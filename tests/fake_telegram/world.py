"""The fake Telegram's data: users, chats, lazily generated histories, and test mutations.

A :class:`World` is pure data plus arithmetic; it knows nothing about requests. The
same seed and the same sequence of ``add_*`` calls always give the same world (ids,
access hashes, message contents), in this process or in a subprocess built from a
JSON spec (:mod:`.spec`).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable
from typing import Any

from telethon import utils
from telethon.extensions import BinaryReader
from telethon.tl import types

from tests.fake_telegram.content import MessageFactory
from tests.fake_telegram.hashing import UTC, mix, signed64, text_key, to_ts
from tests.fake_telegram.records import (
    CHANNEL_KINDS,
    CHAT_KINDS,
    ChatKind,
    ChatRecord,
    Edit,
    FolderRecord,
    Reaction,
    TopicRecord,
    UserRecord,
)
from tests.fake_telegram.updatelog import UpdateLog

DEFAULT_BASE_DATE = dt.datetime(2021, 1, 1, tzinfo=UTC)
#: Seconds between the creation of consecutive chats (``add_chat`` order), unless a world says.
DEFAULT_CHAT_SPACING = 86_400
#: The last date Telegram can carry: TL dates are int32 Unix seconds (2038-01-19 03:14:07 UTC).
#: Telethon wraps a later one around to 1901 (``tlobject._datetime_to_timestamp``), so a world
#: whose dates pass it would page and filter on nonsense; the world refuses such dates instead.
MAX_TL_DATE = 2**31 - 1
USER_ID_BASE = 6_100_000_000
CHAT_ID_BASE = 4_200_000_000
CHANNEL_ID_BASE = 1_500_000_000
FIRST_NAMES = ("Alice", "Борис", "Chen", "Fatima", "Émile", "Yuki", "Olga", "Omar", "Priya", "Ян")
LAST_NAMES = ("Smith", "Иванов", "Wang", None, "Dubois", "田中", None, "Haddad", "Patel", None)
DEFAULT_MEMBERS = 6
#: A chat reference: its key, its marked id (``telethon.utils.get_peer_id``) or the record.
ChatRef = str | int | ChatRecord


class World:
    """Users and chats of one fake Telegram account, with ground-truth accessors."""

    def __init__(
        self,
        seed: int = 1,
        *,
        base_date: dt.datetime = DEFAULT_BASE_DATE,
        account_stride: int = 64,
        chat_spacing: int = DEFAULT_CHAT_SPACING,
        self_user: dict[str, Any] | None = None,
    ) -> None:
        self.seed = seed
        self.base_date = base_date
        self.account_stride = account_stride
        #: Seconds between consecutive chats' creation: a day, less in worlds of many chats
        #: (:func:`.worlds.dialogs_world`) so their dates stay within :data:`MAX_TL_DATE`.
        self.chat_spacing = chat_spacing
        self.users: dict[str, UserRecord] = {}
        self.users_by_id: dict[int, UserRecord] = {}
        self.chats: dict[str, ChatRecord] = {}
        self.expired_invites: set[str] = set()
        #: The account's chat folders, in the order its apps show them.
        self.folders: list[FolderRecord] = []
        #: The account's common message box: events of private chats and basic groups.
        self.account_log = UpdateLog()
        self.epoch = 0
        self._by_marked: dict[int, ChatRecord] = {}
        self._peers: dict[str, Any] = {}
        self.factory = MessageFactory(self)
        options = {"first_name": "Test", "last_name": "Account", "username": "tap_tester"}
        options.update(self_user or {})
        options.setdefault("phone", "15550000000")
        self.self_user = self.add_user(str(options.pop("key", "me")), is_self=True, **options)

    # -- building ------------------------------------------------------------------

    def add_user(self, key: str, **fields: Any) -> UserRecord:
        """Add a user (``first_name``, ``username``, ``bot``, ``deleted``, ``premium``, ...)."""
        if key in self.users:
            raise ValueError(f"user {key!r} already exists")
        user_id = USER_ID_BASE + len(self.users) * 7 + 1
        if not fields.get("deleted"):
            fields.setdefault("first_name", key.replace("_", " ").title())
        user = UserRecord(
            key=key, id=user_id, access_hash=signed64(mix(self.seed, 1, user_id)), **fields
        )
        self.users[key] = user
        self.users_by_id[user.id] = user
        self.epoch += 1
        return user

    def add_generated_users(self, count: int, *, bots: int = 0) -> list[UserRecord]:
        """Add ``count`` people (mixed scripts, some with usernames/premium) and ``bots``."""
        added = []
        for i in range(count):
            index = len(self.users)
            added.append(
                self.add_user(
                    f"user{index}",
                    first_name=FIRST_NAMES[index % len(FIRST_NAMES)],
                    last_name=LAST_NAMES[index % len(LAST_NAMES)],
                    username=f"user{index}_fake" if i % 2 == 0 else None,
                    premium=i % 3 == 0,
                    verified=i % 5 == 4,
                )
            )
        for i in range(bots):
            index = len(self.users)
            added.append(
                self.add_user(
                    f"bot{index}", first_name=f"Helper {i}", bot=True, username=f"helper{index}_bot"
                )
            )
        return added

    def add_chat(
        self,
        key: str,
        kind: ChatKind,
        *,
        messages: int = 0,
        title: str | None = None,
        username: str | None = None,
        about: str | None = None,
        user: str | None = None,
        members: Iterable[str] | None = None,
        member: bool = True,
        banned: bool = False,
        signatures: bool | None = None,
        verified: bool = False,
        linked: str | None = None,
        participants: int | None = None,
        topics: Iterable[str | TopicRecord] | None = None,
        interval: int = 60,
        invite_hash: str | None = None,
        deleted: Iterable[int] = (),
        archived: bool = False,
        pinned: int = 0,
        unread: int = 0,
        muted: bool = False,
        admin: str | None = None,
    ) -> ChatRecord:
        """Add a chat. ``private`` chats need a ``user`` key (created if missing).

        ``messages`` is how many messages exist; ``deleted`` lists message ids to
        remove; ``topics`` (forums only) are topic titles. ``archived`` puts the dialog
        in the archive (folder 1), ``pinned`` pins it (1 = top), ``unread`` marks the
        newest messages unread, ``muted`` mutes its notifications for good.
        ``admin`` (``"creator"`` or ``"admin"``, channels only) makes the account one.
        """
        if kind not in CHAT_KINDS:
            raise ValueError(f"unknown chat kind {kind!r}; use one of {CHAT_KINDS}")
        if key in self.chats:
            raise ValueError(f"chat {key!r} already exists")
        if interval < 2:
            raise ValueError("interval must be at least 2 seconds (dates must ascend)")
        salt = mix(self.seed, text_key(key))
        index = len(self.chats)
        stride, slot = 1, 0
        access_hash = 0
        if kind == "private":
            user_key = user or key
            if user_key not in self.users:
                self.add_user(user_key)
            person = self.users[user_key]
            chat_id, access_hash, title = person.id, person.access_hash, title or person.name
        elif kind == "group":
            chat_id = CHAT_ID_BASE + index * 11 + 3
        else:
            chat_id = CHANNEL_ID_BASE + index * 13 + 5
            access_hash = signed64(mix(self.seed, 2, chat_id))
        if kind in {"private", "group"}:
            stride = self.account_stride
            slot = 1 + sum(1 for c in self.chats.values() if not c.is_channel)
            if slot >= stride:
                raise ValueError(
                    f"more than {stride - 1} private chats/groups: raise account_stride"
                )
        if members is None:
            pool = sorted(
                (u for u in self.users.values() if not (u.is_self or u.bot or u.deleted)),
                key=lambda u: mix(salt, u.id),
            )
            member_keys = [u.key for u in pool[:DEFAULT_MEMBERS]]
        else:
            member_keys = list(members)
        topic_records = [t if isinstance(t, TopicRecord) else TopicRecord(t) for t in topics or ()]
        if topic_records and kind != "forum":
            raise ValueError("only forum chats have topics")
        chat = ChatRecord(
            key=key,
            kind=kind,
            id=chat_id,
            access_hash=access_hash,
            title=title or key.replace("_", " ").title(),
            created_ts=to_ts(self.base_date) + index * self.chat_spacing,
            salt=salt,
            count=messages,
            interval=interval,
            username=username,
            about=about if about is not None else f"About {title or key}: тест 🧪",
            user_key=(user or key) if kind == "private" else None,
            members=member_keys,
            member=member,
            banned=banned,
            signatures=bool(signatures) if signatures is not None else kind == "channel",
            verified=verified,
            linked=linked,
            participants=participants,
            topics=topic_records,
            invite_hash=invite_hash or _invite_hash(salt),
            slot=slot,
            stride=stride,
            archived=archived,
            pinned=pinned,
            unread=unread,
            muted=muted,
            log=UpdateLog() if kind in CHANNEL_KINDS else self.account_log,
            admin=admin,
        )
        _check_dates(chat)
        chat.log.new(key, 1, messages)
        self.chats[key] = chat
        self._by_marked[utils.get_peer_id(self.peer(chat))] = chat
        self.epoch += 1
        if deleted:
            self.delete_messages(chat, deleted)
        return chat

    @property
    def account_pts(self) -> int:
        """The account's pts (``updates.getState``): private chats and basic groups only."""
        return self.account_log.pts

    # -- lookups -------------------------------------------------------------------

    def chat(self, ref: ChatRef) -> ChatRecord:
        """A chat by key, ``@username``, marked id or record."""
        if isinstance(ref, ChatRecord):
            return ref
        if isinstance(ref, int):
            return self._by_marked[ref]
        if ref.startswith("@"):
            for chat in self.chats.values():
                if chat.username and chat.username.lower() == ref[1:].lower():
                    return chat
            raise KeyError(ref)
        return self.chats[ref]

    def user(self, ref: str | int) -> UserRecord:
        """A user by key or id."""
        return self.users_by_id[ref] if isinstance(ref, int) else self.users[ref]

    def chat_by_peer(self, peer: Any) -> ChatRecord | None:
        """The chat behind a ``Peer*``/``InputPeer*`` id (access hash not checked)."""
        try:
            return self._by_marked[utils.get_peer_id(peer)]
        except (KeyError, TypeError, ValueError):
            return None

    def peer(self, ref: ChatRef) -> Any:
        """The chat's ``PeerUser``/``PeerChat``/``PeerChannel`` (one shared object)."""
        chat = self.chat(ref)
        peer = self._peers.get(chat.key)
        if peer is None:
            if chat.kind == "private":
                peer = types.PeerUser(chat.id)
            elif chat.kind == "group":
                peer = types.PeerChat(chat.id)
            else:
                peer = types.PeerChannel(chat.id)
            self._peers[chat.key] = peer
        return peer

    def marked_id(self, ref: ChatRef) -> int:
        """Telethon's marked id (users > 0, groups -id, channels -(10**12 + id))."""
        return int(utils.get_peer_id(self.peer(ref)))

    def message_ids(self, ref: ChatRef) -> list[int]:
        """Ground truth: ids of the existing messages, ascending."""
        chat = self.chat(ref)
        return [chat.id_of(n) for n in chat.existing_from(1, chat.count)]

    def message_count(self, ref: ChatRef) -> int:
        """How many messages exist in the chat now."""
        return self.chat(ref).total

    def last_id(self, ref: ChatRef) -> int:
        """Id of the newest existing message (0 if none)."""
        chat = self.chat(ref)
        top = chat.top_n
        return chat.id_of(top) if top else 0

    def message(self, ref: ChatRef, message_id: int) -> Any:
        """The message with this id as a client receives it (``None`` if absent).

        Serialized and parsed back, like every answer of the fake.
        """
        chat = self.chat(ref)
        n = chat.n_of(message_id)
        if n is None:
            return None
        return BinaryReader(bytes(self.factory.build(chat, n))).tgread_object()

    def is_text(self, ref: ChatRef, message_id: int) -> bool:
        """An existing ordinary message: one Telegram can edit (no service message)."""
        return isinstance(self.message(ref, message_id), types.Message)

    def text_ids(self, ref: ChatRef) -> list[int]:
        """Ids of the chat's ordinary messages, ascending (what tests and benches edit)."""
        return [i for i in self.message_ids(ref) if self.is_text(ref, i)]

    def message_date(self, ref: ChatRef, message_id: int) -> dt.datetime:
        """Date of a message id (also for deleted ones, from the date formula)."""
        chat = self.chat(ref)
        return chat.date_of(self._n(chat, message_id, existing=False))

    # -- mutations -----------------------------------------------------------------

    def append_messages(self, ref: ChatRef, count: int = 1) -> list[int]:
        """Generate ``count`` more messages (one logged run); returns their ids."""
        chat = self.chat(ref)
        first = chat.count + 1
        chat.count += max(count, 0)
        _check_dates(chat)
        chat.log.new(chat.key, first, count)
        return [chat.id_of(n) for n in range(first, chat.count + 1)]

    def append_message(self, ref: ChatRef, text: str | None = None, **fields: Any) -> int:
        """Append one hand-written message; returns its id.

        Fields: ``sender`` (user key; default the account, or the channel for
        broadcasts), ``reply_to`` (id), ``topic`` (forum topic id), ``media``,
        ``entities``, ``fwd_from``, ``action`` (TL objects), ``via_bot`` (user key),
        ``silent``, ``pinned``, ``grouped_id``, ``post_author``, ``views``.
        """
        chat = self.chat(ref)
        chat.count += 1
        _check_dates(chat)
        chat.custom[chat.count] = {"text": text, **fields}
        chat.log.new(chat.key, chat.count, 1)
        return chat.id_of(chat.count)

    def delete_messages(self, ref: ChatRef, ids: Iterable[int]) -> None:
        """Delete messages by id (unknown ids are ignored, as Telegram does).

        One logged deletion whose ``pts_count`` is the number of messages deleted.
        """
        chat = self.chat(ref)
        numbers = sorted({n for n in (chat.n_of(i) for i in ids) if n is not None})
        chat.delete(numbers)
        chat.log.delete(chat.key, numbers)

    def edit_message(
        self, ref: ChatRef, message_id: int, text: str, *, date: dt.datetime | None = None
    ) -> None:
        """Edit a message's text (sets ``edit_date``; entities are dropped); logged.

        Service messages (joins, title changes, pins) cannot be edited on Telegram.
        """
        chat = self.chat(ref)
        n = self._n(chat, message_id)
        if isinstance(self.message(chat, message_id), types.MessageService):
            raise ValueError(f"message {message_id} is a service message: Telegram cannot edit it")
        chat.edits[n] = Edit(text, date)
        chat.log.edit(chat.key, n)

    def set_reactions(self, ref: ChatRef, message_id: int, reactions: list[Reaction]) -> None:
        """Replace a message's reactions: ``[("👍", 3), (custom_emoji_document_id, 1)]``.

        Not logged: on Telegram, ``updateMessageReactions`` has no pts, so reactions
        never move a message box's pts (see :mod:`.updatelog`).
        """
        chat = self.chat(ref)
        chat.reactions[self._n(chat, message_id)] = list(reactions)

    def expire_invite(self, invite_hash: str) -> None:
        """Make an invite hash answer INVITE_HASH_EXPIRED."""
        self.expired_invites.add(invite_hash)

    def _n(self, chat: ChatRecord, message_id: int, *, existing: bool = True) -> int:
        n = chat.n_of(message_id)
        if n is None and not existing:
            n = chat.first_n_with_id_at_least(message_id)
        if n is None or n > chat.count:
            raise KeyError(f"chat {chat.key!r} has no message {message_id}")
        return n


def _invite_hash(salt: int) -> str:
    raw = mix(salt, 21).to_bytes(8, "little") + mix(salt, 22).to_bytes(8, "little")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _check_dates(chat: ChatRecord) -> None:
    """Refuse a chat whose newest message would be dated past :data:`MAX_TL_DATE`."""
    newest = chat.ts_of(chat.count) if chat.count else chat.created_ts
    if newest > MAX_TL_DATE:
        raise ValueError(
            f"chat {chat.key!r}: message {chat.count} would be dated "
            f"{dt.datetime.fromtimestamp(newest, UTC):%Y-%m-%d}, past Telegram's last date "
            "(int32, 2038-01-19): give the world a smaller chat_spacing or an earlier base_date"
        )
