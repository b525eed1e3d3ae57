"""Read the ``--config`` and ``--state`` files before the SDK does, refusing bad ones in one line.

The SDK reads them with ``simplejson`` and turns a missing, empty, truncated or
non-object file into a traceback (``JSONDecodeError``, ``TypeError: cannot convert
dictionary update sequence``), and accepts ``NaN``/``Infinity``, which no JSON
writer produces and which then fail deep inside a run. Each problem here is one line
naming the file and what to do: exit 2 (a config file: :class:`ConfigError`; a STATE
file: :class:`StateError`). The values are never quoted (a config holds secrets).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tap_telegram.errors import ConfigError, StateError, TapTelegramError, value_kind

#: The flags whose value is a JSON file the SDK reads, and the error each raises.
FILE_FLAGS: dict[str, type[TapTelegramError]] = {"--config": ConfigError, "--state": StateError}
#: Deepest nesting a config or STATE file may have (both are a few levels deep).
MAX_DEPTH = 64


def input_files(argv: Sequence[str]) -> list[tuple[str, str]]:
    """``(flag, path)`` of every ``--config``/``--state`` file on the command line."""
    found: list[tuple[str, str]] = []
    for index, arg in enumerate(argv):
        flag, _, value = arg.partition("=")
        if flag not in FILE_FLAGS:
            continue
        if not value and index + 1 < len(argv):
            value = argv[index + 1]
        if value and value != "ENV":  # ENV: the SDK reads settings from the environment
            found.append((flag, value))
    return found


def check_input_files(argv: Sequence[str]) -> None:
    """Raise the flag's error for the first file that is not one JSON object."""
    for flag, path in input_files(argv):
        problem = _problem(Path(path))
        if problem is not None:
            what = "config file" if flag == "--config" else "STATE file"
            raise FILE_FLAGS[flag](f"{flag} {path}: the {what} {problem}")


def _problem(path: Path) -> str | None:
    """What is wrong with the file at ``path`` as a JSON object, or None."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return "does not exist; check the path"
    except IsADirectoryError:
        return "is a folder; give the path of the JSON file"
    except OSError as error:
        return f"cannot be read ({error.strerror or type(error).__name__}); check its permissions"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return f"is not UTF-8 text (byte {error.start}); save it as UTF-8 JSON"
    if not text.strip():
        return "is empty; write a JSON object ({...}) into it"
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except _ConstantError as error:
        return f"holds {error}, which is not JSON; write a number or null"
    except RecursionError:
        return f"is nested deeper than {MAX_DEPTH} levels; it is no config or STATE"
    except json.JSONDecodeError as error:
        cut = error.pos >= len(text.rstrip()) or error.msg.startswith("Unterminated")
        detail = "it is cut off (truncated)" if cut else error.msg
        return f"is not valid JSON at line {error.lineno} column {error.colno} ({detail})"
    if not isinstance(data, dict):
        return f"holds {value_kind(data)}, not a JSON object ({{...}})"
    if _depth(data) > MAX_DEPTH:
        return f"is nested deeper than {MAX_DEPTH} levels; it is no config or STATE"
    return None


class _ConstantError(ValueError):
    """``NaN``, ``Infinity`` or ``-Infinity`` in a file."""


def _no_constant(name: str) -> Any:
    raise _ConstantError(name)


def _depth(value: Any) -> int:
    """Nesting depth of parsed JSON (iterative: no recursion limit to hit)."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:
                todo.extend(
                    (child, level + 1)
                    for child in (item.values() if isinstance(item, dict) else item)
                )
    return deepest
