"""Admin logs of the fake's channels: events as Telegram records them, and test helpers.

A channel or supergroup keeps a log of what its admins (and members joining or
leaving) did, readable only by admins, for 48 hours (core.telegram.org/api/recent-actions;
tdlib's ``getChatEventLog``: "in the last 48 hours", newest first, up to 100 a call).
Here ``chat.admin_log`` holds :class:`~.records.AdminEvent` objects, oldest first, with
ascending ids; :mod:`.handlers_admin` answers ``channels.getAdminLog`` from it, dropping
events older than 48 hours at the server's clock.

The helpers below change the world *and* log the event, as Telegram does: deleting a
message logs it with its content (:func:`delete_with_log`), an edit logs the message
before and after (:func:`edit_with_log`), a ban logs the member before and after
(:func:`ban_with_log`). :func:`sample_actions` builds one action of every kind
Telethon's layer defines, for tests that map them all.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from telethon.tl import types

from tests.fake_telegram.chat_changes import rename_chat
from tests.fake_telegram.hashing import UTC
from tests.fake_telegram.records import AdminEvent, ChatRecord
from tests.fake_telegram.world import ChatRef, World

#: How long Telegram keeps admin-log events (core.telegram.org/api/recent-actions).
RETENTION = dt.timedelta(hours=48)


def add_admin_event(
    world: World,
    ref: ChatRef,
    action: Any,
    *,
    user: str | None = None,
    date: dt.datetime | None = None,
) -> AdminEvent:
    """Log ``action`` in a channel's admin log (by ``user``, default the account).

    ``date`` defaults to now (real clock); dates and ids never go backwards.
    """
    chat = world.chat(ref)
    if not chat.is_channel:
        raise ValueError(f"chat {chat.key!r} is a {chat.kind}: only channels have an admin log")
    when = (date or dt.datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    last = chat.admin_log[-1] if chat.admin_log else None
    if last is not None and when < last.date:
        raise ValueError("admin-log events must be added in date order")
    # Opaque 64-bit ids that ascend with time, like Telegram's.
    event_id = int(when.timestamp()) * 1000
    if last is not None:
        event_id = max(event_id, last.id + 1)
    event = AdminEvent(id=event_id, date=when, user_key=user or world.self_user.key, action=action)
    chat.admin_log.append(event)
    return event


def delete_with_log(
    world: World,
    ref: ChatRef,
    message_id: int,
    *,
    by: str | None = None,
    date: dt.datetime | None = None,
) -> AdminEvent:
    """Delete a message and log it with its content (``DeleteMessage``)."""
    message = world.message(ref, message_id)
    if message is None:
        raise KeyError(f"no message {message_id}")
    world.delete_messages(ref, [message_id])
    action = types.ChannelAdminLogEventActionDeleteMessage(message=message)
    return add_admin_event(world, ref, action, user=by, date=date)


def edit_with_log(
    world: World,
    ref: ChatRef,
    message_id: int,
    text: str,
    *,
    by: str | None = None,
    date: dt.datetime | None = None,
) -> AdminEvent:
    """Edit a message and log it before and after (``EditMessage``)."""
    before = world.message(ref, message_id)
    world.edit_message(ref, message_id, text, date=date)
    after = world.message(ref, message_id)
    action = types.ChannelAdminLogEventActionEditMessage(prev_message=before, new_message=after)
    return add_admin_event(world, ref, action, user=by, date=date)


def ban_with_log(
    world: World,
    ref: ChatRef,
    user: str,
    *,
    by: str | None = None,
    until: dt.datetime | None = None,
    date: dt.datetime | None = None,
) -> AdminEvent:
    """Ban a member from reading (``ParticipantToggleBan``: member before, banned after)."""
    chat = world.chat(ref)
    member = world.user(user)
    admin = world.user(by) if by else world.self_user
    joined = dt.datetime.fromtimestamp(chat.created_ts, UTC)
    before = types.ChannelParticipant(user_id=member.id, date=joined)
    rights = types.ChatBannedRights(
        until_date=until or dt.datetime(2038, 1, 1, tzinfo=UTC), view_messages=True
    )
    after = types.ChannelParticipantBanned(
        peer=types.PeerUser(member.id),
        kicked_by=admin.id,
        date=date or dt.datetime.now(UTC),
        banned_rights=rights,
        left=True,
    )
    if user in chat.members:
        chat.members.remove(user)
    action = types.ChannelAdminLogEventActionParticipantToggleBan(
        prev_participant=before, new_participant=after
    )
    return add_admin_event(world, ref, action, user=by, date=date)


def rename_with_log(
    world: World,
    ref: ChatRef,
    title: str,
    *,
    by: str | None = None,
    date: dt.datetime | None = None,
) -> AdminEvent:
    """Rename a channel (title and service message) and log the title before and after."""
    chat = world.chat(ref)
    before = chat.title
    rename_chat(world, chat, title, by=by)
    action = types.ChannelAdminLogEventActionChangeTitle(prev_value=before, new_value=title)
    return add_admin_event(world, ref, action, user=by, date=date)


def visible_events(chat: ChatRecord, now: dt.datetime) -> list[AdminEvent]:
    """The events Telegram still serves at ``now`` (the last 48 hours), oldest first."""
    horizon = now - RETENTION
    return [event for event in chat.admin_log if event.date >= horizon]


def sample_actions(world: World, ref: ChatRef) -> dict[str, Any]:
    """One ``ChannelAdminLogEventAction*`` of every kind, by class name (for mapping tests).

    Messages are real messages of the chat (ids 1 and 2 must exist); users are members.
    """
    chat = world.chat(ref)
    first, second = world.message(chat, 1), world.message(chat, 2)
    member = world.users[chat.members[0]] if chat.members else world.self_user
    now = dt.datetime(2024, 6, 1, tzinfo=UTC)
    chat_peer = world.peer(chat)
    plain = types.ChannelParticipant(user_id=member.id, date=now)
    admin = types.ChannelParticipantAdmin(
        user_id=member.id,
        promoted_by=world.self_user.id,
        date=now,
        admin_rights=types.ChatAdminRights(delete_messages=True, ban_users=True),
        rank="Mod",
    )
    banned = types.ChannelParticipantBanned(
        peer=types.PeerUser(member.id),
        kicked_by=world.self_user.id,
        date=now,
        banned_rights=types.ChatBannedRights(until_date=now, send_messages=True),
    )
    invite = types.ChatInviteExported(
        link="https://t.me/+fakeInvite", admin_id=world.self_user.id, date=now
    )
    topic = types.ForumTopic(
        id=7, date=now, title="Bugs", icon_color=0x6FB9F0, top_message=2,
        read_inbox_max_id=0, read_outbox_max_id=0, unread_count=0, unread_mentions_count=0,
        unread_reactions_count=0, from_id=types.PeerUser(member.id),
        notify_settings=types.PeerNotifySettings(), peer=chat_peer, unread_poll_votes_count=0,
    )  # fmt: skip
    call = types.InputGroupCall(id=5, access_hash=6)
    stickers = types.InputStickerSetShortName("fake_pack")
    rights = types.ChatBannedRights(until_date=now, send_media=True)
    geo = types.ChannelLocation(geo_point=types.GeoPoint(long=13.4, lat=52.5, access_hash=1),
                                address="Berlin")  # fmt: skip
    a = types
    samples: list[Any] = [
        a.ChannelAdminLogEventActionChangeTitle(prev_value="Old", new_value="New"),
        a.ChannelAdminLogEventActionChangeAbout(prev_value="old about", new_value="new about"),
        a.ChannelAdminLogEventActionChangeUsername(prev_value="old_name", new_value="new_name"),
        a.ChannelAdminLogEventActionChangeUsernames(prev_value=["a1111"], new_value=["b2222"]),
        a.ChannelAdminLogEventActionChangePhoto(
            prev_photo=a.PhotoEmpty(id=1), new_photo=a.PhotoEmpty(id=2)
        ),
        a.ChannelAdminLogEventActionToggleInvites(new_value=True),
        a.ChannelAdminLogEventActionToggleSignatures(new_value=False),
        a.ChannelAdminLogEventActionToggleSignatureProfiles(new_value=True),
        a.ChannelAdminLogEventActionUpdatePinned(message=first),
        a.ChannelAdminLogEventActionEditMessage(prev_message=first, new_message=second),
        a.ChannelAdminLogEventActionDeleteMessage(message=first),
        a.ChannelAdminLogEventActionSendMessage(message=second),
        a.ChannelAdminLogEventActionStopPoll(message=second),
        a.ChannelAdminLogEventActionParticipantJoin(),
        a.ChannelAdminLogEventActionParticipantLeave(),
        a.ChannelAdminLogEventActionParticipantInvite(participant=plain),
        a.ChannelAdminLogEventActionParticipantJoinByInvite(invite=invite, via_chatlist=True),
        a.ChannelAdminLogEventActionParticipantJoinByRequest(
            invite=invite, approved_by=world.self_user.id
        ),
        a.ChannelAdminLogEventActionParticipantToggleBan(
            prev_participant=plain, new_participant=banned
        ),
        a.ChannelAdminLogEventActionParticipantToggleAdmin(
            prev_participant=plain, new_participant=admin
        ),
        a.ChannelAdminLogEventActionParticipantSubExtend(
            prev_participant=plain, new_participant=plain
        ),
        a.ChannelAdminLogEventActionParticipantEditRank(
            user_id=member.id, prev_rank="", new_rank="Mod"
        ),
        a.ChannelAdminLogEventActionParticipantMute(
            participant=a.GroupCallParticipant(peer=a.PeerUser(member.id), date=now, source=1)
        ),
        a.ChannelAdminLogEventActionParticipantUnmute(
            participant=a.GroupCallParticipant(peer=a.PeerUser(member.id), date=now, source=1)
        ),
        a.ChannelAdminLogEventActionParticipantVolume(
            participant=a.GroupCallParticipant(
                peer=a.PeerUser(member.id), date=now, source=1, volume=5000
            )
        ),
        a.ChannelAdminLogEventActionChangeStickerSet(
            prev_stickerset=a.InputStickerSetEmpty(), new_stickerset=stickers
        ),
        a.ChannelAdminLogEventActionChangeEmojiStickerSet(
            prev_stickerset=a.InputStickerSetEmpty(), new_stickerset=stickers
        ),
        a.ChannelAdminLogEventActionTogglePreHistoryHidden(new_value=True),
        a.ChannelAdminLogEventActionDefaultBannedRights(
            prev_banned_rights=a.ChatBannedRights(until_date=now), new_banned_rights=rights
        ),
        a.ChannelAdminLogEventActionChangeLinkedChat(prev_value=0, new_value=chat.id + 13),
        a.ChannelAdminLogEventActionChangeLocation(
            prev_value=a.ChannelLocationEmpty(), new_value=geo
        ),
        a.ChannelAdminLogEventActionToggleSlowMode(prev_value=0, new_value=30),
        a.ChannelAdminLogEventActionStartGroupCall(call=call),
        a.ChannelAdminLogEventActionDiscardGroupCall(call=call),
        a.ChannelAdminLogEventActionToggleGroupCallSetting(join_muted=True),
        a.ChannelAdminLogEventActionExportedInviteDelete(invite=invite),
        a.ChannelAdminLogEventActionExportedInviteRevoke(invite=invite),
        a.ChannelAdminLogEventActionExportedInviteEdit(prev_invite=invite, new_invite=invite),
        a.ChannelAdminLogEventActionChangeHistoryTTL(prev_value=0, new_value=86400),
        a.ChannelAdminLogEventActionToggleNoForwards(new_value=True),
        a.ChannelAdminLogEventActionChangeAvailableReactions(
            prev_value=a.ChatReactionsAll(), new_value=a.ChatReactionsNone()
        ),
        a.ChannelAdminLogEventActionToggleForum(new_value=True),
        a.ChannelAdminLogEventActionCreateTopic(topic=topic),
        a.ChannelAdminLogEventActionEditTopic(prev_topic=topic, new_topic=topic),
        a.ChannelAdminLogEventActionDeleteTopic(topic=topic),
        a.ChannelAdminLogEventActionPinTopic(prev_topic=None, new_topic=topic),
        a.ChannelAdminLogEventActionToggleAntiSpam(new_value=True),
        a.ChannelAdminLogEventActionToggleAutotranslation(new_value=True),
        a.ChannelAdminLogEventActionChangePeerColor(
            prev_value=a.PeerColor(color=1), new_value=a.PeerColor(color=2)
        ),
        a.ChannelAdminLogEventActionChangeProfilePeerColor(
            prev_value=a.PeerColor(color=3), new_value=a.PeerColor(color=4)
        ),
        a.ChannelAdminLogEventActionChangeWallpaper(
            prev_value=a.WallPaperNoFile(id=0), new_value=a.WallPaperNoFile(id=1)
        ),
        a.ChannelAdminLogEventActionChangeEmojiStatus(
            prev_value=a.EmojiStatusEmpty(), new_value=a.EmojiStatus(document_id=99)
        ),
    ]
    return {type(action).__name__: action for action in samples}
