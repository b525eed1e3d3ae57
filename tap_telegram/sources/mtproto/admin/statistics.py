"""MTProto reads for the statistics streams: ``stats.getBroadcastStats`` / ``getMegagroupStats``.

Telegram computes statistics for channels and supergroups big enough, shows them to their
admins only, and serves them from the chat's statistics DC: the home DC answers
``STATS_MIGRATE_X`` and the request is sent again on a sender borrowed for DC X, the way
Telethon's ``get_stats`` does it (``_borrow_exported_sender``: one authorization export
and import per run and DC). The DC is remembered in STATE, so later days go there
directly. Graphs that come as ``statsGraphAsync`` are loaded with ``stats.loadAsyncGraph``
on the same DC; zoom tokens are not followed.

The graphs are daily, so a chat's statistics are read at most once per UTC day: the day
of the last read (or refusal) is remembered per chat (:class:`StatsMemory`); an hourly run
sends no statistics request for a chat already read today. Chats that have none (the
account is not an admin: known from the dialogs, no request; too small:
CHAT_ADMIN_REQUIRED, or ``can_view_stats`` false in a full info at hand) are skipped with
one line, and a refusal is remembered for the day like a read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import MutableMapping
from typing import Any

from telethon import TelegramClient, errors, functions
from telethon.tl import types

from tap_telegram.records.statistics import CHANNEL_SNAPSHOT, GROUP_SNAPSHOT
from tap_telegram.records.types import plain, plain_list
from tap_telegram.sources.base import ChatStatistics
from tap_telegram.sources.mtproto.admin.log import admin_only_skip
from tap_telegram.sources.mtproto.chats.resolve import ResolvedChat
from tap_telegram.sources.mtproto.mapping.statistics import (
    channel_snapshot,
    graph_names,
    graph_rows,
    group_snapshot,
)
from tap_telegram.sources.mtproto.wire.calls import Caller

#: Answers that mean "no statistics for this chat" (not an admin, too small, wrong kind).
REFUSALS = (
    errors.ChatAdminRequiredError,
    errors.BroadcastRequiredError,
    errors.MegagroupRequiredError,
)
#: Answers that mean "this graph (or post) is gone": skipped until tomorrow.
GRAPH_GONE = (
    errors.GraphExpiredReloadError,
    errors.GraphInvalidReloadError,
    errors.GraphOutdatedReloadError,
    errors.MessageIdInvalidError,
)


class StatsMemory:
    """Per chat, the UTC day statistics were last read (or refused) and the statistics DC.

    A JSON-safe dict inside the run's STATE (``bookmarks.stats_graphs.memory``), updated
    in place: ``{"<chat id>": {"day": "2024-06-01", "dc": 4}}``.
    """

    def __init__(self, data: MutableMapping[str, Any]) -> None:
        self.data = data

    def due(self, chat_id: int, day: dt.date) -> bool:
        """Whether the chat's statistics were not read yet on ``day``."""
        entry = self.data.get(str(chat_id)) or {}
        return entry.get("day") != day.isoformat()

    def dc(self, chat_id: int) -> int | None:
        """The chat's statistics DC, when a read found it."""
        value = (self.data.get(str(chat_id)) or {}).get("dc")
        return value if isinstance(value, int) else None

    def remember(self, chat_id: int, day: dt.date, dc: int | None) -> None:
        """Note the day (and the DC) of a read or a refusal."""
        entry = {"day": day.isoformat()}
        if dc is not None:
            entry["dc"] = dc  # type: ignore[assignment]
        self.data[str(chat_id)] = entry


@dataclasses.dataclass
class StatsAnswer:
    """What a read gave: the statistics (``None``: refused, with the reason) and the DC."""

    stats: Any | None
    dc: int | None
    refusal: str | None = None
    #: ``stats.messageStats`` of the newest posts, by message id (``stats_posts``).
    posts: dict[int, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class _Moved:
    """``STATS_MIGRATE_X``: send again on DC ``dc``."""

    dc: int


@dataclasses.dataclass
class _Link:
    """Where a chat's statistics requests go: the home DC (``dc`` None) or a borrowed sender."""

    client: TelegramClient
    caller: Caller
    chat: ResolvedChat
    logger: logging.Logger
    dc: int | None = None

    async def send(self, request: Any) -> Any:
        """``request`` under the caller's policy; a move or a refusal as a value, not an error."""
        client = self.client

        async def attempt() -> Any:
            try:
                if self.dc is None:
                    return await client(request)
                sender = await client._borrow_exported_sender(self.dc)
                try:
                    return await sender.send(request)
                finally:
                    await client._return_exported_sender(sender)
            except errors.StatsMigrateError as moved:
                return _Moved(int(moved.dc))
            except REFUSALS as refused:
                return f"Telegram has no statistics for the account here ({refused.message})"
            except GRAPH_GONE as gone:
                return f"not loaded ({gone.message})"

        return await self.caller.call(attempt, chat=self.chat.label, what=type(request).__name__)

    async def load_graphs(self, answer: Any, label: str) -> None:
        """Replace each async graph of ``answer`` by the loaded one (``None`` when it is gone)."""
        for name in [key for key in answer.to_dict() if key.endswith("_graph")]:
            graph = getattr(answer, name)
            if isinstance(graph, types.StatsGraphAsync):
                loaded = await self.send(functions.stats.LoadAsyncGraphRequest(token=graph.token))
                if isinstance(loaded, str):
                    self.logger.info("chat %s: statistics graph %s: %s", label, name, loaded)
                keep = isinstance(loaded, types.StatsGraph | types.StatsGraphError)
                graph = loaded if keep else None
                setattr(answer, name, graph)
            if isinstance(graph, types.StatsGraphError):
                self.logger.info("chat %s: statistics graph %s: %s", label, name, graph.error)


async def read_statistics(
    client: TelegramClient,
    caller: Caller,
    chat: ResolvedChat,
    logger: logging.Logger,
    *,
    dc: int | None,
    post_count: int = 0,
) -> StatsAnswer:
    """A chat's statistics with every async graph loaded, from its statistics DC.

    With ``post_count``, also the statistics of the channel's newest posts (the ones the
    answer lists as recent), one ``stats.getMessageStats`` each.
    """
    entity = chat.entity
    channel = types.InputChannel(entity.id, entity.access_hash or 0)
    request: Any = (
        functions.stats.GetBroadcastStatsRequest(channel=channel)
        if entity.broadcast
        else functions.stats.GetMegagroupStatsRequest(channel=channel)
    )
    home = client.session.dc_id
    link = _Link(client, caller, chat, logger, None if dc == home else dc)
    answer = await link.send(request)
    if isinstance(answer, _Moved):
        link.dc = answer.dc
        answer = await link.send(request)
    if isinstance(answer, _Moved):
        return StatsAnswer(None, None, f"Telegram moved them twice (STATS_MIGRATE_{answer.dc})")
    if isinstance(answer, str):
        return StatsAnswer(None, link.dc, answer)
    await link.load_graphs(answer, chat.label)
    posts: dict[int, Any] = {}
    recent = getattr(answer, "recent_posts_interactions", None) or []
    newest = sorted((getattr(p, "msg_id", 0) for p in recent), reverse=True)
    for msg_id in [i for i in newest if i][:post_count]:
        post = await link.send(functions.stats.GetMessageStatsRequest(channel, msg_id))
        if isinstance(post, str):
            logger.info("chat %s: statistics of post %d skipped: %s", chat.label, msg_id, post)
            continue
        await link.load_graphs(post, f"{chat.label} post {msg_id}")
        posts[msg_id] = post
    return StatsAnswer(answer, link.dc if link.dc is not None else home, posts=posts)


class StatisticsReader:
    """The run's statistics: each chat read once (three streams ask), at most once a day."""

    def __init__(
        self,
        client: TelegramClient,
        caller: Caller,
        memory: StatsMemory,
        logger: logging.Logger,
        today: dt.date,
        *,
        post_count: int = 0,
    ) -> None:
        self.post_count = post_count
        self.client = client
        self.caller = caller
        self.memory = memory
        self.logger = logger
        self.today = today
        self._read: dict[int, ChatStatistics | None] = {}

    def skip(self, chat: ResolvedChat) -> bool:
        """Whether a chat has no statistics for this run (one line says why)."""
        if admin_only_skip(chat, "statistics", self.logger):
            return True
        if isinstance(chat.full, types.ChannelFull) and not chat.full.can_view_stats:
            self.logger.info(
                "chat %s: statistics skipped: Telegram has none for this chat "
                "(can_view_stats is false: too few members)",
                chat.label,
            )
            self.memory.remember(chat.chat_id, self.today, self.memory.dc(chat.chat_id))
            return True
        if not self.memory.due(chat.chat_id, self.today):
            self.logger.info("chat %s: statistics already read today (they are daily)", chat.label)
            return True
        return False

    async def read(self, chat: ResolvedChat) -> ChatStatistics | None:
        """The chat's statistics as records (``None``: none, said in one line)."""
        if chat.chat_id in self._read:
            return self._read[chat.chat_id]
        self._read[chat.chat_id] = None
        if self.skip(chat):
            return None
        answer = await read_statistics(
            self.client,
            self.caller,
            chat,
            self.logger,
            dc=self.memory.dc(chat.chat_id),
            post_count=self.post_count,
        )
        self.memory.remember(chat.chat_id, self.today, answer.dc)
        if answer.stats is None:
            self.logger.info("chat %s: statistics skipped: %s", chat.label, answer.refusal)
            return None
        result = records_of(chat.chat_id, answer.stats, answer.posts)
        self._read[chat.chat_id] = result
        return result


def records_of(chat_id: int, stats: Any, posts: dict[int, Any]) -> ChatStatistics:
    """A statistics answer (and its posts') as a snapshot and graph rows (by date, graph...)."""
    broadcast = isinstance(stats, types.stats.BroadcastStats)
    snapshot = channel_snapshot(chat_id, stats) if broadcast else group_snapshot(chat_id, stats)
    rows = [
        row
        for message_id, answer in [(0, stats), *sorted(posts.items())]
        for name in graph_names(answer)
        for row in graph_rows(chat_id, name, getattr(answer, f"{name}_graph"), message_id)
    ]
    for row in rows:
        if row["date"] is None:  # a graph whose x is no time: dated by the snapshot
            row["date"] = snapshot["date"]
    rows.sort(key=lambda r: (r["date"], r["message_id"], r["graph"], r["x"], r["series"]))
    return ChatStatistics(
        CHANNEL_SNAPSHOT if broadcast else GROUP_SNAPSHOT, plain(snapshot), plain_list(rows)
    )
