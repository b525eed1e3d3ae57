"""Issue 6's fetching: id windows, chats read ahead, the pages() primitive, the rate budget.

In-process MTProtoSource against the fake Telegram (real Telethon client), plus a
few runs of the real CLI where STATE matters.
"""

from __future__ import annotations

import logging

from tap_telegram.sources.base import MessageQuery, SourceContext
from tap_telegram.sources.mtproto.source import MTProtoSource
from tests.fake_telegram import FakeTelegram, make_world, run_fake_tap
from tests.sources.mtproto.helpers import bookmarks, ids_by_chat


def world_of(**chats: tuple[str, int]):
    return make_world(
        seed=5,
        generated_users=4,
        chats=[
            {"key": key, "kind": kind, "username": f"f6_{key}", "messages": count}
            for key, (kind, count) in chats.items()
        ],
    )


def read_all(fake, chats, **settings):
    """Every chat through the source like the stream does (plan, then pages)."""
    source = MTProtoSource(
        SourceContext(
            fake.tap_config(chats=chats, **settings), logging.getLogger("test"), fake.client_factory
        )
    )
    try:
        queries = [MessageQuery(chat["id"]) for chat in source.chats()]
        source.plan(queries)
        pages = {q.chat_id: list(source.history_pages(q)) for q in queries}
    finally:
        source.close()
    return source, pages


def test_windows_read_a_channel_with_gaps_in_order():
    world = world_of(big=("channel", 2_000))
    world.delete_messages("big", [3, 4, 5, 99, 100, 101, 777, 1_999])
    fake = FakeTelegram(world)
    _, pages = read_all(fake, ["@f6_big"], page_size=50, max_concurrent_requests=4)
    ids = [r["id"] for page in next(iter(pages.values())) for r in page]
    assert ids == world.message_ids("big")
    assert all(page for page in next(iter(pages.values()))), "no empty pages"
    # One request per window of 50 ids, plus the newest-id probe and the tail.
    assert fake.history_calls("big") <= 2_000 // 50 + 3


def test_sparse_channel_gets_wider_windows():
    world = world_of(sparse=("channel", 5_000))
    world.delete_messages("sparse", range(200, 4_900))
    fake = FakeTelegram(world)
    _, pages = read_all(fake, ["@f6_sparse"], page_size=50, max_concurrent_requests=2)
    ids = [r["id"] for page in next(iter(pages.values())) for r in page]
    assert ids == world.message_ids("sparse")
    # 5,000 ids / 50 = 100 windows if they stayed one page wide; density adapts.
    assert fake.history_calls("sparse") < 60


def test_chats_read_ahead_keep_per_chat_order():
    world = world_of(a=("supergroup", 700), b=("group", 300), c=("channel", 450), d=("private", 0))
    world.add_user("pal", first_name="Pal")
    world.add_chat("p", "private", user="pal", messages=180)
    fake = FakeTelegram(world)
    refs = ["@f6_a", "@f6_b", "@f6_c", str(world.marked_id("p"))]
    _, pages = read_all(fake, refs, concurrent_chats=3, max_concurrent_requests=6)
    for key in ("a", "b", "c", "p"):
        ids = [r["id"] for page in pages[world.marked_id(key)] for r in page]
        assert ids == world.message_ids(key), key


def test_pages_primitive_reads_an_id_range():
    world = world_of(ch=("channel", 1_000), grp=("group", 400))
    fake = FakeTelegram(world)
    source = MTProtoSource(
        SourceContext(
            fake.tap_config(chats=["@f6_ch", "@f6_grp"], page_size=30),
            logging.getLogger("test"),
            fake.client_factory,
        )
    )
    try:
        chat = source.chat(world.marked_id("ch"))

        async def collect(after, up_to=None):
            return [page async for page in source.history.pages(chat, after, up_to)]

        got = source._run.run(collect(100, 250))
        assert [r["id"] for page in got for r in page] == list(range(101, 251))
        assert all(0 < len(page) <= 30 for page in got)
        tail = source._run.run(collect(990))
        assert [r["id"] for page in tail for r in page] == list(range(991, 1001))
        group = source.chat(world.marked_id("grp"))
        ids = world.message_ids("grp")

        async def collect_group():
            return [page async for page in source.history.pages(group, ids[9], ids[59])]

        got = source._run.run(collect_group())
        assert [r["id"] for page in got for r in page] == ids[10:60]
    finally:
        source.close()


def test_flood_limited_run_is_paced_and_complete(caplog):
    world = world_of(big=("channel", 1_500))
    fake = FakeTelegram(world)
    fake.rate_limit(requests=4, window=1.0)
    caplog.set_level(logging.INFO)
    source, pages = read_all(fake, ["@f6_big"], max_concurrent_requests=8)
    ids = [r["id"] for page in next(iter(pages.values())) for r in page]
    assert ids == world.message_ids("big")
    budget = source._caller.budget if source._caller else None
    assert budget is not None
    assert budget.flood_waits == fake.stats.flood_waits >= 1
    assert "pacing GetHistoryRequest at 4 requests per" in caplog.text
    assert "flood wait 1 s on GetHistoryRequest" in caplog.text


def test_cli_incremental_run_with_read_ahead_and_windows():
    world = world_of(a=("channel", 1_200), b=("supergroup", 300), c=("group", 150))
    fake = FakeTelegram(world)
    chats = ["@f6_a", "@f6_b", "@f6_c"]
    config = fake.tap_config(chats=chats, page_size=40)
    first = run_fake_tap(fake, config).check()
    got = ids_by_chat(first.records["messages"])
    for key in ("a", "b", "c"):
        assert got[world.marked_id(key)] == world.message_ids(key)
    # Chats are written one after another, in the configured order.
    order = [r["chat_id"] for r in first.records["messages"]]
    assert [k for i, k in enumerate(order) if i == 0 or order[i - 1] != k] == [
        world.marked_id(k) for k in ("a", "b", "c")
    ]
    marks = bookmarks(first.state)
    assert marks == {world.marked_id(k): world.last_id(k) for k in ("a", "b", "c")}
    world.append_messages("a", 95)
    world.append_messages("c", 7)
    second = run_fake_tap(FakeTelegram(world), config, state=first.state).check()
    got = ids_by_chat(second.records["messages"])
    assert got[world.marked_id("a")] == world.message_ids("a")[-95:]
    assert got[world.marked_id("c")] == world.message_ids("c")[-7:]
    assert world.marked_id("b") not in got
