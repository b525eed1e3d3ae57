"""What the update logs say changed since the stored positions (change capture's data).

Read by :mod:`.changes.reader` before any history, used by :mod:`.changes.capture`.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass
class ChatChanges:
    """What a chat's update log says changed since its stored position."""

    #: Ids of messages edited since (their records: :meth:`.source.MTProtoSource.edited_records`).
    edited: set[int] = dataclasses.field(default_factory=set)
    #: Ids deleted since (never also in ``edited``).
    deleted: set[int] = dataclasses.field(default_factory=set)
    #: The chat's own log position to store once these are out (channels); ``None``:
    #: the chat is in the account's log.
    pts: int | None = None
    #: The log was too long to read: only history and lookback catch up.
    fallback: bool = False
    #: Why reading the log failed on this run (``pts`` is then the stored one), or ``None``.
    failed: str | None = None
    #: The error with which Telegram refused the stored position (``pts`` is then a
    #: new one, stored only together with a verification mark), or ``None``.
    refused: str | None = None
    #: Difference requests this chat cost.
    requests: int = 0


@dataclasses.dataclass
class LogChanges:
    """What the update logs say changed, for the selected chats (see :mod:`.changes.capture`)."""

    #: Per marked chat id; a chat missing here has nothing to emit.
    chats: dict[int, ChatChanges] = dataclasses.field(default_factory=dict)
    #: Deletions in the account's log: ids only, Telegram names no chat. Change
    #: capture attributes them through the ids each chat delivered (:mod:`.changes.id_index`).
    account_deleted: set[int] = dataclasses.field(default_factory=set)
    #: The account's log position to store (JSON-safe ints: pts, qts, date), ``None``: none.
    account: dict[str, int] | None = None
    #: ``account`` may be stored at once (taken before any history was read, nothing
    #: to emit); otherwise only once every chat of the account's log is out.
    account_is_start: bool = False
    #: Difference requests of the account's log, and whether it was too long.
    account_requests: int = 0
    account_fallback: bool = False
    #: Why reading the account's log failed on this run (its position stays), or ``None``.
    account_failed: str | None = None
    #: The error with which Telegram refused the account's stored position: ``account``
    #: is then a new one, stored only once every chat of the log is marked.
    account_refused: str | None = None

    @property
    def requests(self) -> int:
        """Every difference request of the run (channels and the account)."""
        return self.account_requests + sum(chat.requests for chat in self.chats.values())

    @property
    def fallbacks(self) -> int:
        """Logs that were too long to read (channels, and the account's)."""
        return int(self.account_fallback) + sum(c.fallback for c in self.chats.values())

    @property
    def failures(self) -> int:
        """Logs that could not be read on this run (channels, and the account's)."""
        return int(self.account_failed is not None) + sum(
            c.failed is not None for c in self.chats.values()
        )

    @property
    def refusals(self) -> int:
        """Stored positions Telegram refused (channels, and the account's)."""
        return int(self.account_refused is not None) + sum(
            c.refused is not None for c in self.chats.values()
        )
