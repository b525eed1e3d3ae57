"""Marked ids: one integer per peer, the same whichever source read it.

Telegram numbers users, basic groups and channels separately, so a bare id is
ambiguous. Records carry *marked* ids, as Telethon's ``utils.get_peer_id`` makes them:
users ``id``, basic groups ``-id``, channels and supergroups ``-(10**12 + id)``. The
MTProto mapper feeds these functions ``(kind, bare id)`` pairs it reads off TL objects,
the export mapper the ``"user123"`` / ``"channel123"`` strings of a ``result.json``, the
Bot API mapper the marked ids the Bot API already uses. Pure arithmetic and no
Telethon, so export and Bot API runs never load it; ``tests/records/test_ids.py``
proves it agrees with Telethon.
"""

from __future__ import annotations

from tap_telegram.records.constants import CHANNEL_MARK


def marked_id(kind: str, bare_id: int) -> int:
    """The marked id of a ``user``, ``chat`` (basic group) or ``channel`` ``bare_id``."""
    if kind == "user":
        return bare_id
    if kind == "chat":
        return -bare_id
    if kind == "channel":
        return -(CHANNEL_MARK + bare_id)
    raise ValueError(f"peer kind should be user, chat or channel, not {kind!r}")


def split_marked_id(marked: int) -> tuple[str, int]:
    """``(kind, bare id)`` of a marked id: the inverse of :func:`marked_id`."""
    if marked >= 0:
        return "user", marked
    if marked < -CHANNEL_MARK:
        return "channel", -marked - CHANNEL_MARK
    return "chat", -marked
