"""TL objects for users and chats: ``User``, ``Chat``, ``Channel`` and their full info."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from telethon.tl import types

from tests.fake_telegram.hashing import from_ts, mix
from tests.fake_telegram.records import ChatRecord, UserRecord
from tests.fake_telegram.world import World


def user_tl(user: UserRecord, *, bot_session: bool = False) -> types.User:
    """A ``User`` as the account sees it (``is_self`` and phone only for itself)."""
    is_bot = user.bot or (user.is_self and bot_session)
    return types.User(
        id=user.id,
        is_self=user.is_self or None,
        access_hash=user.access_hash,
        first_name=None if user.deleted else user.first_name,
        last_name=None if user.deleted else user.last_name,
        username=None if user.deleted else user.username,
        phone=user.phone if user.is_self else None,
        bot=is_bot or None,
        bot_info_version=1 if is_bot else None,
        deleted=user.deleted or None,
        premium=user.premium or None,
        verified=user.verified or None,
        contact=user.contact or None,
        mutual_contact=user.mutual or None,
        status=None if (user.deleted or is_bot) else types.UserStatusRecently(),
    )


def participants_count(world: World, chat: ChatRecord) -> int:
    """Members of a chat: explicit, or members + the account, or a big number."""
    if chat.participants is not None:
        return chat.participants
    if chat.kind in {"group", "supergroup", "forum"}:
        return len(chat.members) + 1
    if chat.kind == "private":
        return 2
    return 1_000 + mix(chat.salt, 31) % 50_000


def chat_tl(world: World, chat: ChatRecord) -> Any:
    """The entity of a chat: ``User`` (private), ``Chat``/``Channel`` or ``*Forbidden``."""
    if chat.kind == "private":
        assert chat.user_key is not None
        return user_tl(world.users[chat.user_key])
    if chat.kind == "group":
        if chat.banned:
            return types.ChatForbidden(id=chat.id, title=chat.title)
        successor = world.chats[chat.migrated_to] if chat.migrated_to else None
        return types.Chat(
            id=chat.id,
            title=chat.title,
            photo=types.ChatPhotoEmpty(),
            participants_count=participants_count(world, chat),
            date=from_ts(chat.created_ts),
            version=1,
            left=not chat.member or None,
            # An upgraded group is read-only and points to its supergroup.
            deactivated=successor is not None or None,
            migrated_to=types.InputChannel(successor.id, successor.access_hash)
            if successor is not None
            else None,
        )
    megagroup = chat.kind in {"supergroup", "forum"}
    if chat.banned:
        return types.ChannelForbidden(
            id=chat.id,
            access_hash=chat.access_hash,
            title=chat.title,
            broadcast=chat.is_broadcast or None,
            megagroup=megagroup or None,
        )
    return types.Channel(
        id=chat.id,
        title=chat.title,
        photo=types.ChatPhotoEmpty(),
        date=from_ts(chat.created_ts),
        access_hash=chat.access_hash,
        username=chat.username,
        broadcast=chat.is_broadcast or None,
        megagroup=megagroup or None,
        forum=chat.kind == "forum" or None,
        signatures=chat.signatures or None,
        verified=chat.verified or None,
        left=not chat.member or None,
        has_link=linked_chat(world, chat) is not None or None,
        participants_count=participants_count(world, chat),
        creator=chat.admin == "creator" or None,
        admin_rights=ADMIN_RIGHTS if chat.admin else None,
    )


#: The rights the fake gives the account where it is an admin (or the creator).
ADMIN_RIGHTS = types.ChatAdminRights(
    change_info=True,
    post_messages=True,
    edit_messages=True,
    delete_messages=True,
    ban_users=True,
    invite_users=True,
    pin_messages=True,
)


def linked_chat(world: World, chat: ChatRecord) -> ChatRecord | None:
    """The discussion group of a channel, or the channel of a discussion group."""
    if chat.linked is not None:
        return world.chats[chat.linked]
    for other in world.chats.values():
        if other.linked == chat.key:
            return other
    return None


def entities_tl(
    world: World, user_ids: Iterable[int], peer_ids: Iterable[int], *, bot_session: bool = False
) -> tuple[list[Any], list[Any]]:
    """``(users, chats)`` vectors for user ids and marked peer ids (unknown ids skipped).

    A positive marked id is a user (a private chat's peer) and lands in ``users``.
    """
    peer_ids = list(peer_ids)
    wanted_users = [*user_ids, *(marked for marked in peer_ids if marked > 0)]
    users = [
        user_tl(world.users_by_id[i], bot_session=bot_session)
        for i in dict.fromkeys(wanted_users)
        if i in world.users_by_id
    ]
    chats = []
    for marked in dict.fromkeys(m for m in peer_ids if m < 0):
        try:
            chat = world.chat(marked)
        except KeyError:
            continue
        chats.append(chat_tl(world, chat))
    return users, chats


def full_chat(world: World, chat: ChatRecord) -> types.messages.ChatFull:
    """``messages.ChatFull`` of a group, supergroup, channel or forum."""
    notify = types.PeerNotifySettings()
    member_ids = [world.users[key].id for key in chat.members]
    top = chat.top_n
    top_id = chat.id_of(top) if top else 0
    if chat.kind == "group":
        me = world.self_user.id
        participants = types.ChatParticipants(
            chat_id=chat.id,
            participants=[types.ChatParticipantCreator(user_id=me)]
            + [
                types.ChatParticipant(user_id=i, inviter_id=me, date=from_ts(chat.created_ts))
                for i in member_ids
            ],
            version=1,
        )
        full: Any = types.ChatFull(
            id=chat.id, about=chat.about, participants=participants, notify_settings=notify
        )
        users, chats = entities_tl(world, [me, *member_ids], [world.marked_id(chat)])
        return types.messages.ChatFull(full_chat=full, chats=chats, users=users)
    linked = linked_chat(world, chat)
    before = next((c for c in world.chats.values() if c.migrated_to == chat.key), None)
    full = types.ChannelFull(
        id=chat.id,
        about=chat.about,
        read_inbox_max_id=top_id,
        read_outbox_max_id=top_id,
        unread_count=0,
        chat_photo=types.PhotoEmpty(id=0),
        notify_settings=notify,
        bot_info=[],
        pts=chat.pts,
        participants_count=participants_count(world, chat),
        linked_chat_id=linked.id if linked is not None else None,
        available_min_id=None,
        migrated_from_chat_id=before.id if before is not None else None,
        migrated_from_max_id=world.last_id(before) if before is not None else None,
        can_view_stats=bool(chat.admin and chat.stats) or None,
        stats_dc=chat.stats.dc if chat.admin and chat.stats else None,
    )
    peers = [world.marked_id(chat)] + ([world.marked_id(linked)] if linked is not None else [])
    if before is not None:
        peers.append(world.marked_id(before))
    _, chats = entities_tl(world, [], peers)
    return types.messages.ChatFull(full_chat=full, chats=chats, users=[])


def full_user(world: World, user: UserRecord, *, bot_session: bool = False) -> Any:
    """``users.UserFull`` with ``about`` and the number of chats in common."""
    common = sum(1 for chat in world.chats.values() if user.key in chat.members)
    full = types.UserFull(
        id=user.id,
        settings=types.PeerSettings(),
        notify_settings=types.PeerNotifySettings(),
        common_chats_count=common,
        about=user.about,
    )
    return types.users.UserFull(
        full_user=full, chats=[], users=[user_tl(user, bot_session=bot_session)]
    )
