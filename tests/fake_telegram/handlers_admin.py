"""Handlers for what only admins may read: ``channels.getAdminLog`` and statistics.

Registered with :func:`.handlers.handles` when :mod:`.handlers` imports this module.
Semantics (core.telegram.org/method/channels.getAdminLog, /api/recent-actions,
/api/offsets; tdlib ``getChatEventLog``):

* only users, only channels and supergroups; an account that is not an admin gets
  ``CHAT_ADMIN_REQUIRED`` (403), one that cannot read the channel ``CHANNEL_PRIVATE``;
* events of the last 48 hours only, newest first, at most 100 per call;
* ``min_id`` / ``max_id`` bound the event ids exclusively (0: no bound), like every
  id-paged method; ``admins`` keeps only those users' events. ``q`` and
  ``events_filter`` are not modelled: a request using them fails loudly.

Statistics (``stats.getBroadcastStats``, ``stats.getMegagroupStats``,
``stats.loadAsyncGraph``, ``stats.getMessageStats``) and the DC hop they need
(``auth.exportAuthorization`` / ``auth.importAuthorization``): see :mod:`.stats`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telethon.tl import types

from tests.fake_telegram import peers, stats
from tests.fake_telegram.admin_log import visible_events
from tests.fake_telegram.faults import FakeRpcError
from tests.fake_telegram.handlers import handles
from tests.fake_telegram.history import with_entities

if TYPE_CHECKING:
    from tests.fake_telegram.records import ChatRecord
    from tests.fake_telegram.server import Server

#: Most events one ``channels.getAdminLog`` answers (tdlib: "up to 100").
ADMIN_LOG_LIMIT = 100


@handles("GetAdminLogRequest")
def get_admin_log(server: Server, request: Any, status: str) -> Any:
    """``channels.getAdminLog``: the last 48 hours of a channel's log, newest first."""
    chat = server.channel(request.channel, read=True)
    if not chat.admin:
        raise FakeRpcError("CHAT_ADMIN_REQUIRED", 403)
    if request.q or request.events_filter is not None:
        raise NotImplementedError("the fake's getAdminLog models neither q nor events_filter")
    world = server.world
    admins = None
    if request.admins:
        admins = {getattr(item, "user_id", None) for item in request.admins}
    limit = max(1, min(request.limit or ADMIN_LOG_LIMIT, ADMIN_LOG_LIMIT))
    chosen = []
    for event in reversed(visible_events(chat, server.now())):
        if request.max_id and event.id >= request.max_id:
            continue
        if event.id <= request.min_id:
            break
        if admins is not None and world.users[event.user_key].id not in admins:
            continue
        chosen.append(event)
        if len(chosen) == limit:
            break
    events = [
        types.ChannelAdminLogEvent(
            id=event.id,
            date=event.date,
            user_id=world.users[event.user_key].id,
            action=event.action,
        )
        for event in chosen
    ]
    messages = [m for e in chosen for m in _messages_of(e.action)]
    users, chats = with_entities(world, messages)
    more_users, more_chats = peers.entities_tl(
        world,
        [*(world.users[e.user_key].id for e in chosen), *_users_of(chosen)],
        [world.marked_id(chat)],
    )
    return types.channels.AdminLogResults(
        events=events,
        chats=_unique([*chats, *more_chats]),
        users=_unique([*users, *more_users]),
    )


def _messages_of(action: Any) -> list[Any]:
    """Messages an action carries (deleted, edited before/after, pinned, sent)."""
    names = ("message", "prev_message", "new_message")
    return [m for m in (getattr(action, n, None) for n in names) if m is not None]


def _users_of(events: list[Any]) -> list[int]:
    """Users named by participants in the events (banned, promoted, invited members)."""
    out = []
    for event in events:
        for name in ("participant", "prev_participant", "new_participant"):
            participant = getattr(event.action, name, None)
            user_id = getattr(participant, "user_id", None)
            peer = getattr(participant, "peer", None)
            if user_id is None and isinstance(peer, types.PeerUser):
                user_id = peer.user_id
            if user_id is not None:
                out.append(user_id)
    return out


def _unique(entities: list[Any]) -> list[Any]:
    """Entities without repeats (by class and id), first sighting kept."""
    seen: set[tuple[type, int]] = set()
    out = []
    for entity in entities:
        key = (type(entity), entity.id)
        if key not in seen:
            seen.add(key)
            out.append(entity)
    return out


# -- statistics ----------------------------------------------------------------------------


def _stats_chat(server: Server, channel: Any, *, broadcast: bool) -> ChatRecord:
    """The chat whose statistics are asked for, checked like Telegram (see :mod:`.stats`)."""
    chat = server.channel(channel, read=True)
    if broadcast and not chat.is_broadcast:
        raise FakeRpcError("BROADCAST_REQUIRED")
    if not broadcast and chat.kind not in {"supergroup", "forum"}:
        raise FakeRpcError("MEGAGROUP_REQUIRED")
    if not chat.admin or chat.stats is None:
        raise FakeRpcError("CHAT_ADMIN_REQUIRED", 403)
    if server.dc != chat.stats.dc:
        raise FakeRpcError(f"STATS_MIGRATE_{chat.stats.dc}", 303)
    return chat


@handles("GetBroadcastStatsRequest")
def get_broadcast_stats(server: Server, request: Any, status: str) -> Any:
    """``stats.getBroadcastStats``: a channel's statistics, on its statistics DC."""
    chat = _stats_chat(server, request.channel, broadcast=True)
    return stats.broadcast_stats(server.world, chat, server.now())


@handles("GetMegagroupStatsRequest")
def get_megagroup_stats(server: Server, request: Any, status: str) -> Any:
    """``stats.getMegagroupStats``: a supergroup's statistics, on its statistics DC."""
    chat = _stats_chat(server, request.channel, broadcast=False)
    return stats.megagroup_stats(server.world, chat, server.now())


@handles("GetMessageStatsRequest")
def get_message_stats(server: Server, request: Any, status: str) -> Any:
    """``stats.getMessageStats``: one channel post's graphs (MSG_ID_INVALID if it is gone)."""
    chat = _stats_chat(server, request.channel, broadcast=True)
    if chat.n_of(request.msg_id) is None:
        raise FakeRpcError("MSG_ID_INVALID")
    return stats.message_stats(chat, request.msg_id, server.now())


@handles("LoadAsyncGraphRequest")
def load_async_graph(server: Server, request: Any, status: str) -> Any:
    """``stats.loadAsyncGraph``: the graph behind a token (GRAPH_INVALID_RELOAD if unknown)."""
    parts = request.token.split(stats.TOKEN_SEPARATOR)
    chat = server.world.chats.get(parts[0]) if len(parts) == 3 else None
    if chat is None or chat.stats is None or parts[1] not in stats.graphs_of(chat):
        raise FakeRpcError("GRAPH_INVALID_RELOAD")
    if server.dc != chat.stats.dc:
        raise FakeRpcError(f"STATS_MIGRATE_{chat.stats.dc}", 303)
    return stats.loaded_graph(chat, parts[1], server.now())


@handles("ExportAuthorizationRequest")
def export_authorization(server: Server, request: Any, status: str) -> Any:
    """``auth.exportAuthorization``: a one-time key for another DC (DC_ID_INVALID outside 1-5)."""
    if not 1 <= request.dc_id <= 5 or request.dc_id == server.dc:
        raise FakeRpcError("DC_ID_INVALID")
    return types.auth.ExportedAuthorization(id=server.world.self_user.id, bytes=b"fake-export")


@handles("ImportAuthorizationRequest")
def import_authorization(server: Server, request: Any, status: str) -> Any:
    """``auth.importAuthorization``: the borrowed sender is now the account on that DC."""
    user = server.world.self_user
    if request.id != user.id or request.bytes != b"fake-export":
        raise FakeRpcError("AUTH_BYTES_INVALID")
    return types.auth.Authorization(user=peers.user_tl(user))
