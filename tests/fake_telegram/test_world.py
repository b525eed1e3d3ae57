"""The fake's world model, JSON specs and the launcher (the tap CLI in a subprocess)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from typing import Any

import pytest
from telethon import functions, helpers, types

from tests.fake_telegram import (
    FakeTelegram,
    World,
    fake_from_spec,
    fake_to_spec,
    make_world,
    run_fake_tap,
    three_chats_spec,
    three_chats_world,
    variety_world,
    world_from_spec,
    world_to_spec,
)
from tests.fake_telegram.clients import connected, run
from tests.fake_telegram.harness import LAUNCHER, REPO_ROOT
from tests.fake_telegram.history import history_window

UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def variety() -> World:
    return variety_world(seed=5)


def ids_of(messages: list[Any]) -> list[int]:
    return [m.id for m in messages]


# -- world model -------------------------------------------------------------------------


def _features(message: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(message, types.MessageService):
        return {type(message.action).__name__}
    media = message.media
    if media is not None:
        found.add(type(media).__name__)
        document = getattr(media, "document", None)
        for attribute in getattr(document, "attributes", None) or []:
            found.add(
                type(attribute).__name__ + ("Voice" if getattr(attribute, "voice", 0) else "")
            )
    text = helpers.add_surrogate(message.message)
    for entity in message.entities or []:
        found.add(type(entity).__name__)
        piece = text[entity.offset : entity.offset + entity.length]
        assert piece, (message.id, entity)
        assert piece.strip() == piece, (message.id, entity)
        if isinstance(entity, types.MessageEntityUrl):
            assert piece.startswith("https://"), piece
    fwd = message.fwd_from
    if fwd is not None:
        found.add("fwd_channel" if fwd.channel_post else "fwd_user" if fwd.from_id else "fwd_name")
    reply = message.reply_to
    if reply is not None and reply.reply_to_top_id:
        found.add("forum_reply")
    elif reply is not None and not reply.forum_topic:
        found.add("reply")
        assert reply.reply_to_msg_id < message.id
    for flag in (
        "via_bot_id",
        "grouped_id",
        "edit_date",
        "pinned",
        "silent",
        "post_author",
        "views",
    ):
        if getattr(message, flag):
            found.add(flag)
    for result in message.reactions.results if message.reactions else []:
        found.add(type(result.reaction).__name__)
    for script, low, high in (("cyrillic", "Ѐ", "ӿ"), ("arabic", "؀", "ۿ"), ("cjk", "一", "鿿")):
        if any(low <= ch <= high for ch in message.message):
            found.add(script)
    if any(ord(ch) > 0xFFFF for ch in message.message):
        found.add("astral")
    return found


def test_content_variety(variety: World) -> None:
    seen: set[str] = set()
    for key in ("news", "comments", "forum", "family", "alice"):
        for message_id in variety.message_ids(key):
            seen |= _features(variety.message(key, message_id))
    expected = {
        "MessageMediaPhoto", "DocumentAttributeFilename", "DocumentAttributeVideo",
        "DocumentAttributeAudio", "DocumentAttributeAudioVoice", "DocumentAttributeSticker",
        "MessageMediaPoll", "MessageMediaGeo", "MessageMediaContact", "MessageMediaWebPage",
        "MessageMediaDice", "MessageEntityBold", "MessageEntityUrl", "MessageEntityTextUrl",
        "MessageEntityMention", "MessageEntityMentionName", "MessageEntityPre",
        "MessageEntityCustomEmoji", "fwd_channel", "fwd_user", "fwd_name", "reply",
        "forum_reply", "via_bot_id", "grouped_id", "edit_date", "pinned", "silent",
        "post_author", "views", "ReactionEmoji", "ReactionCustomEmoji", "cyrillic", "arabic",
        "cjk", "astral", "MessageActionChatCreate", "MessageActionChannelCreate",
        "MessageActionChatAddUser", "MessageActionChatDeleteUser",
        "MessageActionChatJoinedByLink", "MessageActionPinMessage",
        "MessageActionChatEditTitle", "MessageActionTopicCreate",
    }  # fmt: skip
    assert expected <= seen, expected - seen


def test_text_ids_are_the_messages_telegram_can_edit(variety: World) -> None:
    """Service messages (joins, pins, title changes) are left out; every other id is in."""
    for key in ("news", "family"):
        ids = variety.message_ids(key)
        service = {i for i in ids if isinstance(variety.message(key, i), types.MessageService)}
        assert service, key  # the world has some: the filter is tested
        assert variety.text_ids(key) == [i for i in ids if i not in service]
        assert not variety.is_text(key, max(ids) + 1)  # no such message


def test_ids_dates_and_determinism() -> None:
    spec = three_chats_spec(seed=9)
    spec["chats"] += [
        {"key": "g1", "kind": "group", "messages": 50},
        {"key": "p1", "kind": "private", "user": "user3", "messages": 50},
    ]
    first, second = world_from_spec(spec), world_from_spec(spec)
    second.append_messages("channel", 37)
    second.append_messages("g1", 37)
    for key in ("channel", "g1", "p1"):
        ids = first.message_ids(key)
        assert second.message_ids(key)[: len(ids)] == ids
        assert ids == sorted(set(ids))
        dates = [first.message_date(key, i) for i in ids]
        assert dates == sorted(dates)
        assert len(set(dates)) == len(dates)
        for i in ids[:60]:
            assert bytes(first.message(key, i)) == bytes(second.message(key, i))
    assert first.message_ids("channel") == list(range(1, 1001))
    group, private = first.message_ids("g1"), first.message_ids("p1")
    assert not set(group) & set(private)
    assert group[1] - group[0] > 1  # per-account ids: not dense
    assert first.marked_id("channel") == -(10**12 + first.chat("channel").id)
    assert first.chat(first.marked_id("g1")).key == "g1"


def test_mutations_visible_through_client() -> None:
    world = three_chats_world()
    fake = FakeTelegram(world)
    world.delete_messages("channel", [1000, 998, 500])
    world.edit_message("channel", 999, "edited ✏️")
    world.set_reactions("channel", 997, [("🎉", 4), (5368324170671202286, 2)])
    photo = types.MessageMediaGeo(types.GeoPoint(long=2.35, lat=48.85, access_hash=1))
    new_id = world.append_message("channel", "hand written", media=photo, reply_to=997)

    async def go() -> list[Any]:
        async with connected(fake) as client:
            return list(await client.get_messages("fake_news", limit=5))

    messages = run(go())
    assert ids_of(messages) == [new_id, 999, 997, 996, 995]
    assert messages[0].message == "hand written"
    assert messages[0].geo.lat == 48.85
    assert messages[0].reply_to.reply_to_msg_id == 997
    assert messages[1].message == "edited ✏️"
    assert messages[1].edit_date is not None
    reactions = messages[2].reactions.results
    assert [r.count for r in reactions] == [4, 2]
    assert 500 not in world.message_ids("channel")
    assert world.message_count("channel") == 998


def test_spec_round_trip() -> None:
    world = variety_world(seed=11)
    world.delete_messages("news", [7, 8])
    world.edit_message(
        "family", world.message_ids("family")[3], "edited", date=dt.datetime(2022, 1, 1, tzinfo=UTC)
    )
    world.set_reactions("comments", 10, [("👍", 2)])
    world.append_message("forum", "in topic", topic=3, sender="alice",
                         entities=[types.MessageEntityBold(0, 2)])  # fmt: skip
    world.expire_invite("old")
    fake = FakeTelegram(world, latency=0.01)
    fake.add_fault("GetHistoryRequest", "FLOOD_WAIT_5", chat="news", nth=3, times=None)
    fake.rate_limit(30, 30.0)
    spec = json.loads(json.dumps(fake_to_spec(fake)))
    again = fake_from_spec(spec)
    assert world_to_spec(again.world) == world_to_spec(world)
    assert fake_to_spec(again) == spec
    for key in world.chats:
        ids = world.message_ids(key)
        assert again.world.message_ids(key) == ids
        for i in ids[:20] + ids[-20:]:
            assert bytes(again.world.message(key, i)) == bytes(world.message(key, i))
    assert again.world.self_user == world.self_user


def test_million_message_chat_is_lazy() -> None:
    """A million-message chat builds only the messages asked for (counted, not timed)."""
    world = make_world(chats=[{"key": "big", "kind": "channel", "username": "big_fake",
                               "messages": 1_000_000}])  # fmt: skip
    built: list[int] = []
    build = world.factory.build

    def counting(chat: Any, n: int) -> Any:
        built.append(n)
        return build(chat, n)

    world.factory.build = counting  # type: ignore[method-assign]
    world.delete_messages("big", range(400_000, 410_000))
    assert built == [], "creating and deleting built messages"
    numbers, _ = history_window(world.chat("big"), offset_id=405_000, add_offset=-100, limit=100)
    assert [world.chat("big").id_of(n) for n in numbers] == list(range(410_099, 409_999, -1))
    assert built == []
    fake = FakeTelegram(world)

    async def go() -> int:
        async with connected(fake) as client:
            peer = await client.get_input_entity("big_fake")
            before = len(built)
            after = 600_000
            for _ in range(50):
                page = await client(
                    functions.messages.GetHistoryRequest(peer, after + 1, None, -100, 100, 0, 0, 0)
                )
                assert ids_of(page.messages) == list(range(after + 100, after, -1))
                after += 100
            return len(built) - before

    assert run(go()) == 5_000, "each page built its 100 messages and no others"


# -- launcher ------------------------------------------------------------------------------


def test_launcher_runs_the_tap_cli() -> None:
    about = run_fake_tap(three_chats_spec(), None, extra_args=["--about", "--format=json"])
    assert about.ok, about.stderr
    assert json.loads(about.stdout)["name"] == "tap-telegram"
    discover = run_fake_tap(three_chats_spec(), None, extra_args=["--discover"])
    assert discover.ok, discover.stderr
    streams = {s["tap_stream_id"] for s in json.loads(discover.stdout)["streams"]}
    assert {"chats", "messages", "users"} <= streams


def test_launcher_needs_a_world_for_syncs() -> None:
    done = subprocess.run(
        [str(LAUNCHER), "--config", "missing.json"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", "FAKE_TELEGRAM_PYTHON": sys.executable},
        check=False,
    )
    assert done.returncode == 2
    assert "no world" in done.stderr


def test_crash_fault_kills_the_tap_process() -> None:
    fake = FakeTelegram(three_chats_world())
    fake.add_fault("GetHistoryRequest", kind="crash", chat="channel", nth=3, exit_code=137)
    crashed = run_fake_tap(fake, fake.tap_config(chats=["@fake_news"]))
    assert crashed.returncode == 137, crashed.stderr[-2000:]
    assert "simulated crash on GetHistoryRequest" in crashed.stderr
    assert crashed.stats is None  # os._exit: no atexit hooks, like kill -9


def test_launcher_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.fake_telegram.launcher import split_args

    monkeypatch.delenv("FAKE_TELEGRAM_WORLD", raising=False)
    assert split_args(["--world", "w.json", "--", "--config", "c.json"]) == (
        "w.json",
        ["--config", "c.json"],
    )
    assert split_args(["--world=w.json", "--discover"]) == ("w.json", ["--discover"])
    monkeypatch.setenv("FAKE_TELEGRAM_WORLD", "env.json")
    assert split_args(["--config", "c.json", "--state", "s.json"]) == (
        "env.json",
        ["--config", "c.json", "--state", "s.json"],
    )
