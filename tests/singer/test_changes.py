"""Change capture (``track_changes``): every edit and deletion since the last run, at any age.

The real tap runs in this process against the fake Telegram, whose update logs number
every new, edited and deleted message like Telegram's (tests/fake_telegram/updatelog.py).
Requests are counted by type: a quiet channel costs nothing, a changed one a single
``getChannelDifference`` (Telegram reads at most 100 updates back for a user: more is
"too long"), the account's log one ``getDifference``.
"""

from __future__ import annotations

import collections
import math
from typing import Any

import pytest

from tests.fake_telegram import (
    FakeTelegram,
    Fault,
    TapRun,
    UpdateLogSettings,
    World,
    run_fake_tap,
    run_in_process,
)
from tests.sources.mtproto.helpers import bookmarks

CHANNEL_DIFF, DIFF = "GetChannelDifferenceRequest", "GetDifferenceRequest"
KINDS = {
    "news": "channel",
    "devs": "supergroup",
    "forum": "forum",
    "bob": "private",
    "fam": "group",
}


def make_world() -> World:
    world = World(11)
    world.add_generated_users(8)
    world.add_chat("news", "channel", messages=600, username="cc_news")
    world.add_chat("devs", "supergroup", messages=300, username="cc_devs")
    world.add_chat("forum", "forum", messages=200, username="cc_forum", topics=["Bugs", "Ideas"])
    world.add_chat("bob", "private", messages=150)
    world.add_chat("fam", "group", messages=120)
    world.add_chat("other", "private", messages=60)  # never selected
    world.add_chat("elsewhere", "channel", messages=80, username="cc_elsewhere")  # never selected
    return world


def config(fake: FakeTelegram, world: World, **options: Any) -> dict[str, Any]:
    chats = [
        "@cc_news",
        "@cc_devs",
        "@cc_forum",
        str(world.marked_id("bob")),
        str(world.marked_id("fam")),
    ]
    # The update log alone: its requests are counted exactly here; the sweep, which
    # re-reads old history on its own budget, is tested in tests/sources/mtproto/test_sweep.py.
    options.setdefault("verify_requests_per_run", 0)
    return fake.tap_config(chats=chats, **options)


def counts(run: TapRun) -> collections.Counter[str]:
    assert run.stats is not None
    return collections.Counter(run.stats.requests)


def messages(run: TapRun) -> list[dict[str, Any]]:
    return run.records.get("messages", [])


def partitions(run: TapRun) -> dict[int, dict[str, Any]]:
    assert run.state is not None
    parts = run.state["bookmarks"]["messages"]["partitions"]
    return {p["context"]["chat_id"]: p for p in parts}


@pytest.fixture
def world() -> World:
    return make_world()


def test_edits_and_deletions_of_any_age_in_every_chat_kind(world: World) -> None:
    fake = FakeTelegram(world)
    cfg = config(fake, world)
    first = run_in_process(fake, cfg).check()
    edited: dict[tuple[int, int], str] = {}
    deleted: dict[tuple[int, int], str] = {}
    for key, kind in KINDS.items():
        ids = world.text_ids(key)
        chat = world.marked_id(key)
        for message_id in (ids[0], ids[len(ids) // 2], ids[-1]):  # oldest, middle, newest
            text = f"edited {key} {message_id}"
            world.edit_message(key, message_id, text)
            edited[chat, message_id] = text
        gone = [ids[1], ids[-2]]
        world.delete_messages(key, gone)
        scope = "account" if kind in {"private", "group"} else "chat"
        deleted.update(((chat, i), scope) for i in gone)
    # The same in chats that are not selected: nothing of them is emitted.
    world.edit_message("other", world.text_ids("other")[3], "not selected")
    world.delete_messages("other", world.text_ids("other")[4:6])
    world.delete_messages("elsewhere", [3, 4])

    second = run_in_process(fake, cfg, first.state).check()
    rows = messages(second)
    got_edits = {(r["chat_id"], r["id"]): r["text"] for r in rows if not r["deleted"]}
    got_tombs = {(r["chat_id"], r["id"]): r["deleted_scope"] for r in rows if r["deleted"]}
    assert got_edits == edited
    assert got_tombs == deleted
    for row in rows:
        if row["deleted"]:
            assert row["deleted_detected_at"] is not None
            assert {k for k, v in row.items() if v is not None} == {
                "chat_id", "id", "deleted", "deleted_detected_at", "deleted_scope"
            }  # fmt: skip
        else:
            assert row["edit_date"] is not None
    # Nothing new: bookmarks stay; every position is the fake's current one.
    assert bookmarks(second.state) == bookmarks(first.state)
    parts = partitions(second)
    for key in ("news", "devs", "forum"):
        assert parts[world.marked_id(key)]["pts"] == world.chat(key).pts
    assert second.state is not None
    assert second.state["bookmarks"]["messages"]["account_log"]["pts"] == world.account_pts
    # The counts are metrics (and the run summary), not STATE (issue 26).
    assert "stats" not in parts[world.marked_id("news")]
    news_tags = f'"tags":{{"stream":"messages","context":{{"chat_id":{world.marked_id("news")}}}}}'
    assert f'"metric":"telegram_edit_count","value":3,{news_tags}' in second.stderr
    assert f'"metric":"telegram_deletion_count","value":2,{news_tags}' in second.stderr
    # One difference page per changed channel (< 100 updates each), one getDifference.
    found = counts(second)
    assert found[CHANNEL_DIFF] == 3
    assert found["GetHistoryRequest"] == 0


def test_a_quiet_run_reads_no_channel_difference_and_at_most_two_more_requests(
    world: World,
) -> None:
    fake = FakeTelegram(world)
    on = run_in_process(fake, config(fake, world)).check()
    off_cfg = config(fake, world, track_changes=False)
    off = run_in_process(fake, off_cfg).check()
    quiet_on = run_in_process(fake, config(fake, world), on.state).check()
    quiet_again = run_in_process(fake, config(fake, world), quiet_on.state).check()
    quiet_off = run_in_process(fake, off_cfg, off.state).check()
    for run in (quiet_on, quiet_again):
        assert messages(run) == []
        assert counts(run)[CHANNEL_DIFF] == 0
        assert sum(counts(run).values()) - sum(counts(quiet_off).values()) <= 2
    assert counts(quiet_off)[CHANNEL_DIFF] == 0
    # Off: no position is kept at all.
    assert off.state is not None
    assert "account_log" not in off.state["bookmarks"]["messages"]
    assert all("pts" not in p for p in partitions(off).values())


def test_a_changed_channel_costs_one_request_up_to_telegrams_100_updates(world: World) -> None:
    """Up to 100 updates back a channel's log is one page; one more is "too long" (below)."""
    fake = FakeTelegram(world)
    cfg = config(fake, world)
    first = run_in_process(fake, cfg).check()
    changes = {"news": 100, "devs": 40, "bob": 30, "fam": 20}
    for key, how_many in changes.items():
        ids = world.text_ids(key)
        for message_id in ids[: how_many // 2]:
            world.edit_message(key, message_id, "again")
        world.delete_messages(key, ids[-(how_many - how_many // 2) :])
    second = run_in_process(fake, cfg, first.state).check()
    baseline = run_in_process(fake, config(fake, world, track_changes=False), second.state)
    found = counts(second.check())
    # Channels: one page each (a deletion of n messages is n updates: 100 at most).
    assert found[CHANNEL_DIFF] == 2
    # Beyond the requests of a run without change capture: the budget.
    extra = sum(found.values()) - sum(counts(baseline).values())
    assert extra <= sum(math.ceil(n / 100) for n in changes.values()) + 3
    rows = messages(second)
    assert sum(1 for r in rows if r["deleted"]) == sum(n - n // 2 for n in changes.values())
    assert sum(1 for r in rows if not r["deleted"]) == sum(n // 2 for n in changes.values())


def test_only_messages_the_tap_delivered_get_changes(world: World) -> None:
    fake = FakeTelegram(world)
    news_ids = world.text_ids("news")
    start = news_ids[400]
    cfg = fake.tap_config(chats=["@cc_news"], start_message_id=start, verify_requests_per_run=0)
    first = run_in_process(fake, cfg).check()
    assert min(r["id"] for r in messages(first)) > start
    world.edit_message("news", news_ids[10], "before the start: not asked for")
    world.delete_messages("news", [news_ids[11]])
    world.edit_message("news", news_ids[500], "asked for")
    world.append_messages("news", 2)
    fresh = world.message_ids("news")[-2:]
    world.edit_message("news", fresh[0], "new and already edited")
    second = run_in_process(fake, cfg, first.state).check()
    rows = {r["id"]: r for r in messages(second)}
    assert sorted(rows) == sorted([news_ids[500], *fresh])
    assert rows[news_ids[500]]["text"] == "asked for"
    assert rows[fresh[0]]["text"] == "new and already edited"  # from history, once
    assert bookmarks(second.state)[world.marked_id("news")] == fresh[-1]


def test_new_messages_come_from_history_and_move_the_bookmark(world: World) -> None:
    fake = FakeTelegram(world)
    cfg = config(fake, world)
    first = run_in_process(fake, cfg).check()
    new_news = world.append_messages("news", 5)
    new_bob = world.append_messages("bob", 3)
    world.delete_messages("news", [new_news[1]])  # new, then gone before the run: never seen
    second = run_in_process(fake, cfg, first.state).check()
    by_chat = collections.defaultdict(list)
    for row in messages(second):
        by_chat[row["chat_id"]].append((row["id"], bool(row["deleted"])))
    assert by_chat[world.marked_id("news")] == [(i, False) for i in new_news if i != new_news[1]]
    assert by_chat[world.marked_id("bob")] == [(i, False) for i in new_bob]
    marks = bookmarks(second.state)
    assert marks[world.marked_id("news")] == new_news[-1]
    assert marks[world.marked_id("bob")] == new_bob[-1]


@pytest.mark.parametrize(
    "settings",
    [None, UpdateLogSettings(channel_too_long="horizon", channel_horizon=150)],
    ids=["telegram", "horizon"],
)
def test_a_channel_log_too_long_falls_back_to_history_and_restarts(
    world: World, settings: UpdateLogSettings | None
) -> None:
    fake = FakeTelegram(world, update_log=settings)
    cfg = config(fake, world)
    first = run_in_process(fake, cfg).check()
    news = world.marked_id("news")
    ids = world.text_ids("news")
    for message_id in ids[:200]:  # more than Telegram's 100 and than the horizon
        world.edit_message("news", message_id, "lost in a too-long log")
    appended = world.append_messages("news", 3)
    world.edit_message("devs", world.text_ids("devs")[5], "devs still tracked")
    second = run_in_process(fake, cfg, first.state).check()
    news_rows = [r for r in messages(second) if r["chat_id"] == news]
    assert [r["id"] for r in news_rows] == appended  # new messages are never lost
    assert any(r["text"] == "devs still tracked" for r in messages(second))
    assert partitions(second)[news]["pts"] == world.chat("news").pts
    assert counts(second)[CHANNEL_DIFF] == 2
    # The next run is back on the log.
    world.edit_message("news", ids[300], "seen again")
    third = run_in_process(fake, cfg, second.state).check()
    assert [(r["id"], r["text"]) for r in messages(third)] == [(ids[300], "seen again")]


def test_the_account_log_too_long_falls_back_and_logs_one_line(world: World) -> None:
    fake = FakeTelegram(world, update_log=UpdateLogSettings(account_horizon=10))
    cfg = config(fake, world)
    first = run_fake_tap(fake, cfg).check()
    bob = world.text_ids("bob")
    for message_id in bob[:15]:
        world.edit_message("bob", message_id, "too many")
    appended = world.append_messages("fam", 2)
    second = run_fake_tap(FakeTelegram(world, update_log=fake.update_log), cfg, first.state)
    second.check()
    assert [r["id"] for r in messages(second)] == appended
    lines = [line for line in second.stderr.splitlines() if "too many changes" in line]
    assert len(lines) == 1, second.stderr[-3000:]
    assert "private chats and basic groups" in lines[0]
    assert second.state is not None
    assert second.state["bookmarks"]["messages"]["account_log"]["pts"] == world.account_pts
    assert "1 too long" in second.stderr


def test_a_crash_after_the_log_was_read_loses_no_change_and_invents_none(world: World) -> None:
    fake = FakeTelegram(world)
    cfg = config(fake, world, state_every_seconds=0)  # STATE at every chat's end
    first = run_in_process(fake, cfg).check()
    news, bob, fam = (world.marked_id(key) for key in ("news", "bob", "fam"))
    account_before = first.state["bookmarks"]["messages"]["account_log"]  # type: ignore[index]
    world.edit_message("news", world.text_ids("news")[2], "news edit")
    world.edit_message("bob", world.text_ids("bob")[3], "bob edit")
    gone = world.text_ids("fam")[3]
    world.delete_messages("fam", [gone])
    appended = world.append_messages("fam", 2)
    expected = {(news, "news edit"), (bob, "bob edit"), (fam, "tombstone")}
    # The process dies when the basic group's history is read: every log was read, the
    # channel's and the private chat's changes are out, the basic group's are not.
    crashing = FakeTelegram(
        world, faults=[Fault("GetHistoryRequest", kind="crash", chat="fam")], crash_mode="exit"
    )
    crashed = run_fake_tap(crashing, cfg, first.state)
    assert not crashed.ok
    assert crashed.state is not None
    parts = {
        p["context"]["chat_id"]: p for p in crashed.state["bookmarks"]["messages"]["partitions"]
    }
    assert parts[news]["pts"] == world.chat("news").pts  # its change is written
    # The account's log covers the basic group too: its position has not moved.
    assert crashed.state["bookmarks"]["messages"]["account_log"] == account_before
    rerun = run_in_process(fake, cfg, crashed.state).check()

    def changes(run: TapRun) -> set[tuple[int, str]]:
        return {
            (r["chat_id"], "tombstone" if r["deleted"] else r["text"])
            for r in messages(run)
            if r["deleted"] or r["edit_date"]
        }

    assert changes(crashed) | changes(rerun) == expected  # none lost, none invented
    assert (news, "news edit") not in changes(rerun)  # the channel's position had moved
    assert [
        r["id"] for r in messages(rerun) if r["chat_id"] == fam and not r["deleted"]
    ] == appended
    tomb = [r for r in messages(rerun) if r["deleted"]]
    assert [(r["chat_id"], r["id"]) for r in tomb] == [(fam, gone)]
    assert rerun.state["bookmarks"]["messages"]["account_log"]["pts"] == world.account_pts  # type: ignore[index]


def test_a_private_chat_that_fails_keeps_the_account_log_where_it_was(world: World) -> None:
    """The account's position covers every private chat and basic group: while one of
    them failed before its changes were out, it must not move (else its edit is lost)."""
    fake = FakeTelegram(world)
    cfg = config(fake, world)
    first = run_in_process(fake, cfg).check()
    account_before = first.state["bookmarks"]["messages"]["account_log"]  # type: ignore[index]
    bob, fam = world.marked_id("bob"), world.marked_id("fam")
    edited = world.text_ids("bob")[3]
    world.edit_message("bob", edited, "bob edit")
    new = world.append_messages("bob", 1)  # so that bob's history is read (and fails)
    world.edit_message("fam", world.text_ids("fam")[2], "fam edit")
    fake.add_fault("GetHistoryRequest", "FLOOD_WAIT_100000", chat="bob", times=None)
    failed = run_in_process(fake, cfg, first.state)
    assert failed.state is not None
    assert [r["id"] for r in messages(failed) if r["chat_id"] == bob] == []
    assert [r["text"] for r in messages(failed) if r["chat_id"] == fam] == ["fam edit"]
    assert failed.state["bookmarks"]["messages"]["account_log"] == account_before
    fake.faults.clear()
    rerun = run_in_process(fake, cfg, failed.state).check()
    assert [(r["id"], r["text"]) for r in messages(rerun) if r["chat_id"] == bob] == [
        (new[0], world.message("bob", new[0]).message),
        (edited, "bob edit"),
    ]
    assert rerun.state["bookmarks"]["messages"]["account_log"]["pts"] == world.account_pts  # type: ignore[index]


def test_track_changes_off_sends_no_update_request_of_its_own(world: World) -> None:
    fake = FakeTelegram(world)
    cfg = config(fake, world, track_changes=False)
    first = run_in_process(fake, cfg).check()
    world.edit_message("news", world.text_ids("news")[2], "unseen")
    second = run_in_process(fake, cfg, first.state).check()
    assert messages(second) == []
    assert counts(second)[CHANNEL_DIFF] == 0


def test_lookback_and_the_log_report_a_change_once(world: World) -> None:
    fake = FakeTelegram(world)
    cfg = config(fake, world, lookback_messages=50)
    first = run_in_process(fake, cfg).check()
    ids = world.text_ids("news")
    world.edit_message("news", ids[-3], "inside the window")
    world.delete_messages("news", [ids[-4]])
    world.edit_message("news", ids[5], "far outside the window")
    second = run_in_process(fake, cfg, first.state).check()
    news = world.marked_id("news")
    rows = [(r["id"], r["deleted"], r["text"]) for r in messages(second) if r["chat_id"] == news]
    assert sorted(rows) == sorted(
        [
            (ids[-3], None, "inside the window"),
            (ids[-4], True, None),
            (ids[5], None, "far outside the window"),
        ]
    )


def test_a_public_channel_that_is_not_a_dialog_is_asked_every_run() -> None:
    world = make_world()
    world.add_chat("public", "channel", messages=90, username="cc_public", member=False)
    fake = FakeTelegram(world)
    cfg = fake.tap_config(chats=["@cc_public"], verify_requests_per_run=0)
    first = run_in_process(fake, cfg).check()
    public = world.marked_id("public")
    assert partitions(first)[public]["pts"] == world.chat("public").pts  # from its full info
    world.edit_message("public", world.text_ids("public")[0], "seen without a dialog")
    second = run_in_process(fake, cfg, first.state).check()
    assert [r["text"] for r in messages(second)] == ["seen without a dialog"]
    third = run_in_process(fake, cfg, second.state).check()
    assert messages(third) == []
    # No dialog says whether it changed: one difference request a run (an empty answer).
    assert counts(third)[CHANNEL_DIFF] == 1


def test_a_private_deletion_never_cancels_a_channel_edit_of_the_same_id(world: World) -> None:
    """Account ids and channel ids overlap: an id-only deletion concerns the account's chats."""
    fake = FakeTelegram(world)
    cfg = config(fake, world)
    first = run_in_process(fake, cfg).check()
    shared = next(i for i in world.text_ids("fam") if i in set(world.text_ids("news")))
    world.edit_message("news", shared, "channel edit")
    world.delete_messages("fam", [shared])
    second = run_in_process(fake, cfg, first.state).check()
    got = {(r["chat_id"], r["id"], r["deleted"], r["text"]) for r in messages(second)}
    assert got == {
        (world.marked_id("news"), shared, None, "channel edit"),
        (world.marked_id("fam"), shared, True, None),
    }


def test_positions_telegram_refuses_start_tracking_again_from_now(world: World) -> None:
    """A hand-edited STATE (or one of another account): one line, no traceback, no loss."""
    fake = FakeTelegram(world)
    cfg = config(fake, world)
    first = run_in_process(fake, cfg).check()
    state = first.state
    assert state is not None
    state["bookmarks"]["messages"]["account_log"]["pts"] = 0  # PERSISTENT_TIMESTAMP_EMPTY
    for part in state["bookmarks"]["messages"]["partitions"]:
        if "pts" in part:
            part["pts"] = -5
    appended = world.append_messages("news", 2)
    second = run_in_process(fake, cfg, state).check()
    assert [r["id"] for r in messages(second)] == appended  # history as always
    assert partitions(second)[world.marked_id("news")]["pts"] == world.chat("news").pts
    assert second.state["bookmarks"]["messages"]["account_log"]["pts"] == world.account_pts  # type: ignore[index]
    world.edit_message("bob", world.text_ids("bob")[1], "tracked again")
    world.edit_message("devs", world.text_ids("devs")[1], "tracked again")
    third = run_in_process(fake, cfg, second.state).check()
    assert sorted(r["text"] for r in messages(third)) == ["tracked again", "tracked again"]
