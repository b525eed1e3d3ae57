"""Issue 27, item 9 (the rest): an integer ``from_id`` in a modern export, titles in NFD,
a string bookmark, and STATE partitions of chats no longer selected.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from tests.fake_telegram import FakeTelegram, run_in_process, three_chats_world
from tests.sources.export.support import chat, message, run_tap, write

CHAT = -1000000000777


def test_an_integer_from_id_in_a_modern_export_fails_the_chat_in_one_line(tmp_path: Path):
    # Every message has date_unixtime (June 2022 on): tdesktop writes "user42" there.
    write(tmp_path / "ex" / "result.json", chat([message(1), message(2, from_id=42)]))
    run = run_tap(tmp_path / "run", {"export_path": str(tmp_path / "ex")})
    assert "Traceback" not in run.stderr
    assert run.returncode == 5
    last = run.stderr.strip().splitlines()[-1]
    assert "message id 2: 'from_id' is a bare number in a message of June 2022 or later" in last
    assert run.ids(CHAT) == [1]  # the message before the damaged one, nothing invented
    assert run.bookmarks() == {CHAT: 1}


def test_an_integer_from_id_of_the_2018_2021_era_is_still_read(tmp_path: Path):
    old = message(1, from_id=42)
    del old["date_unixtime"]
    old["date"] = "2020-05-01T03:00:00"
    write(tmp_path / "ex" / "result.json", chat([old]))
    run = run_tap(tmp_path / "run", {"export_path": str(tmp_path / "ex"), "export_timezone": "UTC"})
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.records["messages"][0]["sender_id"] == 42


def test_a_title_in_nfd_matches_a_chat_named_in_nfc(tmp_path: Path):
    nfc = "Café Zürich"
    write(tmp_path / "ex" / "result.json", chat([message(1)], name=nfc))
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    run = run_tap(tmp_path / "run", {"export_path": str(tmp_path / "ex"), "chats": [nfd]})
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.ids(CHAT) == [1]


def test_a_string_bookmark_is_named_as_state_not_start_date(tmp_path: Path):
    write(tmp_path / "ex" / "result.json", chat([message(1)]))
    state = {
        "bookmarks": {
            "messages": {
                "partitions": [
                    {
                        "context": {"chat_id": CHAT},
                        "replication_key": "id",
                        "replication_key_value": "2024-01-01",
                    }
                ]
            }
        }
    }
    run = run_tap(tmp_path / "run", {"export_path": str(tmp_path / "ex")}, state)
    assert run.returncode == 2
    last = run.stderr.strip().splitlines()[-1]
    assert "STATE 'bookmarks.messages.partitions[0].replication_key_value'" in last
    assert "start_date" not in last


def test_partitions_of_chats_no_longer_selected_are_kept_and_said():
    world = three_chats_world(seed=9)
    fake = FakeTelegram(world)
    both = [str(world.marked_id("channel")), str(world.marked_id("supergroup"))]
    first = run_in_process(fake, fake.tap_config(chats=both))
    assert first.returncode == 0
    assert first.state is not None
    second = run_in_process(fake, fake.tap_config(chats=both[:1]), first.state)
    assert second.returncode == 0
    assert second.state is not None
    parts = second.state["bookmarks"]["messages"]["partitions"]
    kept = {p["context"]["chat_id"]: p.get("replication_key_value") for p in parts}
    earlier = {
        p["context"]["chat_id"]: p.get("replication_key_value")
        for p in first.state["bookmarks"]["messages"]["partitions"]
    }
    assert kept[int(both[1])] == earlier[int(both[1])], "the unselected chat keeps its bookmark"
    # Selected again: it resumes from there (nothing re-read).
    third = run_in_process(fake, fake.tap_config(chats=both), second.state)
    assert [r for r in third.records.get("messages", []) if r["chat_id"] == int(both[1])] == []


def test_unselected_partitions_are_counted_in_a_log_line(caplog):
    world = three_chats_world(seed=9)
    fake = FakeTelegram(world)
    both = [str(world.marked_id("channel")), str(world.marked_id("supergroup"))]
    first = run_in_process(fake, fake.tap_config(chats=both))
    caplog.set_level("INFO")
    run_in_process(fake, fake.tap_config(chats=both[:1]), first.state)
    assert "STATE carries 1 partition(s) of chats not selected in this run" in caplog.text
