"""The account's own lists: its contacts (``contacts.getContacts``) and chat folders
(``messages.getDialogFilters``).

Semantics from Telegram's documentation (cited in the fake's README):

* ``contacts.getContacts(hash)`` (core.telegram.org/method/contacts.getContacts): the
  contact list as ``contacts.contacts(contacts, saved_count, users)``; when ``hash`` equals
  Telegram's vector hash (core.telegram.org/api/offsets, "Hash generation") of
  ``saved_count`` followed by the sorted user ids of the list, ``contacts.contactsNotModified``.
  Only users may call it (a bot session gets ``BOT_METHOD_INVALID``). ``saved_count`` counts
  contacts imported from a phone book; the fake imports none, so it is 0.
* ``messages.getDialogFilters`` (core.telegram.org/method/messages.getDialogFilters, layer
  229 as Telethon 1.45 has it): ``messages.dialogFilters(filters, tags_enabled)``. The list
  starts with ``dialogFilterDefault`` (the "All chats" entry, whose place is only meaningful
  when reordering: core.telegram.org/constructor/dialogFilterDefault), then each folder as a
  ``dialogFilter`` (title as ``TextWithEntities``; ``pinned_peers``, ``include_peers``,
  ``exclude_peers`` as input peers; the dynamic flags) or, for a folder joined through a
  chat folder link, a ``dialogFilterChatlist`` (no flags, no exclusions;
  core.telegram.org/api/folders#shared-folders). Bots get BOT_METHOD_INVALID.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telethon.tl import types

from tests.fake_telegram import peers
from tests.fake_telegram.faults import FakeRpcError
from tests.fake_telegram.folders import folder_tl
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


@handles("GetDialogFiltersRequest")
def get_dialog_filters(server: Server, request: Any, status: str) -> Any:
    """``messages.getDialogFilters``: the "All chats" entry, then every folder in order."""
    if status == "bot":
        raise FakeRpcError("BOT_METHOD_INVALID")
    world = server.world
    filters: list[Any] = [types.DialogFilterDefault()]
    filters += [folder_tl(world, folder) for folder in world.folders]
    return types.messages.DialogFilters(filters=filters, tags_enabled=None)
