"""A page of a chat's messages and the checkpoint it carries.

A history source hands the ``messages`` stream :class:`Page` objects: the records,
their :class:`PageKind`, and the change to the chat's STATE that becomes true once
those records are written (:attr:`Page.commit`). The stream writes the records,
applies the commit, and writes STATE; it knows nothing of what the commit stores
(a lookback memory, an update-log position, delivered ids): the source that owns
the rule does. The bookmark itself is the SDK's, moved by the records.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, MutableMapping
from typing import Any

Record = dict[str, Any]
#: A mutable piece of Singer STATE (the SDK's dicts, changed in place).
StateDict = MutableMapping[str, Any]


class PageKind(enum.Enum):
    """What a page's records are, which decides whether they may move the bookmark."""

    #: Messages after the bookmark, ascending: each moves it.
    NEW = "new"
    #: Rows read again below the bookmark (lookback), possibly followed by new ones
    #: and tombstones: only a row above the bookmark, never a tombstone, moves it.
    REREAD = "reread"
    #: Edits and tombstones of delivered messages, after the chat's history: none
    #: moves the bookmark, and no STATE is written between history and them.
    CHANGE = "change"


class ChatState:
    """Where a chat's checkpoint lives in STATE: its partition and the stream's own keys.

    The partition is the SDK's, fetched on first use (the SDK creates it then), so a
    source that never looks at a chat's STATE adds nothing to it.
    """

    def __init__(self, partition: Callable[[], StateDict], stream: StateDict) -> None:
        self._partition = partition
        #: The stream's STATE (``bookmarks.messages``), for keys that span chats.
        self.stream = stream

    @property
    def partition(self) -> StateDict:
        """The chat's partition (``context``, bookmark, counters and the source's keys)."""
        return self._partition()


#: Applied to the chat's STATE once every record of the page is written; returns
#: whether STATE changed in a way no record showed (so it must be written).
Commit = Callable[[ChatState], bool]


@dataclasses.dataclass(frozen=True)
class Page:
    """Records of one chat, in id order, and the checkpoint they complete."""

    records: list[Record]
    kind: PageKind = PageKind.NEW
    #: ``None``: the records' bookmark is all the page checkpoints.
    commit: Commit | None = None


def then(first: Commit | None, second: Commit | None) -> Commit | None:
    """Both commits, ``first`` then ``second``; whether either changed STATE."""
    if first is None or second is None:
        return first or second
    return lambda state: bool(first(state) | second(state))
