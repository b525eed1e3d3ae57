"""Message texts and their formatting entities, deterministic by a hash.

Texts mix scripts on purpose (Cyrillic, Arabic, CJK, emoji outside the BMP) and
entity offsets are counted in UTF-16 code units as Telegram does, so a tap that
slices text with Python string indices gets caught by tests.
"""

# ruff: noqa: RUF001

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telethon.tl import types

from tests.fake_telegram.hashing import mix, signed64, utf16_len

PHRASES: tuple[str, ...] = (
    "Hello, world",
    "Good morning everyone",
    "Привет, мир! Как дела?",
    "Встреча перенесена на завтра",
    "مرحبا بالعالم",
    "نلتقي غدا في المكتب",
    "你好，世界",
    "今天的会议改到下午三点",
    "こんにちは世界",
    "안녕하세요 세계",
    "Γειά σου Κόσμε",
    "שלום עולם",
    "नमस्ते दुनिया",
    "Ünïcödé: ñ, ç, à, ß",
    "Party time 🎉🚀👍",
    "Family: 👨‍👩‍👧‍👦 and flags 🇺🇦🇯🇵",
    "Deploy finished in 3m 12s",
    "Can someone review PR 42?",
    "Lunch?",
    "The quick brown fox jumps over the lazy dog",
)

MULTILINE = "Line one\nLine two — with a dash\n\tindented line three"
EMOJI_DOCS: tuple[int, ...] = (5368324170671202286, 5379748062124056162, 5386766640815534168)
LANGUAGES: tuple[str, ...] = ("python", "sql", "", "bash")
CODE: tuple[str, ...] = ("print('hi')", "SELECT 1;", "x = 1", "ls -la")


def plain_text(h: int, n: int) -> str:
    """A plain message text; every 9th one is multi-line."""
    if h % 9 == 0:
        return f"{MULTILINE} · {n}"
    return f"{PHRASES[h % len(PHRASES)]} · {n}"


class _Builder:
    """Appends text parts and records entities with UTF-16 offsets."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.offset = 0
        self.entities: list[Any] = []

    def add(self, text: str, entity: Callable[[int, int], Any] | None = None) -> None:
        length = utf16_len(text)
        if entity is not None:
            self.entities.append(entity(self.offset, length))
        self.parts.append(text)
        self.offset += length

    @property
    def text(self) -> str:
        return "".join(self.parts)


def formatted_text(h: int, n: int, mention: tuple[str | None, int] | None) -> tuple[str, list[Any]]:
    """A text with a deterministic subset of entity kinds.

    ``mention`` is ``(username, user_id)`` of a user to mention (username may be
    ``None``; then only a mention by name is used).
    """
    b = _Builder()
    b.add(PHRASES[h % len(PHRASES)] + " ")
    b.add(f"release {n}", types.MessageEntityBold)
    bits = mix(h, 11)
    if bits & 1:
        b.add(" see ")
        b.add(f"https://example.com/notes/{n}", types.MessageEntityUrl)
    if bits & 2:
        b.add(" or ")
        url = f"https://docs.example.org/{n % 97}"
        b.add("the docs", lambda offset, length: types.MessageEntityTextUrl(offset, length, url))
    if bits & 4 and mention is not None:
        username, user_id = mention
        if username:
            b.add(" cc ")
            b.add(f"@{username}", types.MessageEntityMention)
        b.add(" and ")
        b.add(
            "Имя",
            lambda offset, length: types.MessageEntityMentionName(offset, length, user_id),
        )
    if bits & 8:
        language = LANGUAGES[(bits >> 8) % len(LANGUAGES)]
        code = CODE[(bits >> 12) % len(CODE)]
        b.add("\n")
        b.add(code, lambda offset, length: types.MessageEntityPre(offset, length, language))
    if bits & 16 or not bits & 15:
        doc = EMOJI_DOCS[(bits >> 16) % len(EMOJI_DOCS)]
        b.add(" ")
        b.add("🔥", lambda offset, length: types.MessageEntityCustomEmoji(offset, length, doc))
    if bits & 32:
        b.add(" ")
        b.add("#news", types.MessageEntityHashtag)
        b.add(" ")
        b.add("важно", types.MessageEntityItalic)
    return b.text, b.entities


def url_text(h: int, n: int) -> tuple[str, list[Any], str]:
    """A text with one URL (for link previews): text, entities, the URL."""
    url = f"https://news.example.com/{2020 + h % 5}/{n}"
    b = _Builder()
    b.add(PHRASES[h % len(PHRASES)] + ": ")
    b.add(url, types.MessageEntityUrl)
    return b.text, b.entities, url


def custom_emoji_id(h: int) -> int:
    """A custom emoji document id for reactions."""
    return signed64(EMOJI_DOCS[h % len(EMOJI_DOCS)])
