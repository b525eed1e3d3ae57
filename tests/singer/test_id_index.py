"""The index of delivered ids that attributes private-chat and basic-group deletions."""

from __future__ import annotations

import base64
import json
import random
import zlib

from tap_telegram.sources.mtproto.changes.id_index import (
    CHUNK,
    HORIZON,
    IdIndex,
    pack_ids,
    unpack_ids,
)


def spread_ids(count: int, *, chats: int, seed: int = 7) -> list[int]:
    """Ids one chat gets when the account's ids are spread over ``chats`` active chats."""
    draw = random.Random(seed)
    ids, current = [], 1000
    for _ in range(count):
        current += 1 + int(draw.expovariate(1 / chats))
        ids.append(current)
    return ids


def test_pack_round_trips_and_rejects_anything_else() -> None:
    ids = spread_ids(5000, chats=20)
    assert unpack_ids(pack_ids(ids)) == ids
    assert unpack_ids(pack_ids([])) == []
    truncated = "i1:" + base64.b64encode(zlib.compress(bytes([0x81]))).decode()
    for junk in (None, 12, "v1:abc", "i1:not base64!", "i1:" + "A" * 8, truncated):
        assert unpack_ids(junk) == []


def test_membership_survives_saving_and_only_delivered_ids_are_in() -> None:
    ids = spread_ids(25_000, chats=5)
    index = IdIndex()
    for start in range(0, len(ids), 100):  # a page at a time, as the stream adds them
        index.add(ids[start : start + 100])
    stored = json.loads(json.dumps(index.save()))  # through STATE
    again = IdIndex(stored)
    assert len(stored) == 3  # chunks of CHUNK ids
    assert all(i in again for i in ids[::97])
    missing = set(range(ids[0], ids[-1])) - set(ids)
    assert not any(i in again for i in sorted(missing)[::101])
    assert again.oldest == ids[0]
    assert again.newest == ids[-1]
    again.add(ids[:50])  # already there: nothing changes
    assert again.save() == stored


def test_the_horizon_drops_whole_chunks_from_the_old_end() -> None:
    ids = list(range(1, HORIZON + 2 * CHUNK + 1))
    index = IdIndex()
    index.add(ids)
    assert index.dropped == 2 * CHUNK
    assert 1 not in index
    assert ids[-1] in index
    assert index.oldest == 2 * CHUNK + 1
    assert len(index.save()) == HORIZON // CHUNK


def test_size_in_state_per_million_messages() -> None:
    """The figure in docs/changes.md: STATE bytes per million delivered ids, spread and dense.

    The horizon keeps 200,000 ids a chat, so a million messages are five chats' worth.
    """
    spread = sum(len(c) for c in _chats_of(spread_ids(1_000_000, chats=30)))
    dense = sum(len(c) for c in _chats_of(list(range(1, 1_000_001))))
    assert spread < 1_200_000, spread  # ~1.1 bytes a message with ids spread over 30 chats
    assert dense < 10_000, dense


def _chats_of(ids: list[int]) -> list[str]:
    chunks: list[str] = []
    for start in range(0, len(ids), HORIZON):
        index = IdIndex()
        index.add(ids[start : start + HORIZON])
        chunks += index.save()
    return chunks
