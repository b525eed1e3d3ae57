"""A lost connection, in process and in virtual time: reconnect, re-send, or give up.

The fake drops the connection the way Telethon leaves it once its own reconnect
attempts failed: the requests in flight fail with ``ConnectionError`` and the client
stays disconnected. Time is virtual (an injected clock and sleep): an outage of
minutes takes no time and no wall-clock duration is asserted.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from telethon import functions

from tap_telegram.errors import ConnectionLostError, TapTelegramError
from tap_telegram.sources.mtproto.wire.calls import Caller
from tap_telegram.sources.mtproto.wire.connection import Backoff, Connection, connection_lost
from tests.fake_telegram import FakeTelegram, three_chats_world


class VirtualTime:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture(scope="module")
def world():
    return three_chats_world(seed=16)


def history(entity, after: int = 0, limit: int = 10):
    return functions.messages.GetHistoryRequest(entity, after + 1, None, -limit, limit, 0, 0, 0)


async def with_caller(fake, body, *, max_seconds=90.0, time=None, logger=None):
    """Run ``body(caller, entity)`` against a connected client, always disconnecting."""
    time = time or VirtualTime()
    logger = logger or logging.getLogger("test.connection")
    client = fake.client()
    connection = Connection(
        client, logger, max_seconds=max_seconds, sleep=time.sleep, clock=time.clock
    )
    caller = Caller(client, logger, max_flood_wait=10, connection=connection)
    try:
        await caller.call(client.connect, chat=None, what="connect")
        entity = await client.get_input_entity("@fake_news")
        return await body(caller, entity)
    finally:
        await client.disconnect()


def ids(response):
    return sorted(message.id for message in response.messages)


def test_backoff_fits_the_bound():
    default = Backoff.within(90)
    assert [default.pause(n) for n in range(1, 7)] == [1, 2, 4, 8, 15, 15]
    short = Backoff.within(1)
    assert short.first < 0.1
    assert short.cap <= 0.25
    assert all(short.pause(n) <= short.cap for n in range(1, 50))


def test_a_drop_is_survived_and_the_request_sent_again(world, caplog):
    fake = FakeTelegram(world)
    fake.add_fault("GetHistoryRequest", kind="disconnect", nth=2, outage_connects=3)
    time = VirtualTime()

    async def body(caller, entity):
        first = await caller(history(entity), chat="news")
        second = await caller(history(entity, after=10), chat="news")
        return first, second, caller.connection

    with caplog.at_level(logging.INFO, logger="test.connection"):
        first, second, connection = asyncio.run(with_caller(fake, body, time=time))
    assert ids(first) == list(range(1, 11))
    assert ids(second) == list(range(11, 21))  # the page that was in flight, read again
    assert fake.stats.requests["GetHistoryRequest"] == 3
    assert fake.stats.disconnects == 1
    assert fake.stats.errors["CONNECT_FAILED"] == 3
    assert fake.stats.connects == 2
    assert len(time.sleeps) == 3  # one pause after each refused attempt
    assert time.sleeps == sorted(time.sleeps)  # backing off
    assert (connection.outages, connection.generation) == (1, 1)
    lines = [r.getMessage() for r in caplog.records]
    assert any(
        "lost the connection to Telegram during GetHistoryRequest for chat news" in line
        for line in lines
    ), lines
    assert any(
        "connection to Telegram back after" in line and "4 attempt" in line for line in lines
    )


def test_a_lasting_outage_gives_up_within_the_bound(world):
    fake = FakeTelegram(world)
    fake.add_fault("GetHistoryRequest", kind="disconnect", outage_connects=None)
    time = VirtualTime()
    start = time.now

    async def body(caller, entity):
        with pytest.raises(ConnectionLostError) as caught:
            await caller(history(entity), chat="news")
        # Every later request gives up at once: the run is ending.
        sleeps = len(time.sleeps)
        with pytest.raises(ConnectionLostError):
            await caller(history(entity), chat="other")
        assert len(time.sleeps) == sleeps
        return str(caught.value)

    message = asyncio.run(with_caller(fake, body, max_seconds=60, time=time))
    assert time.now - start == pytest.approx(60)  # virtual seconds, never more than the bound
    assert len(time.sleeps) < 15
    assert message.startswith("lost the connection to Telegram during GetHistoryRequest")
    assert "for chat news" in message
    assert "60 s (max_reconnect_seconds" in message
    assert "progress is saved" in message
    assert "run the tap again to resume" in message
    assert ConnectionLostError(message).exit_code == 3


def test_max_zero_gives_up_at_once(world):
    fake = FakeTelegram(world)
    fake.add_fault("GetHistoryRequest", kind="disconnect", outage_connects=1)
    time = VirtualTime()

    async def body(caller, entity):
        with pytest.raises(ConnectionLostError):
            await caller(history(entity), chat="news")

    asyncio.run(with_caller(fake, body, max_seconds=0, time=time))
    assert time.sleeps == []
    assert fake.stats.errors["CONNECT_FAILED"] == 0  # 0: no reconnecting at all


def test_concurrent_requests_share_one_reconnect(world):
    """Every request in flight fails with the connection; one reconnect serves them all."""
    fake = FakeTelegram(world, latency=0.01)
    fake.add_fault("GetHistoryRequest", kind="disconnect", nth=3, outage_connects=2)

    async def body(caller, entity):
        pages = [history(entity, after=start, limit=10) for start in range(0, 100, 10)]
        return await asyncio.gather(*(caller(page, chat="news") for page in pages))

    answers = asyncio.run(with_caller(fake, body))
    assert [ids(answer) for answer in answers] == [
        list(range(start + 1, start + 11)) for start in range(0, 100, 10)
    ]
    assert fake.stats.connects == 2  # the first connect, then one reconnect for all
    assert fake.stats.errors["CONNECT_FAILED"] == 2


def test_a_drop_while_connecting_is_retried(world):
    fake = FakeTelegram(world)
    fake.add_fault("connect", kind="disconnect", times=2)
    time = VirtualTime()

    async def body(caller, entity):
        return await caller(history(entity), chat="news")

    assert ids(asyncio.run(with_caller(fake, body, time=time))) == list(range(1, 11))
    # The first attempt fails, the retry at once too, then one pause and it works.
    assert len(time.sleeps) == 1
    assert fake.stats.errors["CONNECT_FAILED"] == 2


def test_never_connected_says_cannot_reach(world):
    fake = FakeTelegram(world)
    fake.add_fault("connect", kind="disconnect", times=None)
    time = VirtualTime()

    async def go():
        client = fake.client()
        connection = Connection(
            client, logging.getLogger("t"), max_seconds=5, sleep=time.sleep, clock=time.clock
        )
        caller = Caller(client, logging.getLogger("t"), max_flood_wait=1, connection=connection)
        try:
            with pytest.raises(ConnectionLostError) as caught:
                await caller.call(client.connect, chat=None, what="connect")
            return str(caught.value)
        finally:
            await client.disconnect()

    message = asyncio.run(go())
    assert message.startswith("cannot reach Telegram (ConnectionError")
    assert "check the network and the settings dc_id/server_address/server_port" in message


def test_other_os_errors_are_not_a_lost_connection(world):
    """A full disk is not an outage: only connection errors, or any while disconnected."""

    class Connected:
        def is_connected(self):
            return True

    class Down:
        def is_connected(self):
            return False

    assert connection_lost(ConnectionResetError(), Connected())
    assert connection_lost(asyncio.IncompleteReadError(b"", 4), Connected())
    assert not connection_lost(OSError(28, "No space left on device"), Connected())
    assert connection_lost(OSError(113, "No route to host"), Down())
    assert not connection_lost(ValueError("x"), Down())


def test_unknown_type_is_one_line_about_the_protocol(world):
    fake = FakeTelegram(world)
    fake.add_fault("GetHistoryRequest", kind="unknown_type")

    async def body(caller, entity):
        with pytest.raises(TapTelegramError) as caught:
            await caller(history(entity), chat="news")
        return caught.value

    error = asyncio.run(with_caller(fake, body))
    text = str(error)
    assert "answered GetHistoryRequest with a type telethon" in text
    assert "1badc0de" in text
    assert "update telethon" in text
    assert "server_address" in text
    assert error.exit_code == 1
    assert "\n" not in text
