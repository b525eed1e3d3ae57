"""The fake's dialogs, member-list hashes and chat changes, as a real client sees them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from telethon import errors, functions, types, utils

from tests.fake_telegram import (
    FakeTelegram,
    World,
    dialogs_world,
    world_from_spec,
    world_to_spec,
)
from tests.fake_telegram.chat_changes import add_member, migrate_chat, rename_chat
from tests.fake_telegram.clients import connected, run
from tests.fake_telegram.hashing import to_ts, vector_hash
from tests.fake_telegram.records import ChatKind
from tests.fake_telegram.spec import fake_from_spec, fake_to_spec
from tests.fake_telegram.world import DEFAULT_BASE_DATE, DEFAULT_CHAT_SPACING, MAX_TL_DATE
from tests.fake_telegram.worlds import DATE_HEADROOM, chat_spacing


def small_world() -> World:
    world = World(4)
    world.add_generated_users(8)
    world.add_chat("news", "channel", messages=30, username="fake_news")
    world.add_chat("devs", "supergroup", messages=20, pinned=2, unread=3)
    world.add_chat("old", "channel", messages=5, archived=True)
    world.add_chat("top", "group", messages=10, pinned=1)
    world.add_chat("alice", "private", messages=7, archived=True, unread=1)
    return world


def get_dialogs(fake: FakeTelegram, **options: Any) -> Any:
    request = functions.messages.GetDialogsRequest(
        offset_date=options.pop("offset_date", None),
        offset_id=options.pop("offset_id", 0),
        offset_peer=options.pop("offset_peer", types.InputPeerEmpty()),
        limit=options.pop("limit", 100),
        hash=options.pop("hash", 0),
        **options,
    )

    async def go() -> Any:
        async with connected(fake) as client:
            return await client(request)

    return run(go())


def peers_of(world: World, answer: Any) -> list[str]:
    keys = {world.marked_id(c): c.key for c in world.chats.values()}
    return [keys[utils.get_peer_id(d.peer)] for d in answer.dialogs if isinstance(d, types.Dialog)]


def test_vector_hash_is_telegrams_algorithm() -> None:
    assert vector_hash([]) == 0
    assert vector_hash([1]) == 1
    # hash=1: 1 ^ (1 >> 21) = 1; ^ (1 << 35); ^ (>> 4) sets bit 31; + 2.
    assert vector_hash([1, 2]) == (1 << 35) + (1 << 31) + 3
    assert vector_hash([2**63]) == -(2**63)  # a signed TL long


def test_folders_pinned_order_and_dialog_fields() -> None:
    world = small_world()
    fake = FakeTelegram(world)
    everything = get_dialogs(fake)
    assert peers_of(world, everything)[:2] == ["top", "devs"], "pinned first, in pinned order"
    assert set(peers_of(world, everything)) == set(world.chats)
    by_key = dict(zip(peers_of(world, everything), everything.dialogs, strict=True))
    assert by_key["old"].folder_id == 1
    assert by_key["alice"].folder_id == 1
    assert by_key["news"].folder_id is None
    assert by_key["top"].pinned
    assert by_key["news"].top_message == world.last_id("news")
    assert by_key["news"].pts == world.chat("news").pts
    assert by_key["top"].pts is None, "basic groups share the account's update log"
    devs = by_key["devs"]
    assert devs.unread_count == 3
    assert devs.read_inbox_max_id == world.message_ids("devs")[-4]
    main = get_dialogs(fake, folder_id=0)
    assert set(peers_of(world, main)) == {"news", "devs", "top"}
    assert isinstance(main.dialogs[0], types.DialogFolder)
    assert main.dialogs[0].unread_unmuted_messages_count == 1
    archive = get_dialogs(fake, folder_id=1)
    assert set(peers_of(world, archive)) == {"old", "alice"}
    unpinned = get_dialogs(fake, exclude_pinned=True)
    assert set(peers_of(world, unpinned)) == {"news", "old", "alice"}
    with pytest.raises(errors.FolderIdInvalidError):
        get_dialogs(fake, folder_id=7)


def test_paging_by_offset_visits_every_dialog_once() -> None:
    world = World(6, account_stride=256)
    kinds: tuple[ChatKind, ...] = ("channel", "group", "supergroup")
    for index in range(230):
        kind = kinds[index % 3]
        world.add_chat(f"c{index}", kind, messages=index % 4, pinned=index + 1 if index < 3 else 0)
    fake = FakeTelegram(world)

    async def go() -> list[int]:
        async with connected(fake) as client:
            return [d.id async for d in client.iter_dialogs()]

    ids = run(go())
    assert sorted(ids) == sorted(world.marked_id(c) for c in world.chats)
    assert len(ids) == len(set(ids))
    assert ids[:3] == [world.marked_id(f"c{i}") for i in range(3)]


def test_hash_answers_not_modified_until_the_page_changes() -> None:
    world = small_world()
    fake = FakeTelegram(world)
    from tests.fake_telegram.dialogs import listed, page_hash

    current = page_hash(world, listed(world, None))
    answer = get_dialogs(fake, hash=current)
    assert isinstance(answer, types.messages.DialogsNotModified)
    assert answer.count == len(world.chats)
    world.append_messages("old", 1)
    assert isinstance(get_dialogs(fake, hash=current), types.messages.Dialogs)


def test_participants_hash_answers_not_modified() -> None:
    world = small_world()
    fake = FakeTelegram(world)
    devs = world.chat("devs")

    async def page(hash_: int) -> Any:
        async with connected(fake) as client:
            return await client(
                functions.channels.GetParticipantsRequest(
                    types.InputChannel(devs.id, devs.access_hash),
                    types.ChannelParticipantsRecent(),
                    offset=0,
                    limit=200,
                    hash=hash_,
                )
            )

    first = run(page(0))
    ids = [p.user_id for p in first.participants]
    assert isinstance(run(page(vector_hash(ids))), types.channels.ChannelParticipantsNotModified)
    joiner = world.add_user("joiner").key
    assert add_member(world, "devs", joiner, announce=False) is None
    again = run(page(vector_hash(ids)))
    assert isinstance(again, types.channels.ChannelParticipants)
    assert world.users[joiner].id in [p.user_id for p in again.participants]


def test_rename_and_join_leave_service_messages() -> None:
    world = small_world()
    top = world.last_id("devs")
    renamed = rename_chat(world, "devs", "Devs 2", by=world.chat("devs").members[0])
    assert renamed > top
    assert world.chat("devs").title == "Devs 2"
    assert isinstance(world.message("devs", renamed).action, types.MessageActionChatEditTitle)
    user = world.add_user("newbie").key
    joined = add_member(world, "devs", user)
    assert joined is not None
    message = world.message("devs", joined)
    assert message.action.users == [world.users[user].id]
    assert world.last_id("devs") == joined


def test_migrated_basic_group() -> None:
    world = small_world()
    old_top = world.last_id("top")
    supergroup = migrate_chat(world, "top", "top2")
    fake = FakeTelegram(world)
    answer = get_dialogs(fake)
    group = next(
        c for c in answer.chats if isinstance(c, types.Chat) and c.id == world.chat("top").id
    )
    assert group.deactivated
    assert group.migrated_to.channel_id == supergroup.id
    assert group.migrated_to.access_hash == supergroup.access_hash
    moved = world.message("top", world.last_id("top"))
    assert world.last_id("top") > old_top
    assert isinstance(moved.action, types.MessageActionChatMigrateTo)
    assert world.message_ids("top2") == [1]
    first = world.message("top2", 1)
    assert isinstance(first.action, types.MessageActionChannelMigrateFrom)
    assert first.action.chat_id == world.chat("top").id

    async def full() -> Any:
        async with connected(fake) as client:
            return await client(
                functions.channels.GetFullChannelRequest(
                    types.InputChannel(supergroup.id, supergroup.access_hash)
                )
            )

    info = run(full()).full_chat
    assert info.migrated_from_chat_id == world.chat("top").id
    assert info.migrated_from_max_id == world.last_id("top")
    assert world.chat("top2").members == world.chat("top").members


def test_spec_round_trip_keeps_dialog_state_and_clock() -> None:
    world = small_world()
    migrate_chat(world, "top", "top2")
    again = world_from_spec(world_to_spec(world))
    for key in ("devs", "old", "alice", "top"):
        a, b = world.chat(key), again.chat(key)
        assert (a.pinned, a.archived, a.unread, a.migrated_to, a.title) == (
            b.pinned,
            b.archived,
            b.unread,
            b.migrated_to,
            b.title,
        )
    now = dt.datetime(2024, 6, 1, 12, tzinfo=dt.timezone.utc)
    fake = FakeTelegram(world, now=now)
    assert fake_from_spec(fake_to_spec(fake)).now == now
    assert fake.server.now() == now


def test_a_world_of_many_dialogs_stays_within_telegrams_dates() -> None:
    """TL dates are int32: chats a day apart would date 10,000 dialogs past 2038.

    Telethon wraps such a date to 1901, so the dialogs' offsets went nowhere (the tap
    listed 103 of 10,000). Worlds that fit keep a day between chats (their dates, and
    every golden built on them, stay as they were); larger ones space chats closer.
    (Arithmetic only: building 10,000 dialogs takes the bench half a minute.)
    """
    base = to_ts(DEFAULT_BASE_DATE)
    assert chat_spacing(5_000, 30) == chat_spacing(5_000, 1) == DEFAULT_CHAT_SPACING
    for chats, messages in ((10_000, 1), (10_000, 30), (100_000, 30)):
        spacing = chat_spacing(chats, messages)
        assert spacing < DEFAULT_CHAT_SPACING
        newest = base + (chats - 1) * spacing + (messages + 1) * 60
        assert newest + DATE_HEADROOM <= MAX_TL_DATE
    world = World(3, chat_spacing=chat_spacing(10_000, 1))
    world.add_chat("a", "channel", messages=1)
    world.add_chat("b", "channel", messages=1)
    assert world.chat("b").created_ts - world.chat("a").created_ts == world.chat_spacing
    assert world_from_spec(world_to_spec(world)).chat("b").created_ts == world.chat("b").created_ts
    assert "chat_spacing" not in world_to_spec(World(3)), "specs of a day apart unchanged"
    with pytest.raises(ValueError, match="2038"):
        World(1).add_chat("late", "channel", messages=10, interval=10**9)
    with pytest.raises(ValueError, match="2038"):
        world.append_messages("b", 10**9 // 60)


def test_a_stalled_dialogs_page_answers_the_first_page_again() -> None:
    """The ``stall`` fault on getDialogs: the offset is not applied (see stall.py)."""
    world = dialogs_world(250, messages=1)
    fake = FakeTelegram(world)
    first = get_dialogs(fake, exclude_pinned=True)
    fake.add_fault("GetDialogsRequest", kind="stall", times=None)
    last = first.dialogs[-1]
    top = next(m for m in first.messages if m.id == last.top_message)
    again = get_dialogs(
        fake,
        exclude_pinned=True,
        offset_date=top.date,
        offset_id=top.id,
        offset_peer=utils.get_input_peer(
            next(
                e
                for e in [*first.chats, *first.users]
                if utils.get_peer_id(e) == utils.get_peer_id(last.peer)
            )
        ),
    )
    assert [utils.get_peer_id(d.peer) for d in again.dialogs] == [
        utils.get_peer_id(d.peer) for d in first.dialogs
    ]
    assert again.count == 250
