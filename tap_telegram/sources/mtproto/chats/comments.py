"""Comments on channel posts: the linked discussion group, tied back to the posts.

Telegram keeps a channel's comments in its linked discussion group (a supergroup,
``channelFull.linked_chat_id``; core.telegram.org/api/discussion). Every post is
automatically forwarded there, posted as the channel with ``fwd_from.saved_from_peer``
and ``saved_from_msg_id`` naming the post; that copy is the thread root, and comments
reply to it (``reply_to_msg_id``, or ``reply_to_top_id`` when they answer another
comment). So with ``include_comments``:

* :func:`add_discussion_groups` adds each selected channel's group to the chats (right
  after the channel; once, even if it is also selected itself);
* :class:`CommentLinker` sets ``comment_post_id`` / ``comment_channel_id`` on the
  group's messages whose thread root is such a copy. Roots read earlier in the run
  are remembered; a root from an earlier run is fetched by id
  (``channels.getMessages``, up to 100 per request, once per run).

Reading the whole group costs one history walk per group, far fewer requests than
``messages.getReplies`` per post, and it is incremental with the group's own bookmark.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from telethon import TelegramClient, functions, utils
from telethon.tl import types

from tap_telegram.errors import ChatError
from tap_telegram.sources.base import Record
from tap_telegram.sources.mtproto.chats.resolve import ResolvedChat, chat_label
from tap_telegram.sources.mtproto.mapping.messages import chat_type
from tap_telegram.sources.mtproto.wire.calls import Caller

#: Most ids per ``channels.getMessages`` request.
IDS_PER_REQUEST = 100


def thread_root(message: Any) -> int | None:
    """Id of the message that starts the thread ``message`` replies in (None: no reply)."""
    reply = getattr(message, "reply_to", None)
    if not isinstance(reply, types.MessageReplyHeader) or reply.reply_to_peer_id is not None:
        return None
    root: int | None = reply.reply_to_top_id or reply.reply_to_msg_id  # TL fields: untyped
    return root


def post_of_copy(message: Any, channel_id: int) -> int | None:
    """The post id when ``message`` is the automatic copy of a post of ``channel_id``.

    ``channel_id`` is the raw (unmarked) id. Anything else gives ``None``, a post that
    a user forwarded by hand included (it is not posted as the channel).
    """
    header = getattr(message, "fwd_from", None)
    if header is None:
        return None
    saved = header.saved_from_peer
    if isinstance(saved, types.PeerChannel) and saved.channel_id == channel_id:
        return int(header.saved_from_msg_id) if header.saved_from_msg_id else None
    sender = getattr(message, "from_id", None)
    origin = header.from_id
    if (
        saved is None
        and isinstance(sender, types.PeerChannel)
        and sender.channel_id == channel_id
        and isinstance(origin, types.PeerChannel)
        and origin.channel_id == channel_id
        and header.channel_post
    ):
        return int(header.channel_post)
    return None


class CommentLinker:
    """Ties one discussion group's messages to the posts of its channel."""

    def __init__(self, caller: Caller, group: ResolvedChat, channel_id: int) -> None:
        self.caller = caller
        self.group = group
        #: Marked id of the channel, as it goes on the records.
        self.channel_id = channel_id
        self._raw_channel = utils.resolve_id(channel_id)[0]
        #: Thread root id -> post id (``None``: the root is not a post copy).
        self.roots: dict[int, int | None] = {}
        self._first_seen: int | None = None

    def observe(self, messages: Iterable[Any]) -> None:
        """Remember which of ``messages`` are post copies."""
        for message in messages:
            if isinstance(message, types.MessageEmpty):
                continue
            post = post_of_copy(message, self._raw_channel)
            if post is not None:
                self.roots[message.id] = post
            if self._first_seen is None or message.id < self._first_seen:
                self._first_seen = message.id

    async def annotate(self, records: list[Record], messages: Iterable[Any]) -> None:
        """Set ``comment_post_id`` / ``comment_channel_id`` on the comments among ``records``."""
        by_id = {message.id: message for message in messages}
        self.observe(by_id.values())
        roots = {r["id"]: thread_root(by_id.get(r["id"])) for r in records}
        missing = sorted(
            {root for root in roots.values() if root is not None and self._unknown(root)}
        )
        for start in range(0, len(missing), IDS_PER_REQUEST):
            await self._fetch(missing[start : start + IDS_PER_REQUEST])
        for record in records:
            root = roots[record["id"]]
            post = self.roots.get(root) if root is not None else None
            if post is not None:
                record["comment_post_id"] = post
                record["comment_channel_id"] = self.channel_id

    def _unknown(self, root: int) -> bool:
        # Pages ascend: a root at or after the first id read in this run was seen.
        return root not in self.roots and (self._first_seen is None or root < self._first_seen)

    async def _fetch(self, ids: list[int]) -> None:
        response = await self.caller(
            functions.channels.GetMessagesRequest(
                channel=utils.get_input_channel(self.group.input_peer),
                id=[types.InputMessageID(i) for i in ids],
            ),
            chat=self.group.label,
        )
        found = {m.id: m for m in response.messages if not isinstance(m, types.MessageEmpty)}
        for message_id in ids:
            message = found.get(message_id)
            post = post_of_copy(message, self._raw_channel) if message is not None else None
            self.roots[message_id] = post


async def add_discussion_groups(
    client: TelegramClient,
    caller: Caller,
    chats: list[ResolvedChat],
    logger: logging.Logger,
    on_failure: Callable[[ChatError], None],
) -> tuple[list[ResolvedChat], dict[int, CommentLinker]]:
    """The chats with each channel's discussion group added, and a linker per group."""
    out: dict[int, ResolvedChat] = {}  # by marked id, in reading order
    linkers: dict[int, CommentLinker] = {}
    selected = {chat.chat_id: chat for chat in chats}
    for chat in chats:
        out.setdefault(chat.chat_id, chat)
        linked = getattr(chat.full, "linked_chat_id", None)
        if not linked:
            continue
        linked_id = utils.get_peer_id(types.PeerChannel(linked))
        if chat_type(chat.entity) != "channel":
            # A discussion group selected itself: tie it to its channel too.
            linkers.setdefault(chat.chat_id, CommentLinker(caller, chat, linked_id))
            continue
        group = selected.get(linked_id)
        if group is None:
            try:
                group = await _resolve_group(client, caller, linked, chat.label)
            except ChatError as error:
                on_failure(error)
                continue
            logger.info("chat %s: adding its discussion group %s", chat.label, group.label)
        linkers[group.chat_id] = CommentLinker(caller, group, chat.chat_id)
        out.setdefault(group.chat_id, group)  # right after its channel, unless placed before
    return list(out.values()), linkers


async def _resolve_group(
    client: TelegramClient, caller: Caller, linked: int, channel_label: str
) -> ResolvedChat:
    """The group entity (its access hash came with the channel's full info)."""
    try:
        entity = await caller.call(
            lambda: client.get_entity(types.PeerChannel(linked)),
            chat=channel_label,
            what="get_entity",
        )
    except ValueError:
        raise ChatError(
            channel_label,
            "its discussion group cannot be found for this account; join the group, "
            "or turn include_comments off",
        ) from None
    full = await caller(
        functions.channels.GetFullChannelRequest(utils.get_input_channel(entity)),
        chat=chat_label(entity),
    )
    return ResolvedChat(
        chat_id=utils.get_peer_id(entity),
        entity=entity,
        input_peer=utils.get_input_peer(entity),
        label=chat_label(entity),
        full=full.full_chat,
    )
