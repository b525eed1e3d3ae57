"""The statistics streams against the fake Telegram: shapes, the statistics DC, daily costs."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest

from tests.fake_telegram import FakeTelegram, Stats, World, run_fake_tap, run_in_process
from tests.fake_telegram.harness import catalog_selecting
from tests.fake_telegram.stats import (
    BROADCAST_GRAPHS,
    MEGAGROUP_GRAPHS,
    POST_GRAPHS,
    counters,
    enable_stats,
    graph_json,
    post_graph_json,
)

STATS = catalog_selecting("channel_stats", "group_stats", "stats_graphs")
NOW = dt.datetime(2024, 6, 1, 9, 30, tzinfo=dt.timezone.utc)
STATS_REQUESTS = ("GetBroadcastStatsRequest", "GetMegagroupStatsRequest", "LoadAsyncGraphRequest")


@pytest.fixture
def world() -> World:
    """A channel on statistics DC 4 with async and error graphs, a supergroup, small chats."""
    world = World(seed=9)
    world.add_generated_users(6)
    world.add_chat("posts", "channel", messages=20, admin="creator", username="fake_posts")
    world.add_chat("group", "supergroup", messages=20, admin="admin", username="fake_group")
    world.add_chat("small", "channel", messages=5, admin="admin", username="fake_small")
    world.add_chat("member", "supergroup", messages=5, username="fake_member")
    enable_stats(
        world,
        "posts",
        dc=4,
        days=10,
        async_graphs=("languages", "followers"),
        error_graphs=("iv_interactions",),
    )
    enable_stats(world, "group", days=10)
    enable_stats(world, "member")  # has statistics, but the account is no admin there
    return world


def config(fake: FakeTelegram) -> dict[str, Any]:
    """All four chats."""
    return fake.tap_config(chats=["@fake_posts", "@fake_group", "@fake_small", "@fake_member"])


def counts(run: Any) -> Stats:
    """The fake's counters of a run."""
    assert run.stats is not None
    stats: Stats = run.stats
    return stats


def stats_requests(run: Any) -> int:
    """Statistics requests of a run (summary, async graphs)."""
    return sum(int(counts(run).requests[name]) for name in STATS_REQUESTS)


def expected_rows(world: World, key: str, graph: str, now: dt.datetime) -> set[tuple[Any, ...]]:
    """(graph, x, series, series_name, value) of every point of a graph, from the fake."""
    data = graph_json(world.chats[key], graph, now)
    xs = data["columns"][0][1:]
    out = set()
    for column in data["columns"][1:]:
        for x, value in zip(xs, column[1:], strict=True):
            out.add((graph, x, column[0], data["names"][column[0]], value))
    return out


def rows_of(run: Any, world: World, key: str) -> set[tuple[Any, ...]]:
    """The same tuples from the tap's stats_graphs records of one chat."""
    chat_id = world.marked_id(key)
    return {
        (r["graph"], r["x"], r["series"], r["series_name"], r["value"])
        for r in run.records.get("stats_graphs", [])
        if r["chat_id"] == chat_id
    }


def test_channel_statistics_from_its_dc_with_async_graphs_loaded(world: World) -> None:
    fake = FakeTelegram(world, now=NOW)
    run = run_in_process(fake, config(fake), catalog=STATS).check()
    snapshot = next(
        r for r in run.records["channel_stats"] if r["chat_id"] == world.marked_id("posts")
    )
    followers = counters(world.chats["posts"], "followers")
    assert (snapshot["followers"], snapshot["followers_previous"]) == (
        followers.current,
        followers.previous,
    )
    assert snapshot["enabled_notifications_percent"] == 25.0
    assert snapshot["date"].startswith("2024-06-01T00:00:00")
    assert snapshot["period_start"].startswith("2024-05-22T00:00:00")
    assert [p["msg_id"] for p in snapshot["recent_posts"]] == [20, 19, 18]
    expected = set()
    for graph in BROADCAST_GRAPHS:
        if graph != "iv_interactions":  # statsGraphError: no rows
            expected |= expected_rows(world, "posts", graph, NOW)
    assert rows_of(run, world, "posts") == expected
    # The home DC answered STATS_MIGRATE_4 once; one auth export/import for DC 4.
    assert counts(run).errors["STATS_MIGRATE_4"] == 1
    assert counts(run).requests["ExportAuthorizationRequest"] == 1
    assert counts(run).requests["ImportAuthorizationRequest"] == 1
    assert counts(run).requests["LoadAsyncGraphRequest"] == 2
    x = rows_of(run, world, "posts")
    assert {row[0] for row in x} == set(BROADCAST_GRAPHS) - {"iv_interactions"}


def test_group_statistics_with_top_posters_admins_inviters(world: World) -> None:
    fake = FakeTelegram(world, now=NOW)
    run = run_in_process(fake, config(fake), catalog=STATS).check()
    (snapshot,) = run.records["group_stats"]
    group = world.chats["group"]
    assert snapshot["chat_id"] == world.marked_id("group")
    assert snapshot["members"] == counters(group, "members").current
    top = [world.users[key].id for key in group.members[:3]]
    assert [p["user_id"] for p in snapshot["top_posters"]] == top
    assert snapshot["top_admins"] == [
        {"user_id": world.self_user.id, "deleted": 3, "kicked": 1, "banned": 2}
    ]
    assert snapshot["top_inviters"] == [{"user_id": top[0], "invitations": 5}]
    expected = set().union(*(expected_rows(world, "group", g, NOW) for g in MEGAGROUP_GRAPHS))
    assert rows_of(run, world, "group") == expected
    assert counts(run).requests["GetMegagroupStatsRequest"] == 1


def test_not_admin_too_small_are_skipped_with_one_line(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeTelegram(world, now=NOW)
    with caplog.at_level(logging.INFO):
        run = run_in_process(fake, config(fake), catalog=STATS).check()
    lines = [r.getMessage() for r in caplog.records if "statistics skipped" in r.getMessage()]
    assert any("@fake_member" in line and "not an admin" in line for line in lines)
    assert any("@fake_small" in line and "too few members" in line for line in lines)
    assert len(lines) == 2, "one line per chat, whichever streams ask"
    chats = {r["chat_id"] for stream in run.records.values() for r in stream}
    assert chats == {world.marked_id("posts"), world.marked_id("group")}
    assert counts(run).errors["CHAT_ADMIN_REQUIRED"] == 0, "known before asking: no request"


def test_a_refusal_is_one_line_and_not_asked_again_that_day(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeTelegram(world, now=NOW)
    # Rights taken away since the dialogs were read: Telegram refuses.
    fake.add_fault("GetBroadcastStatsRequest", "CHAT_ADMIN_REQUIRED", chat="posts")
    with caplog.at_level(logging.INFO):
        first = run_in_process(fake, config(fake), catalog=STATS).check()
    assert "statistics skipped: Telegram has no statistics" in caplog.text
    assert "channel_stats" not in first.records
    fake.now = NOW + dt.timedelta(hours=1)
    again = run_in_process(fake, config(fake), first.state, catalog=STATS).check()
    assert stats_requests(again) == 0


def test_hourly_runs_read_statistics_once_a_day_and_graphs_incrementally(world: World) -> None:
    fake = FakeTelegram(world, now=NOW)
    first = run_in_process(fake, config(fake), catalog=STATS).check()
    assert stats_requests(first) == 2 + 2 + 1, "channel twice (migrate), 2 async graphs, group"
    for hour in range(1, 4):
        fake.now = NOW + dt.timedelta(hours=hour)
        quiet = run_in_process(fake, config(fake), first.state, catalog=STATS).check()
        assert stats_requests(quiet) == 0
        assert quiet.records == {}
    fake.now = NOW + dt.timedelta(days=1)
    next_day = run_in_process(fake, config(fake), first.state, catalog=STATS).check()
    assert counts(next_day).errors["STATS_MIGRATE_4"] == 0, "the remembered DC is asked directly"
    assert stats_requests(next_day) == 1 + 2 + 1
    assert len(next_day.records["channel_stats"]) == 1
    dates = {r["date"][:10] for r in next_day.records["stats_graphs"]}
    assert dates == {"2024-05-31", "2024-06-01"}, "the bookmark's day again, and the new one"
    new = rows_of(next_day, world, "group")
    day = int(dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc).timestamp()) * 1000
    expected = set().union(
        *(expected_rows(world, "group", g, fake.clock()) for g in MEGAGROUP_GRAPHS)
    )
    assert new == {row for row in expected if row[1] >= day - 86_400_000}


def test_not_selected_sends_no_statistics_request(world: World) -> None:
    fake = FakeTelegram(world, now=NOW)
    run = run_in_process(fake, config(fake)).check()
    assert stats_requests(run) == 0
    assert not {"channel_stats", "group_stats", "stats_graphs"} & set(run.records)


def test_one_stream_alone_reads_only_its_kind(world: World) -> None:
    fake = FakeTelegram(world, now=NOW)
    run = run_in_process(fake, config(fake), catalog=catalog_selecting("group_stats")).check()
    assert counts(run).requests["GetBroadcastStatsRequest"] == 0
    assert counts(run).requests["GetMegagroupStatsRequest"] == 1


def test_crash_in_chat_two_keeps_chat_one_and_no_bookmark_runs_ahead(world: World) -> None:
    fake = FakeTelegram(world, now=NOW)
    fake.add_fault("GetMegagroupStatsRequest", kind="crash", chat="group")
    catalog = catalog_selecting("stats_graphs")
    # STATE at every chat with records (state_every_seconds 0): chat one's is out.
    run = run_fake_tap(fake, {**config(fake), "state_every_seconds": 0}, catalog=catalog)
    assert run.returncode == 137
    delivered = {(r["chat_id"], r["date"]) for r in run.records.get("stats_graphs", [])}
    assert {c for c, _ in delivered} == {world.marked_id("posts")}
    for state in run.states:
        for part in state["bookmarks"].get("stats_graphs", {}).get("partitions", []):
            mark = part.get("replication_key_value")
            chat_id = part["context"]["chat_id"]
            assert mark is None or (chat_id, mark) in delivered, "a bookmark ahead of records"
    fake.faults.clear()
    resumed = run_fake_tap(fake, config(fake), run.states[-1], catalog).check()
    assert {r["chat_id"] for r in resumed.records["stats_graphs"]} == {world.marked_id("group")}


def test_post_statistics_for_the_newest_posts_when_asked(world: World) -> None:
    fake = FakeTelegram(world, now=NOW)
    config = fake.tap_config(chats=["@fake_posts"], stats_posts=2)
    run = run_in_process(fake, config, catalog=catalog_selecting("stats_graphs")).check()
    assert counts(run).requests["GetMessageStatsRequest"] == 2
    posts = {r["message_id"] for r in run.records["stats_graphs"]} - {0}
    assert posts == {20, 19}, "the two newest posts"
    chat = world.chats["posts"]
    got = {
        (r["graph"], r["x"], r["series"], r["value"])
        for r in run.records["stats_graphs"]
        if r["message_id"] == 20
    }
    want = set()
    for graph in POST_GRAPHS:
        data = post_graph_json(chat, 20, graph, NOW)
        for column in data["columns"][1:]:
            for x, value in zip(data["columns"][0][1:], column[1:], strict=True):
                want.add((graph, x, column[0], value))
    assert got == want
    off = run_in_process(fake, fake.tap_config(chats=["@fake_posts"]), catalog=STATS).check()
    assert counts(off).requests["GetMessageStatsRequest"] == 0
