"""Write the bundled sample Telegram Desktop exports (deterministic, no network).

    .venv/bin/python examples/make_sample_export.py

writes ``examples/telegram-export/result.json`` (a whole-account export: six chats
and one left supergroup) and ``examples/single-chat-export/result.json`` (one small
forum supergroup, used by the tests). Every line of text is hand-written in
``sample_export_*.py``; this module only lays messages out the way Telegram
Desktop's JSON writer does (``export_output_json.cpp``): key order, ``text`` as a
string or a list of parts, ``text_entities``, ``date`` in the exporting computer's
local time next to ``date_unixtime``, peers as ``user123`` / ``channel123``, skipped
files as a sentence in parentheses. Times come from a seeded clock, so the output is
the same on every run.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

#: The exporting computer's zone (Moscow, no DST): ``date`` strings are in it.
LOCAL = dt.timezone(dt.timedelta(hours=3))
NOT_INCLUDED = "(File not included. Change data exporting settings to download.)"
ROOT = Path(__file__).resolve().parent


class Person:
    """A user as the export names them."""

    def __init__(self, user_id: int, name: str, username: str | None = None) -> None:
        self.user_id = user_id
        self.name = name
        self.username = username

    @property
    def peer(self) -> str:
        """The export's peer string."""
        return f"user{self.user_id}"


class Channel(Person):
    """A channel (or a supergroup posting as itself)."""

    @property
    def peer(self) -> str:
        """The export's peer string."""
        return f"channel{self.user_id}"


def local(moment: dt.datetime) -> str:
    """Tdesktop's ``date``: ISO local time without a zone."""
    return moment.astimezone(LOCAL).replace(tzinfo=None).isoformat()


def part(kind: str, text: str, **extra: Any) -> dict[str, Any]:
    """One formatted run of text: bold, link, mention_name (user_id=), pre (language=) ..."""
    return {"type": kind, "text": text, **extra}


def text_fields(text: str | list[Any]) -> dict[str, Any]:
    """``text`` and ``text_entities`` as tdesktop writes them."""
    parts = [text] if isinstance(text, str) else text
    parts = [item for item in parts if item != ""]
    objects = [part("plain", item) if isinstance(item, str) else item for item in parts]
    if not parts:
        flat: Any = ""
    elif len(parts) == 1 and isinstance(parts[0], str):
        flat = parts[0]
    else:
        flat = parts
    return {"text": flat, "text_entities": objects}


class Clock:
    """A seeded clock that moves forward between messages."""

    def __init__(self, start: dt.datetime, rng: random.Random) -> None:
        self.now = start
        self.rng = rng

    def tick(self, low: float = 1, high: float = 30) -> dt.datetime:
        """Advance by ``low``..``high`` minutes."""
        self.now += dt.timedelta(seconds=int(self.rng.uniform(low, high) * 60) + 1)
        return self.now


class AccountIds:
    """Private chats and basic groups share the account's message id space.

    Ids grow with time and interleave between chats, as Telegram assigns them;
    each chat keeps its own residue so two chats never share an id.
    """

    def __init__(self, start: dt.datetime) -> None:
        self.start = start
        self.lanes = 0

    def lane(self) -> int:
        """A residue class for one chat."""
        self.lanes += 1
        return self.lanes - 1

    def next(self, lane: int, moment: dt.datetime, last: int) -> int:
        """The id of a message sent at ``moment`` in the chat using ``lane``."""
        base = 48_000 + int((moment - self.start).total_seconds() // 30) * 8 + lane
        return max(base, last + 8)


class ChatWriter:
    """Builds one chat's ``messages`` list."""

    def __init__(
        self,
        name: str | None,
        kind: str,
        bare_id: int,
        clock: Clock,
        account: AccountIds | None = None,
    ) -> None:
        self.name = name
        self.kind = kind
        self.bare_id = bare_id
        self.clock = clock
        self.rng = clock.rng
        self.account = account
        self.lane = account.lane() if account else 0
        self.messages: list[dict[str, Any]] = []
        self.last_id = 0

    def _next_id(self, gap: int = 0) -> int:
        if self.account is not None:
            self.last_id = self.account.next(self.lane, self.clock.now, self.last_id)
        else:
            self.last_id += 1 + gap
        return self.last_id

    def _head(self, kind: str, gap: int, edited: float | None) -> dict[str, Any]:
        moment = self.clock.tick(0.05, 1.5)
        head: dict[str, Any] = {
            "id": self._next_id(gap),
            "type": kind,
            "date": local(moment),
            "date_unixtime": str(int(moment.timestamp())),
        }
        if edited is not None:
            later = moment + dt.timedelta(minutes=edited)
            head.update(edited=local(later), edited_unixtime=str(int(later.timestamp())))
        return head

    def say(
        self,
        who: Person,
        text: str | list[Any] = "",
        *,
        gap: int = 0,
        edited: float | None = None,
        author: str | None = None,
        forwarded_from: str | bool | None = False,
        saved_from: str | None = None,
        reply_to: int | None = None,
        reply_to_peer: str | None = None,
        via_bot: str | None = None,
        media: dict[str, Any] | None = None,
        buttons: list[list[dict[str, Any]]] | None = None,
        reactions: list[dict[str, Any]] | None = None,
    ) -> int:
        """Append a regular message; return its id."""
        message = self._head("message", gap, edited)
        message.update({"from": who.name, "from_id": who.peer})
        if author:
            message["author"] = author
        if forwarded_from is not False:
            message["forwarded_from"] = forwarded_from
        if saved_from:
            message["saved_from"] = saved_from
        if reply_to:
            message["reply_to_message_id"] = reply_to
            if reply_to_peer:
                message["reply_to_peer_id"] = reply_to_peer
        if via_bot:
            message["via_bot"] = via_bot
        message.update(media or {})
        message.update(text_fields(text))
        if buttons:
            message["inline_bot_buttons"] = buttons
        if reactions:
            message["reactions"] = reactions
        self.messages.append(message)
        return int(message["id"])

    def service(self, who: Person | None, action: str | None, **fields: Any) -> int:
        """Append a service message (``action`` None: a custom action text)."""
        message = self._head("service", fields.pop("gap", 0), None)
        if who is not None:
            message.update(actor=who.name, actor_id=who.peer)
        if action is not None:
            message["action"] = action
        message.update(fields)
        message.update(text_fields(""))
        self.messages.append(message)
        return int(message["id"])

    def unsupported(self) -> None:
        """A message tdesktop could not export (it writes only id and type)."""
        self.messages.append({"id": self._next_id(), "type": "unsupported"})

    def react(
        self, *pairs: tuple[str, int], by: list[Person] | None = None
    ) -> list[dict[str, Any]]:
        """Reactions: ``("👍", 3)``, ``("custom:5368324170671202286", 1)``, ``("paid", 20)``."""
        out = []
        for emoji, count in pairs:
            if emoji == "paid":
                item: dict[str, Any] = {"type": "paid", "count": count}
            elif emoji.startswith("custom:"):
                item = {"type": "custom_emoji", "count": count, "document_id": emoji[7:]}
            else:
                item = {"type": "emoji", "count": count, "emoji": emoji}
            recent = [
                {"from": person.name, "from_id": person.peer, "date": local(self.clock.now)}
                for person in (by or [])[:count]
            ]
            if recent and emoji != "paid":
                item["recent"] = recent
            out.append(item)
        return out

    def header(self) -> dict[str, Any]:
        """The chat object: name, type, id, messages (Saved Messages has no name)."""
        chat: dict[str, Any] = {}
        if self.kind not in ("saved_messages", "replies"):
            chat["name"] = self.name
        chat.update(type=self.kind, id=self.bare_id, messages=self.messages)
        return chat


def photo(path: str | None, width: int, height: int, size: int | None = None) -> dict[str, Any]:
    """Photo fields; ``path`` None: the photo was not included in the export."""
    fields: dict[str, Any] = {"photo": path or NOT_INCLUDED}
    if path and size:
        fields["photo_file_size"] = size
    fields.update(width=width, height=height)
    return fields


def document(path: str | None, mime: str, size: int, **extra: Any) -> dict[str, Any]:
    """File fields; ``media_type``, ``duration_seconds``, ``width`` ... go in ``extra``."""
    fields: dict[str, Any] = {"file": path or NOT_INCLUDED}
    if path:
        fields["file_name"] = path.rsplit("/", 1)[-1]
    fields["file_size"] = size
    media_type = extra.pop("media_type", None)
    if media_type:
        fields["media_type"] = media_type
    for key in ("sticker_emoji", "performer", "title"):
        if key in extra:
            fields[key] = extra.pop(key)
    fields["mime_type"] = mime
    fields.update(extra)
    return fields


def write_json(path: Path, data: Any) -> None:
    """Write JSON indented by one space per level, UTF-8, like tdesktop."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, ensure_ascii=False, indent=1)
    path.write_text(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n")


def main() -> None:
    """Build both samples and print what was written."""
    account, single = build()
    for relative, data in (
        ("telegram-export/result.json", account),
        ("single-chat-export/result.json", single),
    ):
        target = ROOT / relative
        write_json(target, data)
        lists = [data] if "messages" in data else data["chats"]["list"] + data["left_chats"]["list"]
        total = sum(len(chat["messages"]) for chat in lists)
        print(f"{target.relative_to(ROOT.parent)}: {len(lists)} chat(s), {total} messages")


def build() -> tuple[dict[str, Any], dict[str, Any]]:
    """Both sample exports as JSON-ready dicts."""
    # The scene modules import this one: load them only when building.
    from sample_export_chats import cafe_single, dataeng_forum, market_channel, rust_left  # noqa: PLC0415
    from sample_export_lines import (  # noqa: PLC0415
        ANNA,
        BOT,
        CAFE,
        CARLOS,
        DATAENG,
        MARKET,
        ME,
        OMAR,
        RUST,
        YUKI,
    )
    from sample_export_private import (  # noqa: PLC0415
        anna_chat,
        bot_chat,
        family_group,
        saved_messages,
    )

    rng = random.Random(20240115)  # noqa: S311 - sample data, not cryptography
    start = dt.datetime(2024, 1, 15, 7, 30, tzinfo=dt.timezone.utc)
    account = AccountIds(start)
    scenes = [
        (
            ChatWriter(None, "saved_messages", ME.user_id, Clock(start, rng), account),
            saved_messages,
        ),
        (
            ChatWriter(ANNA.name, "personal_chat", ANNA.user_id, Clock(start, rng), account),
            anna_chat,
        ),
        (ChatWriter(BOT.name, "bot_chat", BOT.user_id, Clock(start, rng), account), bot_chat),
        (
            ChatWriter(
                "Дача 🏡 weekend",
                "private_group",
                923456781,
                Clock(start + dt.timedelta(days=18), rng),
                account,
            ),
            family_group,
        ),
        (
            ChatWriter(
                DATAENG.name,
                "public_supergroup",
                DATAENG.user_id,
                Clock(start - dt.timedelta(days=10), rng),
            ),
            dataeng_forum,
        ),
        (
            ChatWriter(
                MARKET.name,
                "public_channel",
                MARKET.user_id,
                Clock(start - dt.timedelta(days=13), rng),
            ),
            market_channel,
        ),
    ]
    left = ChatWriter(RUST.name, "public_supergroup", RUST.user_id, Clock(start, rng))
    chats = []
    for number, (writer, scene) in enumerate(scenes, start=1):
        scene(writer)
        chats.append(_in_folder(writer.header(), f"chats/chat_{number:03d}/"))
    rust_left(left)
    cafe = ChatWriter(
        CAFE.name,
        "private_supergroup",
        CAFE.user_id,
        Clock(dt.datetime(2024, 4, 9, 16, 0, tzinfo=dt.timezone.utc), rng),
    )
    cafe_single(cafe)
    contacts = [
        {
            "user_id": person.user_id,
            "first_name": first,
            "last_name": last,
            "phone_number": f"+44 7700 900{100 + index:03d}",
            "date": "2024-01-10T12:00:00",
            "date_unixtime": "1704877200",
        }
        for index, (person, first, last) in enumerate(
            (
                (ANNA, "Анна", "Смирнова"),
                (OMAR, "عمر", "حداد"),
                (YUKI, "由紀", "田中"),
                (CARLOS, "Carlos", "Mendes"),
            )
        )
    ]
    data = {
        "about": "Sample Telegram Desktop export written for tap-telegram's tests and demo.",
        "personal_information": {
            "user_id": ME.user_id,
            "first_name": "Лена",
            "last_name": "Соколова",
            "phone_number": "+44 7700 900001",
            "username": "@lena_sokol",
            "bio": "Data engineer. Berlin ⇄ Москва",
        },
        "contacts": {"about": "Contacts of the sample account.", "list": contacts},
        "frequent_contacts": {
            "about": "People the sample account writes to most.",
            "list": [
                {
                    "id": ANNA.user_id,
                    "category": "people",
                    "type": "user",
                    "name": ANNA.name,
                    "rating": 0.92,
                }
            ],
        },
        "chats": {"about": "Chats of the sample account.", "list": chats},
        "left_chats": {
            "about": "Supergroups and channels the sample account left.",
            "list": [_in_folder(left.header(), "chats/chat_007/")],
        },
    }
    return data, cafe.header()


def _in_folder(chat: dict[str, Any], folder: str) -> dict[str, Any]:
    """In a whole-account export each chat's files live under chats/chat_NNN/."""
    for message in chat["messages"]:
        for key in ("photo", "file", "thumbnail", "contact_vcard"):
            value = message.get(key)
            if isinstance(value, str) and not value.startswith("("):
                message[key] = folder + value
    return chat


if __name__ == "__main__":
    main()
