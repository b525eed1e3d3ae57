"""Issue 26: the tap learns each method's budget from the FLOOD_WAITs it gets and paces itself.

Unit tests of :mod:`tap_telegram.sources.mtproto.wire.rate` run on a fake clock (its
sleeps move the clock on: nothing waits for real); the runs against the fake Telegram
count FLOOD_WAITs and requests in the fake's statistics, never time.
"""

from __future__ import annotations

import asyncio

import pytest

from tap_telegram.sources.mtproto.wire.rate import (
    KEEP_SECONDS,
    Pace,
    RateBudget,
    oldest_in_window,
    read_stored,
)
from tests.fake_telegram import FakeTelegram, dialogs_world, make_world, run_in_process

HISTORY = "GetHistoryRequest"
FULL_CHANNEL = "GetFullChannelRequest"


class Clock:
    """A clock whose sleeps move it on (and are counted)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def budget_on(clock: Clock, **options) -> RateBudget:
    return RateBudget(4, clock=clock, sleep=clock.sleep, **options)


async def send(budget: RateBudget, clock: Clock, method: str, count: int, gap: float) -> None:
    """``count`` accepted requests of ``method``, ``gap`` seconds apart (after pacing)."""
    for _ in range(count):
        async with budget.slot(method):
            pass
        clock.now += gap


def test_a_burst_then_a_wait_teaches_the_window():
    clock = Clock()
    budget = budget_on(clock)
    asyncio.run(send(budget, clock, HISTORY, 20, 0.01))
    assert budget.flood(10, HISTORY) == pytest.approx(10)
    pace = budget.pace(HISTORY)
    assert pace is not None
    assert pace.requests == 20
    # From the first of the 20 to the end of the wait, plus a small margin.
    assert 10.2 <= pace.window <= 10.3
    # More answers to requests that were in flight: the same episode, nothing new learned.
    budget.flood(10, HISTORY)
    assert budget.pace(HISTORY) == pace
    assert budget.flood_waits == 2


def test_paced_method_draws_no_second_wait_and_keeps_the_burst():
    """After learning, 100 more requests start so that no window ever holds more than 20."""
    clock = Clock()
    budget = budget_on(clock)
    asyncio.run(send(budget, clock, HISTORY, 20, 0.0))
    pause = budget.flood(10, HISTORY)
    clock.now += pause
    pace = budget.pace(HISTORY)
    assert pace is not None
    starts: list[float] = []

    async def paced() -> None:
        for _ in range(100):
            async with budget.slot(HISTORY):
                starts.append(clock.now)

    asyncio.run(paced())
    # Telegram's sliding window of 20 per 10 s is never exceeded ...
    assert all(b - a >= 10 for a, b in zip(starts, starts[20:], strict=False))
    # ... and the tap uses it: 20 at once, then 20 per window.
    assert starts[19] == starts[0]
    assert starts[-1] - starts[0] <= 4 * pace.window + 0.01


def test_pacing_is_per_method():
    clock = Clock()
    budget = budget_on(clock)
    asyncio.run(send(budget, clock, HISTORY, 20, 0.0))
    budget.flood(10, HISTORY)
    assert budget.pace("GetFullChannelRequest") is None
    clock.slept.clear()
    asyncio.run(send(budget, clock, "GetFullChannelRequest", 200, 0.0))
    assert clock.slept == [], "another method is neither held nor paced"


def test_an_account_without_waits_is_never_slowed():
    clock = Clock()
    budget = budget_on(clock)
    asyncio.run(send(budget, clock, HISTORY, 1000, 0.0))
    assert clock.slept == []
    assert budget.pace(HISTORY) is None
    assert "unpaced" in budget.summary()


def test_a_lone_request_then_a_burst_is_limited_by_the_burst():
    """One request, a pause longer than the window, then 20 at once: the window is the burst's."""
    sent = [0.0] + [10.5 + 0.2 * i for i in range(20)]
    now = sent[-1] + 0.05
    wait = sent[1] + 10 - now  # the first of the burst leaves a 10 s window then
    first = oldest_in_window(sent, now, wait)
    assert first == 1
    assert now + wait - sent[first] == pytest.approx(10)


def test_evenly_spread_requests_are_not_taken_for_a_tiny_window():
    sent = [0.47 * i for i in range(20)]
    now = sent[-1] + 0.01
    first = oldest_in_window(sent, now, 1.0)
    assert first <= 1, "a window that would have refused earlier requests is not it"


def test_wait_despite_pacing_keeps_the_stricter_budget():
    clock = Clock()
    budget = budget_on(clock)
    asyncio.run(send(budget, clock, HISTORY, 20, 0.0))
    clock.now += budget.flood(10, HISTORY)
    asyncio.run(send(budget, clock, HISTORY, 15, 0.0))
    clock.now += budget.flood(30, HISTORY)
    pace = budget.pace(HISTORY)
    assert pace is not None
    assert pace.requests == 15
    assert pace.window >= 30


def test_learned_budgets_are_kept_in_state_and_expire():
    clock = Clock()
    memory: dict = {}
    budget = budget_on(clock)
    budget.keep_in(memory, "pace", now=1_717_000_000)
    assert memory == {}, "nothing learned: nothing kept"
    asyncio.run(send(budget, clock, HISTORY, 20, 0.0))
    budget.flood(10, HISTORY)
    stored = memory["pace"]
    requests, millis, at = stored[HISTORY]
    assert (requests, at) == (20, 1_717_000_000)
    assert isinstance(millis, int)
    assert 10_000 <= millis <= 10_100
    # The next run is paced from its first request.
    later = budget_on(Clock())
    later.keep_in(memory, "pace", now=1_717_000_000 + 3600)
    assert later.pace(HISTORY) == Pace(20, millis / 1000)
    # A week on, the budget is learned again; hand-edited entries are dropped.
    stored["GetDialogsRequest"] = ["x", 1, 2]
    stored["GetFullUserRequest"] = [0, 10, 1_717_000_000]
    stored["GetFullChatRequest"] = [1, 10**15, 1_717_000_000]  # would hold it for ages
    assert read_stored(stored, 1_717_000_000 + 10) == {HISTORY: Pace(20, millis / 1000)}
    expired = budget_on(Clock())
    expired.keep_in(memory, "pace", now=1_717_000_000 + KEEP_SECONDS + 1)
    assert expired.pace(HISTORY) is None
    assert memory == {}


# -- against the fake Telegram ------------------------------------------------------------


def flood_world():
    return make_world(
        seed=26,
        generated_users=4,
        chats=[
            {"key": "big", "kind": "channel", "username": "p26_big", "messages": 1_200},
            {"key": "grp", "kind": "supergroup", "username": "p26_grp", "messages": 300},
        ],
    )


def test_after_the_first_wait_no_further_wait_in_the_run_nor_the_next():
    """One request at a time: the first FLOOD_WAIT is the only one, this run and the next."""
    world = flood_world()
    fake = FakeTelegram(world)
    fake.rate_limit(requests=4, window=1.0)
    config = fake.tap_config(
        chats=["@p26_big", "@p26_grp"], max_concurrent_requests=1, concurrent_chats=1
    )
    first = run_in_process(fake, config).check()
    assert first.stats is not None
    assert first.stats.floods[HISTORY] == 1
    assert first.stats.requests[HISTORY] >= 12, "more requests than one window takes"
    assert first.state is not None
    pace = first.state["bookmarks"]["chats"]["memory"]["pace"]
    assert list(pace) == [HISTORY], "only the method that drew a wait is paced"
    assert pace[HISTORY][0] == 4
    world.append_messages("big", 1_000)
    fake.next_hour()
    second = run_in_process(fake, config, first.state).check()
    assert second.stats is not None
    assert second.stats.requests[HISTORY] >= 10
    assert second.stats.floods == {}, "the budget learned in the first run paces the second"


def test_a_quiet_account_sends_what_it_sent_before_and_stores_no_budget():
    world = flood_world()
    fake = FakeTelegram(world)
    config = fake.tap_config(chats=["@p26_big", "@p26_grp"])
    paced = run_in_process(fake, config).check()
    RateBudget.learns = False
    try:
        unpaced = run_in_process(FakeTelegram(flood_world()), config).check()
    finally:
        RateBudget.learns = True
    assert paced.stats is not None
    assert unpaced.stats is not None
    assert paced.stats.requests == unpaced.stats.requests
    assert paced.stats.flood_waits == 0
    assert paced.state is not None
    assert "pace" not in paced.state["bookmarks"]["chats"]["memory"]


def test_a_short_day_draws_flood_waits_only_in_the_first_sync():
    """A user's day (``make bench``'s flood day, short): first sync, then hourly runs.

    The flood limits apply from the first sync on; the budget it learns rides in STATE
    from run to run, so no hourly run draws a FLOOD_WAIT although each sends more
    ``getHistory`` than the limit lets through at once. Counts only, never time.
    """
    from bench import steady

    day = steady.flood_day(12, log=lambda *_: None, hours=2, history_limit=(4, 1.0))
    assert day["flood_waits_first_run"].get(HISTORY, 0) >= 1, "the first sync learns"
    assert day["pace_after_first_run"][HISTORY][0] == 4
    assert day["history_per_run_max"] > 4, "each hourly run sends more than one burst"
    assert day["flood_waits_by_hour"] == [0, 0]
    assert day["flood_waits"] == {}
    goals = steady.day_goals(day)
    assert goals["steady_day_12_goal_no_flood_wait_in_hourly_runs"] is True
    assert goals["steady_day_12_flood_waits_hourly_runs"] == 0


def test_a_takeout_run_keeps_its_budgets_apart_from_plain_runs():
    """Telegram limits requests inside a takeout session differently: separate STATE keys."""
    world = flood_world()
    fake = FakeTelegram(world)
    fake.rate_limit(requests=4, window=1.0)
    plain = fake.tap_config(
        chats=["@p26_big", "@p26_grp"], max_concurrent_requests=1, concurrent_chats=1
    )
    takeout = {**plain, "use_takeout": True}
    first = run_in_process(fake, takeout).check()
    assert first.stats is not None
    assert first.stats.floods[HISTORY] == 1
    assert first.state is not None
    memory = first.state["bookmarks"]["chats"]["memory"]
    assert "pace" not in memory
    assert memory["pace_takeout"][HISTORY][0] == 4
    # A plain run is not paced by the takeout's budget: it learns its own.
    world.append_messages("big", 1_000)
    fake.next_hour()
    second = run_in_process(fake, plain, first.state).check()
    assert second.stats is not None
    assert second.stats.floods[HISTORY] == 1
    assert second.state is not None
    memory = second.state["bookmarks"]["chats"]["memory"]
    assert memory["pace"][HISTORY][0] == 4
    assert memory["pace_takeout"] == first.state["bookmarks"]["chats"]["memory"]["pace_takeout"]
    # And the next takeout run is paced by the takeout's.
    world.append_messages("big", 1_000)
    fake.next_hour()
    third = run_in_process(fake, takeout, second.state).check()
    assert third.stats is not None
    assert third.stats.requests[HISTORY] >= 10
    assert third.stats.floods == {}


def test_requests_queued_before_the_first_wait_keep_to_what_it_taught():
    """A first sync asks every chat's full info at once: the requests queued for a slot
    when the first FLOOD_WAIT comes are sent in pace, not each into a wait of its own."""
    world = dialogs_world(60, messages=2)  # 30 channels and supergroups: 30 GetFullChannel
    fake = FakeTelegram(world)
    fake.rate_limit(requests=5, window=1.0, request=FULL_CHANNEL)
    run = run_in_process(fake, fake.tap_config(max_concurrent_requests=4)).check()
    assert run.stats is not None
    accepted = run.stats.requests[FULL_CHANNEL] - run.stats.floods[FULL_CHANNEL]
    assert accepted == 30
    # At most the requests already sent when the first wait came (4 slots).
    assert 1 <= run.stats.floods[FULL_CHANNEL] <= 4
    assert run.state is not None
    assert run.state["bookmarks"]["chats"]["memory"]["pace"][FULL_CHANNEL][0] == 5
