"""Peer ids of every Telegram Desktop export era, decoded to the marked ids MTProto gives.

What tdesktop's JSON writer (``export_output_json.cpp``) put where a peer is named:

=======================  ==========================================  =========================
era (Telegram Desktop)   chat ``id`` in the header                   ``from_id`` / ``actor_id``
=======================  ==========================================  =========================
June - Dec 2018          absent                                      absent (names only)
(first JSON exports)
Dec 2018 (1.5)           integer, the peer type added on top:        bare user id (integer)
- Sept 2020 (2.4.0)      users ``1<<32 | id``, basic groups *and*
                         channels ``2<<32 | id`` (``ParsePeerId``)
Oct 2020 (2.4.1)         same                                        integer, type on top as
- Apr 2021 (2.7.1)                                                   for chats
Apr 2021 (2.7.2) - now   bare id                                     ``"user123"``,
                                                                     ``"chat123"``,
                                                                     ``"channel123"``
=======================  ==========================================  =========================

The header ``id`` alone is ambiguous (a modern user id can exceed ``1<<32``), so a
file's era is told by its messages: an integer ``from_id`` / ``actor_id`` means the
typed ids of 2018-2021; a string one or a ``date_unixtime`` (June 2022 on) means bare
ids. Without either (a channel without signatures, an empty chat) only a group or
channel id at or above ``2<<32`` is taken as typed: no bare id is that large yet.

Basic groups and channels shared the ``2<<32`` offset, so the chat ``type`` says which
it is. In a sender field that offset always means a channel: a basic group never
sends a message, channels do (posts, anonymous admins, "send as").

Exports from before December 2018 carry no ids at all: such a chat gets a *synthetic*
id (:func:`synthetic_chat_id`), stable across runs and exports of the same account,
and its senders have no id (``sender_id`` null, the name is kept).
"""

from __future__ import annotations

import hashlib
from typing import Any

from tap_telegram.records import ids
from tap_telegram.records.constants import CHAT_PEER_TYPES
from tap_telegram.sources.export.mapping.parts import MessageShapeError, describe

#: tdesktop's ``kUserPeerIdShift`` and ``kChatPeerIdShift`` (2018-2021).
USER_SHIFT = 1 << 32
CHAT_SHIFT = 2 << 32
#: Synthetic chat ids are ``-(SYNTHETIC_BASE + n)``, ``n`` below ``10**12``: far below
#: every marked channel id (``-(10**12 + id)``, ids below ``2**40``).
SYNTHETIC_BASE = 9 * 10**12

#: Export chat ``type`` → the tap's chat type. Other values are unknown to this tap.
EXPORT_CHAT_TYPES = {
    "personal_chat": "user",
    "bot_chat": "user",
    "saved_messages": "user",
    "replies": "user",
    "private_group": "group",
    "private_supergroup": "supergroup",
    "public_supergroup": "supergroup",
    "private_channel": "channel",
    "public_channel": "channel",
}


def chat_kind(export_type: str) -> str | None:
    """The tap's chat type of an export chat ``type``; ``None`` when unknown."""
    return EXPORT_CHAT_TYPES.get(export_type)


def is_typed_chat_id(export_type: str, raw_id: int) -> bool:
    """Whether ``raw_id`` lies where a 2018-2021 typed id of this chat type would."""
    shift = USER_SHIFT if chat_kind(export_type) == "user" else CHAT_SHIFT
    return shift <= raw_id < shift + USER_SHIFT


def bare_chat_id(export_type: str, raw_id: int, typed: bool | None) -> int:
    """The bare id of a chat header ``id``; ``typed``: the file's era (``None``: unknown).

    Unknown era: only a group or channel id in the typed range counts as typed (see the
    module docstring).
    """
    if typed is None:
        typed = chat_kind(export_type) != "user" and is_typed_chat_id(export_type, raw_id)
    if typed and is_typed_chat_id(export_type, raw_id):
        shift = USER_SHIFT if chat_kind(export_type) == "user" else CHAT_SHIFT
        return raw_id - shift
    return raw_id


def marked_chat_id(export_type: str, bare_id: int) -> int | None:
    """The marked id of an export chat, or ``None`` for an unknown chat type."""
    kind = chat_kind(export_type)
    return None if kind is None else ids.marked_id(CHAT_PEER_TYPES[kind], bare_id)


def synthetic_chat_id(export_type: str, name: str | None, first_id: int | None, nth: int) -> int:
    """The id of a chat whose export has none (before December 2018).

    ``-(9 * 10**12 + n)`` where ``n`` is the first 12 decimal digits of the SHA-256 of
    the chat's type, name and first message id (message ids of private chats and
    basic groups are unique in an account, so two chats rarely share all three);
    ``nth`` (1, 2, ...) tells apart chats of one file that still do. The same chat in
    a rerun or in another export of that era gets the same id.
    """
    key = f"{export_type}\0{name or ''}\0{first_id}\0{nth}".encode()
    digest = int.from_bytes(hashlib.sha256(key).digest()[:8], "big") % 10**12
    return -(SYNTHETIC_BASE + digest)


def is_synthetic(chat_id: int) -> bool:
    """Whether a marked chat id is one :func:`synthetic_chat_id` made (no Telegram id)."""
    return chat_id <= -SYNTHETIC_BASE


#: :func:`parse_peer`'s answers for the string forms, which repeat on every message of a
#: sender (a chat has few senders and many messages); emptied when it reaches the cap.
_STRING_PEERS: dict[str, tuple[int, str]] = {}
STRING_PEERS_KEPT = 4096


def parse_peer(value: Any, key: str, *, modern: bool = False) -> tuple[int, str]:
    """A sender or peer field of any era → ``(marked id, user|chat|channel)``.

    Strings (April 2021 on): ``"user123"`` → ``(123, "user")``, ``"chat5"`` →
    ``(-5, "chat")``, ``"channel7"`` → ``(-1000000000007, "channel")``. Integers
    (2018-2021): below ``1<<32`` a bare user id, ``1<<32 | id`` a user, ``2<<32 | id``
    a channel (see the module docstring). A ``modern`` message (it has
    ``date_unixtime``: June 2022 on) never has an integer here: one is refused, not
    guessed to be a user (it may be a channel or a group, whose id a bare number
    cannot tell).
    """
    if modern and type(value) is int:
        raise MessageShapeError(
            f"'{key}' is a bare number in a message of June 2022 or later, where Telegram "
            "Desktop writes user123, chat123 or channel123 (the file was edited?)"
        )
    if type(value) is str:
        known = _STRING_PEERS.get(value)
        if known is not None:
            return known
        for prefix in ("user", "channel", "chat"):  # the peer kinds; "channel" before "chat"
            if value.startswith(prefix):
                digits = value[len(prefix) :]
                if digits.isascii() and digits.isdigit() and len(digits) < 19:
                    known = ids.marked_id(prefix, int(digits)), prefix
                    if len(_STRING_PEERS) >= STRING_PEERS_KEPT:
                        _STRING_PEERS.clear()
                    _STRING_PEERS[value] = known
                    return known
                break
    elif type(value) is int and 0 < value < CHAT_SHIFT + USER_SHIFT and value % USER_SHIFT:
        if value >= CHAT_SHIFT:
            return ids.marked_id("channel", value - CHAT_SHIFT), "channel"
        return ids.marked_id("user", value % USER_SHIFT), "user"
    raise MessageShapeError(
        f"'{key}' should look like user123, chat123 or channel123, not {_show(value)}"
    )


def _show(value: Any) -> str:
    return repr(value)[:40] if isinstance(value, str) else describe(value)
