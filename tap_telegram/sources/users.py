"""The run's registry of users seen while reading: the ``users`` stream's records."""

from __future__ import annotations

from typing import Any

Record = dict[str, Any]


class UserRegistry:
    """Distinct users seen during a run, in first-seen order.

    Sources register every sender (and every user mentioned in chat metadata) here
    while they read messages; the ``users`` stream emits the registry at the end.
    A later sighting only fills in fields the first one lacked, so records are
    deduplicated within a run.
    """

    def __init__(self) -> None:
        self._users: dict[int, Record] = {}

    def add(self, record: Record) -> None:
        """Remember ``record``; fill fields missing from an earlier sighting."""
        known = self._users.get(record["id"])
        if known is None:
            self._users[record["id"]] = dict(record)
            return
        for key, value in record.items():
            if known.get(key) is None and value is not None:
                known[key] = value

    def __len__(self) -> int:
        return len(self._users)

    def __contains__(self, user_id: object) -> bool:
        return user_id in self._users

    def records(self) -> list[Record]:
        """All users seen so far."""
        return list(self._users.values())
