"""The benchmark scenarios: fake Telegram worlds (as JSON specs) plus tap configs.

Every scenario is a spec for :func:`tests.fake_telegram.spec.fake_from_spec`
(world, latency, rate limits) and the ``chats`` to read; the runners in
:mod:`bench.runners` hand the same spec to the tap, to the SDK ceiling and to the
naive Telethon script, each in a subprocess of its own.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any

#: Flood-limited fake: this many getHistory requests per window, FLOOD_WAIT beyond.
FLOOD_REQUESTS = 20
FLOOD_WINDOW = 10.0


@dataclasses.dataclass(frozen=True)
class Scenario:
    """One row group of the benchmark table."""

    key: str
    title: str
    chats: int
    per_chat: int
    kind: str = "channel"
    latency: float = 0.0
    #: ``(requests, window seconds)`` of getHistory before FLOOD_WAIT, if limited.
    flood_limit: tuple[int, float] | None = None
    #: Also run the tap with one request at a time (the 20-chat goal compares with it).
    single_run: bool = False
    #: Sample the tap's RSS over time (the 1M memory scenario).
    rss_curve: bool = False
    #: Run the naive script too (pointless on the memory scenario: it would read
    #: the same first 1,000-odd messages as everywhere else).
    naive: bool = True
    #: Ids per message: above 1, each chat's ids are sparse (:func:`sparse_deletions`).
    spread: int = 1

    @property
    def messages(self) -> int:
        """Messages in the whole world."""
        return self.chats * self.per_chat

    def usernames(self) -> list[str]:
        """The ``chats`` setting: every chat of the world, by @username."""
        return [f"@bench_{self.key}_{index}" for index in range(self.chats)]

    def spec(self) -> dict[str, Any]:
        """The fake's JSON spec (lazy, deterministic world; latency; rate limits)."""
        chats: list[dict[str, Any]] = [
            {
                "key": f"c{index}",
                "kind": self.kind,
                "title": f"Bench {index}",
                "username": f"bench_{self.key}_{index}",
                "messages": self.per_chat * self.spread,
            }
            for index in range(self.chats)
        ]
        if self.spread > 1:
            for index, chat in enumerate(chats):
                chat["deleted"] = sparse_deletions(chat["messages"], self.per_chat, seed=index)
        spec: dict[str, Any] = {"seed": 1, "generated_users": 8, "chats": chats}
        spec["latency"] = self.latency
        if self.flood_limit:
            requests, window = self.flood_limit
            spec["rate_limits"] = [
                {"requests": requests, "window": window, "request": "GetHistoryRequest"}
            ]
        return spec


def sparse_deletions(ids: int, keep: int, *, seed: int = 0) -> list[int]:
    """Ids of ``1..ids`` to delete so that ``keep`` remain: long ranges and random gaps.

    About half the deleted ids come as ranges of 0.5-2.5 % of the chat (admins purging
    old stretches), the rest one by one at random. The first and the newest id stay.
    """
    draw = random.Random(seed)
    drop = ids - keep
    deleted: set[int] = set()
    while len(deleted) < drop // 2:
        length = draw.randint(max(1, ids // 200), max(1, ids // 40))
        start = draw.randint(2, max(2, ids - length))
        deleted.update(range(start, min(start + length, ids)))
    chosen = sorted(deleted)[:drop]
    rest = [i for i in range(2, ids) if i not in deleted]
    chosen += draw.sample(rest, drop - len(chosen))
    return sorted(chosen)


def scenarios(scale: float = 1.0) -> list[Scenario]:
    """The scenarios of issues 6 and 16; ``scale`` shrinks them (``--quick``, tests)."""

    def size(count: int, floor: int = 200) -> int:
        return max(floor, int(count * scale))

    return [
        Scenario("0ms", "1 chat, 0 ms", 1, size(100_000)),
        Scenario("100ms", "1 chat, 100 ms", 1, size(100_000), latency=0.1),
        Scenario(
            "20chats",
            "20 chats, 100 ms",
            20,
            size(5_000, 100),
            kind="supergroup",
            latency=0.1,
            single_run=True,
        ),
        Scenario(
            "flood",
            f"flood-limited ({FLOOD_REQUESTS} req / {FLOOD_WINDOW:g} s)",
            1,
            size(12_000),
            flood_limit=(FLOOD_REQUESTS, FLOOD_WINDOW),
        ),
        Scenario("1M", "1 chat, 1M messages", 1, size(1_000_000), rss_curve=True, naive=False),
        Scenario(
            "sparse",
            "1 chat, sparse ids, 100 ms",
            1,
            size(10_000),
            latency=0.1,
            single_run=True,
            naive=False,
            spread=4,
        ),
    ]
