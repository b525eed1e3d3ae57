"""The statistics streams: ``channel_stats``, ``group_stats`` (daily snapshots), ``stats_graphs``.

All three ask the source for a chat's statistics (:meth:`Source.statistics`), which reads
them at most once per chat and day and hands the same answer to each: selecting all
three costs what selecting one does. ``channel_stats`` and ``group_stats`` are full-table
snapshots keyed ``[chat_id, date]`` (one a day: a rerun the same day adds nothing);
``stats_graphs`` has one STATE partition per chat with the newest point's ``date`` as
bookmark, and emits the points from that date on (the bookmark's day again: its value
may have grown since). None is selected by default: unselected, they send no request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, ClassVar

import pendulum
from singer_sdk.helpers.types import Context
from typing_extensions import override

from tap_telegram.errors import ChatError
from tap_telegram.records.statistics import (
    CHANNEL_SNAPSHOT,
    CHANNEL_STATS_SCHEMA,
    GROUP_SNAPSHOT,
    GROUP_STATS_SCHEMA,
    SNAPSHOT_KINDS,
    STATS_GRAPH_SCHEMA,
)
from tap_telegram.singer.streams import ChatPartitioned, PerChatStream
from tap_telegram.sources.base import Source


def statistics_kind(source: Source, chat_id: int) -> str | None:
    """A chat's kind of snapshot (``SNAPSHOT_KINDS``); ``None``: it has no statistics."""
    for chat in source.chats():
        if chat["id"] == chat_id:
            return SNAPSHOT_KINDS.get(str(chat.get("type")))
    return None


class SnapshotStream(PerChatStream):
    """A daily snapshot of each selected chat of one kind (channels, or supergroups)."""

    primary_keys: ClassVar[list[str]] = ["chat_id", "date"]
    selected_by_default = False
    #: Which snapshots this stream carries (:attr:`ChatStatistics.kind`).
    kind: ClassVar[str]

    @override
    def chat_records(self, chat_id: int) -> Iterable[dict[str, Any]]:
        """Today's snapshot, if the chat has statistics and they were not read today."""
        if statistics_kind(self.source, chat_id) != self.kind:
            return []
        stats = self.source.statistics(chat_id)
        return [stats.snapshot] if stats is not None else []


class ChannelStatsStream(SnapshotStream):
    """Followers, views and shares per post, notifications: one row per channel and day."""

    name = "channel_stats"
    schema = CHANNEL_STATS_SCHEMA
    kind = CHANNEL_SNAPSHOT


class GroupStatsStream(SnapshotStream):
    """Members, messages, viewers, posters and the top posters/admins/inviters, daily."""

    name = "group_stats"
    schema = GROUP_STATS_SCHEMA
    kind = GROUP_SNAPSHOT


class StatsGraphsStream(ChatPartitioned[Source]):
    """Every point of every statistics graph, incremental by date, one partition per chat."""

    name = "stats_graphs"
    primary_keys: ClassVar[list[str]] = ["chat_id", "message_id", "graph", "x", "series"]
    schema = STATS_GRAPH_SCHEMA
    replication_key = "date"
    selected_by_default = False

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The chat's points dated on or after its bookmark's day."""
        assert context is not None
        chat_id = int(context["chat_id"])
        if statistics_kind(self.source, chat_id) is None:
            return
        start = _instant(self.get_starting_replication_key_value(context))
        try:
            stats = self.source.statistics(chat_id)
        except ChatError as error:
            self.source.chat_failed(error)
            return
        if stats is None:
            return
        rows = [r for r in stats.graph_rows if start is None or r["date"] >= start]
        yield from rows
        if rows:
            self.write_state_if_due()


def _instant(value: Any) -> dt.datetime | None:
    """A bookmark (or ``start_date``) as an aware datetime; ``None`` when there is none."""
    if not value:
        return None
    parsed = pendulum.parse(str(value))
    if not isinstance(parsed, dt.datetime):
        return None
    return parsed.astimezone(dt.timezone.utc)
