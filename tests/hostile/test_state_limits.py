"""Issue 27, item 7: a zlib bomb in STATE's ``delivered_ids`` is refused, not inflated.

A chunk inflates to at most ``MAX_PACKED`` bytes (10,000 ids of at most 10 bytes);
one that inflates further ends the run with one line (exit 2). The real tap runs in
this process against the fake Telegram; peak memory is measured with tracemalloc.
"""

from __future__ import annotations

import base64
import tracemalloc
import zlib

import pytest

from tap_telegram.errors import StateError
from tap_telegram.sources.mtproto.changes.id_index import MAX_PACKED, PACK_VERSION, unpack_ids
from tests.fake_telegram import FakeTelegram, World, run_in_process

#: The bomb: 8 MB of zero bytes (8 million "ids") in about 8 KB of STATE.
BOMB_BYTES = 8_000_000


def bomb(size: int = BOMB_BYTES) -> str:
    return PACK_VERSION + base64.b64encode(zlib.compress(bytes(size), 9)).decode("ascii")


def test_a_chunk_is_inflated_no_further_than_its_limit():
    packed = bomb()
    tracemalloc.start()
    try:
        with pytest.raises(StateError, match="inflates to more than 100000 bytes"):
            unpack_ids(packed)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(packed) < 20_000
    assert peak < 4 * MAX_PACKED  # the limit, not the 8 MB (nor 8 million ints)


def test_a_chunk_at_the_limit_is_read():
    assert (
        unpack_ids(PACK_VERSION + base64.b64encode(zlib.compress(bytes(MAX_PACKED))).decode())
        == [0] * MAX_PACKED
    )


def test_a_run_with_a_bomb_in_state_ends_in_one_line():
    world = World(27)
    world.add_generated_users(3)
    world.add_chat("bob", "private", messages=40)
    fake = FakeTelegram(world)
    chat_id = world.marked_id("bob")
    config = fake.tap_config(chats=[str(chat_id)])
    first = run_in_process(fake, config)
    assert first.returncode == 0
    state = first.state
    assert state is not None
    (part,) = state["bookmarks"]["messages"]["partitions"]
    part["delivered_ids"] = [bomb()]
    part["replication_key_value"] = 0  # every message is read again, and indexed
    tracemalloc.start()
    try:
        second = run_in_process(fake, config, state)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert second.returncode == StateError.exit_code == 2
    assert peak < 50_000_000  # not the 8 million ids (hundreds of MB as a list)
