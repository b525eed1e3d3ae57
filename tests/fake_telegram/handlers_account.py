"""The account's own lists: its contacts (``contacts.getContacts``).

Semantics from Telegram's documentation (cited in the fake's README):

* ``contacts.getContacts(hash)`` (core.telegram.org/method/contacts.getContacts): the
  contact list as ``contacts.contacts(contacts, saved_count, users)``; when ``hash`` equals
  Telegram's vector hash (core.telegram.org/api/offsets, "Hash generation") of
  ``saved_count`` followed by the sorted user ids of the list, ``contacts.contactsNotModified``.
  Only users may call it (a bot session gets ``BOT_METHOD_INVALID``). ``saved_count`` counts
  contacts imported from a phone book; the fake imports none, so it is 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telethon.tl import types

from tests.fake_telegram import peers
from tests.fake_telegram.faults import FakeRpcError
from tests.fake_telegram.handlers import handles
from tests.fake_telegram.hashing import vector_hash

if TYPE_CHECKING:
    from tests.fake_telegram.server import Server

#: Most user ids the hash covers (contacts.getContacts).
HASHED_IDS = 100_000


@handles("GetContactsRequest")
def get_contacts(server: Server, request: Any, status: str) -> Any:
    """``contacts.getContacts``: the list, or ``contactsNotModified`` for a matching hash."""
    if status == "bot":
        raise FakeRpcError("BOT_METHOD_INVALID")
    contacts = sorted(
        (user for user in server.world.users.values() if user.contact), key=lambda u: u.id
    )
    saved_count = 0
    ids = [user.id for user in contacts]
    if request.hash and request.hash == vector_hash([saved_count, *ids[:HASHED_IDS]]):
        return types.contacts.ContactsNotModified()
    return types.contacts.Contacts(
        contacts=[types.Contact(user_id=user.id, mutual=user.mutual) for user in contacts],
        saved_count=saved_count,
        users=[peers.user_tl(user) for user in contacts],
    )
