"""Member lists (sources/mtproto/chats/members.py): Telegram's hash, so unchanged pages cost nothing."""

from __future__ import annotations

from tap_telegram.sources.mtproto.chats.members import member_hash
from tests.fake_telegram.hashing import vector_hash


def test_member_hash_is_telegrams_vector_hash() -> None:
    assert member_hash([]) == 0
    assert member_hash([1]) == 1
    # core.telegram.org/api/offsets: xor-shift 21, 35, 4, then add, in unsigned 64 bits.
    assert member_hash([1, 2]) == (1 << 35) + (1 << 31) + 3
    assert member_hash([2**63]) == -(2**63), "a signed TL long"
    ids = [6_100_000_001 + 7 * i for i in range(200)]
    assert member_hash(ids) == vector_hash(ids), "the fake and the tap agree"
