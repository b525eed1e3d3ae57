"""What the source remembers between runs and when it is due again (sources/mtproto/chats/refresh.py)."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pytest

from tap_telegram.settings import Settings
from tap_telegram.sources.mtproto.chats.entries import HASH_WIDTH, pack_hashes, unpack_hashes
from tap_telegram.sources.mtproto.chats.refresh import (
    FullInfo,
    SourceMemory,
    last_slot,
    overdue_since,
    phase,
    share,
)

UTC = dt.timezone.utc
NOW = dt.datetime(2024, 6, 3, 9, 30, tzinfo=UTC)
DAY = dt.timedelta(hours=24)
HOUR = dt.timedelta(hours=1)
CHATS = [-1001500000005 - 13 * i for i in range(2_000)]


def memory_at(now: dt.datetime, state: dict[str, Any] | None = None, **config: Any) -> SourceMemory:
    return SourceMemory(
        state if state is not None else {}, Settings.from_config(config), lambda: now
    )


def empty_state() -> dict[str, Any]:
    return {"chats": {}, "participants": {}, "topics": {}}


def test_phase_is_a_stable_hash_of_the_chat_spread_over_the_period() -> None:
    phases = [phase(chat, DAY) / DAY for chat in CHATS]
    assert all(0 <= p < 1 for p in phases)
    assert phase(CHATS[0], DAY) == phase(CHATS[0], DAY)
    per_hour = [sum(1 for p in phases if h / 24 <= p < (h + 1) / 24) for h in range(24)]
    assert min(per_hour) > 2_000 / 24 / 2, "no empty hours"
    assert max(per_hour) < 2_000 / 24 * 2, "no crowded hours"


def test_each_chat_falls_due_once_a_period_at_its_own_slot() -> None:
    chat = CHATS[7]
    slot = last_slot(chat, NOW, DAY)
    assert NOW - DAY < slot <= NOW
    assert overdue_since(chat, None, NOW, DAY) == NOW, "never fetched: due now"
    assert overdue_since(chat, slot - HOUR, NOW, DAY) == slot
    assert overdue_since(chat, slot, NOW, DAY) is None
    assert overdue_since(chat, NOW, NOW + DAY - dt.timedelta(seconds=1), DAY) in (None, slot + DAY)
    assert overdue_since(chat, NOW, NOW + DAY, DAY) == slot + DAY
    assert overdue_since(chat, NOW, NOW, dt.timedelta(0)) == NOW, "period 0: every run"
    # Over a day of hourly runs every chat falls due exactly once.
    due = dict.fromkeys(CHATS, 0)
    for hour in range(24):
        start, end = NOW + hour * HOUR, NOW + (hour + 1) * HOUR
        for c in CHATS:
            if overdue_since(c, start, end, DAY) is not None:
                due[c] += 1
    assert set(due.values()) == {1}


def test_a_run_takes_its_share_of_the_period() -> None:
    assert share(2_000, None, DAY) == 2_000, "first run, or runs a period apart: everything"
    assert share(2_000, DAY, DAY) == 2_000
    assert share(2_000, HOUR, DAY) == math.ceil(2_000 / 24 * 1.25) + 1
    assert share(2_000, HOUR, dt.timedelta(0)) == 2_000
    assert share(10, dt.timedelta(minutes=1), DAY) == 2, "a run soon after another: a couple"


def test_full_info_is_fetched_when_new_when_the_link_changes_and_when_due() -> None:
    state = empty_state()
    first = memory_at(NOW, state)
    assert first.due_fulls([(1, None), (2, True)]) == {1, 2}, "never fetched"
    first.remember_full(1, FullInfo(about="hi", participants_count=5))
    first.remember_full(2, FullInfo(linked_chat_id=77))
    later = memory_at(NOW + dt.timedelta(minutes=1), state)
    assert later.due_fulls([(1, None), (2, True)]) == set()
    assert later.due_fulls([(1, True), (2, False)]) == {1, 2}, "a linked chat came or went"
    assert later.remembered_full(1) == FullInfo(about="hi", participants_count=5)
    # Every chat was fetched at NOW: a day later all are due, an hour later a share.
    many = empty_state()
    seed = memory_at(NOW, many)
    for chat in CHATS:
        seed.remember_full(chat, FullInfo())
    assert len(memory_at(NOW + DAY, many).due_fulls((c, None) for c in CHATS)) == 2_000
    hourly = memory_at(NOW + HOUR, many)
    due = hourly.due_fulls((c, None) for c in CHATS)
    assert 0 < len(due) <= math.ceil(2_000 / 24 * 1.25) + 1
    assert all(overdue_since(c, NOW, NOW + HOUR, DAY) is not None for c in due)


def test_a_crowded_hour_waits_for_the_next_run_first_due_first() -> None:
    state = empty_state()
    seed = memory_at(NOW - DAY, state)
    chats = CHATS[:48]
    for chat in chats:
        seed.remember_full(chat, FullInfo())
    memory_at(NOW - HOUR, state)  # the previous run, an hour ago
    due = memory_at(NOW, state).due_fulls((c, None) for c in chats)
    assert len(due) == share(48, HOUR, DAY) == 4, "all 48 are due, 4 fit this run"
    slots = sorted(last_slot(c, NOW, DAY) for c in chats)
    assert sorted(last_slot(c, NOW, DAY) for c in due) == slots[:4], "the longest due first"


def test_members_are_listed_when_they_show_a_change_or_when_due() -> None:
    state = empty_state()
    first = memory_at(NOW, state)
    assert first.due_members([(1, 10, 0), (2, None, 0)]) == {1, 2}
    first.remember_members(1, 10, [111, -222], top=500)
    first.remember_members(2, None, listable=False)
    later = memory_at(NOW + dt.timedelta(minutes=1), state)
    assert later.due_members([(1, 10, 0), (2, 50, 900)]) == set(), "admins only: when due"
    assert later.due_members([(1, 11, 0)]) == {1}, "the count moved"
    assert later.due_members([(1, 10, 501)]) == {1}, "a join or leave after the listing"
    assert later.due_members([(1, 10, 400)]) == set(), "an old join, re-read by a lookback"
    assert later.member_hashes(1) == ([111, -222], 10)
    assert memory_at(NOW + DAY, state).due_members([(1, 10, 0), (2, None, 0)]) == {1, 2}


def test_topics_are_listed_after_new_messages_or_when_due() -> None:
    state = empty_state()
    first = memory_at(NOW, state)
    assert first.topics_due(5, 40)
    first.remember_topics(5, 40)
    later = memory_at(NOW + dt.timedelta(minutes=1), state)
    assert not later.topics_due(5, 40)
    assert later.topics_due(5, 41)
    assert later.topics_due(5, None), "not a dialog: no newest id to compare"
    assert memory_at(NOW + DAY, state).topics_due(5, 40)


def test_state_holds_short_json_integers_and_strings_and_forgets_unselected_chats() -> None:
    state = empty_state()
    memory = memory_at(NOW, state)
    memory.remember_full(-1001, FullInfo(about="ü", participants_count=3, linked_chat_id=9))
    memory.remember_full(-1002, FullInfo())
    memory.remember_members(-1001, 3, [2**63 - 1, -(2**63)], top=12)
    memory.remember_topics(-1001, 12)
    memory.remember_ref("https://t.me/+abc", -1001)
    memory.remember_channel("Outside_Name", 1001, -(2**62))
    memory.remember_channel("gone", 1002, 5)
    memory.remember_members(-1002, None, top=7, listable=False)
    text = json.dumps(state)
    assert json.loads(text) == state
    stamp = int(NOW.timestamp())
    assert state["chats"]["full"] == {"-1001": [stamp, "ü", 3, 9], "-1002": [stamp]}
    assert state["participants"]["-1001"] == [stamp, 12, 3, pack_hashes([2**63 - 1, -(2**63)])]
    assert state["participants"]["-1002"] == [stamp, 7, None, None, 1], "admins only"
    assert state["topics"]["-1001"] == [stamp, 12]
    assert len(state["participants"]["-1001"][3]) == 2 * HASH_WIDTH
    assert memory.member_hashes(-1001) == ([2**63 - 1, -(2**63)], 3)
    assert "null" not in json.dumps(state["chats"]), "empty fields at the end are left out"
    assert memory.remembered_ref("https://t.me/+abc") == -1001
    assert memory.remembered_channels(["outside_name", "missing"]) == {
        "outside_name": (1001, -(2**62))
    }
    memory.keep_only([-1001, -1000000001001])
    assert set(state["chats"]["full"]) == {"-1001"}
    assert set(state["chats"]["channels"]) == {"outside_name"}
    assert set(state["participants"]) == {"-1001"}


def test_page_hashes_pack_into_eleven_characters_each_and_back() -> None:
    hashes = [0, 1, -1, 2**63 - 1, -(2**63), 5662898739529230630]
    packed = pack_hashes(hashes)
    assert len(packed) == HASH_WIDTH * len(hashes)
    assert list(unpack_hashes(packed)) == hashes
    assert unpack_hashes(packed[:-1]) == (), "a cut string is no hash"
    assert unpack_hashes(12) == ()


#: The memory as the previous version wrote it (objects with named keys, decimal hashes).
OLD_STATE = {
    "chats": {
        "run": 1717400000,
        "full": {
            "-1001": {"at": 1717400000, "about": "ü 🧪", "count": 812, "linked": 77},
            "-1002": {"at": 1717396400},
        },
        "refs": {"https://t.me/+AbCd": -1001},
    },
    "participants": {
        "-1001": {"at": 1717400000, "count": 812, "hashes": ["-4412", "1290"], "top": 500},
        "-1003": {"at": 1717400000, "top": 30, "admins_only": True},
    },
    "topics": {"-1001": {"at": 1717400000, "top": 5120}},
}


def test_state_of_the_previous_version_loads_and_is_rewritten_short() -> None:
    state = json.loads(json.dumps(OLD_STATE))
    memory = memory_at(dt.datetime.fromtimestamp(1717400000 + 60, UTC), state)
    assert state["chats"]["full"] == {"-1001": [1717400000, "ü 🧪", 812, 77], "-1002": [1717396400]}
    assert state["participants"] == {
        "-1001": [1717400000, 500, 812, pack_hashes([-4412, 1290])],
        "-1003": [1717400000, 30, None, None, 1],
    }
    assert state["topics"] == {"-1001": [1717400000, 5120]}
    assert state["chats"]["refs"] == {"https://t.me/+AbCd": -1001}
    # What it remembered means the same: nothing new is due a minute later.
    assert memory.remembered_full(-1001) == FullInfo("ü 🧪", 812, 77)
    assert memory.due_fulls([(-1001, True), (-1002, None)]) == set()
    assert memory.member_hashes(-1001) == ([-4412, 1290], 812)
    assert memory.due_members([(-1001, 812, 0), (-1003, 40, 900)]) == set()
    assert memory.due_members([(-1001, 813, 0)]) == {-1001}
    assert not memory.topics_due(-1001, 5120)
    again = json.loads(json.dumps(state))
    memory_at(dt.datetime.fromtimestamp(1717400000 + 120, UTC), again)
    assert again["participants"] == state["participants"], "a list entry stays as it is"


def test_memory_of_a_chat_stays_short() -> None:
    """Issue 26: every STATE message carries the memory of every chat, so it has a budget.

    A supergroup with an about text, a member count and a linked channel, listed in
    one page, and a forum's topics: at most 210 bytes of STATE besides the about text,
    the tables' own keys included (203 now; the previous version's objects took 282).
    """
    state = empty_state()
    memory = memory_at(NOW, state)
    chat = -1001500000005
    about = "About d0: тест 🧪"
    memory.remember_full(chat, FullInfo(about, 9349, 1500000018))
    memory.remember_members(chat, 9349, [5662898739529230630], top=48213)
    memory.remember_topics(chat, 48213)
    size = len(json.dumps(state, ensure_ascii=False, separators=(",", ":")).encode())
    text = len(json.dumps(about, ensure_ascii=False).encode())
    assert size - text <= 210, f"{size - text} bytes of memory for one chat"


@pytest.mark.parametrize(
    "garbage",
    [
        {"full": {"-1001": {"at": "yesterday", "count": "many"}}},
        {"full": {"-1001": ["yesterday", "many"]}},
        {"full": {"-1001": "not an entry"}},
        {"full": ["not", "a", "table"]},
    ],
)
def test_a_hand_edited_state_means_fetching_again_not_failing(garbage: dict[str, Any]) -> None:
    state = {"chats": garbage, "participants": {"-1001": {"at": None}}, "topics": {}}
    kept = json.loads(json.dumps(state))
    memory = memory_at(NOW, state)
    assert memory.due_fulls([(-1001, None)]) == {-1001}
    assert memory.due_members([(-1001, None, 0)]) == {-1001}
    assert state["chats"].get("full") == kept["chats"].get("full"), "left as it was until fetched"
    assert state["participants"] == kept["participants"]


def test_no_state_means_everything_every_run() -> None:
    memory = SourceMemory(None, Settings(), lambda: NOW)
    assert memory.due_fulls([(1, None)]) == {1}
    memory.remember_full(1, FullInfo())
    assert SourceMemory(None, Settings(), lambda: NOW).due_fulls([(1, None)]) == {1}
