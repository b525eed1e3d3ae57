"""Ready-made worlds for tests and benchmarks."""

from __future__ import annotations

from typing import Any

from tests.fake_telegram.hashing import to_ts
from tests.fake_telegram.records import ChatKind
from tests.fake_telegram.spec import world_from_spec
from tests.fake_telegram.world import (
    DEFAULT_BASE_DATE,
    DEFAULT_CHAT_SPACING,
    MAX_TL_DATE,
    World,
)

#: Dates kept free after a generated world's newest chat, for the messages tests and
#: benches append to it (a year: 525,600 messages a minute apart).
DATE_HEADROOM = 365 * 86_400


def make_world(spec: dict[str, Any] | None = None, **overrides: Any) -> World:
    """A world from a spec dict and/or keyword overrides (``seed=``, ``chats=[...]``, ...)."""
    merged = dict(spec or {})
    merged.update(overrides)
    return world_from_spec(merged)


def three_chats_spec(seed: int = 1, *, channel: int = 1_000, group: int = 250) -> dict[str, Any]:
    """Spec of the standard world: a public channel (1,000 messages), a public
    supergroup (250) and an empty basic group, plus a few users and a bot.
    """
    return {
        "seed": seed,
        "generated_users": 8,
        "generated_bots": 1,
        "chats": [
            {"key": "channel", "kind": "channel", "title": "Fake News",
             "username": "fake_news", "messages": channel},
            {"key": "supergroup", "kind": "supergroup", "title": "Fake Devs",
             "username": "fake_devs", "messages": group},
            {"key": "empty", "kind": "group", "title": "Quiet Group", "messages": 0},
        ],
    }  # fmt: skip


def three_chats_world(seed: int = 1) -> World:
    """The standard world: chats ``channel`` (1,000), ``supergroup`` (250), ``empty`` (0)."""
    return world_from_spec(three_chats_spec(seed))


def big_world(messages: int = 1_000_000, seed: int = 1) -> World:
    """One public channel ``big`` with ``messages`` messages (for benchmarks)."""
    return world_from_spec(
        {
            "seed": seed,
            "generated_users": 8,
            "chats": [
                {"key": "big", "kind": "channel", "username": "big_fake", "messages": messages}
            ],
        }
    )


def variety_world(seed: int = 1) -> World:
    """Every chat kind, with deletions: private chats (incl. a bot and a deleted user),
    basic groups, a supergroup linked to a channel, a forum, a banned group, a
    public channel the account did not join and a private one (``secret``).
    """
    world = World(seed)
    world.add_generated_users(10, bots=2)
    world.add_user("ghost", deleted=True)
    world.add_user("alice", first_name="Alice", last_name="Liddell", username="alice_fake",
                   premium=True, about="Down the rabbit hole")  # fmt: skip
    world.add_chat("alice", "private", user="alice", messages=120)
    world.add_chat("bot_chat", "private", user="bot11", messages=15)
    world.add_chat("ghost_chat", "private", user="ghost", messages=5)
    world.add_chat("family", "group", messages=300)
    world.add_chat("news", "channel", messages=500, username="fake_newsroom", linked="comments")
    world.add_chat("comments", "supergroup", messages=400)
    world.add_chat("forum", "forum", messages=400, topics=["Bugs", "Ideas", "Off-topic"])
    world.add_chat("kicked", "group", messages=20, banned=True)
    world.add_chat("outside", "channel", messages=50, username="fake_outside", member=False)
    world.add_chat("secret", "channel", messages=10, member=False)
    world.delete_messages("family", world.message_ids("family")[10:20])
    world.delete_messages("comments", [3, 4, 5, 100, 250])
    return world


def dialogs_world(dialogs: int, messages: int = 30, seed: int = 1) -> World:
    """An account with ``dialogs`` dialogs: supergroups, channels, basic groups and
    private chats in turn (keys ``d0``, ``d1``, ...), ``messages`` each, the first
    three pinned, every seventh archived (the world of issue 18's measurements).

    Chats are created a day apart, or closer when that many days would date the newest
    ones past 2038 (:func:`chat_spacing`): a world that fits keeps its dates.
    """
    world = World(
        seed,
        account_stride=1 << max(6, dialogs.bit_length()),
        chat_spacing=chat_spacing(dialogs, messages),
    )
    world.add_generated_users(20)
    kinds: tuple[ChatKind, ...] = ("supergroup", "channel", "group", "private")
    for index in range(dialogs):
        kind = kinds[index % 4]
        world.add_chat(
            f"d{index}",
            kind,
            messages=messages,
            user=f"person{index}" if kind == "private" else None,
            pinned=index + 1 if index < 3 else 0,
            archived=index % 7 == 6,
        )
    return world


def chat_spacing(chats: int, messages: int, interval: int = 60) -> int:
    """Seconds between ``chats`` chats of ``messages`` messages so every date fits int32.

    A day (the default) when the newest chat, its messages and :data:`DATE_HEADROOM` end
    before Telegram's last date (:data:`~.world.MAX_TL_DATE`); otherwise the whole
    minutes that share the room left evenly (about 14 hours at 10,000 chats).
    """
    room = MAX_TL_DATE - to_ts(DEFAULT_BASE_DATE) - messages * interval - DATE_HEADROOM
    if chats * DEFAULT_CHAT_SPACING <= room:
        return DEFAULT_CHAT_SPACING
    return max(60, room // max(chats, 1) // 60 * 60)
