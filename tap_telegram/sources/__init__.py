"""Sources: one package per way of reading Telegram, all behind the contract in :mod:`.base`.

:data:`SOURCES` maps the ``source`` setting to the class; modules are imported
lazily, on first use, so that an export or Bot API run never imports Telethon. Each
class is a :class:`~.base.HistorySource` or an :class:`~.base.UpdateLogSource` and is
built from a :class:`~.base.SourceContext`.
"""

from __future__ import annotations

import importlib

from tap_telegram.errors import ConfigError
from tap_telegram.sources.base import Source

#: ``source`` setting value → "module:Class".
SOURCES: dict[str, str] = {
    "mtproto": "tap_telegram.sources.mtproto.source:MTProtoSource",
    "export": "tap_telegram.sources.export.source:ExportSource",
    "bot_api": "tap_telegram.sources.bot_api.source:BotApiSource",
}


def source_class(name: str) -> type[Source]:
    """The class behind a ``source`` value, or a ConfigError listing the valid ones."""
    try:
        target = SOURCES[name]
    except KeyError:
        raise ConfigError(
            f"setting 'source': unknown value {name!r}; use one of {', '.join(SOURCES)}"
        ) from None
    module_name, class_name = target.split(":")
    cls: type[Source] = getattr(importlib.import_module(module_name), class_name)
    return cls
