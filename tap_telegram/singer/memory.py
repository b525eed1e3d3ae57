"""Where a source's memory lives in STATE: ``bookmarks.<stream>.memory``.

A source that keeps something between runs (full info, member lists, topics: see
:meth:`tap_telegram.sources.base.Source.recall`) keeps it in the STATE of the stream
it serves, so that every STATE message carries it and the next run gets it back with
``--state``, whichever target or orchestrator keeps the STATE.
"""

from __future__ import annotations

from typing import Any

from singer_sdk.helpers.types import TapState

from tap_telegram.singer.state_check import MEMORY_STREAMS

#: Key of the source's memory in a stream's STATE (``bookmarks.<stream>.memory``).
MEMORY_KEY = "memory"


def source_memory(tap_state: TapState) -> dict[str, dict[str, Any]]:
    """What the source keeps between runs, in the STATE of the streams it serves.

    ``bookmarks.chats.memory`` (full info, invite links), ``bookmarks.participants.memory``,
    ``bookmarks.topics.memory``, ``bookmarks.contacts.memory`` (the list's hash) and
    ``bookmarks.stats_graphs.memory`` (the day each chat's statistics were read, and where):
    dicts inside the run's STATE, so every STATE message carries them and the next run gets
    them back with ``--state`` (:meth:`tap_telegram.sources.base.Source.recall`). The SDK
    keeps extra keys of a stream's state, selected or not.
    """
    bookmarks = tap_state.setdefault("bookmarks", {})
    return {
        name: bookmarks.setdefault(name, {}).setdefault(MEMORY_KEY, {}) for name in MEMORY_STREAMS
    }
