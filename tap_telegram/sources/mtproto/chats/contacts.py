"""The account's contact list (``contacts`` stream): one request, and a cheap one when unchanged.

``contacts.getContacts`` takes the hash of the list the client already has
(core.telegram.org/method/contacts.getContacts: Telegram's usual vector hash
(core.telegram.org/api/offsets, "Hash generation") over the ``saved_count`` it
answered, then at most 100,000 sorted user ids of the list). When the list did not
change the answer is ``contacts.contactsNotModified``: no records, one small request.
The hash lives in the stream's STATE memory (``bookmarks.contacts.memory.hash``) and is
stored only after every record of the list is written. The hash covers user ids only:
a contact renamed on the account's phone comes again when the list itself changes.

Sent on the plain client, never inside a takeout: the tap's takeout scope has no
contacts (:data:`.wire.takeout.TAKEOUT_SCOPE`).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from telethon import TelegramClient, functions
from telethon.tl import types

from tap_telegram.records.types import plain_list
from tap_telegram.sources.base import Record
from tap_telegram.sources.mtproto.chats.members import member_hash
from tap_telegram.sources.mtproto.mapping.members import map_contact
from tap_telegram.sources.mtproto.wire.calls import Caller

#: Most user ids the hash covers (contacts.getContacts).
HASHED_IDS = 100_000
#: Key of the list's hash in the stream's memory.
HASH_KEY = "hash"


def contacts_hash(saved_count: int, user_ids: list[int]) -> int:
    """The ``hash`` to send next time for a list of ``user_ids`` answered with ``saved_count``."""
    return member_hash([saved_count, *sorted(user_ids)[:HASHED_IDS]])


async def fetch_contacts(
    client: TelegramClient, caller: Caller, memory: MutableMapping[str, Any]
) -> tuple[list[Record], int | None]:
    """The contact list as records and its hash; ``([], None)`` when it did not change.

    ``memory`` holds the hash of the list written last time (none: a first run).
    """
    known = memory.get(HASH_KEY)
    request = functions.contacts.GetContactsRequest(hash=known if isinstance(known, int) else 0)
    answer = await caller.call(lambda: client(request), chat=None, what="GetContactsRequest")
    if not isinstance(answer, types.contacts.Contacts):  # contactsNotModified
        return [], None
    users = {user.id: user for user in answer.users}
    records = [map_contact(contact, users.get(contact.user_id)) for contact in answer.contacts]
    user_ids = [contact.user_id for contact in answer.contacts]
    return plain_list(records), contacts_hash(answer.saved_count, user_ids)
