"""One function per implemented request: ``handler(server, request, status) -> result``.

Results are TL objects, lists (TL vectors) or booleans; the sender serializes them
and Telethon parses them back. Errors are raised as :class:`FakeRpcError` with the
message Telegram uses, so Telethon maps them to the same exception classes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from telethon import utils
from telethon.tl import types

from tests.fake_telegram import dialogs, history, peers
from tests.fake_telegram.faults import FakeRpcError

if TYPE_CHECKING:
    from tests.fake_telegram.server import Server

Handler = Callable[["Server", Any, str], Any]
USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
HANDLERS: dict[str, Handler] = {}


def handles(name: str) -> Callable[[Handler], Handler]:
    """Register a handler under the request class name."""

    def register(function: Handler) -> Handler:
        HANDLERS[name] = function
        return function

    return register


# -- connection and account ------------------------------------------------------------


@handles("GetConfigRequest")
def get_config(server: Server, request: Any, status: str) -> Any:
    """``help.getConfig``: DC 2 is home; 1-5 are listed (QR login, statistics DCs)."""
    now = server.now()
    return types.Config(
        date=now,
        expires=now + dt.timedelta(hours=1),
        test_mode=False,
        this_dc=2,
        # Telegram lists its five DCs; the fake serves them all on one address (a QR
        # login may move to another, :mod:`.handlers_qr`; statistics live on one, :mod:`.stats`).
        dc_options=[types.DcOption(id=dc, ip_address="127.0.0.1", port=443) for dc in range(1, 6)],
        dc_txt_domain_name="fake.invalid",
        chat_size_max=200,
        megagroup_size_max=200_000,
        forwarded_count_max=100,
        online_update_period_ms=210_000,
        offline_blur_timeout_ms=5_000,
        offline_idle_timeout_ms=30_000,
        online_cloud_timeout_ms=300_000,
        notify_cloud_delay_ms=30_000,
        notify_default_delay_ms=1_500,
        push_chat_period_ms=60_000,
        push_chat_limit=2,
        edit_time_limit=172_800,
        revoke_time_limit=2_147_483_647,
        revoke_pm_time_limit=2_147_483_647,
        rating_e_decay=2_419_200,
        stickers_recent_limit=200,
        channels_read_media_period=604_800,
        call_receive_timeout_ms=20_000,
        call_ring_timeout_ms=90_000,
        call_connect_timeout_ms=30_000,
        call_packet_timeout_ms=10_000,
        me_url_prefix="https://t.me/",
        caption_length_max=1024,
        message_length_max=4096,
        webfile_dc_id=4,
    )


@handles("InitTakeoutSessionRequest")
def init_takeout(server: Server, request: Any, status: str) -> Any:
    """``account.initTakeoutSession``: a takeout id for ``invokeWithTakeout``."""
    return types.account.Takeout(id=server.new_takeout())


@handles("FinishTakeoutSessionRequest")
def finish_takeout(server: Server, request: Any, status: str) -> Any:
    """``account.finishTakeoutSession``: closes every takeout session (logs the flag)."""
    server.fake.stats.log.append(f"FinishTakeoutSession(success={bool(request.success)})")
    server.takeouts.clear()
    return True


# -- users and chats -------------------------------------------------------------------


@handles("GetUsersRequest")
def get_users(server: Server, request: Any, status: str) -> Any:
    """``users.getUsers``: users with a wrong access hash are left out of the vector."""
    world = server.world
    out = []
    for item in request.id:
        if isinstance(item, types.InputUserSelf):
            out.append(peers.user_tl(world.self_user, bot_session=status == "bot"))
        elif isinstance(item, types.InputUser):
            user = world.users_by_id.get(item.user_id)
            if user is not None and user.access_hash == item.access_hash:
                out.append(peers.user_tl(user, bot_session=status == "bot"))
        else:
            raise FakeRpcError("USER_ID_INVALID")
    return out


@handles("GetFullUserRequest")
def get_full_user(server: Server, request: Any, status: str) -> Any:
    """``users.getFullUser``: USER_ID_INVALID for a wrong access hash."""
    world = server.world
    item = request.id
    if isinstance(item, types.InputUserSelf):
        user = world.self_user
    else:
        user = world.users_by_id.get(getattr(item, "user_id", None))
        if user is None or user.access_hash != getattr(item, "access_hash", None):
            raise FakeRpcError("USER_ID_INVALID")
    return peers.full_user(world, user, bot_session=status == "bot")


@handles("GetChannelsRequest")
def get_channels(server: Server, request: Any, status: str) -> Any:
    """``channels.getChannels``: CHANNEL_INVALID if any access hash is wrong."""
    chats = [peers.chat_tl(server.world, server.channel(item)) for item in request.id]
    return types.messages.Chats(chats=chats)


@handles("GetChatsRequest")
def get_chats(server: Server, request: Any, status: str) -> Any:
    """``messages.getChats`` (basic groups by id): CHAT_ID_INVALID for unknown ids."""
    chats = []
    for chat_id in request.id:
        chat = server.world.chat_by_peer(types.PeerChat(chat_id))
        if chat is None:
            raise FakeRpcError("CHAT_ID_INVALID")
        if not chat.member and not chat.banned:
            chats.append(types.ChatForbidden(id=chat.id, title=chat.title))
        else:
            chats.append(peers.chat_tl(server.world, chat))
    return types.messages.Chats(chats=chats)


@handles("GetFullChannelRequest")
def get_full_channel(server: Server, request: Any, status: str) -> Any:
    """``channels.getFullChannel``: about, participants, linked chat, pts."""
    return peers.full_chat(server.world, server.channel(request.channel, read=True))


@handles("GetFullChatRequest")
def get_full_chat(server: Server, request: Any, status: str) -> Any:
    """``messages.getFullChat``: about and the participant list of a basic group."""
    chat = server.world.chat_by_peer(types.PeerChat(request.chat_id))
    if chat is None or not chat.member:
        raise FakeRpcError("CHAT_ID_INVALID")
    return peers.full_chat(server.world, chat)


@handles("ResolveUsernameRequest")
def resolve_username(server: Server, request: Any, status: str) -> Any:
    """``contacts.resolveUsername``: USERNAME_NOT_OCCUPIED / USERNAME_INVALID like Telegram."""
    world = server.world
    name = request.username.lower()
    if not USERNAME_RE.match(request.username):
        raise FakeRpcError("USERNAME_INVALID")
    for user in world.users.values():
        if user.username and user.username.lower() == name and not user.deleted:
            return types.contacts.ResolvedPeer(
                peer=types.PeerUser(user.id), chats=[], users=[peers.user_tl(user)]
            )
    for chat in world.chats.values():
        if chat.username and chat.username.lower() == name:
            users, chats = peers.entities_tl(world, [], [world.marked_id(chat)])
            return types.contacts.ResolvedPeer(peer=world.peer(chat), chats=chats, users=users)
    raise FakeRpcError("USERNAME_NOT_OCCUPIED")


@handles("CheckChatInviteRequest")
def check_chat_invite(server: Server, request: Any, status: str) -> Any:
    """``messages.checkChatInvite``: ChatInviteAlready for the account's chats."""
    world = server.world
    if request.hash in world.expired_invites:
        raise FakeRpcError("INVITE_HASH_EXPIRED")
    for chat in world.chats.values():
        if chat.kind == "private" or chat.invite_hash != request.hash:
            continue
        if chat.member and not chat.banned:
            return types.ChatInviteAlready(chat=peers.chat_tl(world, chat))
        return types.ChatInvite(
            title=chat.title,
            photo=types.PhotoEmpty(id=0),
            participants_count=peers.participants_count(world, chat),
            color=0,
            channel=chat.is_channel or None,
            broadcast=chat.is_broadcast or None,
            megagroup=chat.kind in {"supergroup", "forum"} or None,
            public=bool(chat.username) or None,
            about=chat.about,
        )
    raise FakeRpcError("INVITE_HASH_INVALID")


# -- history -----------------------------------------------------------------------------


@handles("GetHistoryRequest")
def get_history(server: Server, request: Any, status: str) -> Any:
    """``messages.getHistory`` with Telegram's offset semantics (see :mod:`.history`)."""
    chat = server.history_chat(request.peer)
    if chat is None:
        return types.messages.Messages(messages=[], topics=[], chats=[], users=[])
    numbers, complete = history.history_window(
        chat,
        offset_id=request.offset_id,
        offset_date=request.offset_date,
        add_offset=request.add_offset,
        limit=request.limit,
        max_id=request.max_id,
        min_id=request.min_id,
    )
    server.fake.stats.messages_served += len(numbers)
    return history.history_response(server.world, chat, numbers, complete)


@handles("GetDialogsRequest")
def get_dialogs(server: Server, request: Any, status: str) -> Any:
    """``messages.getDialogs``: folders, pinned order, paging and ``hash`` (see :mod:`.dialogs`)."""
    offset_peer = request.offset_peer
    marked = None
    if not isinstance(offset_peer, (types.InputPeerEmpty, type(None))):
        marked = utils.get_peer_id(offset_peer)
    return dialogs.dialogs_response(
        server.world,
        offset_date=request.offset_date,
        offset_id=request.offset_id,
        offset_peer_marked=marked,
        limit=request.limit,
        folder_id=request.folder_id,
        exclude_pinned=bool(request.exclude_pinned),
        hash_=request.hash,
    )


def _messages_by_id(server: Server, chat: Any, ids: list[Any]) -> list[Any]:
    out = []
    for item in ids:
        message_id = getattr(item, "id", None)
        n = chat.n_of(message_id) if chat is not None and message_id is not None else None
        if n is None:
            out.append(types.MessageEmpty(id=message_id or 0))
        else:
            out.append(server.world.factory.build(chat, n))
    return out


@handles("GetMessagesRequest")
def get_messages(server: Server, request: Any, status: str) -> Any:
    """``channels.getMessages`` / ``messages.getMessages`` by id (MessageEmpty if absent)."""
    world = server.world
    if hasattr(request, "channel"):
        chat = server.channel(request.channel, read=True)
        messages = _messages_by_id(server, chat, request.id)
        users, chats = history.with_entities(world, [m for m in messages if m.peer_id])
        return types.messages.ChannelMessages(
            pts=chat.pts,
            count=len(messages),
            messages=messages,
            topics=[],
            chats=chats,
            users=users,
        )
    messages = []
    for item in request.id:
        message_id = getattr(item, "id", 0)
        owner = next(
            (c for c in world.chats.values() if not c.is_channel and c.n_of(message_id)), None
        )
        messages.extend(_messages_by_id(server, owner, [item]))
    users, chats = history.with_entities(world, [m for m in messages if m.peer_id])
    return types.messages.Messages(messages=messages, topics=[], chats=chats, users=users)


@handles("GetForumTopicsRequest")
def get_forum_topics(server: Server, request: Any, status: str) -> Any:
    """``messages.getForumTopics``: topics by id descending, paged by ``offset_topic``."""
    chat = server.history_chat(request.peer)
    if chat is None or chat.kind != "forum":
        raise FakeRpcError("CHANNEL_FORUM_MISSING")
    ids = [t for t in range(len(chat.topics) + 1, 0, -1) if chat.n_of(t) or t == 1]
    if request.offset_topic:
        ids = [t for t in ids if t < request.offset_topic]
    ids = ids[: max(1, min(request.limit or 100, 100))]
    topics = history.forum_topics(server.world, chat, ids)
    tops = [chat.n_of(t.top_message) for t in topics]
    messages = [server.world.factory.build(chat, n) for n in tops if n]
    users, chats = history.with_entities(server.world, messages)
    return types.messages.ForumTopics(
        count=len(chat.topics) + 1,
        topics=topics,
        messages=messages,
        chats=chats,
        users=users,
        pts=chat.pts,
        order_by_create_date=True,
    )


# Handlers kept in their own modules register themselves on import.
from tests.fake_telegram import (  # noqa: E402, F401
    handlers_account,
    handlers_admin,
    handlers_auth,
    handlers_qr,
    handlers_rich,
    updates,
)
