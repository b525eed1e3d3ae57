"""The lookback memory (tap_telegram.sources.fingerprints): pure, so tested directly."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from tap_telegram.records.schemas import MESSAGE_KEYS, empty_message
from tap_telegram.settings import Settings
from tap_telegram.singer.history_stream import advances_bookmark
from tap_telegram.sources.fingerprints import (
    MAX_WINDOW,
    TailTracker,
    Window,
    fingerprint,
    pack,
    unpack,
)
from tap_telegram.sources.lookback import lookback_window

UTC = dt.timezone.utc
NOW = dt.datetime(2025, 6, 1, tzinfo=UTC)


def message(message_id, *, views=10, reactions=None, edit_date=None, hours_ago=1.0):
    record = empty_message(-100, message_id)
    record.update({"views": views, "reactions": reactions, "edit_date": edit_date})
    record["date"] = NOW - dt.timedelta(hours=hours_ago)
    return record


def tracker(stored, *, bookmark, reread_after, tombstones=True, window=None):
    return TailTracker(
        -100,
        stored=stored,
        bookmark=bookmark,
        reread_after=reread_after,
        window=window or Window(messages=100),
        tombstones=tombstones,
        now=NOW,
    )


def test_fingerprint_sees_each_mutable_field_and_ignores_the_rest():
    base = message(1)
    same = dict(base, text="other text", sender_name="someone")
    assert fingerprint(base) == fingerprint(same)
    changes: list[dict[str, Any]] = [
        {"views": 11},
        {"forwards": 1},
        {"replies_count": 3},
        {"edit_date": NOW},
        {"reactions": [{"emoji": "👍", "custom_emoji_id": None, "paid": False, "count": 1}]},
    ]
    digests = {fingerprint(dict(base, **change)) for change in changes}
    assert fingerprint(base) not in digests
    assert len(digests) == len(changes)
    assert 0 <= fingerprint(base) < 2**32


def test_pack_roundtrip_is_compact_and_garbage_is_a_fresh_baseline():
    rng = random.Random(3)
    entries = {i * rng.choice((1, 1, 1, 2, 64)): rng.getrandbits(32) for i in range(1, 10_001)}
    text = pack(entries)
    assert unpack(text) == entries
    assert len(text) < 60_000, len(text)
    assert unpack(pack({})) == {}
    for bad in (None, 5, "", "v0:abc", "v1:!!!", "v1:" + "A" * 12, pack(entries)[:-8]):
        assert unpack(bad) == {}


def test_reread_emits_changes_and_new_messages_and_tombstones_gaps():
    old = [message(i) for i in range(1, 11)]
    stored = {r["id"]: fingerprint(r) for r in old}
    track = tracker(stored, bookmark=10, reread_after=4)
    page1 = [message(5), message(6, views=99), message(8)]  # 7 is gone
    out = track.page(page1)
    assert [(r["id"], bool(r.get("deleted"))) for r in out] == [(6, False), (7, True)]
    page2 = [message(10), message(11), message(12)]  # 9 is gone, 11-12 are new
    out = track.page(page2)
    assert [(r["id"], bool(r.get("deleted"))) for r in out] == [(9, True), (11, False), (12, False)]
    assert track.finish() == []
    assert (track.stats.reread, track.stats.changed, track.stats.deleted) == (4, 1, 2)
    tomb = out[0]
    assert set(tomb) == set(MESSAGE_KEYS)
    assert tomb["deleted_detected_at"] == NOW
    assert tomb["date"] is None
    memory = unpack(track.packed())
    assert 7 not in memory
    assert 9 not in memory
    assert 4 not in memory
    assert memory[6] == fingerprint(message(6, views=99))


def test_deletions_at_the_end_are_found_only_by_finish():
    stored = {i: fingerprint(message(i)) for i in range(1, 6)}
    track = tracker(stored, bookmark=5, reread_after=0)
    assert track.page([message(1), message(2), message(3)]) == []
    assert [r["id"] for r in track.finish()] == [4, 5]


def test_no_tombstones_where_ids_are_per_account():
    stored = {i: fingerprint(message(i)) for i in (64, 128, 192)}
    track = tracker(stored, bookmark=192, reread_after=0, tombstones=False)
    assert track.page([message(64), message(192)]) == []
    assert track.finish() == []
    assert track.stats.deleted == 1
    assert 128 not in unpack(track.packed())


def test_without_memory_the_window_is_emitted_once_and_slid_in_messages_are_not():
    fresh = tracker({}, bookmark=5, reread_after=2)
    assert [r["id"] for r in fresh.page([message(3), message(4), message(5)])] == [3, 4, 5]
    stored = {i: fingerprint(message(i)) for i in (4, 5)}
    slid = tracker(stored, bookmark=5, reread_after=2)
    assert slid.page([message(3), message(4), message(5)]) == []
    # An unknown id above the memory's oldest entry is a gap in the memory: emitted.
    gap = tracker({3: fingerprint(message(3)), 5: fingerprint(message(5))}, bookmark=5,
                  reread_after=2)  # fmt: skip
    assert [r["id"] for r in gap.page([message(3), message(4), message(5)])] == [4]


def test_memory_is_repacked_only_when_it_changes():
    stored = {i: fingerprint(message(i)) for i in range(1, 6)}
    track = tracker(stored, bookmark=5, reread_after=0)
    first = track.packed()
    assert not track.changed
    track.page([message(1), message(2)])
    assert not track.changed
    assert track.packed() is first
    track.page([message(3, views=1)])
    assert track.changed
    assert unpack(track.packed())[3] == fingerprint(message(3, views=1))


def test_memory_is_bounded_by_count_dates_and_the_cap():
    track = tracker({}, bookmark=0, reread_after=0, window=Window(messages=3))
    track.page([message(i) for i in range(1, 50)])
    assert sorted(unpack(track.packed())) == [47, 48, 49]
    since = NOW - dt.timedelta(hours=5)
    by_date = tracker({}, bookmark=0, reread_after=0, window=Window(messages=1, since=since))
    by_date.page([message(i, hours_ago=10 - i) for i in range(1, 10)])
    assert sorted(unpack(by_date.packed())) == [5, 6, 7, 8, 9]
    huge = tracker({}, bookmark=0, reread_after=0, window=Window(since=NOW - dt.timedelta(days=9)))
    for start in range(1, 3 * MAX_WINDOW, 1000):
        huge.page([message(i) for i in range(start, start + 1000)])
        assert len(huge.hashes) <= 2 * MAX_WINDOW + 1000
    assert len(unpack(huge.packed())) == MAX_WINDOW


def test_bookmark_guard_and_settings():
    state = {"replication_key_value": 10}
    assert not advances_bookmark(state, {"id": 10})
    assert not advances_bookmark(state, {"id": 3})
    assert advances_bookmark(state, {"id": 11})
    assert not advances_bookmark(state, {"id": 11, "deleted": True})
    assert advances_bookmark({}, {"id": 1})
    assert lookback_window(Settings.from_config({}), NOW) is None
    assert (
        lookback_window(Settings.from_config({"lookback_messages": 0, "lookback_days": 0}), NOW)
        is None
    )
    window = lookback_window(
        Settings.from_config({"lookback_messages": 50_000, "lookback_days": 2}), NOW
    )
    assert window == Window(messages=MAX_WINDOW, since=NOW - dt.timedelta(days=2))
