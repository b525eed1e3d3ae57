"""Channel posts with comments, as Telegram stores them (core.telegram.org/api/discussion).

A channel with a linked discussion group (``add_chat(..., linked="group_key")``) gets
each new post automatically forwarded into the group, posted *as the channel*
(``from_id`` = the channel) with ``fwd_from.saved_from_peer`` / ``saved_from_msg_id``
naming the post. Comments are ordinary group messages that reply to that copy
(``reply_to_msg_id``); a reply to a comment keeps the copy as its thread root in
``reply_to_top_id``. The post's ``replies`` says how many comments it has and in which
group. :func:`post_with_comments` builds all of that with the world's ordinary
mutations, so specs (and subprocess runs) carry it unchanged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from telethon.tl import types

from tests.fake_telegram.records import ChatRecord
from tests.fake_telegram.world import ChatRef, World


@dataclasses.dataclass(frozen=True)
class Thread:
    """Ids of one post, its copy in the discussion group, and its comments there."""

    post_id: int
    copy_id: int
    comment_ids: list[int]


def post_with_comments(
    world: World,
    channel: ChatRef,
    text: str,
    comments: Sequence[tuple[str, str]] = (),
    *,
    nested: bool = False,
) -> Thread:
    """Append a post to ``channel`` and ``comments`` (``(user key, text)``) under it.

    ``nested``: every comment after the first replies to the previous comment (so it
    carries ``reply_to_top_id``) instead of to the post.
    """
    chat = world.chat(channel)
    if chat.linked is None:
        raise ValueError(f"channel {chat.key!r} has no linked discussion group")
    group = world.chat(chat.linked)
    channel_peer = types.PeerChannel(chat.id)
    post_id = world.append_message(
        chat,
        text,
        replies=types.MessageReplies(
            replies=len(comments), replies_pts=group.pts, comments=True, channel_id=group.id
        ),
    )
    copy_id = world.append_message(
        group,
        text,
        sender_chat=chat.key,
        fwd_from=types.MessageFwdHeader(
            date=world.message_date(chat, post_id),
            from_id=channel_peer,
            channel_post=post_id,
            saved_from_peer=channel_peer,
            saved_from_msg_id=post_id,
        ),
    )
    ids: list[int] = []
    for user, comment in comments:
        if nested and ids:
            ids.append(
                world.append_message(
                    group, comment, sender=user, reply_to=ids[-1], reply_to_top=copy_id
                )
            )
        else:
            ids.append(world.append_message(group, comment, sender=user, reply_to=copy_id))
    return Thread(post_id=post_id, copy_id=copy_id, comment_ids=ids)


def add_comment(world: World, channel: ChatRef, thread: Thread, user: str, text: str) -> int:
    """A later comment under ``thread``: the post's ``replies`` count goes up too."""
    chat = world.chat(channel)
    assert chat.linked is not None
    group = world.chat(chat.linked)
    comment = world.append_message(group, text, sender=user, reply_to=thread.copy_id)
    post = chat.custom[_number(world, chat, thread.post_id)]
    post["replies"] = types.MessageReplies(
        replies=post["replies"].replies + 1,
        replies_pts=group.pts,
        comments=True,
        channel_id=group.id,
    )
    # No pts event for the post: a reply counter is not a logged change on Telegram.
    return comment


def set_views(world: World, channel: ChatRef, post_id: int, views: int) -> None:
    """Change the view count of a hand-written channel post (as time does to real ones)."""
    chat = world.chat(channel)
    # Views are not pts events (updateChannelMessageViews carries no pts).
    chat.custom[_number(world, chat, post_id)]["views"] = views


def _number(world: World, chat: ChatRecord, message_id: int) -> int:
    n = chat.n_of(message_id)
    if n is None or n not in chat.custom:
        raise KeyError(f"{chat.key!r} has no hand-written message {message_id}")
    return n
