"""Pure decoding of the export's eras: peer ids (mapping/peers.py), dates (mapping/dates.py),
custom emoji ids."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from tap_telegram.sources.export.mapping import peers
from tap_telegram.sources.export.mapping.dates import edit_date, has_offset, local_date
from tap_telegram.sources.export.mapping.messages import map_reactions, map_text
from tap_telegram.sources.export.mapping.parts import MessageShapeError
from tap_telegram.sources.export.mapping.peers import (
    CHAT_SHIFT,
    USER_SHIFT,
    bare_chat_id,
    parse_peer,
    synthetic_chat_id,
)

UTC = dt.timezone.utc
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (345678901, (345678901, "user")),  # Dec 2018 - Sept 2020: a bare user id
        (USER_SHIFT + 345678901, (345678901, "user")),  # Oct 2020 - Apr 2021: typed
        (CHAT_SHIFT + 1098765432, (-1001098765432, "channel")),  # never a basic group
        ("user345678901", (345678901, "user")),
        ("chat5", (-5, "chat")),
        ("channel7", (-1000000000007, "channel")),
    ],
)
def test_parse_peer_of_every_era(value, expected):
    assert parse_peer(value, "from_id") == expected


@pytest.mark.parametrize("value", [0, USER_SHIFT, CHAT_SHIFT + USER_SHIFT, -5, True, 2.0])
def test_parse_peer_refuses_what_no_era_wrote(value):
    with pytest.raises(MessageShapeError, match="'from_id' should look like user123"):
        parse_peer(value, "from_id")


@pytest.mark.parametrize(
    ("export_type", "raw", "typed", "bare"),
    [
        ("personal_chat", USER_SHIFT + 42, True, 42),
        ("private_group", CHAT_SHIFT + 42, True, 42),
        ("public_channel", CHAT_SHIFT + 42, True, 42),
        ("personal_chat", USER_SHIFT + 42, False, USER_SHIFT + 42),  # a modern 64-bit user id
        ("personal_chat", USER_SHIFT + 42, None, USER_SHIFT + 42),  # no evidence: bare
        ("private_supergroup", CHAT_SHIFT + 42, None, 42),  # no bare channel id is this big
        ("private_supergroup", 1187654321, None, 1187654321),
        ("private_supergroup", 1187654321, True, 1187654321),  # not in the typed range
    ],
)
def test_bare_chat_id(export_type, raw, typed, bare):
    assert bare_chat_id(export_type, raw, typed) == bare


def test_synthetic_ids_are_stable_and_distinct():
    one = synthetic_chat_id("personal_chat", "Jonas", 1021, 1)
    assert one == synthetic_chat_id("personal_chat", "Jonas", 1021, 1)
    assert one != synthetic_chat_id("personal_chat", "Jonas", 1021, 2)
    assert one != synthetic_chat_id("private_group", "Jonas", 1021, 1)
    assert -(10**13) < one < -(9 * 10**12)


@pytest.mark.parametrize(
    ("local", "zone", "utc"),
    [
        ("2021-07-01T12:00:00", BERLIN, dt.datetime(2021, 7, 1, 10, tzinfo=UTC)),
        ("2021-01-01T12:00:00", BERLIN, dt.datetime(2021, 1, 1, 11, tzinfo=UTC)),
        # spring forward: 02:30 never happened; shifted forward (= 03:30 summer time)
        ("2021-03-28T02:30:00", BERLIN, dt.datetime(2021, 3, 28, 1, 30, tzinfo=UTC)),
        ("2021-03-14T02:30:00", NEW_YORK, dt.datetime(2021, 3, 14, 7, 30, tzinfo=UTC)),
        # fall back: 02:30 happened twice; the first one (summer time)
        ("2021-10-31T02:30:00", BERLIN, dt.datetime(2021, 10, 31, 0, 30, tzinfo=UTC)),
        ("2021-11-07T01:30:00", NEW_YORK, dt.datetime(2021, 11, 7, 5, 30, tzinfo=UTC)),
        # its own offset or Z: the zone is not used
        ("2021-07-01T12:00:00+05:30", BERLIN, dt.datetime(2021, 7, 1, 6, 30, tzinfo=UTC)),
        ("2021-07-01T12:00:00Z", None, dt.datetime(2021, 7, 1, 12, tzinfo=UTC)),
        ("2021-07-01T12:00:00-03:00", None, dt.datetime(2021, 7, 1, 15, tzinfo=UTC)),
    ],
)
def test_local_dates(local, zone, utc):
    assert local_date(local, "date", zone) == utc
    assert local_date(local, "date", zone).tzinfo is UTC


@pytest.mark.parametrize(
    "value", ["yesterday", "2021-13-01T00:00:00", 1625140800, None, "\uff12\uff10\uff12\uff11"]
)
def test_unreadable_local_dates(value):
    with pytest.raises(MessageShapeError, match="'date' should be a date like"):
        local_date(value, "date", BERLIN)


def test_a_local_date_needs_a_zone():
    with pytest.raises(MessageShapeError, match="set 'export_timezone'"):
        local_date("2021-07-01T12:00:00", "date", None)


def test_has_offset():
    assert not has_offset("2021-07-01T12:00:00")
    assert has_offset("2021-07-01T12:00:00Z")
    assert has_offset("2021-07-01T12:00:00.5+02:00")
    assert has_offset("2021-07-01T12:00:00-03:00")


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"edited": "1970-01-01T01:00:00"}, None),  # before June 2020: never edited
        ({"edited": "1969-12-31T19:00:00"}, None),  # the same, west of Greenwich
        ({}, None),
        ({"edited": "2021-07-01T12:00:00"}, dt.datetime(2021, 7, 1, 10, tzinfo=UTC)),
        (
            {"edited": "2021-07-01T12:00:00", "edited_unixtime": "1625133600"},
            dt.datetime(2021, 7, 1, 10, tzinfo=UTC),
        ),
    ],
)
def test_edit_date(message, expected):
    assert edit_date(message, BERLIN) == expected


@pytest.mark.parametrize(
    ("document_id", "expected"),
    [
        ("5368324170671202286", "5368324170671202286"),  # June-July 2022: the id
        ("stickers/sticker (3).webp", None),  # since: the exported sticker file's path
        ("(unavailable)", None),
        (None, None),  # the file was not exported
    ],
)
def test_custom_emoji_never_carry_a_file_path(document_id, expected):
    part = {"type": "custom_emoji", "text": "🙂"}
    if document_id is not None:
        part["document_id"] = document_id
    _, entities = map_text(["a", part], None)
    assert entities is not None
    assert entities[0]["custom_emoji_id"] == expected
    reaction = {"type": "custom_emoji", "count": 2}
    if document_id is not None:
        reaction["document_id"] = document_id
    reactions = map_reactions([reaction])
    assert reactions is not None
    assert reactions[0]["custom_emoji_id"] == expected


def test_string_peers_parsed_once_give_the_same_answer_and_stay_bounded(monkeypatch):
    """The per-sender cache of parse_peer answers as a fresh parse does, and is capped."""
    monkeypatch.setattr(peers, "STRING_PEERS_KEPT", 3)
    monkeypatch.setattr(peers, "_STRING_PEERS", {})
    for _ in range(2):
        assert peers.parse_peer("user5", "from_id") == (5, "user")
        assert peers.parse_peer("channel7", "from_id") == (-1000000000007, "channel")
        assert peers.parse_peer("chat9", "from_id") == (-9, "chat")
    assert peers.parse_peer("user6", "from_id") == (6, "user")
    assert len(peers._STRING_PEERS) <= 3
    with pytest.raises(MessageShapeError):
        peers.parse_peer("user5x", "from_id")  # a bad one is never kept
    assert "user5x" not in peers._STRING_PEERS
