"""Chat folders as a selection (``chats: ["folder:Work"]``): the real tap against the fake.

The fake's ``messages.getDialogFilters`` answers Telegram's ``dialogFilter`` /
``dialogFilterChatlist`` (tests/fake_telegram/README.md); the tap resolves each folder's
rule against the dialogs pass, so a folder costs one request a run, not one per chat.
"""

from __future__ import annotations

import asyncio

import pytest
from telethon import functions
from telethon.tl import types

from tap_telegram.errors import ConfigError
from tap_telegram.sources.chatrefs import parse_chat_refs
from tests.fake_telegram import FakeTelegram, World, run_fake_tap
from tests.fake_telegram.folders import add_folder
from tests.fake_telegram.harness import run_in_process

FOLDERS = "GetDialogFiltersRequest"


def world() -> World:
    """Chats of every kind, some muted, unread or archived, and folders over them."""
    world = World(seed=29)
    world.add_user("alice", first_name="Alice", contact=True)
    world.add_user("bob", first_name="Bob")
    world.add_user("helper", first_name="Helper", bot=True, username="helper_fake_bot")
    world.add_chat("alice", "private", user="alice", messages=5)
    world.add_chat("bob", "private", user="bob", messages=5)
    world.add_chat("helper", "private", user="helper", messages=5)
    world.add_chat("team", "group", messages=5, unread=2)
    world.add_chat("dev", "supergroup", messages=5, username="fake_dev")
    world.add_chat("quiet", "supergroup", messages=5, muted=True)
    world.add_chat("news", "channel", messages=5, username="fake_news_29", unread=1)
    world.add_chat("old", "channel", messages=5, archived=True, unread=3)
    world.add_chat("kicked", "group", messages=5, banned=True)
    add_folder(world, "Work", include=["news"], groups=True, exclude=["dev"])
    add_folder(world, "People", contacts=True, non_contacts=True)
    add_folder(world, "Bots", bots=True)
    add_folder(world, "Loud", groups=True, exclude_muted=True)
    add_folder(world, "Unread", groups=True, broadcasts=True, exclude_read=True)
    add_folder(world, "Live", broadcasts=True, exclude_archived=True)
    add_folder(world, "Shared", include=["dev"], pinned=["news"], chatlist=True)
    add_folder(world, "Nothing", include=["kicked"])
    return world


def selected(world: World, run) -> list[str]:
    keys = {world.marked_id(key): key for key in world.chats}
    return [keys[chat["id"]] for chat in run.records.get("chats", [])]


@pytest.fixture(scope="module")
def fake() -> FakeTelegram:
    return FakeTelegram(world())


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("folder:Work", {"team", "quiet", "news"}),  # groups + news, minus dev (and kicked)
        ("folder:work", {"team", "quiet", "news"}),  # names match in any case
        ("folder:People", {"alice", "bob"}),
        ("folder:Bots", {"helper"}),
        ("folder:Loud", {"team", "dev"}),  # quiet is muted
        ("folder:Unread", {"team", "news", "old"}),
        ("folder:Live", {"news"}),  # old is archived
        ("folder:8", {"news", "dev"}),  # "Shared", by id
    ],
)
def test_a_folder_selects_its_chats_by_its_rule(fake, entry, expected):
    run = run_in_process(fake, fake.tap_config(chats=[entry]))
    assert run.returncode == 0
    assert set(selected(fake.world, run)) == expected
    assert fake.stats.requests[FOLDERS] == 1
    messages = {record["chat_id"] for record in run.records["messages"]}
    assert messages == {fake.world.marked_id(key) for key in expected}


def test_pinned_chats_come_first_and_folders_are_named_on_chats(fake):
    run = run_in_process(fake, fake.tap_config(chats=["folder:Shared", "@fake_dev"]))
    assert selected(fake.world, run) == ["news", "dev"]
    folders = {chat["id"]: chat["folders"] for chat in run.records["chats"]}
    assert folders[fake.world.marked_id("news")] == ["Work", "Unread", "Live", "Shared"]
    assert folders[fake.world.marked_id("dev")] == ["Loud", "Shared"]


def test_without_a_folder_no_folder_request_and_no_folders_field(fake):
    run = run_in_process(fake, fake.tap_config(chats=["@fake_dev"]))
    assert run.returncode == 0
    assert fake.stats.requests[FOLDERS] == 0
    assert [chat["folders"] for chat in run.records["chats"]] == [None]


def test_unknown_folder_is_one_line_naming_the_folders_there_are(fake):
    run = run_fake_tap(fake, fake.tap_config(chats=["folder:Wrok", "@fake_dev"]))
    assert run.returncode != 0
    lines = [line for line in run.stderr.splitlines() if "folder:Wrok" in line]
    assert lines
    assert (
        "chat folder:Wrok: this account has no such chat folder; its folders: 'Work' (id 2), "
        "'People' (id 3), 'Bots' (id 4), 'Loud' (id 5), 'Unread' (id 6), 'Live' (id 7), "
        "'Shared' (id 8), 'Nothing' (id 9)"
    ) in lines[0]
    assert "Traceback" not in run.stderr
    assert {c["username"] for c in run.records["chats"]} == {"fake_dev"}  # the others go on


def test_a_folder_that_selects_nothing_says_so_and_the_run_succeeds(fake):
    run = run_fake_tap(fake, fake.tap_config(chats=["folder:Nothing"]))
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert run.records.get("messages", []) == []
    warning = (
        "tap-telegram: setting 'chats': chat folder 'Nothing' (id 9) selects none of this "
        "account's chats right now (its rules match no dialog), so it adds nothing to read"
    )
    assert any(line.endswith(warning) for line in run.stderr.splitlines())


def test_an_account_without_folders():
    bare = World(seed=3)
    bare.add_chat("dev", "supergroup", messages=3, username="fake_dev")
    fake = FakeTelegram(bare)
    run = run_fake_tap(fake, fake.tap_config(chats=["folder:Work"]))
    assert run.returncode != 0
    assert (
        "chat folder:Work: this account has no chat folders; create one in Telegram or list "
        "the chats"
    ) in run.stderr


@pytest.mark.parametrize(
    ("setting", "value", "says"),
    [
        ("chats", ["folder:"], "'folder:' names no folder; write folder:<name> or folder:<id>"),
        ("exclude_chats", ["folder:Work"], "chat folders select chats (in 'chats')"),
    ],
)
def test_bad_folder_entries_are_config_errors(setting, value, says):
    with pytest.raises(ConfigError, match=r".*") as caught:
        parse_chat_refs(value, setting)
    assert says in str(caught.value)
    assert str(caught.value).startswith(f"setting '{setting}':")


def test_refs_parse_names_ids_and_dedupe():
    refs = parse_chat_refs(["folder:Work", "Folder: 3 ", "folder:work", "folder:Мои чаты 🧪"])
    assert [(ref.kind, ref.value) for ref in refs] == [
        ("folder", "Work"),
        ("folder", 3),
        ("folder", "Мои чаты 🧪"),
    ]


def test_fake_answers_dialog_filters_as_telegram_does(fake):
    async def ask():
        client = fake.client()
        await client.connect()
        try:
            return await client(functions.messages.GetDialogFiltersRequest())
        finally:
            await client.disconnect()

    answer = asyncio.run(ask())
    assert isinstance(answer, types.messages.DialogFilters)
    assert isinstance(answer.filters[0], types.DialogFilterDefault)
    work, shared = answer.filters[1], answer.filters[7]
    assert isinstance(work, types.DialogFilter)
    assert work.title.text == "Work"
    assert work.groups
    assert not work.broadcasts
    assert isinstance(work.exclude_peers[0], types.InputPeerChannel)
    assert isinstance(shared, types.DialogFilterChatlist)


def test_other_sources_say_folders_are_an_accounts(httpserver):
    """Exports and bots have no folders: the entry fails with a line that says so."""
    from tests.sources.bot_api.harness import cfg, new_fake, run_tap
    from tests.sources.export.support import ACCOUNT_SAMPLE, source

    src = source(ACCOUNT_SAMPLE, chats=["folder:Work"])
    assert src.chats() == []
    src.close()
    assert "exports have no chat folders (only source mtproto reads them)" in str(src.failures[0])
    run = run_tap(cfg(new_fake(httpserver), chats=["folder:Work"]))
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert (
        "setting 'chats': chat folders (folder:Work) belong to a user account (source mtproto); "
        "a bot has none: list the chats by id or @username"
    ) in run.stderr
