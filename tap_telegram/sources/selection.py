"""Which chats a run takes: the rules every source applies the same way.

A misspelled or misplaced setting must never widen what is extracted (a tool that
copies private messages into shared databases). So, for every source:

* ``chats`` picks chats (parsed by :mod:`.chatrefs`, matched by each source its own
  way); when it is absent the run takes every chat of the wanted ``chat_types``
  (:func:`wanted_types`) and says so at WARNING level, with how many chats of which
  types and how to narrow it, before any message is read (:func:`announce_every_chat`);
* ``exclude_chats`` then takes chats out (:func:`without_excluded`), and an entry that
  matches none of the chats is a warning, never silently nothing (:func:`report_unmatched`).

Each source supplies what only it knows: how an entry matches one of its chats, and
the types of the chats it is about to read.
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from tap_telegram.errors import ConfigError
from tap_telegram.records.constants import CHAT_TYPES
from tap_telegram.settings import Settings

#: A source's chat (a record, a resolved entity, ...) and an ``exclude_chats`` entry.
ChatT = TypeVar("ChatT")
EntryT = TypeVar("EntryT")

#: How to narrow a run, said with the "every chat" warning.
NARROW = (
    "to extract less, list the chats in `chats`, keep some types with `chat_types` "
    f"({', '.join(CHAT_TYPES)}) or leave chats out with `exclude_chats`"
)


def wanted_types(settings: Settings) -> set[str]:
    """The ``chat_types`` setting (default: every type), validated."""
    values = settings.chat_types or CHAT_TYPES
    unknown = sorted(set(map(str, values)) - set(CHAT_TYPES))
    if unknown:
        raise ConfigError(
            f"setting 'chat_types': unknown {', '.join(unknown)}; "
            f"use any of {', '.join(CHAT_TYPES)}"
        )
    return set(values)


def announce_every_chat(logger: logging.Logger, where: str, types: Iterable[str] | None) -> None:
    """The WARNING of a run without ``chats``: what it is about to extract, how to narrow it.

    ``where`` says what "every chat" is (``of the account``, ``in the export``);
    ``types`` are the chat types of the chats about to be read, ``None`` when the
    source cannot know them in advance (a bot learns its chats from updates).
    """
    what = f"every chat {where}"
    if types is not None:
        counts = collections.Counter(types)
        kinds = [*CHAT_TYPES, *sorted(set(counts) - set(CHAT_TYPES))]
        detail = ", ".join(f"{counts[kind]} {kind}" for kind in kinds if counts[kind])
        what += f": {sum(counts.values())} chats" + (f" ({detail})" if detail else "")
    logger.warning("tap-telegram: no `chats` setting, so extracting %s; %s", what, NARROW)


def refuse_empty(
    settings: Settings, where: str, found: int | None, kept: int, *, failed: bool
) -> None:
    """Stop with one line naming the filter when the selection left no chat.

    ``found`` chats were there before the filters (``None``: unknown), ``kept`` after
    them. Chats that failed to resolve (``failed``) are reported by the run's failure
    summary instead (exit 5, or a warning with ``on_chat_error: skip``). A selection
    that is empty because of ``chats``, ``chat_types`` or ``exclude_chats`` is a
    settings mistake (exit 2): a scheduled run that extracts nothing must not pass as
    a success.
    """
    if kept or failed:
        return
    named = (
        ("chats", settings.chats),
        ("chat_types", settings.chat_types),
        ("exclude_chats", settings.exclude_chats),
    )
    filters = [
        f"'{name}'"
        for name, value in named
        if value and not (name == "chat_types" and settings.chats)
    ]
    before = "" if found is None else f" ({found} found {where})"
    if not filters:
        raise ConfigError(f"no chat to extract: there is no chat {where}{before}")
    raise ConfigError(
        f"no chat to extract: setting {' then '.join(filters)} left none of the chats{before}; "
        "check those settings (`chat_types`: user, group, supergroup, channel)"
    )


def without_excluded(
    chats: Sequence[ChatT],
    entries: Sequence[EntryT],
    matches: Callable[[EntryT, ChatT], bool],
) -> tuple[list[ChatT], list[EntryT]]:
    """``chats`` minus those an ``exclude_chats`` entry matches, in their order.

    Also returns the entries that matched none of them (see :func:`report_unmatched`).
    """
    kept = [chat for chat in chats if not any(matches(entry, chat) for entry in entries)]
    unmatched = [entry for entry in entries if not any(matches(entry, c) for c in chats)]
    return kept, unmatched


def report_unmatched(logger: logging.Logger, entries: Iterable[object]) -> None:
    """One WARNING per ``exclude_chats`` entry that matched no selected chat.

    It was meant to take something out: a typo there must not pass unnoticed.
    """
    for entry in entries:
        logger.warning(
            "tap-telegram: setting 'exclude_chats': '%s' matches none of the chats selected, "
            "so it excludes nothing; check the id, @username or name",
            entry,
        )
