"""Issue 16 (requests wasted on sparse ids) and 18 (no probe when the dialogs know the newest id).

The parallel reader must cost about what reading page after page costs, whatever the
ids look like: dense, random gaps, long deleted ranges. Requests are counted by type
on the fake Telegram, whose answers come back out of order (``jitter``) as over a real
network. The planner itself (:mod:`~tap_telegram.sources.mtproto.history.lanes`) is pure
bookkeeping and is also tested without any network.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random

import pytest

from tap_telegram.sources.base import MessageQuery, SourceContext
from tap_telegram.sources.mtproto.history.lanes import Density, LanePlan, lane_width, read_lanes
from tap_telegram.sources.mtproto.history.reader import Page
from tap_telegram.sources.mtproto.source import MTProtoSource
from tests.fake_telegram import FakeTelegram, make_world

HISTORY = "GetHistoryRequest"


def channel(count: int, deleted: list[int], kind: str = "channel"):
    """A world with one chat ``c`` of ``count`` ids, ``deleted`` removed."""
    world = make_world(
        seed=16,
        generated_users=3,
        chats=[{"key": "c", "kind": kind, "username": "lanes_c", "messages": count}],
    )
    if deleted:
        world.delete_messages("c", deleted)
    return world


def ranges(*spans: tuple[int, int]) -> list[int]:
    """Ids of long deleted ranges ``[start, end)``."""
    return [i for start, end in spans for i in range(start, end)]


def random_gaps(count: int, share: float, seed: int = 3) -> list[int]:
    """About ``share`` of ``1..count`` deleted at random."""
    draw = random.Random(seed)
    return [i for i in range(1, count + 1) if draw.random() < share]


LAYOUTS = {
    "long deleted ranges": (20_000, ranges((2_000, 5_000), (7_000, 10_000), (12_000, 15_000))),
    "one range of 90 %": (20_000, ranges((1_000, 19_000))),
    "random gaps (50 %)": (8_000, random_gaps(8_000, 0.5)),
    "random gaps (10 %)": (8_000, random_gaps(8_000, 0.1)),
    "ranges and random gaps": (
        24_000,
        sorted(set(ranges((3_000, 4_500), (9_000, 13_000))) | set(random_gaps(24_000, 0.3))),
    ),
    "2,424 messages over 12,000 ids": (
        12_000,
        ranges((500, 4_500), (5_000, 8_500), (9_000, 11_076)),
    ),
}


def read_chat(fake, *, after=0, top_message=None, collect=None, **settings):
    """Chat ``c`` through the source like the stream reads it (plan, then pages)."""
    source = MTProtoSource(
        SourceContext(
            fake.tap_config(chats=["@lanes_c"], **settings),
            logging.getLogger("test"),
            fake.client_factory,
        )
    )
    ids = [] if collect is None else collect
    try:
        (chat,) = source.chats()
        source.chat(chat["id"]).top_message = top_message
        query = MessageQuery(chat["id"], after)
        source.plan([query])
        for page in source.history_pages(query):
            ids.extend(record["id"] for record in page)
    finally:
        source.close()
    return ids


def history_requests(
    world, *, after: int = 0, top: bool = False, jitter: float = 0.002, **settings
):
    """getHistory requests of one read of chat ``c`` (checked complete and in order)."""
    fake = FakeTelegram(world, jitter=jitter)
    top_message = world.last_id("c") if top else None
    ids = read_chat(fake, after=after, top_message=top_message, **settings)
    assert ids == [i for i in world.message_ids("c") if i > after]
    assert {name for name in fake.stats.requests if "History" in name} <= {HISTORY}
    return fake.stats.requests[HISTORY]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(("start", "top"), [(0.0, False), (0.3, False), (0.3, True)])
def test_parallel_reader_costs_about_what_paging_costs(layout, start, top):
    count, deleted = LAYOUTS[layout]
    world = channel(count, deleted)
    after = int(count * start)
    sequential = history_requests(world, after=after, top=top, max_concurrent_requests=1)
    parallel = history_requests(world, after=after, top=top)
    assert parallel <= math.ceil(1.1 * sequential), (sequential, parallel)


def test_dense_channel_costs_one_request_per_page():
    world = channel(2_000, [])
    assert history_requests(world) == 2_000 // 100
    assert history_requests(world, page_size=50, max_concurrent_requests=4) == 2_000 // 50
    # The same chat read page after page: one more answer, the empty one at the end.
    assert history_requests(world, max_concurrent_requests=1) == 2_000 // 100 + 1


def test_first_run_costs_its_pages_plus_at_most_one():
    """Issue 18's bound: a first run sends at most sum(ceil(messages / page_size)) + 1 per chat."""
    sizes = {"small": 30, "page": 100, "some": 250, "more": 730}
    for key, size in sizes.items():
        for kind in ("channel", "supergroup", "group", "private"):
            world = channel(size, [], kind=kind) if kind != "private" else private_chat(size)
            for top in (False, True):
                for concurrent in (1, 12):
                    sent = history_requests(world, top=top, max_concurrent_requests=concurrent)
                    assert sent <= math.ceil(size / 100) + 1, (key, kind, top, concurrent, sent)
    # A 30-message channel is one request now (the probe, a window and the tail before).
    assert history_requests(channel(30, [])) == 1


def private_chat(size: int):
    world = make_world(seed=16, generated_users=3, chats=[])
    world.add_user("pal", first_name="Pal", username="lanes_c")
    world.add_chat("c", "private", user="pal", messages=size)
    return world


@pytest.mark.parametrize("concurrent", [1, 12])
def test_newest_id_from_the_dialogs_spares_every_probe(concurrent):
    world = channel(1_000, ranges((300, 400)))
    bookmark = world.last_id("c")
    # Nothing new since the bookmark: no request at all.
    assert (
        history_requests(world, after=bookmark, top=True, max_concurrent_requests=concurrent) == 0
    )
    # Without the dialogs' word, one request finds that out.
    assert history_requests(world, after=bookmark, max_concurrent_requests=concurrent) == 1
    world.append_messages("c", 250)
    # 250 new messages, the newest id known: three pages, nothing else.
    assert (
        history_requests(world, after=bookmark, top=True, max_concurrent_requests=concurrent) == 3
    )


def test_a_failed_page_comes_after_the_pages_before_it():
    world = channel(3_000, random_gaps(3_000, 0.2))
    fake = FakeTelegram(world, jitter=0.002)
    fake.add_fault("GetHistoryRequest", "CHANNEL_PRIVATE", nth=6)
    got: list[int] = []
    with pytest.raises(Exception, match="private"):
        read_chat(fake, collect=got)
    assert got, "pages before the failure were handed on"
    assert got == world.message_ids("c")[: len(got)], "in order, no gap"


# -- the planner alone --------------------------------------------------------------


def answer(low: int, top: int, count: int, total: int = 10_000) -> Page:
    return Page([], top, low, count, total, complete=False)


def test_no_guess_before_the_first_answer_then_pages_one_page_apart():
    plan = LanePlan(0, 10_000, 100, 12)
    first = plan.to_send()
    assert [lane.pos for lane in first] == [0]
    plan.answered(first[0], 0, answer(1, 100, 100))
    second = plan.to_send()
    assert [lane.pos for lane in second] == [100, 200]
    for lane in second:
        plan.answered(lane, lane.pos, answer(lane.pos + 1, lane.pos + 100, 100))
    assert [lane.pos for lane in plan.to_send()] == [300, 400, 500, 600]


def test_a_guess_in_a_deleted_range_covers_the_lanes_after_it():
    plan = LanePlan(0, 10_000, 100, 12)
    (head,) = plan.to_send()
    plan.answered(head, 0, answer(1, 100, 100))
    lanes = plan.to_send()
    plan.answered(lanes[0], 100, answer(101, 200, 100))
    lanes += plan.to_send()
    starts = [lane.start for lane in plan.lanes]
    assert starts == [0, 200, 300, 400]
    allowance = plan.allowance
    # The guess at 200 lands in a range deleted up to 5,000: its page reaches 5,099.
    guess = plan.lanes[1]
    plan.answered(guess, 200, answer(5_000, 5_099, 100))
    assert plan.allowance < allowance, "a surprise slows guessing down"
    assert all(lane.done for lane in plan.lanes[1:3]), "lanes inside the range have nothing to read"
    assert plan.lanes[3].pos == 5_099, "the last lane skips what the page covered"


def test_an_empty_answer_ends_the_plan():
    plan = LanePlan(0, 10_000, 100, 12)
    (head,) = plan.to_send()
    plan.answered(head, 0, answer(1, 100, 100))
    head_again, guess = plan.to_send()
    plan.answered(guess, 200, answer(0, 0, 0))  # nothing above 200
    assert (plan.bound, guess.done) == (200, True)
    plan.answered(head_again, 100, answer(101, 200, 100))
    assert all(lane.done for lane in plan.lanes)
    assert plan.to_send() == []


def test_density_does_not_smear_a_deleted_range():
    density = Density(100)
    density.add(0, answer(1, 100, 100))
    density.add(100, answer(9_001, 9_100, 100))  # ids 101..9,000 were deleted
    assert density.near(9_100) == (1.0, True)
    assert density.overall() == pytest.approx(200 / 9_100)


def test_lane_width_spans_more_pages_where_ids_are_sparse():
    assert lane_width(100, 1.0, exact=True) == 100
    pages = [lane_width(100, d, exact=False) * d / 100 for d in (0.99, 0.9, 0.5, 0.1, 0.01)]
    assert pages == sorted(pages)
    assert 0.9 < pages[0] <= 2
    assert pages[-1] <= 8


def test_an_error_is_raised_after_every_page_below_it():
    """Pages read ahead of a failed one are handed on first (the bookmark gets that far)."""

    async def read(start: int) -> Page:
        await asyncio.sleep(0.001 * (start % 7))  # answers out of order
        if start == 1_500:
            raise RuntimeError("lost")
        ids = list(range(start + 1, min(start + 100, 3_000) + 1))
        return Page([{"id": i} for i in ids], ids[-1], ids[0], len(ids), 3_000, complete=False)

    async def collect(got: list[int]) -> None:
        async for records, _ in read_lanes(read, 0, 3_000, page_size=100, slots=12, newest=3_000):
            got.extend(record["id"] for record in records)

    got: list[int] = []
    with pytest.raises(RuntimeError, match="lost"):
        asyncio.run(collect(got))
    assert got == list(range(1, 1_501))


def test_read_ahead_stays_bounded_while_the_stream_is_slow():
    """Pages nobody took yet count against the budget, the first lane's too."""
    plan = LanePlan(0, 1_000_000, 100, 1)  # one slot: one lane, at most 4 pages ahead
    for _ in range(50):
        for lane in plan.to_send():
            plan.answered(lane, lane.pos, answer(lane.pos + 1, lane.pos + 100, 100, 1_000_000))
        assert plan.held() <= 4
    assert plan.to_send() == []
    plan.lanes[0].pages.popleft()  # the stream takes one page: one more may be read
    assert len(plan.to_send()) == 1
