"""Changes to a chat between runs, as Telegram records them: renames, new members, upgrades.

Each change leaves the traces a client sees on Telegram, so a tap that watches only
those traces (the dialog's newest message, member counts, ``Chat.migrated_to``) is
tested against what Telegram really shows:

* :func:`rename_chat`: the title changes and a ``messageActionChatEditTitle`` service
  message is posted, so the dialog's ``top_message`` moves;
* :func:`add_member`: the member joins; ``announce`` posts ``messageActionChatAddUser``
  (large groups may hide these: ``announce=False`` leaves only the member list and
  the count changed);
* :func:`migrate_chat`: a basic group is upgraded to a supergroup: the group gets
  ``messageActionChatMigrateTo`` as its last message and becomes ``deactivated`` with
  ``migrated_to``; the new supergroup starts at id 1 with
  ``messageActionChannelMigrateFrom`` and its full info names the old group
  (``migrated_from_chat_id``, ``migrated_from_max_id``) (core.telegram.org/api/channel).
"""

from __future__ import annotations

from telethon.tl import types

from tests.fake_telegram.records import ChatRecord
from tests.fake_telegram.world import ChatRef, World


def rename_chat(world: World, ref: ChatRef, title: str, *, by: str | None = None) -> int:
    """Rename a group or channel; returns the id of the service message that says so."""
    chat = world.chat(ref)
    if chat.kind == "private":
        raise ValueError("a private chat has no title of its own: rename the user")
    chat.title = title
    sender = None if chat.is_broadcast else by
    return world.append_message(
        chat, action=types.MessageActionChatEditTitle(title=title), sender=sender
    )


def add_member(world: World, ref: ChatRef, user: str, *, announce: bool = True) -> int | None:
    """A user joins a group; returns the id of the join message (``None``: not announced)."""
    chat = world.chat(ref)
    if chat.kind == "private" or chat.is_broadcast:
        raise ValueError("only groups, supergroups and forums list their members")
    if user in chat.members:
        raise ValueError(f"{user!r} is already a member of {chat.key!r}")
    chat.members.append(user)
    world.epoch += 1
    if not announce:
        return None
    action = types.MessageActionChatAddUser(users=[world.users[user].id])
    return world.append_message(chat, action=action, sender=user)


def migrate_chat(world: World, ref: ChatRef, key: str) -> ChatRecord:
    """Upgrade basic group ``ref`` to a new supergroup ``key`` (same title and members)."""
    group = world.chat(ref)
    if group.kind != "group" or group.migrated_to is not None:
        raise ValueError(f"{group.key!r} is not a basic group that can still be upgraded")
    supergroup = world.add_chat(
        key, "supergroup", title=group.title, about=group.about, members=list(group.members)
    )
    world.append_message(
        supergroup,
        action=types.MessageActionChannelMigrateFrom(title=group.title, chat_id=group.id),
    )
    world.append_message(group, action=types.MessageActionChatMigrateTo(channel_id=supergroup.id))
    group.migrated_to = key
    world.epoch += 1
    return supergroup


def predecessor(world: World, chat: ChatRecord) -> ChatRecord | None:
    """The basic group a supergroup was upgraded from, if any."""
    return next((c for c in world.chats.values() if c.migrated_to == chat.key), None)
