"""Message dates of every export era, as aware UTC datetimes.

Since June 2022 (Telegram Desktop 3.7.6 / 4.0) every date has a ``*_unixtime`` twin
(``date_unixtime``, ``edited_unixtime``): that is used whenever it is there. Before,
the only date is ``date`` / ``edited``, Qt's ISO form of the *exporting computer's
local time* with no offset (``"2021-03-28T02:30:00"``); the file does not say which
zone that was, so the setting ``export_timezone`` (an IANA name) does. Converting a
local time to UTC follows Python's ``fold=0``:

* a time that falls in a daylight-saving gap (02:30 on a spring-forward night, which
  no clock showed) is read with the offset before the gap, i.e. shifted forward by
  the gap (Europe/Berlin 02:30 → 01:30 UTC, which is 03:30 summer time);
* a time that falls in a fold (02:30 on a fall-back night, shown twice) takes its first
  occurrence (Europe/Berlin 02:30 → 00:30 UTC, still summer time).

A date string that carries its own offset or ``Z`` needs no setting.

Until June 2020 (2.1.9) tdesktop wrote ``edited`` for every message, as the zero time
(1970-01-01, or 1969-12-31 west of Greenwich, in local time) for one never edited:
such an ``edited`` is no edit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from tap_telegram.records.constants import UTC
from tap_telegram.sources.export.mapping.parts import MessageShapeError, show

#: The setting that names the exporting computer's zone.
ZONE_SETTING = "export_timezone"
#: How an ``edited`` of a message never edited starts (the zero time, local).
NEVER_EDITED = ("1970-01-01", "1969-12-31")


def unixtime(value: Any, key: str) -> dt.datetime:
    """An aware UTC datetime from tdesktop's ``*_unixtime`` string (or an integer)."""
    if type(value) is str and value.isascii() and value.isdigit() and len(value) < 12:
        seconds = int(value)
    elif type(value) is int and 0 <= value < 10**11:
        seconds = value
    else:
        raise MessageShapeError(
            f"'{key}' should be a Unix time like \"1700000000\", not {show(value)}"
        )
    return dt.datetime.fromtimestamp(seconds, UTC)


def has_offset(text: str) -> bool:
    """Whether an ISO date string ends in ``Z`` or an offset (so it needs no zone)."""
    time_part = text.partition("T")[2]
    return time_part.endswith(("Z", "z")) or "+" in time_part or "-" in time_part


def local_date(value: Any, key: str, zone: dt.tzinfo | None) -> dt.datetime:
    """An aware UTC datetime from an ISO date string; ``zone`` for one without offset."""
    if type(value) is not str or not value.isascii():
        raise MessageShapeError(f"'{key}' should be a date like \"2021-03-28T02:30:00\"")
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise MessageShapeError(
            f"'{key}' should be a date like \"2021-03-28T02:30:00\", not {show(value)}"
        ) from None
    if parsed.tzinfo is None:
        if zone is None:
            raise MessageShapeError(
                f"'{key}' is a local time without a zone and there is no '{key}_unixtime' "
                f"(Telegram Desktop before June 2022); set '{ZONE_SETTING}'"
            )
        parsed = parsed.replace(tzinfo=zone)  # fold=0: see the module docstring
    return parsed.astimezone(UTC)


def message_date(
    message: Mapping[str, Any], key: str, zone: dt.tzinfo | None
) -> dt.datetime | None:
    """``date`` or ``edited`` of a message: its ``_unixtime`` twin, else the local string."""
    if f"{key}_unixtime" in message:  # present: it must be right, even when null
        return unixtime(message[f"{key}_unixtime"], f"{key}_unixtime")
    value = message.get(key)
    return None if value is None else local_date(value, key, zone)


def edit_date(message: Mapping[str, Any], zone: dt.tzinfo | None) -> dt.datetime | None:
    """When the message was last edited; ``None`` if never (see the module docstring)."""
    if message.get("edited_unixtime") is None:
        edited = message.get("edited")
        if edited is None or (type(edited) is str and edited.startswith(NEVER_EDITED)):
            return None
    return message_date(message, "edited", zone)
