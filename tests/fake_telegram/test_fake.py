"""The fake Telegram, driven through real Telethon clients (no tap involved)."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Any

import pytest
from telethon import TelegramClient, errors, functions, types, utils
from telethon.sessions import StringSession

from tests.fake_telegram import (
    API_HASH,
    API_ID,
    FakeTelegram,
    SimulatedCrash,
    World,
    make_world,
    three_chats_world,
    variety_world,
)
from tests.fake_telegram.clients import connected, run
from tests.fake_telegram.sessions import status_of

UTC = dt.timezone.utc


def ids_of(messages: list[Any]) -> list[int]:
    return [m.id for m in messages]


@pytest.fixture(scope="module")
def variety() -> World:
    return variety_world(seed=5)


# -- connection, sessions ------------------------------------------------------------------


def test_connect_and_get_me() -> None:
    fake = FakeTelegram(three_chats_world())

    async def go() -> None:
        async with connected(fake) as client:
            me = await client.get_me()
            assert me.is_self
            assert me.id == fake.world.self_user.id
            assert await client.is_user_authorized()
            assert client.is_connected()

    run(go())
    assert fake.stats.wrappers["InvokeWithLayerRequest"] == 1
    assert fake.stats.wrappers["InitConnectionRequest"] == 1
    assert fake.stats.requests["GetConfigRequest"] == 1
    # The tap's client sends no update request of its own (wire/client.py, HistoryClient).
    assert fake.stats.requests["GetStateRequest"] == 0
    assert fake.stats.requests["GetDifferenceRequest"] == 0
    assert fake.stats.connects == 1


def test_session_strings_and_statuses() -> None:
    fake = FakeTelegram(three_chats_world())
    session = StringSession(fake.session_string())
    assert (session.dc_id, session.server_address, session.port) == (2, "127.0.0.1", 443)
    assert status_of(fake.world.seed, session.auth_key.key) == "ok"
    assert status_of(fake.world.seed + 1, session.auth_key.key) == "unauthorized"

    async def go() -> None:
        for status in ("revoked", "unauthorized"):
            async with connected(fake, status) as client:
                assert await client.get_me() is None
                assert not await client.is_user_authorized()
                with pytest.raises(errors.AuthKeyUnregisteredError):
                    await client(functions.users.GetUsersRequest([types.InputUserSelf()]))
        client = fake.client("duplicated")
        with pytest.raises(errors.AuthKeyDuplicatedError):
            await client.connect()  # Telethon's connect() calls get_me()
        await client.disconnect()
        async with connected(fake, "bot") as client:
            assert (await client.get_me()).bot
            with pytest.raises(errors.BotMethodInvalidError):
                await client.get_messages("fake_news", limit=1)
        fresh = fake.install(
            TelegramClient(StringSession(), API_ID, API_HASH, receive_updates=False)
        )
        await fresh.connect()
        assert not await fresh.is_user_authorized()
        assert fresh.session.auth_key is not None
        await fresh.disconnect()
        # The fake knows its app: another api_id is refused on the first request.
        other = fake.install(TelegramClient(StringSession(), 1, "x", receive_updates=False))
        with pytest.raises(errors.ApiIdInvalidError):
            await other.connect()
        await other.disconnect()

    run(go())


# -- dialogs and entities ------------------------------------------------------------------


def test_iter_dialogs(variety: World) -> None:
    fake = FakeTelegram(variety)

    async def go() -> list[Any]:
        async with connected(fake) as client:
            return [d async for d in client.iter_dialogs()]

    dialogs = run(go())
    expected = {variety.marked_id(c) for c in variety.chats.values() if c.member}
    assert {d.id for d in dialogs} == expected
    kicked = next(d for d in dialogs if d.id == variety.marked_id("kicked"))
    assert isinstance(kicked.entity, types.ChatForbidden)
    dates = [d.date for d in dialogs]
    assert dates == sorted(dates, reverse=True)
    news = next(d for d in dialogs if d.id == variety.marked_id("news"))
    assert news.message.id == variety.last_id("news")


def test_dialogs_paging() -> None:
    chats = [{"key": f"c{i}", "kind": "channel", "messages": 1 + i % 3} for i in range(130)]
    world = make_world(seed=2, chats=chats)
    fake = FakeTelegram(world)

    async def go() -> list[int]:
        async with connected(fake) as client:
            return [d.id async for d in client.iter_dialogs()]

    ids = run(go())
    assert sorted(ids) == sorted(world.marked_id(c) for c in world.chats)
    assert fake.stats.requests["GetDialogsRequest"] == 2


def test_get_entity(variety: World) -> None:
    fake = FakeTelegram(variety)

    async def go() -> None:
        async with connected(fake) as client:
            news = await client.get_entity("@fake_newsroom")
            assert utils.get_peer_id(news) == variety.marked_id("news")
            alice = await client.get_entity("alice_fake")
            assert alice.premium
            assert alice.username == "alice_fake"
            with pytest.raises(ValueError, match="No user has"):
                await client.get_entity("nobody_here_x")
            with pytest.raises(errors.UsernameNotOccupiedError):
                await client(functions.contacts.ResolveUsernameRequest("nobody_here_x"))
            with pytest.raises(ValueError, match="Could not find the input entity"):
                await client.get_entity(variety.marked_id("forum"))  # no access hash yet
            await client.get_dialogs()
            forum = await client.get_entity(variety.marked_id("forum"))
            assert forum.forum
            assert forum.megagroup
            group = await client.get_entity(variety.marked_id("family"))
            assert isinstance(group, types.Chat)

    run(go())


def test_access_hash_checks(variety: World) -> None:
    fake = FakeTelegram(variety)
    news = variety.chat("news")
    alice = variety.user("alice")

    async def go() -> None:
        async with connected(fake) as client:
            bad_channel = types.InputChannel(news.id, news.access_hash + 1)
            with pytest.raises(errors.ChannelInvalidError):
                await client(functions.channels.GetChannelsRequest([bad_channel]))
            bad_user = types.InputPeerUser(alice.id, alice.access_hash + 1)
            with pytest.raises(errors.PeerIdInvalidError):
                await client.get_messages(bad_user, limit=1)
            with pytest.raises(errors.UserIdInvalidError):
                await client(functions.users.GetFullUserRequest(types.InputUser(alice.id, 1)))
            users = await client(functions.users.GetUsersRequest([types.InputUser(alice.id, 1)]))
            assert users == []
            secret = variety.chat("secret")
            hidden = types.InputPeerChannel(secret.id, secret.access_hash)
            with pytest.raises(errors.ChannelPrivateError):
                await client.get_messages(hidden, limit=1)
            outside = await client.get_entity("fake_outside")  # public, not joined: readable
            assert outside.left
            assert len(await client.get_messages(outside, limit=5)) == 5

    run(go())


# -- history -----------------------------------------------------------------------------


def reference_window(world: World, key: str, **params: Any) -> list[int]:
    """getHistory semantics on a materialized list: the spec the fake must match."""
    chat = world.chat(key)
    newest_first = [(i, world.message_date(chat, i)) for i in reversed(world.message_ids(chat))]
    offset_id, offset_date = params.get("offset_id", 0), params.get("offset_date")
    if offset_id:
        position = next((k for k, (i, _) in enumerate(newest_first) if i < offset_id), None)
    elif offset_date:
        position = next((k for k, (_, d) in enumerate(newest_first) if d < offset_date), None)
    else:
        position = 0
    position = len(newest_first) if position is None else position
    start = position + params.get("add_offset", 0)
    end = start + min(params.get("limit", 100), 100)
    window = [i for i, _ in newest_first[max(start, 0) : max(end, 0)]]
    min_id, max_id = params.get("min_id", 0), params.get("max_id", 0)
    return [i for i in window if (not min_id or i > min_id) and (not max_id or i < max_id)]


@pytest.mark.parametrize("key", ["comments", "family", "alice"])
def test_get_history_matches_reference(variety: World, key: str) -> None:
    fake = FakeTelegram(variety)
    ids = variety.message_ids(key)
    picks = [0, ids[0], ids[7], ids[len(ids) // 2], ids[-1], ids[-1] + 1000]
    dates = [None, variety.message_date(key, ids[30]), variety.message_date(key, ids[-3])]
    cases = [
        {"offset_id": o, "add_offset": a, "limit": lim, "min_id": mn, "max_id": mx}
        for o in picks
        for a in (0, -5, -100, 3)
        for lim in (1, 20, 100, 150)
        for mn, mx in ((0, 0), (ids[5], 0), (0, ids[40]), (ids[10], ids[60]))
    ] + [{"offset_date": d, "add_offset": a, "limit": 30} for d in dates for a in (0, -30, 10)]

    async def go() -> None:
        async with connected(fake) as client:
            await client.get_dialogs()
            peer = await client.get_input_entity(variety.marked_id(key))
            for params in cases:
                request = functions.messages.GetHistoryRequest(
                    peer=peer,
                    offset_id=params.get("offset_id", 0),
                    offset_date=params.get("offset_date"),
                    add_offset=params.get("add_offset", 0),
                    limit=params["limit"],
                    max_id=params.get("max_id", 0),
                    min_id=params.get("min_id", 0),
                    hash=0,
                )
                response = await client(request)
                assert ids_of(response.messages) == reference_window(variety, key, **params), params
                assert getattr(response, "count", len(ids)) == len(ids)

    run(go())


@pytest.mark.parametrize("key", ["comments", "family", "forum"])
def test_iter_messages_against_ground_truth(variety: World, key: str) -> None:
    fake = FakeTelegram(variety)
    ids = variety.message_ids(key)
    mid_date = variety.message_date(key, ids[len(ids) // 2])

    async def go() -> None:
        async with connected(fake) as client:
            await client.get_dialogs()
            chat = variety.marked_id(key)

            async def collect(**kwargs: Any) -> list[int]:
                return [m.id async for m in client.iter_messages(chat, wait_time=0, **kwargs)]

            assert await collect() == ids[::-1]
            assert await collect(reverse=True) == ids
            for bookmark in (0, ids[0], ids[99], ids[-2], ids[-1]):
                assert await collect(reverse=True, min_id=bookmark) == [
                    i for i in ids if i > bookmark
                ]
            assert await collect(min_id=ids[150]) == [i for i in ids if i > ids[150]][::-1]
            assert await collect(max_id=ids[42]) == [i for i in ids if i < ids[42]][::-1]
            assert await collect(limit=7) == ids[::-1][:7]
            assert await collect(limit=130, reverse=True) == ids[:130]
            older = [i for i in ids if variety.message_date(key, i) < mid_date]
            assert await collect(offset_date=mid_date) == older[::-1]
            assert await collect(offset_date=mid_date, reverse=True) == [
                i for i in ids if i not in set(older)
            ]

    run(go())


def test_channel_of_1000_fully_read() -> None:
    world = three_chats_world()
    fake = FakeTelegram(world)

    async def go() -> list[Any]:
        async with connected(fake) as client:
            return [m async for m in client.iter_messages("fake_news", wait_time=0)]

    messages = run(go())
    assert ids_of(messages) == list(range(1000, 0, -1))
    assert fake.stats.history["channel"] == 10
    assert fake.stats.messages_served == 1000
    assert isinstance(messages[-1], types.MessageService)  # "channel created"


def test_response_types(variety: World) -> None:
    fake = FakeTelegram(variety)

    async def go() -> None:
        async with connected(fake) as client:
            await client.get_dialogs()

            def history(key: str, limit: int) -> Any:
                return client(
                    functions.messages.GetHistoryRequest(
                        variety.marked_id(key), 0, None, 0, limit, 0, 0, 0
                    )
                )

            channel = await history("comments", 10)
            assert isinstance(channel, types.messages.ChannelMessages)
            assert channel.count == len(variety.message_ids("comments"))
            assert channel.pts > 0
            assert isinstance(await history("family", 10), types.messages.MessagesSlice)
            assert isinstance(await history("ghost_chat", 10), types.messages.Messages)
            forum = await history("forum", 100)
            assert {t.id for t in forum.topics} >= {1, 2}
            family = await history("family", 100)
            senders = {m.from_id.user_id for m in family.messages if m.from_id}
            assert senders <= {u.id for u in family.users}

    run(go())


# -- faults ------------------------------------------------------------------------------


def test_flood_wait_reaches_caller() -> None:
    fake = FakeTelegram(three_chats_world())
    fake.add_fault("GetHistoryRequest", "FLOOD_WAIT_3", chat="channel")

    async def go() -> None:
        async with connected(fake) as client:
            assert client.flood_sleep_threshold == 0  # the tap's build_client policy
            with pytest.raises(errors.FloodWaitError) as caught:
                await client.get_messages("fake_news", limit=10)
            assert caught.value.seconds == 3
            assert len(await client.get_messages("fake_devs", limit=10)) == 10

    run(go())
    assert fake.stats.errors["FLOOD_WAIT_3"] == 1


def test_fault_nth_times_and_chat() -> None:
    fake = FakeTelegram(three_chats_world())
    fault = fake.add_fault("messages.GetHistory", "CHANNEL_PRIVATE", chat="@fake_news", nth=2,
                           times=2)  # fmt: skip

    async def go() -> list[str]:
        outcomes = []
        async with connected(fake) as client:
            for _ in range(5):
                try:
                    await client.get_messages("fake_news", limit=1)
                    outcomes.append("ok")
                except errors.ChannelPrivateError:
                    outcomes.append("private")
            await client.get_messages("fake_devs", limit=1)
        return outcomes

    assert run(go()) == ["ok", "private", "private", "ok", "ok"]
    assert (fault.seen, fault.fired) == (5, 2)


def test_server_error_is_retried_by_telethon() -> None:
    fake = FakeTelegram(three_chats_world())
    fake.add_fault("GetHistoryRequest", "INTERNAL", code=500)

    async def go() -> list[Any]:
        async with connected(fake) as client:
            return list(await client.get_messages("fake_news", limit=3))

    assert ids_of(run(go())) == [1000, 999, 998]  # Telethon slept 2 s and retried
    assert fake.stats.requests["GetHistoryRequest"] == 2
    assert fake.stats.errors["INTERNAL"] == 1


def test_dropped_connection_and_reconnect() -> None:
    fake = FakeTelegram(three_chats_world())
    fake.add_fault("GetHistoryRequest", kind="disconnect")

    async def go() -> None:
        async with connected(fake) as client:
            with pytest.raises(ConnectionError):
                await client.get_messages("fake_news", limit=1)
            assert not client.is_connected()
            with pytest.raises(ConnectionError):
                await client.get_messages("fake_news", limit=1)
            await client.connect()
            assert ids_of(await client.get_messages("fake_news", limit=1)) == [1000]

    run(go())
    assert (fake.stats.connects, fake.stats.disconnects) == (2, 1)


def test_dropped_connection_stays_down_for_an_outage() -> None:
    fake = FakeTelegram(three_chats_world())
    fault = fake.add_fault("GetHistoryRequest", kind="disconnect", outage_connects=2)

    async def go() -> None:
        async with connected(fake) as client:
            with pytest.raises(ConnectionError):
                await client.get_messages("fake_news", limit=1)
            for _ in range(2):
                with pytest.raises(ConnectionError):
                    await client.connect()
            await client.connect()
            assert ids_of(await client.get_messages("fake_news", limit=1)) == [1000]

    run(go())
    assert fake.stats.errors["CONNECT_FAILED"] == 2
    assert fault.to_dict()["outage_connects"] == 2


def test_outage_for_seconds_and_forever() -> None:
    from tests.fake_telegram.faults import Fault, Outage

    timed = Outage.after(Fault(kind="disconnect", outage_seconds=5.0), now=100.0)
    assert timed.refuses(now=104.0)
    assert not timed.refuses(now=105.0)
    forever = Outage.after(Fault(kind="disconnect", outage_connects=None), now=0.0)
    assert all(forever.refuses(now=t) for t in (0.0, 1e6))
    assert Fault(kind="disconnect", outage_connects=None).to_dict()["outage_connects"] is None


def test_unknown_type_answer() -> None:
    from telethon.errors import TypeNotFoundError

    fake = FakeTelegram(three_chats_world())
    fake.add_fault("GetHistoryRequest", kind="unknown_type")

    async def go() -> None:
        async with connected(fake) as client:
            with pytest.raises(TypeNotFoundError):
                await client.get_messages("fake_news", limit=1)
            assert ids_of(await client.get_messages("fake_news", limit=1)) == [1000]

    run(go())


def test_connect_refused() -> None:
    fake = FakeTelegram(three_chats_world())
    fake.add_fault("connect", kind="disconnect")

    async def go() -> None:
        client = fake.client()
        with pytest.raises(ConnectionError):
            await client.connect()
        await client.disconnect()

    run(go())


def test_latency_global_and_per_fault() -> None:
    fake = FakeTelegram(three_chats_world(), latency=0.05)
    slow_once = fake.add_fault("GetHistoryRequest", latency=0.3)

    async def go() -> tuple[float, float]:
        async with connected(fake) as client:
            started = time.perf_counter()
            await client.get_messages("fake_news", limit=1)
            slow = time.perf_counter() - started
            started = time.perf_counter()
            await client.get_messages("fake_news", limit=1)
            return slow, time.perf_counter() - started

    slow, normal = run(go())
    assert slow >= 0.35
    assert normal >= 0.05
    # The fault's latency came once (no upper time bound: a loaded machine is slow).
    assert (slow_once.seen, slow_once.fired) == (2, 1)


def test_rate_limit_answers_remaining_seconds() -> None:
    fake = FakeTelegram(three_chats_world())
    fake.rate_limit(requests=2, window=2.0)

    async def go() -> None:
        async with connected(fake) as client:
            await client.get_messages("fake_news", limit=1)
            await client.get_messages("fake_devs", limit=1)
            with pytest.raises(errors.FloodWaitError) as caught:
                await client.get_messages("fake_news", limit=1)
            assert caught.value.seconds == 2
            await asyncio.sleep(1.1)
            with pytest.raises(errors.FloodWaitError) as caught:
                await client.get_messages("fake_news", limit=1)
            assert caught.value.seconds == 1

    run(go())
    assert fake.stats.flood_waits == 2


def test_unimplemented_request_fails_loudly() -> None:
    fake = FakeTelegram(three_chats_world())

    async def go() -> None:
        async with connected(fake) as client:
            with pytest.raises(NotImplementedError, match="GetAllStickersRequest"):
                await client(functions.messages.GetAllStickersRequest(hash=0))

    run(go())


def test_crash_fault_in_process_raises() -> None:
    fake = FakeTelegram(three_chats_world())
    fake.add_fault("GetHistoryRequest", kind="crash", nth=2)

    async def go() -> None:
        async with connected(fake) as client:
            await client.get_messages("fake_news", limit=1)
            with pytest.raises(SimulatedCrash):
                await client.get_messages("fake_news", limit=1)

    run(go())


# -- other requests ------------------------------------------------------------------------


def test_invites_full_info_topics_takeout(variety: World) -> None:
    variety.expire_invite("expiredHash")
    fake = FakeTelegram(variety)

    async def go() -> None:
        async with connected(fake) as client:
            check = functions.messages.CheckChatInviteRequest
            already = await client(check(variety.chat("family").invite_hash))
            assert isinstance(already, types.ChatInviteAlready)
            invite = await client(check(variety.chat("secret").invite_hash))
            assert isinstance(invite, types.ChatInvite)
            assert invite.broadcast
            with pytest.raises(errors.InviteHashExpiredError):
                await client(check("expiredHash"))
            with pytest.raises(errors.InviteHashInvalidError):
                await client(check("nope"))
            news = await client.get_entity("fake_newsroom")
            full = await client(functions.channels.GetFullChannelRequest(news))
            assert full.full_chat.linked_chat_id == variety.chat("comments").id
            assert full.full_chat.about.startswith("About")
            group = await client(functions.messages.GetFullChatRequest(variety.chat("family").id))
            assert len(group.full_chat.participants.participants) == 7
            alice = await client.get_entity("alice_fake")
            user = await client(functions.users.GetFullUserRequest(alice))
            assert user.full_user.about == "Down the rabbit hole"
            await client.get_dialogs()
            forum = await client.get_input_entity(variety.marked_id("forum"))
            topics = await client(functions.messages.GetForumTopicsRequest(forum, None, 0, 0, 10))
            assert [t.title for t in topics.topics] == ["Off-topic", "Ideas", "Bugs", "General"]
            async with client.takeout(channels=True) as takeout:
                got = await takeout.get_messages("fake_newsroom", limit=5)
                assert len(got) == 5

    run(go())
    assert fake.stats.wrappers["InvokeWithTakeoutRequest"] >= 1
    assert fake.stats.requests["FinishTakeoutSessionRequest"] == 1


def test_jitter_delays_answers_by_a_seeded_draw():
    """``jitter``: answers out of order like over a network, the same on every run."""
    first, second = FakeTelegram(World(3), jitter=0.05), FakeTelegram(World(3), jitter=0.05)
    delays = [first.answer_delay() for _ in range(20)]
    assert delays == [second.answer_delay() for _ in range(20)]
    assert all(0 <= delay <= 0.05 for delay in delays)
    assert len(set(delays)) == 20
    assert FakeTelegram(World(3), latency=0.2).answer_delay() == 0.2
