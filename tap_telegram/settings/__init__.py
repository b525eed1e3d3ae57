"""The tap's settings: declared once, parsed once, checked with messages that leak nothing.

* :mod:`.model`: :class:`Settings`, one field per setting with its whole declaration,
  and the typed object the sources and streams read;
* :mod:`.declare`: how a setting is declared and what is derived from the
  declarations: :data:`CONFIG_SCHEMA` (the source of truth for ``--about``, the
  settings tables in docs/configuration.md and the README, ``meltano.yml`` and the
  hub file, which tests/test_readme.py and tests/test_hub.py keep in agreement) and
  :data:`ONLY_FOR` (the "does nothing for this source" warning);
* :mod:`.config_errors`: config problems as one line that names the setting, never
  its value;
* :mod:`.dates`: ``start_date`` read one way.

The package sits under every layer that reads a setting: it imports the record
vocabulary's constants and nothing else of the tap.
"""

from __future__ import annotations

from tap_telegram.settings.dates import parse_start_date
from tap_telegram.settings.declare import SOURCE_NAMES, config_schema, only_for
from tap_telegram.settings.model import Settings

#: The tap's settings as one JSON schema (``config_jsonschema``).
CONFIG_SCHEMA = config_schema(Settings)

#: Settings that only some sources read: setting -> those sources (``source`` values).
#: Every other setting applies to all sources. Set to anything but its default under a
#: source that ignores it, a setting is reported with a warning (not an error: a shared
#: Meltano config may carry settings of several sources).
ONLY_FOR = only_for(Settings)

__all__ = ["CONFIG_SCHEMA", "ONLY_FOR", "SOURCE_NAMES", "Settings", "parse_start_date"]
