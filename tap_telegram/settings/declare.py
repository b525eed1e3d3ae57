"""How a setting is declared, and what is derived from the declarations.

A setting is one field of :class:`~tap_telegram.settings.model.Settings`, declared
with :func:`setting`: its JSON type (with bounds), default, the sources it serves,
secret-ness, title and description. From those fields come the tap's JSON schema
(:func:`config_schema`, so ``--about``, the docs tables, ``meltano.yml`` and the hub
file), the source named in front of a description ("MTProto: ...", :func:`described`)
and the settings a source ignores (:func:`only_for`, the "does nothing for this
source" warning). Adding a source or a setting touches the declaration only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping
from typing import Any, Literal

from singer_sdk import typing as th

#: The values of the ``source`` setting, in the order ``--about`` lists them (the
#: registry in :mod:`tap_telegram.sources` holds the same names; a test keeps them equal).
SourceName = Literal["mtproto", "export", "bot_api"]
SOURCE_NAMES: tuple[SourceName, ...] = ("mtproto", "export", "bot_api")
#: How a description names the one source a setting serves.
SOURCE_LABELS: Mapping[str, str] = {"mtproto": "MTProto", "export": "Export", "bot_api": "Bot API"}

#: A setting every source reads.
ALL: tuple[SourceName, ...] = SOURCE_NAMES
MTPROTO: tuple[SourceName, ...] = ("mtproto",)
EXPORT: tuple[SourceName, ...] = ("export",)
BOT_API: tuple[SourceName, ...] = ("bot_api",)

#: Key of a field's metadata that holds its :class:`Declaration`.
KEY = "tap_telegram.setting"


@dataclasses.dataclass(frozen=True)
class Declaration:
    """All that is said about one setting besides its name, Python type and default."""

    #: Its JSON schema type (singer-sdk's typing helpers), with the bounds of its values.
    kind: Any
    title: str
    #: Without the source's name in front: :func:`described` puts it there.
    description: str
    #: The sources that read it; any other source warns when it is set.
    sources: tuple[SourceName, ...] = ALL
    #: Never in logs, errors or reprs; ``writeOnly`` in the schema.
    secret: bool = False
    #: Said after the source's name: ``MTProto, with media_dir: ...``.
    context: str = ""
    #: An empty list is refused (a templating mistake that would widen the run).
    non_empty: bool = False
    #: Turns the config's value into the field's (``start_date``: an aware datetime).
    parse: Callable[[Any], Any] | None = None


def setting(
    kind: Any,
    *,
    title: str,
    description: str,
    default: Any = None,
    sources: tuple[SourceName, ...] = ALL,
    secret: bool = False,
    context: str = "",
    non_empty: bool = False,
    parse: Callable[[Any], Any] | None = None,
) -> Any:
    """A dataclass field of :class:`~tap_telegram.settings.model.Settings`: its declaration.

    Typed ``Any`` so that a field's annotation (``int | None``) stays the Python type.
    """
    declaration = Declaration(kind, title, description, sources, secret, context, non_empty, parse)
    return dataclasses.field(default=default, metadata={KEY: declaration})


def declarations(cls: type) -> dict[str, tuple[Declaration, Any]]:
    """Every setting of a settings class in declaration order: name -> (declaration, default)."""
    return {
        field.name: (field.metadata[KEY], field.default)
        for field in dataclasses.fields(cls)
        if KEY in field.metadata
    }


def described(declaration: Declaration) -> str:
    """The description as users read it: the one source it serves in front, if only one."""
    if len(declaration.sources) != 1:
        return declaration.description
    label = SOURCE_LABELS[declaration.sources[0]]
    return f"{label}{declaration.context}: {declaration.description}"


def config_schema(cls: type) -> dict[str, Any]:
    """The JSON schema of the settings (what ``config_jsonschema`` and ``--about`` show)."""
    found = declarations(cls)
    properties = [
        th.Property(
            name,
            declaration.kind,
            default=default,
            title=declaration.title,
            description=described(declaration),
            secret=declaration.secret,
        )
        for name, (declaration, default) in found.items()
    ]
    schema: dict[str, Any] = th.PropertiesList(*properties).to_dict()
    for name, (declaration, _) in found.items():
        if declaration.non_empty:
            schema["properties"][name]["minItems"] = 1
    return schema


def only_for(cls: type) -> dict[str, tuple[SourceName, ...]]:
    """Settings that only some sources read: setting -> those sources.

    Every other setting applies to all sources.
    """
    return {
        name: declaration.sources
        for name, (declaration, _) in declarations(cls).items()
        if declaration.sources != ALL
    }


def secrets(cls: type) -> frozenset[str]:
    """Names of the secret settings."""
    return frozenset(name for name, (decl, _) in declarations(cls).items() if decl.secret)


def values_of(
    cls: type, config: Mapping[str, Any], only: Collection[str] | None = None
) -> dict[str, Any]:
    """The fields of a settings class set in ``config`` (of ``only``, if given).

    Unset, null or ``""``: left out, so the declared default holds. Lists become tuples
    (the object is frozen); a declaration's ``parse`` reads the value.
    """
    values: dict[str, Any] = {}
    for name, (declaration, _) in declarations(cls).items():
        value = config.get(name)
        if value is None or value == "" or (only is not None and name not in only):
            continue
        if isinstance(value, list):
            value = tuple(value)
        values[name] = declaration.parse(value) if declaration.parse else value
    return values


def secret_repr(settings: object) -> str:
    """``Settings(name=value, ...)`` with every secret that is set shown as ``<secret>``."""
    cls = type(settings)
    hidden = secrets(cls)
    shown = []
    for name in declarations(cls):
        value = getattr(settings, name)
        shown.append(f"{name}={'<secret>' if name in hidden and value else repr(value)}")
    return f"{cls.__name__}({', '.join(shown)})"
