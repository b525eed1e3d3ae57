"""Reads, pins, link previews and folder moves: pts events of their box (``box_events.py``),
read through a real Telethon client."""

from __future__ import annotations

from telethon import types

from tests.fake_telegram import FakeTelegram
from tests.fake_telegram.box_events import (
    move_to_folder,
    pin_messages,
    read_contents,
    read_history,
    update_web_page,
)
from tests.fake_telegram.test_updates import call, channel_diff, diff, small_world


def test_reads_pins_web_pages_and_folder_moves_use_pts_and_come_in_the_difference() -> None:
    """Every update with ``pts_count`` in the TL schema is an event of its box."""
    world = small_world()
    fake = FakeTelegram(world)
    news, alice, team = world.chat("news"), world.message_ids("alice"), world.message_ids("team")
    account, channel = world.account_pts, news.pts
    read_history(world, "alice")
    read_history(world, "team", team[-2], outbox=True)
    read_contents(world, "alice", [alice[1]])
    pin_messages(world, "team", [team[3]])
    pin_messages(world, "team", [team[3]], pinned=False)
    update_web_page(world, "alice", alice[2])
    move_to_folder(world, "news", 1)  # the dialog list is the account's, even for a channel
    pin_messages(world, "news", [5, 6])
    update_web_page(world, "news", 7)
    read_history(world, "news")  # updateReadChannelInbox has no pts_count
    read_contents(world, "news", [8])  # nor updateChannelReadMessagesContents
    assert (world.account_pts, news.pts) == (account + 7, channel + 2)
    assert news.archived
    (difference,) = call(fake, diff(account))
    assert isinstance(difference, types.updates.Difference)
    assert difference.new_messages == []
    updates = difference.other_updates
    assert [type(u).__name__ for u in updates] == [
        "UpdateReadHistoryInbox", "UpdateReadHistoryOutbox", "UpdateReadMessagesContents",
        "UpdatePinnedMessages", "UpdatePinnedMessages", "UpdateWebPage", "UpdateFolderPeers",
    ]  # fmt: skip
    assert [(u.pts, u.pts_count) for u in updates] == [(account + i, 1) for i in range(1, 8)]
    inbox, outbox, contents, pin, unpin, page, folder = updates
    assert (inbox.peer, inbox.max_id, inbox.still_unread_count) == (
        types.PeerUser(world.chat("alice").id),
        alice[-1],
        0,
    )
    assert (outbox.peer, outbox.max_id) == (types.PeerChat(world.chat("team").id), team[-2])
    assert contents.messages == [alice[1]]
    assert (pin.messages, pin.pinned, unpin.pinned) == ([team[3]], True, False)
    assert page.webpage.url.endswith(f"/alice/{world.chat('alice').n_of(alice[2])}")
    assert [(p.peer, p.folder_id) for p in folder.folder_peers] == [(types.PeerChannel(news.id), 1)]
    assert news.id in {c.id for c in difference.chats}, "the peers the updates name"
    (channel_page,) = call(fake, channel_diff(world, "news", channel))
    assert isinstance(channel_page, types.updates.ChannelDifference)
    pins, web = channel_page.other_updates
    assert isinstance(pins, types.UpdatePinnedChannelMessages)
    assert (pins.channel_id, pins.messages, pins.pts) == (news.id, [5, 6], channel + 1)
    assert isinstance(web, types.UpdateChannelWebPage)
    assert (web.channel_id, web.pts, channel_page.pts) == (news.id, channel + 2, channel + 2)


def test_such_events_make_a_difference_too_long_or_sliced_sooner() -> None:
    world = small_world()
    fake = FakeTelegram(world)
    news = world.chat("news")
    start, account = news.pts, world.account_pts
    world.append_messages("news", 60)
    for message_id in range(1, 41):
        pin_messages(world, "news", [message_id])
    (within,) = call(fake, channel_diff(world, "news", start))
    assert isinstance(within, types.updates.ChannelDifference), "100 events: still readable"
    update_web_page(world, "news", 3)
    (too_long,) = call(fake, channel_diff(world, "news", start))
    assert isinstance(too_long, types.updates.ChannelDifferenceTooLong), "60 messages, 41 more"
    world.append_messages("alice", 2)
    for _ in range(99):
        read_history(world, "alice")
    (sliced,) = call(fake, diff(account))
    assert isinstance(sliced, types.updates.DifferenceSlice), "2 messages and 99 reads"
    assert sliced.intermediate_state.pts == account + 100
