"""ExportSource over real files: chats, pages, bookmarks, merges, folders, filters."""

from __future__ import annotations

import datetime as dt
import gc
import logging
from contextlib import closing

import pytest

from tap_telegram.errors import ChatError
from tap_telegram.records.schemas import MESSAGE_KEYS
from tap_telegram.sources.base import SourceContext
from tap_telegram.sources.export import read as export_read
from tap_telegram.sources.export.heap import HeapFreeze
from tap_telegram.sources.export.source import ExportSource
from tests.sources.export.support import (
    ACCOUNT_SAMPLE,
    SINGLE_SAMPLE,
    UTC,
    chat,
    chats_of,
    edited,
    load,
    message,
    messages,
    pages,
    records_of,
    run_all,
    source,
    write,
)

DATAENG = -1001765432109
MARKET = -1001987654321
ANNA = 6234509876
CAFE = -1001633221100


def test_account_sample_lists_every_chat_in_file_order():
    chats = chats_of(ACCOUNT_SAMPLE)
    assert [(item["id"], item["type"]) for item in chats] == [
        (5107788123, "user"),
        (ANNA, "user"),
        (6100223344, "user"),
        (-923456781, "group"),
        (DATAENG, "supergroup"),
        (MARKET, "channel"),
        (-1001555000111, "supergroup"),  # from left_chats
    ]
    titles = {item["id"]: item["title"] for item in chats}
    assert titles[5107788123] == "Лена Соколова"  # Saved Messages: the owner's name
    assert titles[MARKET] == "Tokyo Night Market 東京夜市"
    assert {item["id"] for item in chats if item["is_forum"]} == {DATAENG}
    assert {item["source"] for item in chats} == {"export"}


def test_sample_has_every_record_complete_and_ascending():
    chats, records, users = run_all(source(ACCOUNT_SAMPLE))
    assert len(records) >= 500
    for item in chats:
        ids = [record["id"] for record in records if record["chat_id"] == item["id"]]
        assert ids == sorted(set(ids)), item["title"]
        assert ids, item["title"]
    for record in records:
        assert tuple(record) == MESSAGE_KEYS
        assert record["date"].tzinfo is UTC
    assert {user["id"] for user in users} >= {5107788123, ANNA, 6100223344}


def test_pages_hold_500_records_unless_page_size_is_larger(tmp_path):
    path = write(tmp_path / "result.json", chat([message(index) for index in range(1, 1301)]))
    for page_size, expected in (
        (None, [500, 500, 300]),
        (1000, [1000, 300]),
        (100, [500, 500, 300]),
    ):
        with closing(source(path, page_size=page_size)) as src:
            assert [len(page) for page in pages(src, -1000000000777)] == expected


def test_incremental_run_emits_only_newer_ids():
    src = source(ACCOUNT_SAMPLE)
    every = [record["id"] for record in messages(src, MARKET)]
    bookmark = every[len(every) // 2]
    newer = [record["id"] for record in messages(src, MARKET, after_id=bookmark)]
    assert newer == [message_id for message_id in every if message_id > bookmark]
    assert messages(src, MARKET, after_id=every[-1]) == []
    src.close()


def test_chat_without_newer_messages_is_not_read_at_all(monkeypatch):
    opened = []
    original = export_read.MessageCursor.__init__

    def counting(self, path, prefix):
        opened.append(prefix)
        original(self, path, prefix)

    monkeypatch.setattr(export_read.MessageCursor, "__init__", counting)
    src = source(ACCOUNT_SAMPLE)
    last = messages(src, ANNA)[-1]["id"]
    opened.clear()
    assert pages(src, ANNA, after_id=last) == []
    assert opened == []
    src.close()


def test_since_keeps_messages_at_or_after_the_date():
    src = source(SINGLE_SAMPLE)
    every = messages(src, CAFE)
    since = every[10]["date"]
    kept = messages(src, CAFE, since=since)
    assert kept == [record for record in every if record["date"] >= since]
    assert kept[0]["date"] == since
    src.close()


def test_whole_account_export_is_read_in_one_pass(monkeypatch):
    opened = []
    original = export_read.MessageCursor.__init__

    def counting(self, path, prefix):
        opened.append(prefix)
        original(self, path, prefix)

    monkeypatch.setattr(export_read.MessageCursor, "__init__", counting)
    run_all(source(ACCOUNT_SAMPLE))
    assert opened == ["chats.list.item.messages.item", "left_chats.list.item.messages.item"]


def test_reading_chats_out_of_file_order_still_works():
    src = source(ACCOUNT_SAMPLE)
    market = messages(src, MARKET)
    anna = messages(src, ANNA)
    market_again = messages(src, MARKET)
    assert market == market_again
    assert anna[0]["chat_id"] == ANNA
    src.close()


def test_forum_messages_get_their_topic_root():
    records = {record["id"]: record for record in records_of(ACCOUNT_SAMPLE, DATAENG)}
    roots = {
        message_id
        for message_id, record in records.items()
        if record["action"] and record["action"]["type"] == "topic_create"
    }
    assert len(roots) == 3
    in_topics = [record for record in records.values() if record["reply_to_top_id"]]
    assert len(in_topics) > 100
    for record in in_topics:
        assert record["reply_to_top_id"] in roots
        parent = record["reply_to_msg_id"]
        assert parent in roots or records[parent]["reply_to_top_id"] == record["reply_to_top_id"]
    # the cross-chat reply to the channel is not put in a topic
    cross = [
        record for record in records.values() if record["text"] == "Does anyone know this stall?"
    ]
    assert cross[0]["reply_to_top_id"] is None


def test_merge_of_two_exports_of_one_chat(tmp_path):
    first = [message(index, f"v1 {index}") for index in range(1, 11)]
    second = [message(index, f"v2 {index}") for index in range(6, 16)]
    second[0]["edited_unixtime"] = "1714600000"
    write(tmp_path / "ChatExport_2024-05-01" / "result.json", chat(first), mtime=1_700_000_000)
    write(tmp_path / "ChatExport_2024-06-01" / "result.json", chat(second), mtime=1_710_000_000)
    src = source(tmp_path)
    assert len(src.chats()) == 1
    records = messages(src, -1000000000777)
    assert [record["id"] for record in records] == list(range(1, 16))
    texts = {record["id"]: record["text"] for record in records}
    assert texts[5] == "v1 5"
    assert texts[6] == "v2 6"  # duplicated id: the later export wins
    assert records[5]["edit_date"] == dt.datetime.fromtimestamp(1714600000, UTC)
    newer = messages(src, -1000000000777, after_id=12)
    assert [record["id"] for record in newer] == [13, 14, 15]
    src.close()


def test_merge_prefers_the_newer_file_even_when_it_is_shorter(tmp_path):
    full = [message(index, f"old {index}") for index in range(1, 21)]
    january = [message(index, f"new {index}") for index in range(3, 6)]
    write(tmp_path / "a.json", chat(full), mtime=1_700_000_000)
    write(tmp_path / "b.json", chat(january, name="Renamed group"), mtime=1_710_000_000)
    src = source(tmp_path)
    assert src.chats()[0]["title"] == "Renamed group"
    texts = [record["text"] for record in messages(src, -1000000000777)]
    assert texts[1:6] == ["old 2", "new 3", "new 4", "new 5", "old 6"]
    assert len(texts) == 20
    src.close()
    src.close()


def test_folder_discovery(tmp_path, caplog):
    write(tmp_path / "exports" / "ChatExport_A" / "result.json", chat([message(1)], id=1))
    # media of an export is not searched, even if someone sent an export as a file
    write(tmp_path / "exports" / "ChatExport_A" / "files" / "result.json", chat([message(1)], id=2))
    write(tmp_path / "exports" / "renamed" / "march.json", chat([message(1)], id=3))
    write(tmp_path / "exports" / "renamed" / "notes.json", {"todo": ["not an export"]})
    (tmp_path / "exports" / "renamed" / "readme.txt").write_text("hello")
    with caplog.at_level(logging.WARNING):
        chats = chats_of(tmp_path / "exports")
    assert sorted(item["id"] for item in chats) == [-1000000000003, -1000000000001]
    assert "notes.json" in caplog.text


def test_chats_setting_matches_ids_and_exact_names():
    def pick(*entries):
        return [item["id"] for item in chats_of(ACCOUNT_SAMPLE, chats=list(entries))]

    assert pick(str(MARKET)) == [MARKET]
    assert pick("1987654321") == [MARKET]  # the bare id, as the export writes it
    assert pick("tokyo night market 東京夜市") == [MARKET]
    assert pick("@Data Eng Berlin & Remote", str(ANNA)) == [ANNA, DATAENG]  # file order
    assert pick("https://t.me/c/1765432109/5") == [DATAENG]
    assert pick("-923456781") == [-923456781]


def test_unknown_chat_entry_fails_only_that_entry():
    src = source(ACCOUNT_SAMPLE, chats=["@no_such_chat", str(ANNA)])
    assert [item["id"] for item in src.chats()] == [ANNA]
    src.close()
    assert [failure.chat for failure in src.failures] == ["@no_such_chat"]
    assert "exports have no @usernames" in str(src.failures[0])
    with pytest.raises(ChatError, match="chat Nope: not in the export"):
        chats_of(ACCOUNT_SAMPLE, chats=["Nope"], on_chat_error="fail")


def test_chat_types_filter():
    chats = chats_of(ACCOUNT_SAMPLE, chat_types=["channel", "group"])
    assert [item["id"] for item in chats] == [-923456781, MARKET]


def test_message_pages_for_an_unselected_chat_is_a_chat_error():
    src = source(ACCOUNT_SAMPLE, chat_types=["channel"])
    with closing(src), pytest.raises(ChatError, match="not among the chats"):
        pages(src, ANNA)


def test_users_from_contacts_owner_and_bot_chat():
    _, _, users = run_all(source(ACCOUNT_SAMPLE))
    by_id = {user["id"]: user for user in users}
    assert by_id[5107788123]["username"] == "lena_sokol"
    assert (by_id[5107788123]["first_name"], by_id[5107788123]["last_name"]) == ("Лена", "Соколова")
    assert (by_id[ANNA]["first_name"], by_id[ANNA]["last_name"]) == ("Анна", "Смирнова")
    assert by_id[6100223344]["is_bot"] is True
    assert by_id[2093388451]["first_name"] == "Priya Nair"  # not a contact: the display name
    assert 1987654321 not in by_id  # channels are not users
    assert MARKET not in by_id


def test_owner_messages_carry_the_owners_username():
    records = records_of(ACCOUNT_SAMPLE, ANNA)
    mine = [record for record in records if record["sender_id"] == 5107788123]
    assert mine
    assert {record["sender_username"] for record in mine} == {"lena_sokol"}


def test_unknown_chat_type_is_skipped_with_a_warning(tmp_path, caplog):
    data = {
        "chats": {
            "list": [
                chat([message(1)], type="verification_codes", id=5),
                chat([message(1)], type="personal_chat", id=6),
            ]
        }
    }
    path = write(tmp_path / "result.json", data)
    with caplog.at_level(logging.WARNING):
        chats = chats_of(path)
    assert [item["id"] for item in chats] == [6]
    assert "unknown type 'verification_codes'" in caplog.text


def test_unsupported_messages_are_skipped_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING):
        records = records_of(SINGLE_SAMPLE, CAFE)
    assert "skipped 1 message(s)" in caplog.text
    assert all(record["date"] for record in records)


def test_close_is_idempotent_and_chats_are_cached():
    src = ExportSource(SourceContext({"export_path": str(SINGLE_SAMPLE)}, logging.getLogger("t")))
    first = src.chats()
    assert src.chats() == first
    messages(src, CAFE)
    src.close()
    src.close()


def test_sample_single_chat_is_a_forum_with_topics():
    data = load(SINGLE_SAMPLE)
    assert data["type"] == "private_supergroup"
    records = records_of(SINGLE_SAMPLE, CAFE)
    assert {record["reply_to_top_id"] for record in records} == {None, 7, 8}


def test_same_chat_twice_in_one_account_file(tmp_path):
    one = chat([message(1, "a"), message(2, "b")], type="personal_chat", id=42)
    two = edited(one)
    two["messages"] = [message(2, "b2"), message(3, "c")]
    path = write(
        tmp_path / "result.json", {"chats": {"list": [one]}, "left_chats": {"list": [two]}}
    )
    records = records_of(path, 42)
    assert [(record["id"], record["text"]) for record in records] == [(1, "a"), (2, "b2"), (3, "c")]


def test_sample_dates_are_utc_from_unixtime_not_the_local_date():
    raw = {item["id"]: item for item in load(SINGLE_SAMPLE)["messages"]}
    records = records_of(SINGLE_SAMPLE, CAFE)
    assert records
    for record in records:
        source_message = raw[record["id"]]
        assert record["date"] == dt.datetime.fromtimestamp(
            int(source_message["date_unixtime"]), UTC
        )
        local = dt.datetime.fromisoformat(source_message["date"])  # the exporting PC's zone, +3 h
        assert local - record["date"].replace(tzinfo=None) == dt.timedelta(hours=3)


def test_folder_with_a_symlink_loop(tmp_path):
    write(tmp_path / "a" / "march.json", chat([message(1)], id=3))
    (tmp_path / "a" / "loop").symlink_to(tmp_path, target_is_directory=True)
    assert [item["id"] for item in chats_of(tmp_path)] == [-1000000000003]


def test_heap_freeze_is_held_until_the_last_holder_releases():
    """Counted holders: the last release unfreezes, each hold and release is idempotent."""
    before = HeapFreeze._holders
    first, second = HeapFreeze(), HeapFreeze()
    first.hold()
    first.hold()
    second.hold()
    assert HeapFreeze._holders == before + 2
    assert gc.get_freeze_count() > 0
    first.release()
    first.release()
    assert HeapFreeze._holders == before + 1
    second.release()
    assert HeapFreeze._holders == before
    if before == 0:
        assert gc.get_freeze_count() == 0


def test_source_holds_the_heap_freeze_from_the_scan_to_close():
    before = HeapFreeze._holders
    src = source(ACCOUNT_SAMPLE)
    src.chats()
    assert HeapFreeze._holders == before + 1
    src.close()
    src.close()
    assert HeapFreeze._holders == before
