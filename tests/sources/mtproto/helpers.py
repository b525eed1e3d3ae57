"""Small readers of tap output shared by the MTProto sync tests."""

from __future__ import annotations

from typing import Any


def bookmarks(state: Any) -> dict[int, Any]:
    """Each chat's bookmark in a STATE value (chat id -> replication key value)."""
    parts = state["bookmarks"].get("messages", {}).get("partitions", [])
    return {p["context"]["chat_id"]: p.get("replication_key_value") for p in parts}


def ids_by_chat(records: list[dict[str, Any]]) -> dict[int, list[int]]:
    """Message ids per chat, in the order they were emitted."""
    out: dict[int, list[int]] = {}
    for record in records:
        out.setdefault(record["chat_id"], []).append(record["id"])
    return out
