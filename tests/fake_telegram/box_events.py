"""The other events Telegram numbers with ``pts``: reads, pins, link previews, folder moves.

Every update of the TL schema that carries ``pts_count`` uses its message box's pts
(core.telegram.org/type/Update, core.telegram.org/api/updates), not only new, edited
and deleted messages. So a box fills up, and a difference becomes "too long" or comes
in slices, sooner than its messages alone say. These helpers change the world the way
such an event does and log it (one pts unit each: Telegram sends these with
``pts_count`` 1; it documents no other value), and :func:`update_tl` builds the update
a difference carries for it:

========================  ==============================  ================================
helper                    account's box (private, group)   channel's box (channel, supergroup)
========================  ==============================  ================================
:func:`read_history`      ``updateReadHistoryInbox`` /     nothing (``updateReadChannelInbox``
                          ``updateReadHistoryOutbox``      has no ``pts_count``)
:func:`read_contents`     ``updateReadMessagesContents``   nothing (``updateChannelRead…``
                                                           has no pts)
:func:`pin_messages`      ``updatePinnedMessages``         ``updatePinnedChannelMessages``
:func:`update_web_page`   ``updateWebPage``                ``updateChannelWebPage``
:func:`move_to_folder`    ``updateFolderPeers`` for any dialog, channels included (the
                          dialog list is the account's)
========================  ==============================  ================================

What the fake does not model: the ``pinned`` flag of a pinned message (its content stays
as generated), and a link preview's new content (messages keep theirs). A tap that needs
neither only sees the pts move and the updates it must ignore.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from typing import Any

from telethon.tl import types

from tests.fake_telegram.dialogs import ARCHIVE
from tests.fake_telegram.hashing import mix, signed64
from tests.fake_telegram.records import ChatRecord
from tests.fake_telegram.updatelog import Event, EventKind
from tests.fake_telegram.world import ChatRef, World


def read_history(
    world: World, ref: ChatRef, max_id: int | None = None, *, outbox: bool = False
) -> None:
    """The account read the chat up to ``max_id`` (default: its newest message).

    ``outbox``: the other side read the account's messages instead. In a private chat
    or basic group either is one event of the account's box; in a channel the inbox
    read only clears the unread count (``updateReadChannelInbox`` moves no pts) and an
    outbox read is not an event at all.
    """
    chat = world.chat(ref)
    n = _n(chat, max_id if max_id is not None else world.last_id(chat))
    if not outbox:
        chat.unread = _newer(chat, n)
    if not chat.is_channel:
        chat.log.mark("read_out" if outbox else "read_in", chat.key, n)


def read_contents(world: World, ref: ChatRef, ids: Iterable[int]) -> None:
    """Voice notes, round videos or mentions ``ids`` were opened (account's box only)."""
    chat = world.chat(ref)
    if not chat.is_channel:
        chat.log.mark("read_contents", chat.key, numbers=_numbers(chat, ids))


def pin_messages(world: World, ref: ChatRef, ids: Iterable[int], *, pinned: bool = True) -> None:
    """Messages ``ids`` were pinned (or unpinned): one event of the chat's box."""
    chat = world.chat(ref)
    chat.log.mark("pin" if pinned else "unpin", chat.key, numbers=_numbers(chat, ids))


def update_web_page(world: World, ref: ChatRef, message_id: int) -> None:
    """The link preview of a message was built or changed: one event of the chat's box."""
    chat = world.chat(ref)
    chat.log.mark("webpage", chat.key, _n(chat, message_id))


def move_to_folder(world: World, ref: ChatRef, folder_id: int) -> None:
    """The dialog moved to peer folder ``folder_id`` (1: the archive, 0: the main list).

    One event of the account's box whatever the chat's kind; the dialog's ``folder_id``
    follows.
    """
    chat = world.chat(ref)
    chat.archived = folder_id == ARCHIVE
    world.account_log.mark("folder", chat.key, folder_id)


def update_tl(world: World, event: Event) -> Any:
    """The update a difference carries for a one-unit event of :mod:`.box_events`."""
    chat = world.chats[event.chat]
    ids = [chat.id_of(n) for n in event.numbers]
    box: dict[str, Any] = {"pts": event.pts, "pts_count": event.pts_count}
    kind: EventKind = event.kind
    if kind == "read_in":
        return types.UpdateReadHistoryInbox(
            peer=world.peer(chat),
            max_id=chat.id_of(event.first),
            still_unread_count=_newer(chat, event.first),
            **box,
        )
    if kind == "read_out":
        return types.UpdateReadHistoryOutbox(
            peer=world.peer(chat), max_id=chat.id_of(event.first), **box
        )
    if kind == "read_contents":
        return types.UpdateReadMessagesContents(messages=ids, **box)
    if kind in ("pin", "unpin"):
        pinned = kind == "pin"
        if chat.is_channel:
            return types.UpdatePinnedChannelMessages(
                channel_id=chat.id, messages=ids, pinned=pinned, **box
            )
        return types.UpdatePinnedMessages(peer=world.peer(chat), messages=ids, pinned=pinned, **box)
    if kind == "webpage":
        page = web_page(chat, event.first)
        if chat.is_channel:
            return types.UpdateChannelWebPage(channel_id=chat.id, webpage=page, **box)
        return types.UpdateWebPage(webpage=page, **box)
    if kind == "folder":
        peer = types.FolderPeer(peer=world.peer(chat), folder_id=event.first)
        return types.UpdateFolderPeers(folder_peers=[peer], **box)
    raise ValueError(f"not a one-unit event kind: {kind!r}")


def web_page(chat: ChatRecord, n: int) -> Any:
    """The link preview of message ``n`` of ``chat`` (stable per message)."""
    url = f"https://example.com/{chat.key}/{n}"
    return types.WebPage(
        id=signed64(mix(chat.salt, 31, n)),
        url=url,
        display_url=url.removeprefix("https://"),
        hash=0,
        type="article",
        site_name="Example",
        title=f"Page {n}",
    )


def peers_of(world: World, updates: Iterable[Any]) -> list[int]:
    """Marked ids of the chats and users the updates name (for a difference's entities)."""
    out: list[int] = []
    for update in updates:
        peer = getattr(update, "peer", None)
        if peer is not None:
            out.append(_marked(world, peer))
        for folder_peer in getattr(update, "folder_peers", None) or ():
            out.append(_marked(world, folder_peer.peer))
    return out


def _marked(world: World, peer: Any) -> int:
    chat = world.chat_by_peer(peer)
    return world.marked_id(chat) if chat is not None else 0


def _newer(chat: ChatRecord, n: int) -> int:
    """How many existing messages are newer than message ``n``."""
    return chat.count - n - (len(chat.deleted) - bisect.bisect_right(chat.deleted, n))


def _n(chat: ChatRecord, message_id: int) -> int:
    n = chat.n_of(message_id)
    if n is None:
        raise KeyError(f"chat {chat.key!r} has no message {message_id}")
    return n


def _numbers(chat: ChatRecord, ids: Iterable[int]) -> tuple[int, ...]:
    return tuple(_n(chat, message_id) for message_id in ids)
