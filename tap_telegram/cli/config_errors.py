"""Config validation messages that name the setting and never echo its value.

The SDK's own messages quote the offending value (``'0123abcd...' is not of type
'integer' in config['api_hash']``): for ``api_hash`` or ``session_string`` that prints a
secret into a cron mail or a CI log. These say which setting is wrong and what it must
be, nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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
        return f"{where} must be {' or '.join(names)}"
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
