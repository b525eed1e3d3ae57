"""The ``contacts`` stream: ``contacts.getContacts`` with its hash, only when selected.

The real tap against the fake Telegram, whose ``contacts.getContacts`` answers
``contactsNotModified`` for the documented hash (tests/fake_telegram/README.md).
"""

from __future__ import annotations

import asyncio
from typing import Any

from telethon import functions
from telethon.tl import types

from tap_telegram.sources.mtproto.chats.contacts import contacts_hash
from tests.fake_telegram import FakeTelegram, World
from tests.fake_telegram.harness import DEFAULT_STREAMS, catalog_selecting, run_in_process

GET_CONTACTS = "GetContactsRequest"


def world() -> World:
    world = World(seed=29)
    world.add_user("alice", first_name="Alice", username="alice_fake", contact=True, mutual=True)
    world.add_user("bob", first_name="Bob", contact=True)
    world.add_user("stranger", first_name="Stranger")
    world.add_chat("news", "channel", username="fake_news", messages=30)
    return world


def with_contacts(config: dict[str, Any]) -> dict[str, Any]:
    """The discovered catalog, with ``contacts`` selected as well."""
    return catalog_selecting(*DEFAULT_STREAMS, "contacts")


def test_not_selected_by_default_so_never_asked():
    fake = FakeTelegram(world())
    run = run_in_process(fake, fake.tap_config(chats=["@fake_news"]))
    assert run.returncode == 0
    assert len(run.records["messages"]) == 30
    assert "contacts" not in run.records
    assert fake.stats.requests[GET_CONTACTS] == 0


def test_selected_lists_contacts_then_one_cheap_request_until_the_list_changes():
    the_world = world()
    fake = FakeTelegram(the_world)
    config = fake.tap_config(chats=["@fake_news"])
    catalog = with_contacts(config)
    first = run_in_process(fake, config, catalog=catalog)
    assert first.returncode == 0
    contacts = {record["user_id"]: record for record in first.records["contacts"]}
    alice, bob = the_world.users["alice"], the_world.users["bob"]
    assert set(contacts) == {alice.id, bob.id}
    assert contacts[alice.id]["mutual"] is True
    assert contacts[alice.id]["link"] == "https://t.me/alice_fake"
    assert contacts[bob.id]["mutual"] is False
    assert contacts[bob.id]["username"] is None
    assert "phone" not in contacts[bob.id]
    assert fake.stats.requests[GET_CONTACTS] == 1
    state = first.states[-1]
    memory = state["bookmarks"]["contacts"]["memory"]
    assert memory["hash"] == contacts_hash(0, [alice.id, bob.id])

    quiet = run_in_process(fake, config, state, catalog=catalog)
    assert quiet.returncode == 0
    assert quiet.records.get("contacts", []) == []
    assert fake.stats.requests[GET_CONTACTS] == 1
    assert quiet.states[-1]["bookmarks"]["contacts"]["memory"] == memory

    the_world.add_user("carol", first_name="Carol", contact=True)
    changed = run_in_process(fake, config, quiet.states[-1], catalog=catalog)
    assert {r["user_id"] for r in changed.records["contacts"]} == {
        alice.id,
        bob.id,
        the_world.users["carol"].id,
    }
    assert changed.states[-1]["bookmarks"]["contacts"]["memory"]["hash"] != memory["hash"]


def test_a_stale_or_foreign_hash_just_gets_the_whole_list():
    fake = FakeTelegram(world())
    config = fake.tap_config(chats=["@fake_news"])
    state = {"bookmarks": {"contacts": {"memory": {"hash": 12345}}}}
    run = run_in_process(fake, config, state, catalog=with_contacts(config))
    assert run.returncode == 0
    assert len(run.records["contacts"]) == 2


def test_fake_answers_not_modified_for_the_documented_hash():
    the_world = world()
    fake = FakeTelegram(the_world)

    async def ask() -> tuple[Any, Any]:
        client = fake.client()
        await client.connect()
        try:
            full = await client(functions.contacts.GetContactsRequest(hash=0))
            again = await client(
                functions.contacts.GetContactsRequest(
                    hash=contacts_hash(full.saved_count, [c.user_id for c in full.contacts])
                )
            )
            return full, again
        finally:
            await client.disconnect()

    full, again = asyncio.run(ask())
    assert isinstance(full, types.contacts.Contacts)
    assert [c.user_id for c in full.contacts] == sorted(
        (the_world.users["alice"].id, the_world.users["bob"].id)
    )
    assert all(user.contact for user in full.users)
    assert isinstance(again, types.contacts.ContactsNotModified)
