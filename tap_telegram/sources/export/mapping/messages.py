"""Pure functions from Telegram Desktop export JSON (``result.json``) to records.

No files here: the source streams message objects out of the export and hands each
one to :func:`map_message`; chat headers go to :func:`map_chat`. What the export does
not contain stays ``None`` (media ids, view counts, ``pinned``, ``silent``, the bot's
id for ``via_bot``), so a record never claims more than the file says.

Conventions shared with the MTProto mapper, so one chat gives the same records from
either source:

* chat and peer ids are *marked* (users ``id``, basic groups ``-id``, channels and
  supergroups ``-(10**12 + id)``), decoded from whatever the export's era wrote
  (:mod:`.peers`);
* dates are aware UTC datetimes from ``date_unixtime`` / ``edited_unixtime``, or, in
  exports from before June 2022, from the local ``date`` / ``edited`` and the setting
  ``export_timezone`` (:mod:`.dates`);
* a supergroup that was migrated from a basic group holds the old group's history
  first, with the ids tdesktop wrote: the old id minus 1,000,000,000 (negative), replies
  into it shifted alike. They are kept as written, under the supergroup's chat id:
  unique, before the supergroup's own ids, and the same in every later export;
* text is the concatenation of the text parts, entities carry offsets and lengths in
  UTF-16 code units (as Telegram counts them), entity type names are MTProto's
  (``link`` → ``url``, ``text_link`` → ``text_url``, ``strikethrough`` → ``strike``);
* media kinds and service action types use the MTProto mapper's names
  (:mod:`tap_telegram.sources.export.mapping.parts`).

The names are those of :mod:`tap_telegram.records.constants`, nested objects are
spelled by :mod:`tap_telegram.records.builders`, and marked ids come from
:mod:`tap_telegram.records.ids`; this module only reads and checks the export's fields.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from tap_telegram.records import builders, links
from tap_telegram.records.constants import GENERAL_TOPIC_ID
from tap_telegram.records.schemas import MESSAGE_KEYS, empty_chat, empty_message, empty_user
from tap_telegram.sources.export.mapping.dates import edit_date, message_date, unixtime
from tap_telegram.sources.export.mapping.parts import (
    MessageShapeError,
    describe,
    map_action,
    map_media,
    opt_int,
    opt_list,
    opt_str,
    service_reply_to,
    show,
)
from tap_telegram.sources.export.mapping.peers import (
    EXPORT_CHAT_TYPES,
    is_synthetic,
    marked_chat_id,
    parse_peer,
)

if TYPE_CHECKING:
    import datetime as dt

    from tap_telegram.records.types import (
        ChatRecord,
        EntityRecord,
        ForwardRecord,
        MessageRecord,
        ReactionRecord,
        UserRecord,
    )

__all__ = ["EXPORT_CHAT_TYPES", "marked_chat_id", "parse_peer"]

#: Export entity type → the tap's entity type where they differ; ``plain`` is no entity.
EXPORT_ENTITY_TYPES = {"link": "url", "text_link": "text_url", "strikethrough": "strike"}

#: Where the ``via_bot`` username goes once the shared schema has a column for it.
#: The export has only ``"@name"``, not the bot's id, so ``via_bot_id`` stays ``None``.
VIA_BOT_KEY = "via_bot_username"


def map_chat(
    name: str | None, export_type: str, chat_id: int, *, forum: bool, self_name: str | None
) -> ChatRecord:
    """A ``chats`` record from an export chat header (``name``, ``type``) and its marked id.

    Saved Messages has no ``name`` in the export; it gets the account owner's name
    (``self_name``), as MTProto's dialog would. ``is_forum`` is true when the export
    contains a ``topic_created`` service message.
    """
    kind = EXPORT_CHAT_TYPES.get(export_type)
    if kind is None:
        raise MessageShapeError(f"unknown chat type {export_type!r}")
    record = empty_chat(chat_id)
    title = name if name is not None else (self_name if export_type == "saved_messages" else None)
    record.update(
        {
            "type": kind,
            "title": title,
            "is_forum": bool(forum) if kind == "supergroup" else False,
            "source": "export",
        }
    )
    return record


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: characters beyond the BMP (most emoji) count twice."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _entity(kind: str, offset: int, length: int, part: Mapping[str, Any]) -> EntityRecord:
    """An entity from a text part; only the field of its own type is read (and checked)."""
    kind = EXPORT_ENTITY_TYPES.get(kind, kind)
    custom = custom_emoji_id(part) if kind == "custom_emoji" else None
    return builders.entity(
        kind,
        offset,
        length,
        url=opt_str(part, "href") if kind == "text_url" else None,
        user_id=opt_int(part, "user_id") if kind == "mention_name" else None,
        language=opt_str(part, "language") if kind == "pre" else None,
        custom_emoji_id=custom,
    )


def custom_emoji_id(part: Mapping[str, Any]) -> str | int | None:
    """The custom emoji's document id from ``document_id``; ``None`` when it holds none.

    tdesktop wrote the id there only until July 2022; since then, when the emoji's
    sticker file was exported, ``document_id`` holds that file's path
    (``stickers/sticker (3).webp``), or ``(unavailable)``, or is left out. A path is
    not an id: it is dropped, never put in ``custom_emoji_id``.
    """
    value = part.get("document_id")
    if type(value) is int and value > 0:
        return value
    if type(value) is str:
        return value if value.isascii() and value.isdigit() else None
    if value is None:
        return None
    raise MessageShapeError(f"'document_id' should be a string, not {describe(value)}")


def map_text(text: Any, parts: Any) -> tuple[str, list[EntityRecord] | None]:
    """``(text, entities)`` from ``text_entities`` (all parts as objects) or ``text``.

    ``text`` is a string when the message has no formatting, else a list of strings
    (plain runs) and ``{type, text, ...}`` objects; ``text_entities`` is always the
    list of objects, ``plain`` ones included. Offsets count UTF-16 code units.
    """
    if type(text) is str and (type(parts) is not list or len(parts) <= 1):
        return text, None  # tdesktop writes a string only for unformatted text
    source = parts if type(parts) is list else text
    if source is None:
        return "", None
    if type(source) is str:
        return source, None
    if type(source) is not list:
        raise MessageShapeError(f"'text' should be a string or a list, not {describe(source)}")
    pieces: list[str] = []
    entities: list[EntityRecord] = []
    offset = 0
    for part in source:
        if type(part) is str:
            piece, kind = part, "plain"
        elif type(part) is dict and type(part.get("text")) is str:
            piece, kind = part["text"], part.get("type", "plain")
            if type(kind) is not str:
                raise MessageShapeError(f"a text part's 'type' is {describe(kind)}, not a string")
        else:
            raise MessageShapeError(f"a text part is {describe(part)}, not text")
        length = utf16_len(piece)
        if kind != "plain" and length:
            entities.append(_entity(kind, offset, length, part))
        pieces.append(piece)
        offset += length
    return "".join(pieces), entities or None


def map_reactions(reactions: Any) -> list[ReactionRecord] | None:
    """Reaction counts. Types: ``emoji``, ``custom_emoji`` (by document id), ``paid``.

    Older builds wrote ``{emoji, count}`` without a type. Unknown types are left out
    rather than guessed.
    """
    if reactions is None:
        return None
    if type(reactions) is not list:
        raise MessageShapeError(f"'reactions' should be a list, not {describe(reactions)}")
    out: list[ReactionRecord] = []
    for reaction in reactions:
        if type(reaction) is not dict:
            raise MessageShapeError(f"a reaction is {describe(reaction)}, not an object")
        kind = opt_str(reaction, "type") or ("emoji" if "emoji" in reaction else None)
        count = opt_int(reaction, "count")
        if kind == "emoji":
            out.append(builders.reaction(count, emoji=opt_str(reaction, "emoji")))
        elif kind == "custom_emoji":
            out.append(builders.reaction(count, custom_emoji_id=custom_emoji_id(reaction)))
        elif kind == "paid":
            out.append(builders.reaction(count, paid=True))
    return out or None


def map_forward(message: Mapping[str, Any]) -> ForwardRecord | None:
    """``fwd_from`` of a forwarded message: the export has the original sender's name.

    ``forwarded_from`` is a name (``null`` for a deleted account); the original id,
    date and post id are not exported, except ``forwarded_from_id`` when a build
    writes it.
    """
    if "forwarded_from" not in message and "forwarded_from_id" not in message:
        return None
    from_id = from_type = None
    if message.get("forwarded_from_id") is not None:
        from_id, from_type = parse_peer(
            message["forwarded_from_id"], "forwarded_from_id", modern="date_unixtime" in message
        )
    return builders.forward(
        from_id=from_id, from_type=from_type, from_name=opt_str(message, "forwarded_from")
    )


class ThreadIndex:
    """Forum topic of each message of one chat, to derive ``reply_to_top_id``.

    The export keeps only ``reply_to_message_id``. A topic's root is its
    ``topic_created`` service message; a message replying to the root, or to a
    message already in a topic, is in that topic. Ids arrive in ascending order, so
    two flat arrays searched with bisect hold the index in 16 bytes per topic message
    (a dict would take ~100). Used only for chats that have topics.
    """

    def __init__(self) -> None:
        self._ids: array[int] = array("q")
        self._tops: array[int] = array("q")

    def __len__(self) -> int:
        return len(self._ids)

    def _lookup(self, message_id: int) -> int | None:
        index = bisect.bisect_left(self._ids, message_id)
        if index < len(self._ids) and self._ids[index] == message_id:
            return self._tops[index]
        return None

    def _remember(self, message_id: int, top: int) -> None:
        if not self._ids or message_id > self._ids[-1]:
            self._ids.append(message_id)
            self._tops.append(top)

    def observe(self, message: Mapping[str, Any]) -> int | None:
        """Record ``message`` (in id order) and return its topic root, if any."""
        message_id = message["id"]
        if message.get("type") == "service":
            if message.get("action") == "topic_created":
                self._remember(message_id, message_id)
            return None
        reply = message.get("reply_to_message_id")
        if type(reply) is not int or "reply_to_peer_id" in message:
            return None
        top = self._lookup(reply)
        if top is not None:
            self._remember(message_id, top)
        return top


def _sender(message: Mapping[str, Any], service: bool) -> tuple[int | None, str | None, Any]:
    """(marked id, type, display name) of the sender; the actor for service messages.

    Exports before December 2018 name the sender without an id: the name is kept.
    """
    key = "actor_id" if service else "from_id"
    raw = message.get(key)
    name = opt_str(message, "actor" if service else "from")
    if raw is None:
        return None, None, name
    sender_id, kind = parse_peer(raw, key, modern="date_unixtime" in message)
    return sender_id, kind, name


def map_message(
    message: Mapping[str, Any],
    chat_id: int,
    top_id: int | None = None,
    *,
    forum: bool = False,
    zone: dt.tzinfo | None = None,
) -> MessageRecord | None:
    """One export message → a ``messages`` record; ``None`` for ``unsupported`` ones.

    ``top_id`` is the forum topic from :class:`ThreadIndex` (``None`` outside topics);
    in a ``forum`` a message outside every topic is in General (``topic_id`` 1).
    ``zone`` is ``export_timezone``, for dates without ``*_unixtime`` (:mod:`.dates`).
    Raises :class:`MessageShapeError` (with the message id) on a field of the wrong type.
    """
    message_id = message.get("id")
    try:
        if type(message_id) is not int:
            raise MessageShapeError(f"'id' should be an integer, not {show(message_id)}")
        kind = message.get("type")
        if kind == "unsupported":
            return None
        if kind not in ("message", "service"):
            raise MessageShapeError(f"'type' should be message or service, not {show(kind)}")
        service = kind == "service"
        record = empty_message(chat_id, message_id)
        if "date_unixtime" in message:  # since June 2022: always
            record["date"] = unixtime(message["date_unixtime"], "date_unixtime")
        else:
            record["date"] = message_date(message, "date", zone)
            if record["date"] is None:
                raise MessageShapeError("it has no 'date_unixtime' and no 'date'")
        if "edited" in message or "edited_unixtime" in message:
            record["edit_date"] = edit_date(message, zone)
        sender_id, sender_type, sender_name = _sender(message, service)
        record["sender_id"] = sender_id
        record["sender_type"] = sender_type
        record["sender_name"] = sender_name
        # Optional fields are looked at only when present (absent: the record keeps its
        # None); this runs once per message of exports of millions.
        if "reactions" in message:
            record["reactions"] = map_reactions(message["reactions"])
        record["is_service"] = service
        if "reply_to_peer_id" in message:
            opt_str(message, "reply_to_peer_id")
        if forum:
            created = service and message.get("action") == "topic_created"
            record["topic_id"] = message_id if created else (top_id or GENERAL_TOPIC_ID)
        if not is_synthetic(chat_id):  # an export names no username: the t.me/c/ form
            record["link"] = links.message_link(chat_id, message_id, topic_id=record["topic_id"])
        if service:
            record["action"] = map_action(message)
            record["reply_to_msg_id"] = service_reply_to(message)
            return record
        record["text"], record["entities"] = map_text(
            message.get("text"), message.get("text_entities")
        )
        if "reply_to_message_id" in message:
            record["reply_to_msg_id"] = opt_int(message, "reply_to_message_id")
        record["reply_to_top_id"] = top_id
        record["fwd_from"] = map_forward(message)
        if "author" in message:
            record["post_author"] = opt_str(message, "author")
        if "via_bot" in message:
            via_bot = opt_str(message, "via_bot")
            if via_bot and VIA_BOT_KEY in MESSAGE_KEYS:
                # A column the schema lacks is not in MessageRecord either: written untyped.
                cast("dict[str, object]", record)[VIA_BOT_KEY] = via_bot.removeprefix("@")
        record["media_type"], record["media"] = map_media(message)
        if "inline_bot_buttons" in message:
            opt_list(message, "inline_bot_buttons")
    except MessageShapeError as error:
        if error.message_id is None and type(message_id) is int:
            raise MessageShapeError(error.problem, message_id) from None
        raise
    return record


def map_sender_user(
    record: MessageRecord, known: Mapping[int, Mapping[str, Any]]
) -> UserRecord | None:
    """The ``users`` record for a message's sender, when the sender is a user.

    The export names a sender only by display name, so ``first_name`` holds that name
    unless ``known`` (the account owner and the contact list, by user id) has the
    real first/last name and username. ``is_bot`` is known only for the peer of a bot
    chat; other flags stay ``None``.
    """
    sender_id = record["sender_id"]
    if record["sender_type"] != "user" or sender_id is None:
        return None
    user = empty_user(sender_id)
    details = known.get(sender_id) or {}
    for key in ("first_name", "last_name", "username", "is_bot"):
        user[key] = details.get(key)
    if user["first_name"] is None and user["last_name"] is None:
        user["first_name"] = record["sender_name"]
    return user
