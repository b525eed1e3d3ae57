"""Worlds of the end-to-end tests (the crash world lives in ``crash.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fake_telegram import FakeTelegram, dump_spec, world_from_spec


def e2e_world_spec(seed: int = 11) -> dict[str, Any]:
    """Five dialogs, every id scheme: a channel with deletions, a supergroup, a basic
    group, a private chat and an empty group (1,451 messages in all).
    """
    return {
        "seed": seed,
        "generated_users": 8,
        "generated_bots": 1,
        "users": [{"key": "alice", "first_name": "Alice", "username": "alice_e2e"}],
        "chats": [
            {"key": "news", "kind": "channel", "title": "E2E News", "username": "e2e_news",
             "messages": 1_000, "deleted": list(range(10, 20))},
            {"key": "devs", "kind": "supergroup", "title": "E2E Devs", "username": "e2e_devs",
             "messages": 250},
            {"key": "family", "kind": "group", "title": "E2E Family", "messages": 150},
            {"key": "alice", "kind": "private", "user": "alice", "messages": 61},
            {"key": "quiet", "kind": "group", "title": "E2E Quiet", "messages": 0},
        ],
    }  # fmt: skip


def three_chat_spec(seed: int = 13) -> dict[str, Any]:
    """Three chats for the failure tests: a channel, a supergroup and a basic group."""
    return {
        "seed": seed,
        "generated_users": 6,
        "chats": [
            {"key": "news", "kind": "channel", "title": "Fail News", "username": "fail_news",
             "messages": 450},
            {"key": "devs", "kind": "supergroup", "title": "Fail Devs", "username": "fail_devs",
             "messages": 520},
            {"key": "family", "kind": "group", "title": "Fail Family", "messages": 230},
        ],
    }  # fmt: skip


def shard_world_spec(seed: int = 17) -> dict[str, Any]:
    """The chats of the two shards of ``meltano_project.SHARDS`` (a channel and its chat
    group; two supergroups) and two chats that belong to no shard (a private chat, a basic
    group). The same users write in the supergroups of both shards, so both shards load
    some of the same ``users`` rows."""
    return {
        "seed": seed,
        "generated_users": 8,
        "users": [{"key": "bob", "first_name": "Bob", "username": "shard_bob"}],
        "chats": [
            {"key": "news", "kind": "channel", "title": "Shard News", "username": "shard_news",
             "messages": 700, "deleted": list(range(40, 45))},
            {"key": "news_chat", "kind": "supergroup", "title": "Shard News Chat",
             "username": "shard_news_chat", "messages": 120},
            {"key": "devs", "kind": "supergroup", "title": "Shard Devs", "username": "shard_devs",
             "messages": 400},
            {"key": "ops", "kind": "supergroup", "title": "Shard Ops", "username": "shard_ops",
             "messages": 90},
            {"key": "bob", "kind": "private", "user": "bob", "messages": 25},
            {"key": "family", "kind": "group", "title": "No Shard Family", "messages": 30},
        ],
    }  # fmt: skip


class WorldFile:
    """A fake Telegram whose spec lives in a file the extractor reads (``FAKE_TELEGRAM_WORLD``).

    Mutate ``world`` (append, delete, edit) or add faults, then :meth:`save` before
    the next run.
    """

    def __init__(self, spec: dict[str, Any], path: Path) -> None:
        self.fake = FakeTelegram(world_from_spec(spec))
        self.path = path
        self.save()

    @property
    def world(self) -> Any:
        """The world (ground truth)."""
        return self.fake.world

    def save(self) -> Path:
        """Write the current world, faults included, for the next run."""
        return dump_spec(self.fake, self.path)
