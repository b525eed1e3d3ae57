"""Marked ids without Telethon agree with Telethon's, edge ids included."""

from __future__ import annotations

import pytest
from telethon import utils
from telethon.tl import types

from tap_telegram.records.ids import marked_id, split_marked_id
from tap_telegram.sources.mtproto.mapping.messages import peer_id, peer_type

#: Bare ids at the edges Telegram uses: the smallest, 32-bit limits, the largest
#: chat/channel id Telethon treats as bare (10 digits), 64-bit-era user ids.
EDGE_IDS = (1, 7, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 1234567890, 9_999_999_999)
USER_IDS = (*EDGE_IDS, 10**10, 2**40, 2**52 + 1)

CASES = [
    *(("user", bare, types.PeerUser(bare)) for bare in USER_IDS),
    *(("chat", bare, types.PeerChat(bare)) for bare in EDGE_IDS),
    *(("channel", bare, types.PeerChannel(bare)) for bare in EDGE_IDS),
]


@pytest.mark.parametrize(("kind", "bare", "peer"), CASES, ids=str)
def test_marked_id_agrees_with_telethon(kind, bare, peer):
    expected = utils.get_peer_id(peer)
    assert marked_id(kind, bare) == expected
    assert split_marked_id(expected) == (kind, bare)
    resolved, peer_class = utils.resolve_id(expected)
    assert (resolved, peer_class) == (bare, type(peer))


@pytest.mark.parametrize(
    ("kind", "entity"),
    [
        ("user", types.User(id=2**40, access_hash=1)),
        (
            "chat",
            types.Chat(
                id=9_999_999_999, title="g", photo=None, participants_count=1, date=None, version=1
            ),
        ),
        ("channel", types.Channel(id=1, title="c", photo=None, date=None, access_hash=1)),
    ],
)
def test_entities_too(kind, entity):
    assert marked_id(kind, entity.id) == utils.get_peer_id(entity)


@pytest.mark.parametrize(
    "peer",
    [
        types.PeerUser(2**40),
        types.PeerChat(9_999_999_999),
        types.PeerChannel(1),
        types.UserEmpty(id=5),
        types.ChatForbidden(id=6, title="gone"),
        types.ChatEmpty(id=7),
        types.ChannelForbidden(id=8, access_hash=1, title="gone"),
        types.InputPeerChannel(channel_id=9, access_hash=1),
    ],
    ids=lambda peer: type(peer).__name__,
)
def test_the_mtproto_mapper_maps_every_peer_like_telethon(peer):
    assert peer_id(peer) == utils.get_peer_id(peer)
    if not type(peer).__name__.startswith("Input"):
        assert peer_type(peer) == split_marked_id(peer_id(peer))[0]


@pytest.mark.parametrize("marked", [0, 1, -1, -(10**12) + 1, -(10**12), -(10**12) - 1])
def test_split_agrees_with_telethon_at_the_channel_boundary(marked):
    bare, peer_class = utils.resolve_id(marked)
    kind = {types.PeerUser: "user", types.PeerChat: "chat", types.PeerChannel: "channel"}
    assert split_marked_id(marked) == (kind[peer_class], bare)


def test_known_values_and_unknown_kind():
    assert marked_id("channel", 1234567890) == -1001234567890
    assert marked_id("chat", 5) == -5
    assert split_marked_id(-1000000000001) == ("channel", 1)
    assert split_marked_id(-999999999999) == ("chat", 999999999999)
    with pytest.raises(ValueError, match="user, chat or channel"):
        marked_id("group", 5)
