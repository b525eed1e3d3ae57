"""Exports of every Telegram Desktop era load, with the ids and dates MTProto would give.

The fixtures are hand-made, one per era (tests/sources/export/eras/README.md).
"""

from __future__ import annotations

import datetime as dt
import shutil
from contextlib import closing

import pytest

from tap_telegram.errors import ConfigError, ExportFormatError
from tap_telegram.sources.export.mapping.peers import SYNTHETIC_BASE
from tests.sources.export.support import (
    ERAS,
    UTC,
    chats_of,
    load,
    messages,
    source,
    write,
)

BERLIN = {"export_timezone": "Europe/Berlin"}
NO_IDS = ERAS / "2018-account-no-ids.json"
TYPED = ERAS / "2019-account-typed-ids.json"
TYPED_FROM = ERAS / "2020-chat-typed-from-ids.json"
LOCAL = ERAS / "2021-chat-bare-ids-local-dates.json"
MIXED = ERAS / "2022-chat-mixed-dates.json"
MIGRATED = ERAS / "2024-chat-migrated.json"

MIRA, JONAS, LENA = 123456789, 345678901, 456789012
ALLOTMENT = -1001187654321  # the supergroup; its basic group's history has negative ids
NEWS = -1001098765432
SEED_SWAP = -1001311223344
OLD_HISTORY = [-999999942, -999999941, -999999940, -999999939]


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0):
    """A UTC datetime."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def every(path, **config):
    """chat id → its message records (one source, closed)."""
    with closing(source(path, **config)) as src:
        return {chat["id"]: messages(src, chat["id"]) for chat in src.chats()}


@pytest.mark.parametrize("path", [NO_IDS, TYPED, TYPED_FROM, LOCAL, MIXED])
def test_local_dates_without_the_setting_stop_before_any_record(path):
    with pytest.raises(ExportFormatError) as error:
        chats_of(path)
    text = str(error.value)
    assert "\n" not in text
    assert f"export file {path}: chat " in text
    assert "set 'export_timezone' to that computer's time zone" in text


def test_an_unknown_zone_is_a_config_error():
    with pytest.raises(ConfigError, match="'export_timezone': unknown time zone 'Mars/Olympus'"):
        source(LOCAL, export_timezone="Mars/Olympus")


def test_2018_exports_without_ids_get_stable_synthetic_chat_ids():
    chats = chats_of(NO_IDS, **BERLIN)
    assert [(chat["type"], chat["title"]) for chat in chats] == [
        ("user", "Jonas Berg"),
        ("group", "Allotment 7"),
        ("user", "Jonas Berg"),
    ]
    ids = [chat["id"] for chat in chats]
    assert len(set(ids)) == 3  # the two "Jonas Berg" chats stay apart
    assert all(-2 * SYNTHETIC_BASE < chat_id < -SYNTHETIC_BASE for chat_id in ids)
    assert [chat["id"] for chat in chats_of(NO_IDS, **BERLIN)] == ids  # stable across runs
    assert chats_of(NO_IDS, **BERLIN, chats=["0"]) == []  # no chat has a bare id 0


def test_2018_messages_keep_names_without_ids_and_read_local_dates():
    first = next(iter(every(NO_IDS, **BERLIN).values()))
    assert [record["id"] for record in first] == [1021, 1022, 1025]
    assert first[0]["date"] == at(2018, 7, 2, 17, 15, 40)  # 19:15:40 summer time in Berlin
    assert first[0]["edit_date"] is None  # "1970-01-01T01:00:00": never edited
    assert first[1]["edit_date"] == at(2018, 7, 2, 17, 18, 30)
    assert (first[0]["sender_id"], first[0]["sender_name"]) == (None, "Jonas Berg")
    assert first[1]["reply_to_msg_id"] == 1021
    assert (first[1]["text"], first[1]["entities"][0]["type"]) == ("Yes, from 9 🌱", "bold")
    assert first[2]["media_type"] == "photo"
    with closing(source(NO_IDS, **BERLIN)) as src:
        for chat in src.chats():
            messages(src, chat["id"])
        assert src.users.records() == []  # nobody has an id


def test_2019_typed_chat_ids_decode_to_marked_ids():
    chats = chats_of(TYPED, **BERLIN)
    assert [(chat["id"], chat["type"], chat["title"]) for chat in chats] == [
        (MIRA, "user", "Mira Holt"),  # saved messages: 1<<32 | 123456789
        (JONAS, "user", "Jonas Berg"),
        (ALLOTMENT, "supergroup", "Allotment 7"),  # 2<<32 | 1187654321
        (NEWS, "channel", "Kleingarten News"),  # same shift: the type tells a channel
    ]


def test_2019_bare_integer_senders_are_users():
    records = every(TYPED, **BERLIN)
    assert {(r["sender_id"], r["sender_type"]) for r in records[JONAS]} == {
        (JONAS, "user"),
        (MIRA, "user"),
    }
    actor = records[ALLOTMENT][0]
    assert (actor["sender_id"], actor["action"]["type"]) == (MIRA, "chat_create")
    assert records[NEWS][1]["sender_id"] is None  # a channel post has no sender


def test_2019_migrated_history_comes_first_with_its_negative_ids():
    records = every(TYPED, **BERLIN)[ALLOTMENT]
    assert [r["id"] for r in records] == [*OLD_HISTORY, 1, 2, 3, 4, 5]
    by_id = {r["id"]: r for r in records}
    assert by_id[-999999940]["reply_to_msg_id"] == -999999941  # a reply inside the old group
    assert by_id[3]["reply_to_msg_id"] == -999999940  # a reply into it
    assert by_id[2]["reply_to_msg_id"] == -999999941  # the pinned old message
    assert by_id[-999999939]["action"]["type"] == "chat_migrate_to"
    assert by_id[1]["action"]["type"] == "channel_migrate_from"
    assert {r["chat_id"] for r in records} == {ALLOTMENT}
    assert by_id[-999999942]["date"] == at(2019, 3, 2, 9)
    assert by_id[-999999940]["edit_date"] == at(2019, 3, 2, 9, 7)


def test_a_local_time_in_a_fold_takes_its_first_occurrence():
    by_id = {r["id"]: r for r in every(TYPED, **BERLIN)[ALLOTMENT]}
    assert by_id[4]["date"] == at(2019, 10, 27, 0, 45)  # 02:45 summer time
    assert by_id[5]["date"] == at(2019, 10, 27, 0, 15)  # 02:15 shown twice: the first one


def test_a_local_time_in_a_gap_is_shifted_forward(tmp_path):
    data = load(LOCAL)
    data["messages"][0]["date"] = "2021-03-28T02:30:00"  # no clock in Berlin showed it
    path = write(tmp_path / "result.json", data)
    first = every(path, **BERLIN)[JONAS][0]
    assert first["date"] == at(2021, 3, 28, 1, 30)  # = 03:30 summer time


def test_selecting_the_supergroup_brings_its_migrated_history():
    for config in (
        {"chats": ["Allotment 7"]},
        {"chats": [str(ALLOTMENT)]},
        {"chats": ["1187654321"]},  # bare, as today's exports write it
        {"chats": ["9777588913"]},  # as this export wrote it
        {"chat_types": ["supergroup"]},
    ):
        with closing(source(TYPED, **BERLIN, **config)) as src:
            assert [chat["id"] for chat in src.chats()] == [ALLOTMENT], config
            assert [r["id"] for r in messages(src, ALLOTMENT)][:4] == OLD_HISTORY


def test_after_id_inside_the_migrated_history_and_start_message_id():
    with closing(source(TYPED, **BERLIN)) as src:
        assert [r["id"] for r in messages(src, ALLOTMENT, after_id=-999999941)] == [
            -999999940,
            -999999939,
            1,
            2,
            3,
            4,
            5,
        ]
        # start_message_id 2 (after_id 2 on a first run): only the supergroup's own, after 2
        assert [r["id"] for r in messages(src, ALLOTMENT, after_id=2)] == [3, 4, 5]


def test_a_later_export_of_the_migrated_chat_merges_with_the_old_one(tmp_path):
    shutil.copy(TYPED, tmp_path / "2019.json")
    shutil.copy(MIGRATED, tmp_path / "2024.json")
    with closing(source(tmp_path, **BERLIN, chats=[str(ALLOTMENT)])) as src:
        records = messages(src, ALLOTMENT)
        assert [r["id"] for r in records] == [*OLD_HISTORY, 1, 2, 3, 4, 5, 6, 7, 8]
        assert records[-3]["reply_to_msg_id"] == -999999941
        # since July 2022 document_id holds the sticker file's path: never an id
        assert records[-2]["entities"][0]["custom_emoji_id"] is None
        assert records[-2]["reactions"][0]["custom_emoji_id"] is None
        assert [r["id"] for r in messages(src, ALLOTMENT, after_id=5)] == [6, 7, 8]


def test_2020_typed_senders_are_users_and_channels():
    records = every(TYPED_FROM, **BERLIN)[SEED_SWAP]
    senders = [(r["id"], r["sender_id"], r["sender_type"]) for r in records]
    assert senders == [
        (101, LENA, "user"),  # 1<<32 | 456789012
        (102, MIRA, "user"),
        (103, SEED_SWAP, "channel"),  # the group itself (an anonymous admin)
        (104, NEWS, "channel"),  # 2<<32: a channel, never a basic group
        (105, LENA, "user"),
    ]
    assert records[0]["date"] == at(2020, 11, 14, 15, 20)
    assert records[1]["edit_date"] == at(2020, 11, 14, 15, 26)
    assert records[2]["edit_date"] is None  # no "edited" at all since June 2020


def test_2021_bare_ids_with_local_dates():
    records = every(LOCAL, **BERLIN)[JONAS]
    assert [(r["id"], r["sender_id"]) for r in records] == [
        (31001, JONAS),
        (31002, MIRA),
        (31003, JONAS),
    ]
    assert records[0]["date"] == at(2021, 6, 10, 19, 4, 5)
    assert records[2]["date"] == at(2021, 12, 24, 16)  # winter time
    assert records[2]["media_type"] == "voice"


def test_files_mixing_local_offset_and_unix_dates_load():
    records = every(MIXED, **BERLIN)[JONAS]
    assert [r["date"] for r in records] == [
        at(2021, 12, 24, 16),
        at(2022, 5, 1, 8),  # its own +02:00
        at(2022, 5, 1, 8, 30),  # Z
        at(2022, 7, 1, 10),  # date_unixtime, not the local date
    ]


def test_dates_with_their_own_offset_need_no_setting(tmp_path):
    data = load(MIXED)
    del data["messages"][0]  # the only one with a bare local time
    path = write(tmp_path / "result.json", data)
    assert [r["id"] for r in every(path)[JONAS]] == [31004, 31005, 31006]
