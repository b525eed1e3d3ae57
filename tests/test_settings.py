"""The settings object: declared once, parsed once, typed, and secrets never in its repr."""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from typing import Any

import pytest

from tap_telegram.errors import ConfigError
from tap_telegram.settings import CONFIG_SCHEMA, ONLY_FOR, SOURCE_NAMES, Settings
from tap_telegram.settings.declare import ALL, KEY, SOURCE_LABELS, declarations
from tap_telegram.sources import SOURCES

SECRETS = {
    "api_hash": "0123456789abcdef0123456789abcdef",
    "session_string": "1BVtsOHwBu3Vq-very-secret-session",
    "proxy": "socks5://user:hunter2pass@10.0.0.1:1080",
    "bot_token": "123456:AAE-secret-bot-token",
}


def test_every_field_is_a_declared_setting():
    fields = [field.name for field in dataclasses.fields(Settings)]
    assert all(KEY in field.metadata for field in dataclasses.fields(Settings))
    assert list(CONFIG_SCHEMA["properties"]) == fields


def test_the_source_names_are_the_registry():
    assert tuple(SOURCES) == SOURCE_NAMES
    assert set(SOURCE_LABELS) == set(SOURCES)


#: JSON schema type -> the Python types a field of it may hold.
PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "string": (str,),
    "array": (tuple,),
}


def python_types(hint: Any) -> set[Any]:
    """The runtime types a type hint allows (Literals: their values' types)."""
    if typing.get_origin(hint) is typing.Literal:
        return {type(value) for value in typing.get_args(hint)}
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return set().union(*(python_types(arg) for arg in typing.get_args(hint)))
    origin = typing.get_origin(hint)
    return {origin or hint}


@pytest.mark.parametrize("name", list(CONFIG_SCHEMA["properties"]))
def test_the_python_type_is_the_json_type(name: str):
    hints = typing.get_type_hints(Settings)
    spec = CONFIG_SCHEMA["properties"][name]
    json_type = next(kind for kind in spec["type"] if kind != "null")
    allowed = python_types(hints[name])
    if spec.get("format") == "date-time":
        assert dt.datetime in allowed
    else:
        assert allowed - {type(None)} <= set(PYTHON_TYPES[json_type])
    if spec.get("default") is None:
        assert type(None) in allowed, f"{name}: no default, so it may be None"


def test_defaults_live_in_the_declarations():
    settings = Settings.from_config({})
    assert settings == Settings()
    assert settings.max_flood_wait == CONFIG_SCHEMA["properties"]["max_flood_wait"]["default"]
    assert settings.track_changes is True
    assert settings.source == "mtproto"
    # Null (Meltano's unset) is the default too.
    assert Settings.from_config({"page_size": None}).page_size == 100


def test_parsed_once_lists_as_tuples_start_date_aware():
    settings = Settings.from_config(
        {"chats": ["@a", -100123], "start_date": "2024-01-31", "source": "export"}
    )
    assert settings.chats == ("@a", -100123)
    assert settings.start_date == dt.datetime(2024, 1, 31, tzinfo=dt.timezone.utc)
    assert Settings.from_config({"start_date": ""}).start_date is None
    with pytest.raises(ConfigError, match="setting 'start_date'"):
        Settings.from_config({"start_date": "yesterday-ish"})


def test_only_reads_the_named_settings():
    settings = Settings.from_config({"api_id": 5, "start_date": "bad"}, only=("api_id",))
    assert settings.api_id == 5
    assert settings.start_date is None


def test_the_repr_hides_secrets():
    settings = Settings.from_config({**SECRETS, "api_id": 12345})
    shown = repr(settings)
    for value in SECRETS.values():
        assert value not in shown
    assert "hunter2pass" not in str(settings)
    assert shown.count("<secret>") == len(SECRETS)
    assert "api_id=12345" in shown
    # Unset secrets show as unset.
    assert "api_hash=None" in repr(Settings())


def test_secret_settings_are_write_only_in_the_schema():
    secret = {
        name for name, (declaration, _) in declarations(Settings).items() if declaration.secret
    }
    assert secret == set(SECRETS)
    for name in secret:
        assert CONFIG_SCHEMA["properties"][name]["writeOnly"] is True


def test_a_setting_of_one_source_names_it_in_its_description():
    for name, (declaration, _) in declarations(Settings).items():
        described = CONFIG_SCHEMA["properties"][name]["description"]
        if len(declaration.sources) == 1:
            assert described.startswith(SOURCE_LABELS[declaration.sources[0]])
        if declaration.sources == ALL:
            assert name not in ONLY_FOR
        else:
            assert ONLY_FOR[name] == declaration.sources
