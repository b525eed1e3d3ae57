"""Check what a Bot API server answered before the source relies on it.

``bot_api_url`` may point at any server (a local ``telegram-bot-api``, a proxy, a
mistake), and its answers are input like a file: a ``result`` that is ``null``, an
object or a string where a list of updates belongs, an update without an integer
``update_id``, ``getMe`` answering ``null``. Each is one line naming the method and
``bot_api_url`` (exit 2: the setting points at something that is no Bot API server),
never a traceback.

Updates are taken in ``update_id`` order, each id once: a server that repeats an id or
sends them out of order would otherwise have an update emitted twice, or confirmed by
a later offset before it was emitted. An update whose message is not an object, or
cannot be mapped, is skipped with a WARNING naming its ``update_id`` (it is confirmed
like the others: kept unconfirmed, it would stop every later run).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from tap_telegram.errors import ConfigError, value_kind
from tap_telegram.sources.bot_api.mapping.messages import MESSAGE_UPDATES

#: Update ids are 32-bit on Telegram; anything outside 64 bits is no id.
MAX_UPDATE_ID = 2**63 - 1


def unusable(method: str, url: str, what: str) -> ConfigError:
    """The error of an answer no Bot API server sends."""
    return ConfigError(
        f"Bot API {method} at {url} answered {what}, which a Bot API server never sends; "
        "check that bot_api_url points at a Bot API server (default https://api.telegram.org)"
    )


def checked_object(result: Any, method: str, url: str, *keys: str) -> dict[str, Any]:
    """``result`` if it is an object with integer ``keys`` (``getMe``, ``getChat``)."""
    if not isinstance(result, dict):
        raise unusable(method, url, f"{value_kind(result)} instead of an object")
    for key in keys:
        value = result.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise unusable(method, url, f"an object whose '{key}' is {value_kind(value)}")
    return result


def checked_updates(
    answer: Any, url: str, after: int | None, logger: logging.Logger
) -> list[dict[str, Any]]:
    """The updates of a getUpdates answer, ascending by ``update_id``, each once.

    ``after``: the highest id this run already emitted; an update at or below it is a
    repeat (Telegram deletes what an offset confirmed) and is dropped with a warning.
    """
    if not isinstance(answer, list):
        raise unusable("getUpdates", url, f"{value_kind(answer)} instead of a list of updates")
    by_id: dict[int, dict[str, Any]] = {}
    for index, update in enumerate(answer):
        update_id = update.get("update_id") if isinstance(update, dict) else None
        if (
            not isinstance(update_id, int)
            or isinstance(update_id, bool)
            or not 0 <= update_id <= MAX_UPDATE_ID
        ):
            raise unusable(
                "getUpdates", url, f"update #{index + 1} without a whole-number 'update_id'"
            )
        by_id.setdefault(update_id, update)
    repeats = len(answer) - len(by_id)
    ordered = [by_id[key] for key in sorted(by_id) if after is None or key > after]
    repeats += len(by_id) - len(ordered)
    if repeats or [u["update_id"] for u in answer if isinstance(u, dict)] != sorted(by_id):
        logger.warning(
            "tap-telegram: Bot API getUpdates at %s answered update ids out of order or "
            "repeated (%d repeat(s) dropped); each update is emitted once, in id order",
            url,
            repeats,
        )
    return ordered


def unmapped(update: Mapping[str, Any], problem: str, logger: logging.Logger) -> None:
    """Say that an update is skipped (confirmed without a record), and why."""
    logger.warning(
        "tap-telegram: Bot API update %s skipped: %s; it is confirmed without a record",
        update.get("update_id"),
        problem,
    )


def message_problem(update: Mapping[str, Any]) -> str | None:
    """Why an update's message field cannot be read (it is not an object), or None."""
    for key in MESSAGE_UPDATES:
        if key in update and not isinstance(update[key], dict):
            return f"its '{key}' is {value_kind(update[key])}, not a message object"
    return None
