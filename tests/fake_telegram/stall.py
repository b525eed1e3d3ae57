"""The ``stall`` fault: an update-log answer that does not move the position.

tdlib checks every ``differenceSlice`` against the state it asked from
(td/telegram/UpdatesManager.cpp, ``on_get_difference``, case ``updates_differenceSlice``:
``intermediate_state`` pts, qts and date against the current ones); a client that asks
again from a state that does not move would loop forever. Telegram does not document when it answers so; this fault produces it on
demand: the answer keeps its content, but its position is the one the request asked
from, and it is never the last (a slice, a channel difference without ``final``).
Answers that carry no content (empty, too long) are left alone.

On ``messages.getDialogs`` the fault answers as if the request had no offset (the
first page, without pinned dialogs when they are excluded): the list does not move
past the offset, which is what a client sees when Telegram cannot use the offset it
was sent (a date past 2038 that Telethon wrapped to 1901 was such a one).
"""

from __future__ import annotations

from typing import Any

from telethon.tl import functions, types


def stalled_request(request: Any) -> Any:
    """The request the server answers under a ``stall`` fault (getDialogs: no offset)."""
    if not isinstance(request, functions.messages.GetDialogsRequest):
        return request
    return functions.messages.GetDialogsRequest(
        offset_date=None,
        offset_id=0,
        offset_peer=types.InputPeerEmpty(),
        limit=request.limit,
        hash=request.hash,
        exclude_pinned=request.exclude_pinned,
        folder_id=request.folder_id,
    )


def stalled(request: Any, answer: Any) -> Any:
    """``answer`` to ``request`` (getDifference / getChannelDifference), not advancing."""
    if isinstance(answer, types.updates.Difference | types.updates.DifferenceSlice):
        state = getattr(answer, "state", None) or answer.intermediate_state
        frozen = types.updates.State(
            pts=request.pts,
            qts=request.qts,
            date=request.date,
            seq=state.seq,
            unread_count=state.unread_count,
        )
        return types.updates.DifferenceSlice(
            new_messages=answer.new_messages,
            new_encrypted_messages=answer.new_encrypted_messages,
            other_updates=answer.other_updates,
            chats=answer.chats,
            users=answer.users,
            intermediate_state=frozen,
        )
    if isinstance(answer, types.updates.ChannelDifference):
        return types.updates.ChannelDifference(
            pts=request.pts,
            new_messages=answer.new_messages,
            other_updates=answer.other_updates,
            chats=answer.chats,
            users=answer.users,
            final=None,
            timeout=answer.timeout,
        )
    return answer
