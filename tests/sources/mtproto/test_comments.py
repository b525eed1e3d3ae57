"""Issue 7 (comments): ``include_comments`` extracts each channel's discussion group and
ties every comment to its channel post. Real CLI against the fake Telegram."""

from __future__ import annotations

import pytest

from tap_telegram.sources.mtproto.chats.comments import post_of_copy, thread_root
from tests.fake_telegram import FakeTelegram, World, run_fake_tap
from tests.fake_telegram.discussion import add_comment, post_with_comments, set_views


@pytest.fixture
def world():
    world = World(seed=21)
    world.add_generated_users(6)
    world.add_chat("news", "channel", username="c_news", messages=30, linked="talk")
    world.add_chat("talk", "supergroup", username="c_talk", messages=12)
    world.add_chat("other", "channel", username="c_other", messages=5)
    return world


def rows(run, world, key):
    chat_id = world.marked_id(key)
    return {r["id"]: r for r in run.records.get("messages", []) if r["chat_id"] == chat_id}


def test_comments_are_extracted_and_tied_to_their_posts(world):
    first_post = post_with_comments(world, "news", "Launch day", [("user1", "🎉"), ("user2", "ok")])
    nested = post_with_comments(
        world, "news", "Долгий пост", [("user3", "first"), ("user4", "re: first")], nested=True
    )
    quiet = post_with_comments(world, "news", "no comments yet")
    fake = FakeTelegram(world)
    cfg = fake.tap_config(chats=["@c_news", "@c_other"], include_comments=True)
    first = run_fake_tap(fake, cfg).check()
    news, talk = world.marked_id("news"), world.marked_id("talk")
    assert [c["id"] for c in first.records["chats"]] == [news, talk, world.marked_id("other")]

    group = rows(first, world, "talk")
    assert sorted(group) == world.message_ids("talk")
    for thread in (first_post, nested):
        for comment_id in thread.comment_ids:
            assert group[comment_id]["comment_post_id"] == thread.post_id
            assert group[comment_id]["comment_channel_id"] == news
        copy = group[thread.copy_id]
        assert copy["comment_post_id"] is None
        assert copy["fwd_from"]["channel_post"] == thread.post_id
    assert group[nested.comment_ids[1]]["reply_to_top_id"] == nested.copy_id
    linked = {i for i, r in group.items() if r["comment_post_id"] is not None}
    assert linked == set(first_post.comment_ids + nested.comment_ids)
    posts = rows(first, world, "news")
    assert posts[first_post.post_id]["replies_count"] == 2
    assert posts[quiet.post_id]["replies_count"] == 0
    assert all(r["comment_post_id"] is None for r in posts.values())
    # The thread roots were all read in this run: no extra request was needed.
    assert first.stats is not None
    assert first.stats.requests.get("GetMessagesRequest", 0) == 0

    # A later run: new comments under posts whose copies were delivered before.
    late = world.append_message("talk", "late comment", sender="user5", reply_to=quiet.copy_id)
    deeper = world.append_message(
        "talk", "deeper", sender="user1", reply_to=nested.comment_ids[1],
        reply_to_top=nested.copy_id,
    )  # fmt: skip
    plain = world.append_message("talk", "just chatting", sender="user2", reply_to=5)
    second = run_fake_tap(FakeTelegram(world), cfg, state=first.state).check()
    group = rows(second, world, "talk")
    assert sorted(group) == [late, deeper, plain]
    assert group[late]["comment_post_id"] == quiet.post_id
    assert group[deeper]["comment_post_id"] == nested.post_id
    assert group[plain]["comment_post_id"] is None
    assert {r["comment_channel_id"] for r in (group[late], group[deeper])} == {news}
    assert second.stats is not None
    assert second.stats.requests["GetMessagesRequest"] == 1, "roots fetched in one request"


def test_without_the_setting_no_group_and_a_selected_group_is_read_once(world):
    thread = post_with_comments(world, "news", "post", [("user1", "hi")])
    fake = FakeTelegram(world)
    off = run_fake_tap(fake, fake.tap_config(chats=["@c_news"])).check()
    assert [c["id"] for c in off.records["chats"]] == [world.marked_id("news")]
    assert not rows(off, world, "talk")

    both = fake.tap_config(chats=["@c_talk", "@c_news"], include_comments=True)
    run = run_fake_tap(FakeTelegram(world), both).check()
    talk = world.marked_id("talk")
    assert [c["id"] for c in run.records["chats"]] == [talk, world.marked_id("news")]
    group = rows(run, world, "talk")
    assert len([r for r in run.records["messages"] if r["chat_id"] == talk]) == len(group)
    assert group[thread.comment_ids[0]]["comment_post_id"] == thread.post_id


def test_pure_helpers_on_real_messages(world):
    thread = post_with_comments(world, "news", "p", [("user1", "a"), ("user2", "b")], nested=True)
    channel_id = world.chat("news").id
    copy = world.message("talk", thread.copy_id)
    assert post_of_copy(copy, channel_id) == thread.post_id
    assert post_of_copy(copy, channel_id + 1) is None
    assert post_of_copy(world.message("talk", thread.comment_ids[0]), channel_id) is None
    assert thread_root(world.message("talk", thread.comment_ids[0])) == thread.copy_id
    assert thread_root(world.message("talk", thread.comment_ids[1])) == thread.copy_id
    assert thread_root(copy) is None


def test_lookback_sees_new_comment_counts_and_views_on_posts(world):
    older = post_with_comments(world, "news", "older post", [("user1", "first!")])
    viewed = post_with_comments(world, "news", "popular post")
    fake = FakeTelegram(world)
    cfg = fake.tap_config(chats=["@c_news"], include_comments=True, lookback_messages=20)
    first = run_fake_tap(fake, cfg).check()
    late = add_comment(world, "news", older, "user2", "late to the party")
    set_views(world, "news", viewed.post_id, 10_000)
    second = run_fake_tap(FakeTelegram(world), cfg, state=first.state).check()
    posts = rows(second, world, "news")
    assert sorted(posts) == [older.post_id, viewed.post_id]
    assert posts[older.post_id]["replies_count"] == 2
    assert posts[viewed.post_id]["views"] == 10_000
    group = rows(second, world, "talk")
    assert sorted(group) == [late]
    assert group[late]["comment_post_id"] == older.post_id
