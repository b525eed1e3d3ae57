"""``start_date`` read the one way every reader accepts."""

from __future__ import annotations

import datetime as dt

import pendulum

from tap_telegram.errors import ConfigError


def parse_start_date(start: object) -> dt.datetime:
    """``start_date`` as an aware UTC datetime (naive: UTC), or a ConfigError naming it.

    The one reader of the setting: the config check at start-up, the settings object
    and the SDK's starting value (a first run's ``start_date`` string) use it, so all
    accept the same spellings.
    """
    try:
        parsed = pendulum.parse(str(start))
    except (ValueError, pendulum.parsing.exceptions.ParserError):
        raise ConfigError(
            f"setting 'start_date': cannot read {start!r}; use ISO 8601, e.g. 2024-01-31"
        ) from None
    if not isinstance(parsed, dt.datetime):
        raise ConfigError(f"setting 'start_date': {start!r} is not a date; use e.g. 2024-01-31")
    return parsed.astimezone(dt.timezone.utc)
