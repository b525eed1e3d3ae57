"""An in-memory, deterministic Telegram for tests: real Telethon clients, fake network.

Quick start::

    from tests.fake_telegram import FakeTelegram, three_chats_world

    fake = FakeTelegram(three_chats_world())
    client = fake.client()  # a real TelegramClient with the fake sender installed
    await client.connect()

    class FakeTap(TapTelegram):
        client_factory = staticmethod(fake.client_factory)

See ``tests/fake_telegram/README.md`` for the world model, faults and the JSON spec.
"""

from tests.fake_telegram.clients import connected
from tests.fake_telegram.fake import API_HASH, API_ID, FakeTelegram
from tests.fake_telegram.faults import FakeRpcError, Fault, RateLimit, SimulatedCrash, Stats
from tests.fake_telegram.harness import TapRun, run_fake_tap, run_in_process
from tests.fake_telegram.records import ChatRecord, TopicRecord, UserRecord
from tests.fake_telegram.spec import (
    dump_spec,
    fake_from_spec,
    fake_to_spec,
    load_spec,
    world_from_spec,
    world_to_spec,
)
from tests.fake_telegram.updatelog import UpdateLogSettings
from tests.fake_telegram.world import World
from tests.fake_telegram.worlds import (
    big_world,
    dialogs_world,
    make_world,
    three_chats_spec,
    three_chats_world,
    variety_world,
)

__all__ = [
    "API_HASH",
    "API_ID",
    "ChatRecord",
    "FakeRpcError",
    "FakeTelegram",
    "Fault",
    "RateLimit",
    "SimulatedCrash",
    "Stats",
    "TapRun",
    "TopicRecord",
    "UpdateLogSettings",
    "UserRecord",
    "World",
    "big_world",
    "connected",
    "dialogs_world",
    "dump_spec",
    "fake_from_spec",
    "fake_to_spec",
    "load_spec",
    "make_world",
    "run_fake_tap",
    "run_in_process",
    "three_chats_spec",
    "three_chats_world",
    "variety_world",
    "world_from_spec",
    "world_to_spec",
]
