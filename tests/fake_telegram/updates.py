"""``updates.getState``, ``updates.getDifference`` and ``updates.getChannelDifference``.

They answer from the world's update logs (:mod:`.updatelog`) the way Telegram
documents it (core.telegram.org/api/updates, /method/updates.getDifference,
/method/updates.getChannelDifference):

* **Account** (private chats and basic groups share one box): ``getState`` gives the
  box's pts; ``getDifference`` answers ``updates.differenceEmpty`` when nothing
  happened since ``pts``, ``updates.differenceTooLong(pts)`` when ``pts +
  pts_total_limit < remote pts`` or the gap exceeds the account horizon, else
  ``updates.differenceSlice`` (with ``intermediate_state``) while events remain after
  the slice and ``updates.difference`` (with ``state``) for the last one. New messages
  that still exist come in ``new_messages`` with their current content; edits as
  ``updateEditMessage``; deletions as ``updateDeleteMessages`` with the ids only (no
  chat: that is how Telegram sends them in the common box); reads, pins, link previews
  and folder moves as their own updates (:mod:`.box_events`). Channel events are never
  in the account box (each channel is fetched with getChannelDifference); the fake
  does not push ``updateChannelTooLong``.
* **Channel**: ``getChannelDifference`` answers ``updates.channelDifferenceTooLong``
  when "the provided pts + limit < remote pts" (by default; see
  :class:`.updatelog.UpdateLogSettings` for the generous option), ``limit`` being "max
  100000; ordinary (non-bot) users are supposed to pass 10-100": the fake clamps a
  user's limit to 100, a bot's to 100000. Otherwise it pages the channel's box by
  ``limit`` pts units (under Telegram's rule the gap fits in one page); each page's
  ``pts`` is where the next call continues; ``final`` is set on the last page only.
  Edits come as ``updateEditChannelMessage`` (current content), deletions as
  ``updateDeleteChannelMessages`` (``pts_count`` = messages deleted), pins and link
  previews as ``updatePinnedChannelMessages`` / ``updateChannelWebPage``. Too-long
  answers (``final`` "always set") carry a ``Dialog`` with the current pts and the
  latest messages (not those from the passed pts).
* **Undocumented cases**: a ``pts`` ahead of the server is not described; the fake
  answers the current pts so the client resets (``channelDifferenceEmpty(pts)``,
  ``differenceTooLong(pts)``). ``pts <= 0`` answers PERSISTENT_TIMESTAMP_EMPTY (an
  error Telegram lists for getDifference). ``force`` and the ``date`` of getDifference
  change nothing; ``qts`` stays 0 (no secret chats); ``seq`` is constant because the
  fake pushes no updates.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from telethon.tl import types

from tests.fake_telegram import dialogs
from tests.fake_telegram.box_events import peers_of, update_tl
from tests.fake_telegram.faults import FakeRpcError
from tests.fake_telegram.handlers import handles
from tests.fake_telegram.history import message_refs
from tests.fake_telegram.peers import entities_tl
from tests.fake_telegram.records import ChatRecord
from tests.fake_telegram.updatelog import BOT_LIMIT, MARK_KINDS, USER_LIMIT, Piece
from tests.fake_telegram.world import World

if TYPE_CHECKING:
    from tests.fake_telegram.server import Server

#: ``seq`` of every state: the fake pushes no updates, so the sequence never moves.
SEQ = 1
#: Seconds after which clients should ask a channel again.
CHANNEL_TIMEOUT = 30


def account_state(server: Server, pts: int | None = None) -> Any:
    """``updates.State`` of the account at ``pts`` (default: now)."""
    world = server.world
    unread = sum(c.unread for c in world.chats.values() if c.member)
    return types.updates.State(
        pts=world.account_pts if pts is None else pts,
        qts=0,
        date=server.now(),
        seq=SEQ,
        unread_count=unread,
    )


@handles("GetStateRequest")
def get_state(server: Server, request: Any, status: str) -> Any:
    """``updates.getState``: the account box's pts, qts 0, the server's date."""
    return account_state(server)


@handles("GetDifferenceRequest")
def get_difference(server: Server, request: Any, status: str) -> Any:
    """``updates.getDifference`` over the account box (see the module docstring)."""
    world = server.world
    settings = server.fake.update_log
    remote = world.account_pts
    if request.pts <= 0:
        raise FakeRpcError("PERSISTENT_TIMESTAMP_EMPTY")
    if request.pts == remote:
        return types.updates.DifferenceEmpty(date=server.now(), seq=SEQ)
    gap = remote - request.pts
    total_limit = request.pts_total_limit
    if gap < 0 or (total_limit and gap > total_limit) or gap > settings.account_horizon:
        return types.updates.DifferenceTooLong(pts=remote)
    size = max(1, min(settings.slice, request.pts_limit or settings.slice))
    pieces = world.account_log.page(request.pts, size)
    messages, others = page_content(world, pieces)
    users, chats = _entities(world, messages, others)
    state = account_state(server, pieces[-1].pts)
    content: dict[str, Any] = {
        "new_messages": messages,
        "new_encrypted_messages": [],
        "other_updates": others,
        "chats": chats,
        "users": users,
    }
    if state.pts < remote:  # more to come: the client asks again from intermediate_state
        return types.updates.DifferenceSlice(**content, intermediate_state=state)
    return types.updates.Difference(**content, state=state)


@handles("GetChannelDifferenceRequest")
def get_channel_difference(server: Server, request: Any, status: str) -> Any:
    """``updates.getChannelDifference`` over the channel's box (see the module docstring).

    Access is checked like the other channel reads (``Server.channel(read=True)``): a
    wrong access hash answers CHANNEL_INVALID, a banned account or a private channel it
    left CHANNEL_PRIVATE (both listed for this method on core.telegram.org).
    """
    world = server.world
    chat = server.channel(request.channel, read=True)
    settings = server.fake.update_log
    remote = chat.pts
    limit = max(1, min(request.limit, BOT_LIMIT if status == "bot" else USER_LIMIT))
    if request.pts <= 0:
        raise FakeRpcError("PERSISTENT_TIMESTAMP_EMPTY")
    if request.pts >= remote:
        return types.updates.ChannelDifferenceEmpty(pts=remote, final=True, timeout=CHANNEL_TIMEOUT)
    if remote - request.pts > settings.channel_gap(limit):  # pts + limit < remote pts
        return channel_too_long(world, chat, limit)
    pieces = chat.log.page(request.pts, limit)
    messages, others = page_content(world, pieces, _id_filter(request.filter))
    if getattr(request.filter, "exclude_new_messages", None):
        messages = []
    users, chats = _entities(world, messages, others, chat)
    pts = pieces[-1].pts
    return types.updates.ChannelDifference(
        pts=pts,
        new_messages=messages,
        other_updates=others,
        chats=chats,
        users=users,
        final=True if pts >= remote else None,
        timeout=CHANNEL_TIMEOUT,
    )


def channel_too_long(world: World, chat: ChatRecord, limit: int) -> Any:
    """``updates.channelDifferenceTooLong``: the dialog (current pts) and latest messages."""
    numbers = itertools.islice(chat.existing_desc(chat.count), limit)
    messages = [world.factory.build(chat, n) for n in numbers]
    users, chats = _entities(world, messages, (), chat)
    return types.updates.ChannelDifferenceTooLong(
        dialog=dialogs.dialog_tl(world, chat),
        messages=messages,
        chats=chats,
        users=users,
        final=True,
        timeout=CHANNEL_TIMEOUT,
    )


def page_content(
    world: World, pieces: list[Piece], keep: Any = None
) -> tuple[list[Any], list[Any]]:
    """``(new_messages, other_updates)`` of a page of a box's events.

    Messages are built as they are now: a new message that was later deleted is left
    out (its deletion follows), one that was later edited comes with its new text.
    ``keep(id)`` filters message ids (``channelMessagesFilter`` ranges).
    """
    messages: list[Any] = []
    others: list[Any] = []
    for piece in pieces:
        event = piece.event
        chat = world.chats[event.chat]
        if event.kind in MARK_KINDS:
            others.append(update_tl(world, event))
        elif event.kind == "new":
            for n in range(piece.first, piece.first + piece.pts_count):
                if _exists(chat, n) and (keep is None or keep(chat.id_of(n))):
                    messages.append(world.factory.build(chat, n))
        elif event.kind == "edit":
            n = event.first
            if _exists(chat, n) and (keep is None or keep(chat.id_of(n))):
                message = world.factory.build(chat, n)
                if chat.is_channel:
                    others.append(
                        types.UpdateEditChannelMessage(message=message, pts=event.pts, pts_count=1)
                    )
                else:
                    others.append(
                        types.UpdateEditMessage(message=message, pts=event.pts, pts_count=1)
                    )
        else:
            ids = [chat.id_of(n) for n in event.numbers]
            if chat.is_channel:
                others.append(
                    types.UpdateDeleteChannelMessages(
                        channel_id=chat.id, messages=ids, pts=event.pts, pts_count=event.pts_count
                    )
                )
            else:
                others.append(
                    types.UpdateDeleteMessages(
                        messages=ids, pts=event.pts, pts_count=event.pts_count
                    )
                )
    return messages, others


def _exists(chat: ChatRecord, n: int) -> bool:
    return 1 <= n <= chat.count and not chat.is_deleted(n)


def _id_filter(filter_: Any) -> Any:
    """A predicate on message ids for ``channelMessagesFilter`` ranges (None: keep all)."""
    ranges = getattr(filter_, "ranges", None)
    if not ranges:
        return None
    return lambda message_id: any(r.min_id <= message_id <= r.max_id for r in ranges)


def _entities(
    world: World, messages: Iterable[Any], others: Iterable[Any], chat: ChatRecord | None = None
) -> tuple[list[Any], list[Any]]:
    """``(users, chats)`` the messages and updates reference (and the channel itself)."""
    others = list(others)
    user_ids: list[int] = []
    peer_ids = [world.marked_id(chat)] if chat is not None else []
    peer_ids += peers_of(world, others)
    for message in [*messages, *(getattr(u, "message", None) for u in others)]:
        if message is not None:
            message_refs(message, user_ids, peer_ids)
    return entities_tl(world, user_ids, peer_ids)
