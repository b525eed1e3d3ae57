"""The fake's update logs, read through a real Telethon client (getState, getDifference,
getChannelDifference), and their survival through JSON specs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from telethon import errors, functions, types

from tests.fake_telegram import FakeTelegram, World, world_from_spec, world_to_spec
from tests.fake_telegram.box_events import (
    move_to_folder,
    pin_messages,
    read_contents,
    read_history,
    update_web_page,
)
from tests.fake_telegram.chat_changes import migrate_chat, rename_chat
from tests.fake_telegram.clients import connected, run
from tests.fake_telegram.discussion import add_comment, post_with_comments, set_views
from tests.fake_telegram.spec import fake_from_spec, fake_to_spec
from tests.fake_telegram.updatelog import UpdateLogSettings


def small_world() -> World:
    world = World(9)
    world.add_generated_users(6)
    world.add_chat("news", "channel", messages=30, username="fake_news")
    world.add_chat("devs", "supergroup", messages=20)
    world.add_chat("team", "group", messages=10)
    world.add_chat("alice", "private", messages=5)
    return world


def call(fake: FakeTelegram, *requests: Any) -> list[Any]:
    """Answers to ``requests``, in order, through one connected client."""

    async def go() -> list[Any]:
        async with connected(fake) as client:
            return [await client(request) for request in requests]

    result: list[Any] = run(go())
    return result


def channel_diff(world: World, key: str, pts: int, limit: int = 100, **options: Any) -> Any:
    chat = world.chat(key)
    return functions.updates.GetChannelDifferenceRequest(
        channel=types.InputChannel(chat.id, chat.access_hash),
        filter=options.pop("filter", types.ChannelMessagesFilterEmpty()),
        pts=pts,
        limit=limit,
        **options,
    )


def diff(pts: int, **options: Any) -> Any:
    return functions.updates.GetDifferenceRequest(pts=pts, date=None, qts=0, **options)


def state(fake: FakeTelegram) -> int:
    pts: int = call(fake, functions.updates.GetStateRequest())[0].pts
    return pts


def test_pts_move_with_their_own_box_only() -> None:
    world = small_world()
    fake = FakeTelegram(world)
    news = world.chat("news")
    assert news.pts == 31, "an empty channel starts at pts 1, one unit per message"
    assert state(fake) == world.account_pts == 1 + 10 + 5
    account, channel = world.account_pts, news.pts
    world.append_messages("news", 3)
    world.set_reactions("news", 4, [("👍", 2)])  # no pts on Telegram
    assert (state(fake), news.pts) == (account, channel + 3)
    world.append_message("alice", "hi")
    world.edit_message("team", world.message_ids("team")[1], "edited")
    world.delete_messages("alice", world.message_ids("alice")[:2])
    world.set_reactions("team", world.message_ids("team")[1], [("🔥", 1)])
    assert (state(fake), news.pts) == (account + 1 + 1 + 2, channel + 3)
    dialogs, history, full = call(
        fake,
        functions.messages.GetDialogsRequest(
            offset_date=None, offset_id=0, offset_peer=types.InputPeerEmpty(), limit=100, hash=0
        ),
        functions.messages.GetHistoryRequest(
            peer=types.InputPeerChannel(news.id, news.access_hash),
            offset_id=0,
            offset_date=None,
            add_offset=0,
            limit=1,
            max_id=0,
            min_id=0,
            hash=0,
        ),
        functions.channels.GetFullChannelRequest(types.InputChannel(news.id, news.access_hash)),
    )
    by_id = {getattr(d.peer, "channel_id", None): d for d in dialogs.dialogs}
    assert by_id[news.id].pts == history.pts == full.full_chat.pts == news.pts
    assert by_id[world.chat("devs").id].pts == world.chat("devs").pts == 21


def test_channel_difference_has_every_event_since() -> None:
    world = small_world()
    fake = FakeTelegram(world)
    before = world.chat("news").pts
    world.append_messages("news", 3)  # 31, 32, 33
    world.edit_message("news", 5, "old message, new text")
    world.delete_messages("news", [2, 32, 999])
    world.edit_message("news", 31, "fresh and edited")
    set_views(world, "news", world.append_message("news", "hand-written"), 9)  # 34
    (answer,) = call(fake, channel_diff(world, "news", before))
    assert isinstance(answer, types.updates.ChannelDifference)
    assert answer.final
    assert answer.pts == world.chat("news").pts == before + 3 + 1 + 2 + 1 + 1
    assert [m.id for m in answer.new_messages] == [31, 33, 34]
    assert answer.new_messages[0].message == "fresh and edited", "current content"
    edits = [u for u in answer.other_updates if isinstance(u, types.UpdateEditChannelMessage)]
    assert [(u.message.id, u.message.message, u.pts_count) for u in edits] == [
        (5, "old message, new text", 1),
        (31, "fresh and edited", 1),
    ]
    (delete,) = [
        u for u in answer.other_updates if isinstance(u, types.UpdateDeleteChannelMessages)
    ]
    assert (delete.channel_id, delete.messages, delete.pts_count) == (
        world.chat("news").id,
        [2, 32],
        2,
    )
    assert delete.pts == before + 3 + 1 + 2
    assert world.chat("news").id in {c.id for c in answer.chats}


def test_channel_difference_within_the_limit_is_one_page_and_empty() -> None:
    world = small_world()
    fake = FakeTelegram(world)
    news = world.chat("news")
    start = news.pts
    world.append_messages("news", 60)  # 31..90
    world.delete_messages("news", [40, 41, 42])
    world.edit_message("news", 70, "edited")
    world.append_messages("news", 7)  # 91..97
    assert news.pts - start == 60 + 3 + 1 + 7
    (page,) = call(fake, channel_diff(world, "news", start))
    assert isinstance(page, types.updates.ChannelDifference)
    assert (page.pts, page.final) == (news.pts, True), "within the limit: one page"
    assert [m.id for m in page.new_messages] == [i for i in range(31, 98) if i not in (40, 41, 42)]
    (empty,) = call(fake, channel_diff(world, "news", news.pts))
    assert isinstance(empty, types.updates.ChannelDifferenceEmpty)
    assert (empty.pts, empty.final) == (news.pts, True)
    (ahead,) = call(fake, channel_diff(world, "news", news.pts + 10))
    assert isinstance(ahead, types.updates.ChannelDifferenceEmpty)
    assert ahead.pts == news.pts


@pytest.mark.parametrize(("limit", "reads"), [(10, 10), (71, 71), (100, 100), (100_000, 100)])
def test_channel_difference_too_long_exactly_when_pts_plus_limit_is_below_remote(
    limit: int, reads: int
) -> None:
    """Telegram's rule: too long when ``pts + limit < remote pts``, a user's limit at most 100."""
    world = small_world()
    fake = FakeTelegram(world)
    news = world.chat("news")
    world.append_messages("news", 150)
    remote = news.pts
    at_limit, past_limit = call(
        fake,
        channel_diff(world, "news", remote - reads, limit=limit),
        channel_diff(world, "news", remote - reads - 1, limit=limit),
    )
    assert isinstance(at_limit, types.updates.ChannelDifference), "pts + limit == remote"
    assert (at_limit.pts, at_limit.final) == (remote, True)
    assert isinstance(past_limit, types.updates.ChannelDifferenceTooLong), "pts + limit < remote"
    assert past_limit.final
    assert past_limit.dialog.pts == remote
    assert past_limit.dialog.top_message == world.last_id("news")
    latest = list(range(180, 180 - min(limit, 100), -1))
    assert [m.id for m in past_limit.messages] == latest, "the latest messages"


def test_a_bot_reads_up_to_100000_updates_back() -> None:
    world = small_world()
    fake = FakeTelegram(world)
    news = world.chat("news")
    start = news.pts
    world.append_messages("news", 5_000)

    async def go() -> list[Any]:
        async with connected(fake, "bot") as bot:
            return [
                await bot(channel_diff(world, "news", start, limit=100_000)),
                await bot(channel_diff(world, "news", start, limit=4_999)),
            ]

    within, short = run(go())
    assert isinstance(within, types.updates.ChannelDifference)
    assert (within.pts, within.final) == (news.pts, True)
    assert len(within.new_messages) == 5_000
    assert isinstance(short, types.updates.ChannelDifferenceTooLong)
    (user,) = call(fake, channel_diff(world, "news", start, limit=100_000))
    assert isinstance(user, types.updates.ChannelDifferenceTooLong), "a user's limit is 100"


def test_the_horizon_option_pages_far_back() -> None:
    """The generous server (explicit option): a gap up to ``channel_horizon`` is paged."""
    world = small_world()
    settings = UpdateLogSettings(channel_too_long="horizon", channel_horizon=200)
    fake = FakeTelegram(world, update_log=settings)
    news = world.chat("news")
    start = news.pts
    world.append_messages("news", 150)  # 31..180
    world.delete_messages("news", [40, 41, 42])
    world.edit_message("news", 100, "edited")
    world.append_messages("news", 7)  # 181..187
    pages, pts = [], start
    while True:
        (page,) = call(fake, channel_diff(world, "news", pts, limit=40))
        pages.append(page)
        assert page.pts > pts
        pts = page.pts
        if page.final:
            break
    assert pts == news.pts
    assert len(pages) == 5, "150 + 3 + 1 + 7 units, 40 per page"
    assert all(not p.final for p in pages[:-1])
    new_ids = [m.id for p in pages for m in p.new_messages]
    assert new_ids == [i for i in range(31, 188) if i not in (40, 41, 42)]
    (clamped,) = call(fake, channel_diff(world, "news", start, limit=100_000))
    assert clamped.pts == start + 100, "an ordinary user's limit is clamped to 100"
    world.append_messages("news", 40)  # 201 units since start: past the horizon
    (far,) = call(fake, channel_diff(world, "news", start, limit=40))
    assert isinstance(far, types.updates.ChannelDifferenceTooLong)
    assert far.dialog.pts == news.pts


def test_channel_difference_errors() -> None:
    world = small_world()
    fake = FakeTelegram(world)
    news = world.chat("news")
    wrong = functions.updates.GetChannelDifferenceRequest(
        channel=types.InputChannel(news.id, news.access_hash + 1),
        filter=types.ChannelMessagesFilterEmpty(),
        pts=1,
        limit=10,
    )
    with pytest.raises(errors.ChannelInvalidError):
        call(fake, wrong)


def test_difference_slices_and_final_state() -> None:
    world = small_world()
    fake = FakeTelegram(world)
    note = world.append_message("team", "to be edited")
    start = world.account_pts
    alice = world.append_messages("alice", 130)
    world.edit_message("team", note, "group edit")
    gone = alice[:3]
    world.delete_messages("alice", gone)
    world.append_messages("news", 500)  # another box: not in the account's difference
    pts, answers = start, []
    while True:
        (answer,) = call(fake, diff(pts))
        answers.append(answer)
        if isinstance(answer, types.updates.DifferenceSlice):
            assert answer.intermediate_state.pts == pts + 100
            pts = answer.intermediate_state.pts
            continue
        assert isinstance(answer, types.updates.Difference)
        assert answer.state.pts == world.account_pts == start + 130 + 1 + 3
        break
    assert len(answers) == 2
    new_ids = [m.id for a in answers for m in a.new_messages]
    assert new_ids == alice[3:]
    others = [u for a in answers for u in a.other_updates]
    edit, delete = others
    assert isinstance(edit, types.UpdateEditMessage)
    assert edit.message.message == "group edit"
    assert isinstance(delete, types.UpdateDeleteMessages), "no chat in an account deletion"
    assert (delete.messages, delete.pts, delete.pts_count) == (gone, world.account_pts, 3)
    assert world.chat("alice").id in {u.id for u in answers[0].users}, "the peers referenced"
    (empty,) = call(fake, diff(world.account_pts))
    assert isinstance(empty, types.updates.DifferenceEmpty)


def test_difference_too_long() -> None:
    world = small_world()
    fake = FakeTelegram(world, update_log=UpdateLogSettings(account_horizon=500))
    start = world.account_pts
    world.append_messages("alice", 200)
    by_limit, within = call(
        fake, diff(start, pts_total_limit=150), diff(start, pts_total_limit=200)
    )
    assert isinstance(by_limit, types.updates.DifferenceTooLong)
    assert by_limit.pts == world.account_pts
    assert isinstance(within, types.updates.DifferenceSlice)
    world.append_messages("team", 301)
    (by_horizon,) = call(fake, diff(start))
    assert isinstance(by_horizon, types.updates.DifferenceTooLong)
    assert by_horizon.pts == world.account_pts


def test_logs_survive_specs() -> None:
    world = small_world()
    world.add_chat("comments", "supergroup", messages=4)
    world.add_chat("blog", "channel", messages=3, linked="comments")
    world.append_messages("alice", 4)
    world.edit_message("news", 7, "edited")
    world.delete_messages("team", world.message_ids("team")[-2:])
    world.append_message("news", "hand-written")
    thread = post_with_comments(world, "blog", "post", [("user1", "first")])
    comments_pts = world.chat("comments").pts
    blog_pts = world.chat("blog").pts
    add_comment(world, "blog", thread, "user2", "second")
    assert world.chat("comments").pts == comments_pts + 1
    assert world.chat("blog").pts == blog_pts, "a reply counter is not a pts event"
    rename_chat(world, "devs", "Developers")
    read_history(world, "alice")
    read_contents(world, "alice", world.message_ids("alice")[:2])
    pin_messages(world, "news", [3])
    update_web_page(world, "team", world.message_ids("team")[0])
    move_to_folder(world, "devs", 1)
    migrate_chat(world, "team", "team2")
    settings = UpdateLogSettings(channel_too_long="horizon", channel_horizon=5_000, slice=7)
    fake = FakeTelegram(world, update_log=settings)
    rebuilt = fake_from_spec(json.loads(json.dumps(fake_to_spec(fake))))  # as a subprocess
    assert rebuilt.update_log == settings
    again = world_from_spec(json.loads(json.dumps(world_to_spec(world))))
    for copy in (rebuilt.world, again):
        assert copy.account_pts == world.account_pts
        assert copy.account_log.events == world.account_log.events
        for key, chat in world.chats.items():
            assert copy.chat(key).pts == chat.pts, key
            assert copy.chat(key).log.events == chat.log.events, key
    edited_pts = world.chat("news").pts
    (answer,) = call(rebuilt, channel_diff(rebuilt.world, "news", 31))
    assert answer.pts == edited_pts
    assert [m.id for m in answer.new_messages] == [31]
    assert rebuilt.world.chat("devs").archived


def test_a_million_messages_cost_one_event() -> None:
    world = World(3)
    big = world.add_chat("big", "channel", messages=1_000_000)
    for _ in range(10):
        world.append_messages("big", 1)
    world.append_message("big", "one more")
    assert len(big.log.events) == 1
    assert big.pts == 1_000_012
    fake = FakeTelegram(world)
    recent, old = call(
        fake, channel_diff(world, "big", big.pts - 50), channel_diff(world, "big", 2)
    )
    assert [m.id for m in recent.new_messages] == list(range(999_962, 1_000_012))
    assert isinstance(old, types.updates.ChannelDifferenceTooLong)
