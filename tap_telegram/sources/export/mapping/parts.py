"""Pure helpers for the export mapper (:mod:`.messages`): checked field access, media, actions.

An export is untrusted input (hand-edited, damaged, or written by a newer Telegram
Desktop), so every field the mapper reads goes through one of the ``opt_*`` accessors
below: a wrong type raises :class:`MessageShapeError` naming the key instead of a
``TypeError`` deep inside a mapper, and the source turns that into one clear
``ExportFormatError`` line. Keys the mapper does not read are ignored.

Field names follow tdesktop's writer, Telegram/SourceFiles/export/output/
export_output_json.cpp (``SerializeMessage``): one media kind per message, written as
``photo`` / ``file`` + ``media_type`` / ``contact_information`` / ``location_information``
/ ``poll`` / ... Media kinds and action types are renamed to the tap's names
(:mod:`tap_telegram.records.constants`, MTProto's), so every source fills
``media_type`` and ``action.type`` alike; the media objects themselves are built by
:mod:`tap_telegram.records.media`, one small reader per media kind below.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from tap_telegram.errors import value_kind
from tap_telegram.records import builders
from tap_telegram.records import media as build

if TYPE_CHECKING:
    from tap_telegram.records.types import (
        ActionRecord,
        JSONObject,
        JSONValue,
        MediaRecord,
        PollAnswerRecord,
    )

#: ``media_type`` of a ``file`` → the tap's media kind (no ``media_type``: a document).
EXPORT_MEDIA_TYPES = {
    "sticker": "sticker",
    "video_message": "video_note",
    "voice_message": "voice",
    "animation": "animation",
    "video_file": "video",
    "audio_file": "audio",
}

#: Export action names → the tap's action types (``MessageAction*`` in snake case).
#: Actions not listed keep the export's own (already snake case) name.
EXPORT_ACTION_TYPES = {
    "create_group": "chat_create",
    "edit_group_title": "chat_edit_title",
    "edit_group_photo": "chat_edit_photo",
    "delete_group_photo": "chat_delete_photo",
    "invite_members": "chat_add_user",
    "remove_members": "chat_delete_user",
    "join_group_by_link": "chat_joined_by_link",
    "join_group_by_request": "chat_joined_by_request",
    "create_channel": "channel_create",
    "migrate_to_supergroup": "chat_migrate_to",
    "migrate_from_group": "channel_migrate_from",
    "clear_history": "history_clear",
    "score_in_game": "game_score",
    "send_payment": "payment_sent",
    "take_screenshot": "screenshot_taken",
    "allow_sending_messages": "bot_allowed",
    "attach_menu_bot_allowed": "bot_allowed",
    "web_app_bot_allowed": "bot_allowed",
    "send_passport_values": "secure_values_sent",
    "joined_telegram": "contact_sign_up",
    "proximity_reached": "geo_proximity_reached",
    "edit_chat_theme": "set_chat_theme",
    "send_webview_data": "web_view_data_sent",
    "send_premium_gift": "gift_premium",
    "topic_created": "topic_create",
    "gift_code_prize": "gift_code",
    "set_chat_wallpaper": "set_chat_wall_paper",
    "set_same_chat_wallpaper": "set_chat_wall_paper",
    "refunded_payment": "payment_refunded",
    "send_stars_gift": "gift_stars",
    "stars_prize": "prize_stars",
    "send_star_gift": "star_gift",
}

#: Keys of a service message that are not the action's own fields.
SERVICE_COMMON_KEYS = frozenset(
    {
        "id",
        "type",
        "date",
        "date_unixtime",
        "edited",
        "edited_unixtime",
        "actor",
        "actor_id",
        "action",
        "text",
        "text_entities",
        "reactions",
        "reply_to_peer_id",
    }
)

#: Keys of a service message that point at another message (MTProto: a reply header).
SERVICE_REPLY_KEYS = ("message_id", "game_message_id", "invoice_message_id")


class MessageShapeError(ValueError):
    """A message (or one of its fields) does not have the shape an export has.

    ``message_id`` is filled in by :func:`tap_telegram.sources.export.mapping.messages.map_message`;
    the source adds the file and chat.
    """

    def __init__(self, problem: str, message_id: int | None = None) -> None:
        self.problem = problem
        self.message_id = message_id
        super().__init__(problem if message_id is None else f"message id {message_id}: {problem}")


def describe(value: object) -> str:
    """A short name of a JSON value's type, for error messages (an export's numbers shown).

    Export content is no secret, so a number is quoted; otherwise like
    :func:`tap_telegram.errors.value_kind`.
    """
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return value_kind(value)


def show(value: object) -> str:
    """A string value quoted (cut to 40 characters), any other its type: for error messages."""
    return repr(value)[:40] if isinstance(value, str) else describe(value)


def opt_int(data: Mapping[str, JSONValue], key: str) -> int | None:
    """``data[key]`` when it is an integer (booleans are not), ``None`` when absent/null."""
    value = data.get(key)
    if value is None or type(value) is int:
        return value
    raise MessageShapeError(f"'{key}' should be an integer, not {describe(value)}")


def opt_number(data: Mapping[str, JSONValue], key: str) -> float | None:
    """``data[key]`` as a number (coordinates, durations)."""
    value = data.get(key)
    if value is None or type(value) is int or type(value) is float:
        return value
    raise MessageShapeError(f"'{key}' should be a number, not {describe(value)}")


def opt_str(data: Mapping[str, JSONValue], key: str) -> str | None:
    """``data[key]`` when it is a string, ``None`` when absent/null."""
    value = data.get(key)
    if value is None or type(value) is str:
        return value
    raise MessageShapeError(f"'{key}' should be a string, not {describe(value)}")


def opt_bool(data: Mapping[str, JSONValue], key: str) -> bool | None:
    """``data[key]`` when it is a boolean, ``None`` when absent/null."""
    value = data.get(key)
    if value is None or type(value) is bool:
        return value
    raise MessageShapeError(f"'{key}' should be true or false, not {describe(value)}")


def opt_object(data: Mapping[str, JSONValue], key: str) -> dict[str, JSONValue] | None:
    """``data[key]`` when it is a JSON object, ``None`` when absent/null."""
    value = data.get(key)
    if value is None or type(value) is dict:
        return value
    raise MessageShapeError(f"'{key}' should be an object, not {describe(value)}")


def opt_list(data: Mapping[str, JSONValue], key: str) -> list[JSONValue] | None:
    """``data[key]`` when it is a JSON array, ``None`` when absent/null."""
    value = data.get(key)
    if value is None or type(value) is list:
        return value
    raise MessageShapeError(f"'{key}' should be a list, not {describe(value)}")


def plain_text(value: JSONValue, key: str) -> str | None:
    """Text that tdesktop writes either as a string or as a list of parts (poll texts).

    Formatting is dropped: the ``media`` extras are plain strings.
    """
    if value is None or type(value) is str:
        return value
    if type(value) is not list:
        raise MessageShapeError(f"'{key}' should be a string or a list, not {describe(value)}")
    pieces: list[str] = []
    for part in value:
        text = part.get("text") if type(part) is dict else part
        if type(text) is not str:
            raise MessageShapeError(f"'{key}' has a part that is {describe(part)}, not text")
        pieces.append(text)
    return "".join(pieces)


def _file_path(message: Mapping[str, JSONValue], key: str) -> str | None:
    """Relative path of a file inside the export folder; ``None`` when not exported.

    tdesktop writes a sentence in parentheses instead of a path when the file was
    skipped (too big, type not selected, unavailable).
    """
    path = opt_str(message, key)
    return None if not path or path.startswith("(") else path


def _point(message: Mapping[str, JSONValue]) -> tuple[float | None, float | None]:
    """(latitude, longitude) of ``location_information`` (``null`` when not valid)."""
    point = opt_object(message, "location_information") or {}
    return opt_number(point, "latitude"), opt_number(point, "longitude")


def _photo(message: Mapping[str, JSONValue]) -> MediaRecord:
    return build.photo(
        size=opt_int(message, "photo_file_size"),
        width=opt_int(message, "width"),
        height=opt_int(message, "height"),
        path=_file_path(message, "photo"),
    )


def _document(message: Mapping[str, JSONValue]) -> MediaRecord:
    export_kind = opt_str(message, "media_type")
    kind = EXPORT_MEDIA_TYPES.get(export_kind, export_kind) if export_kind else "document"
    path = _file_path(message, "file")
    name = opt_str(message, "file_name")
    if name is None and path:
        name = path.rsplit("/", 1)[-1]
    return build.document(
        kind,
        mime_type=opt_str(message, "mime_type"),
        size=opt_int(message, "file_size"),
        file_name=name,
        duration=opt_number(message, "duration_seconds"),
        width=opt_int(message, "width"),
        height=opt_int(message, "height"),
        title=opt_str(message, "title"),
        performer=opt_str(message, "performer"),
        emoji=opt_str(message, "sticker_emoji"),
        path=path,
    )


def _contact(message: Mapping[str, JSONValue]) -> MediaRecord:
    contact = opt_object(message, "contact_information") or {}
    return build.contact(
        opt_str(contact, "first_name"),
        opt_str(contact, "last_name"),
        opt_str(contact, "phone_number"),
    )


def _venue(message: Mapping[str, JSONValue]) -> MediaRecord:
    latitude, longitude = _point(message)
    title = opt_str(message, "place_name")
    return build.venue(latitude, longitude, title, opt_str(message, "address"))


def _location(message: Mapping[str, JSONValue]) -> MediaRecord:
    period = opt_int(message, "live_location_period_seconds")
    if period:
        return build.live_location(*_point(message), period)
    return build.geo(*_point(message))


def _game(message: Mapping[str, JSONValue]) -> MediaRecord:
    title, url = opt_str(message, "game_title"), opt_str(message, "game_link")
    return build.game(title, opt_str(message, "game_description"), url=url)


def _poll(message: Mapping[str, JSONValue]) -> MediaRecord:
    poll = opt_object(message, "poll") or {}
    question = plain_text(poll.get("question"), "poll.question")
    answers: list[PollAnswerRecord] = []
    for answer in opt_list(poll, "answers") or []:
        if type(answer) is not dict:
            raise MessageShapeError(f"'poll.answers' has an entry that is {describe(answer)}")
        answers.append(
            build.poll_answer(
                plain_text(answer.get("text"), "poll.answers.text"),
                opt_int(answer, "voters"),
                opt_bool(answer, "chosen"),
            )
        )
    return build.poll(
        question,
        answers,
        total_voters=opt_int(poll, "total_voters"),
        closed=opt_bool(poll, "closed"),
    )


def _invoice(message: Mapping[str, JSONValue]) -> MediaRecord:
    invoice = opt_object(message, "invoice_information") or {}
    return build.invoice(
        opt_str(invoice, "title"),
        opt_str(invoice, "description"),
        opt_int(invoice, "amount"),
        opt_str(invoice, "currency"),
        opt_int(invoice, "receipt_message_id"),
    )


def _to_do(message: Mapping[str, JSONValue]) -> MediaRecord:
    todo = opt_object(message, "todo_list") or {}
    title = plain_text(todo.get("title"), "todo_list.title")
    return build.to_do(
        title,
        [
            plain_text(item.get("text"), "todo_list.answers.text") if type(item) is dict else None
            for item in opt_list(todo, "answers") or []
        ],
    )


def _giveaway(message: Mapping[str, JSONValue]) -> MediaRecord:
    return build.with_extras("giveaway", opt_object(message, "giveaway_information"))


def _giveaway_results(message: Mapping[str, JSONValue]) -> MediaRecord:
    return build.with_extras("giveaway_results", opt_object(message, "giveaway_results"))


def _paid_media(message: Mapping[str, JSONValue]) -> MediaRecord:
    return build.paid_media(opt_int(message, "paid_stars_amount"))


#: The key that marks each media kind → its reader, in the order tdesktop writes them:
#: the first key present wins (a message has at most one kind).
MEDIA_READERS: tuple[tuple[str, Callable[[Mapping[str, JSONValue]], MediaRecord]], ...] = (
    ("photo", _photo),
    ("file", _document),
    ("contact_information", _contact),
    ("place_name", _venue),
    ("address", _venue),
    ("location_information", _location),
    ("game_title", _game),
    ("poll", _poll),
    ("invoice_information", _invoice),
    ("todo_list", _to_do),
    ("giveaway_information", _giveaway),
    ("giveaway_results", _giveaway_results),
    ("paid_stars_amount", _paid_media),
)
#: Any of these keys means the message has media (a quick test for most messages).
MEDIA_MARKERS = frozenset(key for key, _ in MEDIA_READERS)


def map_media(message: Mapping[str, JSONValue]) -> tuple[str | None, MediaRecord | None]:
    """``(media_type, media)`` of a regular message; ``(None, None)`` without media.

    The export has no media ids, so ``media.id`` stays ``None``; ``path`` is the
    file's place inside the export folder when the file was exported.
    """
    if message.keys().isdisjoint(MEDIA_MARKERS):
        return None, None
    for key, read in MEDIA_READERS:
        if key in message:
            media = build.set_flags(
                read(message),
                spoiler=opt_bool(message, "media_spoiler"),
                ttl_seconds=opt_int(message, "self_destruct_period_seconds"),
            )
            return str(media["kind"]), media
    return None, None  # unreachable: a marker is present


def map_action(message: Mapping[str, JSONValue]) -> ActionRecord:
    """A service message's ``action``: MTProto-style type plus the export's own fields.

    ``details`` keeps every action field as the export wrote it (``members`` are names:
    the export has no user ids for them) and ``export_action``, the export's name.
    A custom action (no ``action`` key, an ``information_text``) is ``custom_action``.
    """
    name = opt_str(message, "action")
    details: JSONObject = {
        key: value for key, value in message.items() if key not in SERVICE_COMMON_KEYS
    }
    if name is None:
        kind = "custom_action" if "information_text" in message else "unknown"
    else:
        kind = EXPORT_ACTION_TYPES.get(name, name)
        details["export_action"] = name
    if name == "set_same_chat_wallpaper":
        details["same"] = True
    return builders.action(kind, details)


def service_reply_to(message: Mapping[str, JSONValue]) -> int | None:
    """The message a service message points at (pinned message, game, invoice)."""
    for key in SERVICE_REPLY_KEYS:
        value = opt_int(message, key)
        if value is not None:
            return value
    return None
