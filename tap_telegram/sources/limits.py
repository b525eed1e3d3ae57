"""Limits of the source contract that the sources and the Singer side must agree on.

Kept apart from :mod:`tap_telegram.sources.base` and free of imports so that both
sides can read them without either importing the other: sources never import the
Singer side.
"""

from __future__ import annotations

#: Most messages a lookback window holds per chat. A source probing where a window
#: starts (``Source.lookback_starts``) never reaches further back than this many
#: messages below the bookmark, and the stream remembers at most this many
#: fingerprints per chat (keeps STATE under ~60 KB a chat).
MAX_WINDOW = 10_000
