"""Config problems as lines that name the setting and never echo its value.

The SDK's own messages quote the offending value (``'0123abcd...' is not of type
'integer' in config['api_hash']``): for ``api_hash`` or ``session_string`` that prints a
secret into a cron mail or a CI log. These say which setting is wrong and what it must
be, nothing more.

Beyond the schema, a misspelled or misplaced setting must never widen what a run
extracts (a ``chat`` typo would otherwise mean "no chats configured: every chat"), so:

* an unknown key is an error naming the closest known setting (:func:`unknown_settings`);
* ``start_date`` in the future is an error (:func:`start_date_problems`);
* a setting the chosen source ignores, set to anything but its default, is a warning
  (:func:`idle_settings`): a shared Meltano config may carry several sources' settings.
"""

from __future__ import annotations

import datetime as dt
import difflib
import importlib.util
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from tap_telegram.errors import ConfigError
from tap_telegram.settings.dates import parse_start_date
from tap_telegram.settings.declare import only_for
from tap_telegram.settings.model import Settings

#: Longest unknown key quoted in a message (a pasted value used as a key stays short).
MAX_KEY = 40

_TYPE_NAMES = {
    "integer": "a whole number",
    "number": "a number",
    "string": "a string",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
}


def _setting(error: Any) -> str:
    path = [str(part) for part in error.absolute_path]
    if not path:
        return "config"
    name = path[0]
    return f"setting '{name}'" + ("" if len(path) == 1 else f" (item {'.'.join(path[1:])})")


def describe(error: Any) -> str:
    """One problem of a ``jsonschema.ValidationError``, as ``setting 'x' must be ...``.

    Built from the error's path and the schema keyword only, never ``error.instance``.
    """
    where = _setting(error)
    expected: Any = error.validator_value
    kind = error.validator
    if kind == "type":
        types = [expected] if isinstance(expected, str) else list(expected)
        names = [_TYPE_NAMES.get(t, t) for t in types if t != "null"]
        if "array" in types and isinstance(error.instance, str):
            # Only the value's type is looked at, never the value.
            return f'{where} must be a list, not one string: write it as ["..."]'
        return f"{where} must be {' or '.join(names)}"
    if kind == "minItems":
        return (
            f"{where} is an empty list (usually a templating mistake); list at least one "
            "item, or leave the setting out"
        )
    if kind == "enum":
        options = ", ".join(str(option) for option in expected if option is not None)
        return f"{where} must be one of {options}"
    if kind in {"minimum", "exclusiveMinimum"}:
        return f"{where} must be at least {expected}"
    if kind in {"maximum", "exclusiveMaximum"}:
        return f"{where} must be at most {expected}"
    if kind == "format":
        return f"{where} must be a {expected} (ISO 8601, e.g. 2024-01-31)"
    if kind == "required":
        return f"{where} needs {', '.join(repr(name) for name in expected)}"
    return f"{where} is not valid ({kind})"


def describe_all(errors: Iterable[Any]) -> list[str]:
    """Every problem once, in a stable order."""
    return sorted({describe(error) for error in errors})


def message(problems: list[str]) -> str:
    """The one line a user sees."""
    return (
        f"invalid config: {'; '.join(problems)}; fix the setting(s) "
        "(`tap-telegram --about` lists them all)"
    )


def unknown_settings(config: Mapping[str, Any], known: Collection[str]) -> list[str]:
    """``unknown setting 'chat'; did you mean 'chats'?`` for every key not in ``known``."""
    problems = []
    choices = sorted(known)
    for key in config:
        name = str(key)
        if name in known:
            continue
        shown = name if len(name) <= MAX_KEY else name[:MAX_KEY] + "..."
        close = difflib.get_close_matches(name, choices, n=1)
        if not close:  # a case slip ("Chats") is a near miss too
            close = difflib.get_close_matches(name.lower(), choices, n=1)
        hint = f"did you mean '{close[0]}'?" if close else "tap-telegram has no such setting"
        problems.append(f"unknown setting '{shown}'; {hint}")
    return problems


def start_date_problems(config: Mapping[str, Any], now: dt.datetime) -> list[str]:
    """``start_date`` unreadable, or after ``now`` (a run would extract nothing)."""
    start = config.get("start_date")
    if not start:
        return []
    try:
        since = parse_start_date(start)
    except ConfigError:
        # The value is not secret, but these lines never echo one.
        return ["setting 'start_date' must be a date-time (ISO 8601, e.g. 2024-01-31)"]
    if since > now:
        return [
            "setting 'start_date' is in the future, so no message would be extracted; "
            "use a past date (ISO 8601, e.g. 2024-01-31)"
        ]
    return []


def batch_problems(config: Mapping[str, Any]) -> list[str]:
    """A ``batch_config`` whose file format cannot be written here.

    The SDK writes Parquet batch files with ``pyarrow``, which the tap does not depend
    on: without it the run would stop with a traceback at the first batch file.
    """
    batch = config.get("batch_config")
    encoding = batch.get("encoding") if isinstance(batch, Mapping) else None
    kind = encoding.get("format") if isinstance(encoding, Mapping) else None
    if kind == "parquet" and importlib.util.find_spec("pyarrow") is None:
        return [
            "setting 'batch_config': format 'parquet' needs pyarrow in the tap's environment "
            "(pip install pyarrow); or use format 'jsonl'"
        ]
    return []


def idle_settings(config: Mapping[str, Any], source: str) -> list[str]:
    """One warning line per setting ``source`` ignores that differs from its default.

    Meltano passes every declared default on every run, so a default value says
    nothing; empty values (``""``, ``[]``) mean "unset" to every reader.
    """
    lines = []
    defaults = Settings()
    for name, sources in only_for(Settings).items():
        value = config.get(name)
        if source in sources or value in (None, "", []):
            continue
        if value == getattr(defaults, name):
            continue
        lines.append(
            f"setting '{name}' does nothing with source {source} (only with "
            f"{' or '.join(sources)}); it is ignored: remove it, or check `source`"
        )
    return lines
