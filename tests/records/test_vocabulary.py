"""The shared vocabulary matches Telethon's classes, and every source speaks only it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from telethon.tl import types

from tap_telegram.records import constants
from tap_telegram.sources.bot_api.mapping import media as bot_api_media
from tap_telegram.sources.bot_api.mapping import messages as bot_api
from tap_telegram.sources.export.mapping import messages as export_messages
from tap_telegram.sources.export.mapping import parts as export_parts
from tap_telegram.sources.mtproto.mapping.media import snake_case


def tl_names(prefix: str) -> set[str]:
    """Snake-case names of Telethon's ``<prefix>*`` classes (``Input`` variants folded in)."""
    return {
        snake_case(name.removeprefix("Input").removeprefix(prefix))
        for name in dir(types)
        if name.removeprefix("Input").startswith(prefix) and isinstance(getattr(types, name), type)
    }


def test_entity_types_are_telethons_entity_classes():
    assert set(constants.ENTITY_TYPES) == tl_names("MessageEntity")
    assert len(set(constants.ENTITY_TYPES)) == len(constants.ENTITY_TYPES)


def test_action_types_are_telethons_action_classes():
    assert set(constants.ACTION_TYPES) == tl_names("MessageAction")
    assert len(set(constants.ACTION_TYPES)) == len(constants.ACTION_TYPES)


def test_media_kinds_cover_every_telethon_media_class():
    expected = (tl_names("MessageMedia") - {"web_page"}) | {"webpage"} | set(constants.FILE_KINDS)
    assert set(constants.MEDIA_KINDS) == expected


#: What tdesktop's writer (export_output_json.cpp, SerializeText) and the Bot API
#: (MessageEntity.type) call entities: every one must land in the vocabulary.
EXPORT_ENTITY_NAMES = [
    "unknown",
    "mention",
    "hashtag",
    "bot_command",
    "link",
    "email",
    "bold",
    "italic",
    "code",
    "pre",
    "text_link",
    "mention_name",
    "phone",
    "cashtag",
    "underline",
    "strikethrough",
    "blockquote",
    "bank_card",
    "spoiler",
    "custom_emoji",
]
BOT_API_ENTITY_NAMES = [
    "mention",
    "hashtag",
    "cashtag",
    "bot_command",
    "url",
    "email",
    "phone_number",
    "bold",
    "italic",
    "underline",
    "strikethrough",
    "spoiler",
    "blockquote",
    "expandable_blockquote",
    "code",
    "pre",
    "text_link",
    "text_mention",
    "custom_emoji",
    "date_time",
]


@pytest.mark.parametrize("name", EXPORT_ENTITY_NAMES)
def test_export_entity_names_translate_into_the_vocabulary(name):
    assert export_messages.EXPORT_ENTITY_TYPES.get(name, name) in constants.ENTITY_TYPES


@pytest.mark.parametrize("name", BOT_API_ENTITY_NAMES)
def test_bot_api_entity_names_translate_into_the_vocabulary(name):
    assert bot_api.BOT_API_ENTITY_TYPES.get(name, name) in constants.ENTITY_TYPES


@pytest.mark.parametrize(
    ("table", "vocabulary"),
    [
        (export_messages.EXPORT_CHAT_TYPES, constants.CHAT_TYPES),
        (bot_api.BOT_API_CHAT_TYPES, constants.CHAT_TYPES),
        (export_parts.EXPORT_MEDIA_TYPES, constants.FILE_KINDS),
        (export_parts.EXPORT_ACTION_TYPES, constants.ACTION_TYPES),
        (bot_api.ACTIONS, constants.ACTION_TYPES),
        (constants.CHAT_PEER_TYPES, constants.PEER_TYPES),
    ],
    ids=["export chats", "bot chats", "export files", "export actions", "bot actions", "peers"],
)
def test_translation_tables_only_produce_vocabulary(table, vocabulary):
    assert set(table.values()) <= set(vocabulary)


def test_bot_api_media_fields_are_kinds_or_have_a_reader():
    plain = set(bot_api_media.MEDIA_FIELDS) - set(bot_api_media.MEDIA_READERS)
    assert plain <= set(constants.MEDIA_KINDS)
    assert set(bot_api_media.FILE_FIELDS) <= set(constants.FILE_KINDS)
    assert set(constants.CHAT_PEER_TYPES) == set(constants.CHAT_TYPES)


def test_the_vocabulary_and_the_export_and_bot_api_mappers_load_without_telethon():
    """Settings, records and the export/Bot API mappers: an export run never loads Telethon."""
    code = (
        "import sys\n"
        "import tap_telegram.settings, tap_telegram.records.builders, tap_telegram.records.media\n"
        "import tap_telegram.records.ids, tap_telegram.records.topics\n"
        "import tap_telegram.sources.export.mapping.messages, tap_telegram.sources.bot_api.mapping.messages\n"
        "import tap_telegram.sources.chatrefs\n"
        "print(sorted(name for name in sys.modules if name.startswith('telethon')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
