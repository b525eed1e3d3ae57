"""What the streams know of the tap: the run's source and the run's totals.

Streams never import the tap class (:mod:`tap_telegram.tap`): they are handed a
:class:`StreamHost` typed by the kind of source they read, so the ``messages`` stream
of a history source sees a :class:`~tap_telegram.sources.base.HistorySource` and the
one of an update log an :class:`~tap_telegram.sources.base.UpdateLogSource`, with no
cast anywhere. The tap implements it (``tap_telegram.tap.SourceRun``); tests may hand
a stream anything with these three properties.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from tap_telegram.settings import Settings
from tap_telegram.singer.counters import RunSummary
from tap_telegram.sources.base import Source

#: The kind of source a stream reads.
SourceT_co = TypeVar("SourceT_co", bound=Source, covariant=True)


class StreamHost(Protocol[SourceT_co]):
    """The run as a stream sees it."""

    @property
    def source(self) -> SourceT_co:
        """The run's source, opened on first use (discovery never gets here)."""
        ...

    @property
    def open_source(self) -> SourceT_co | None:
        """The run's source if it is open now; never opens one (for late clean-up paths)."""
        ...

    @property
    def run_summary(self) -> RunSummary:
        """Totals of this run, fed by the ``messages`` stream, logged once at the end."""
        ...

    @property
    def settings(self) -> Settings:
        """The tap's settings, parsed once (what streams read instead of ``config``)."""
        ...
