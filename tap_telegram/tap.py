"""TapTelegram: the tap's face to singer-sdk: settings, streams, the run's source and lifecycle.

The ``source`` setting names a source class (:mod:`tap_telegram.sources`). The tap
builds it like any other, from a :class:`~tap_telegram.sources.base.SourceContext`, and
picks the ``messages`` stream by the class's interface (history or update log) without
opening anything: discovery never connects. The streams see the run through
:class:`SourceRun` (a :class:`~tap_telegram.singer.host.StreamHost`), never this class.
Telethon is imported by the MTProto source only, so an export or Bot API run never
loads it. The command line entry point is :mod:`tap_telegram.cli.main`; settings are
declared in :mod:`tap_telegram.settings`, and parsed once here into :attr:`TapTelegram.settings`
(the SDK keeps reading the raw ``config`` for its own settings).
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
import logging
import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Generic

from singer_sdk import Stream
from typing_extensions import override

from tap_telegram.errors import ChatsFailedError, ConfigError
from tap_telegram.settings import CONFIG_SCHEMA, Settings, config_errors
from tap_telegram.singer.bot_api_stream import UpdateLogMessagesStream
from tap_telegram.singer.counters import RunSummary, drop_legacy_stats
from tap_telegram.singer.history_stream import MessagesStream
from tap_telegram.singer.host import SourceT_co
from tap_telegram.singer.memory import source_memory
from tap_telegram.singer.moderation import AdminLogStream
from tap_telegram.singer.output import PageFlushWriter
from tap_telegram.singer.sdk_private import SdkTap
from tap_telegram.singer.state_check import check_state
from tap_telegram.singer.statistics import ChannelStatsStream, GroupStatsStream, StatsGraphsStream
from tap_telegram.singer.streams import (
    ChatsStream,
    ContactsStream,
    ParticipantsStream,
    TelegramStream,
    TopicsStream,
    UsersStream,
)
from tap_telegram.sources import source_class
from tap_telegram.sources.base import HistorySource, Source, SourceContext, UpdateLogSource

if TYPE_CHECKING:
    from jsonschema import ValidationError

    from tap_telegram.sources.mtproto.wire.client import ClientFactory


class SourceRun(Generic[SourceT_co]):
    """The tap's source over its runs: opened on first use, closed when a run ends.

    This is what the streams see of the tap (a
    :class:`~tap_telegram.singer.host.StreamHost`), typed by the kind of source.
    """

    def __init__(self, cls: type[SourceT_co], context: SourceContext) -> None:
        self._cls = cls
        self._context = context
        self._source: SourceT_co | None = None
        self._summary = RunSummary()

    @property
    def source(self) -> SourceT_co:
        """The run's source, built and opened on first use (discovery never gets here)."""
        if self._source is None:
            source = self._cls(self._context)
            self._source = source
            # Dry runs (SDK test runners, `--test`) sync streams without sync_all: close
            # the source when the run goes away, so no file or socket is left open.
            weakref.finalize(self, source.close)
            source.open()
        return self._source

    @property
    def open_source(self) -> SourceT_co | None:
        """The run's source if it is open now (never opens one)."""
        return self._source

    @property
    def run_summary(self) -> RunSummary:
        """Totals of this run, fed by the messages stream, logged as one line at the end."""
        return self._summary

    @property
    def settings(self) -> Settings:
        """The tap's settings, parsed once."""
        return self._context.settings

    def start(self) -> None:
        """A run begins: fresh totals."""
        self._summary = RunSummary()

    def finish(self, *, succeeded: bool, logger: logging.Logger) -> None:
        """Log the summary line and close the source, telling it first whether the run succeeded.

        (A takeout is finished with that flag.) The next use opens a new source.
        """
        source, self._source = self._source, None
        if source is not None:
            source.succeeded = succeeded
            self._summary.log(logger, source.call_stats(), len(source.failures))
            source.close()


class TapTelegram(SdkTap):
    """Singer tap for Telegram message history."""

    name = "tap-telegram"
    # A copy: the SDK adds its built-in settings (stream maps, flattening, ...) to the
    # class's schema in place, and CONFIG_SCHEMA must stay the tap's own settings.
    config_jsonschema = copy.deepcopy(CONFIG_SCHEMA)
    #: msgspec serializes records ~1.6x faster than the default writer (about 35,000 vs
    #: 22,000 8-field records/s on the 2-core test machine; docs/performance.md has the profile);
    #: flushing once per page instead of per record saves a system call per record.
    message_writer_class = PageFlushWriter

    #: Builds the Telethon client of ``source: mtproto``; None: the real one, imported
    #: only when an MTProto source is built. Tests swap in the fake Telegram here.
    client_factory: ClassVar[ClientFactory | None] = None
    #: The time now (aware); None: the real clock. Tests run the tap days later here.
    clock: ClassVar[Callable[[], dt.datetime] | None] = None

    @classmethod
    def known_settings(cls) -> frozenset[str]:
        """Every key a config may hold: the tap's settings and those singer-sdk adds.

        (Stream maps, flattening, batch config, ...: the SDK appends them to the
        schema, per the tap's capabilities.) Any other key is a mistake.
        """
        schema = copy.deepcopy(cls.config_jsonschema)
        cls.append_builtin_config(schema)
        return frozenset(schema["properties"])

    @override
    def check_config(self, errors: list[ValidationError], *, raise_errors: bool) -> list[str]:
        """Messages that name the setting and what it must be, never the value.

        The SDK's own quote the bad value, and for api_hash or session_string that is
        a secret. Unknown keys and a future ``start_date`` are problems too; on a run
        (``raise_errors``) without problems, each setting the chosen source ignores
        is reported once (see :mod:`tap_telegram.settings.config_errors`).
        """
        config = self.config
        problems = [
            *config_errors.unknown_settings(config, self.known_settings()),
            *config_errors.describe_all(errors),
            *config_errors.start_date_problems(config, dt.datetime.now(dt.timezone.utc)),
            *config_errors.batch_problems(config),
        ]
        if problems and raise_errors:
            raise ConfigError(config_errors.message(problems))
        if problems:
            self.logger.warning("%s", config_errors.message(problems))
        elif raise_errors:
            for line in config_errors.idle_settings(config, self.settings.source):
                self.logger.warning("tap-telegram: %s", line)
        return problems

    @override
    def load_state(self, state: dict[str, Any]) -> None:
        """Refuse a damaged STATE with one line naming the entry, then load it (SDK).

        The per-chat ``stats`` of earlier releases are dropped (:mod:`.singer.counters`).
        """
        check_state(state)
        drop_legacy_stats(state)
        super().load_state(state)

    @override
    def discover_streams(self) -> list[Stream]:
        """Chats (they define the partitions), messages, topics, members, users seen.

        Then the streams not selected unless a catalog selects them: contacts, and the
        streams for admins (admin log, statistics).
        """
        run, new_messages_stream = self._run
        return [
            ChatsStream(self, run),
            new_messages_stream(),
            TopicsStream(self, run),
            ParticipantsStream(self, run),
            UsersStream(self, run),
            ContactsStream(self, run),
            AdminLogStream(self, run),
            ChannelStatsStream(self, run),
            GroupStatsStream(self, run),
            StatsGraphsStream(self, run),
        ]

    @functools.cached_property
    def settings(self) -> Settings:
        """The settings, parsed once (after the SDK validated the config and filled in defaults)."""
        return Settings.from_config(self.config)

    @functools.cached_property
    def _run(self) -> tuple[SourceRun[Source], Callable[[], Stream]]:
        """The run (one per tap) and how to build the messages stream its source calls for.

        The ``source`` setting names the class; only the class is inspected (its
        interface picks the stream), nothing is built or opened.
        """
        cls = source_class(self.settings.source)
        tap = type(self)
        context = SourceContext(
            self.config, self.logger, tap.client_factory, tap.clock, parsed=self.settings
        )
        if issubclass(cls, UpdateLogSource):
            log_run = SourceRun(cls, context)
            return log_run, functools.partial(UpdateLogMessagesStream, self, log_run)
        if issubclass(cls, HistorySource):
            history_run = SourceRun(cls, context)
            return history_run, functools.partial(MessagesStream, self, history_run)
        msg = f"{cls.__name__} is neither a HistorySource nor an UpdateLogSource"
        raise TypeError(msg)

    @property
    @override
    def streams(self) -> dict[str, Stream]:
        """The SDK's streams (ordered by name), those that must sync first in front.

        An update log's ``messages`` must run before ``chats`` for ``chats`` to list
        the chats seen in the updates.
        """
        loaded = super().streams
        return dict(sorted(loaded.items(), key=lambda item: not _syncs_first(item[1])))

    @override
    @contextlib.contextmanager
    def run_scope(self) -> Iterator[None]:
        """Open the source (settings, session, chats) first; always close it at the end.

        The summary line (messages, requests, flood waits, failed chats) is logged on
        every exit path, and the source learns whether the run succeeded before it
        closes (a takeout is finished with that flag).
        """
        run, _ = self._run
        succeeded = False
        self.state_cadence.start(
            every_records=self.settings.state_every_records,
            every_seconds=self.settings.state_every_seconds,
        )
        run.start()
        try:
            source = run.source
            if source.remembers:
                source.recall(source_memory(self.state))
            yield
            if source.failures and self.settings.on_chat_error != "skip":
                raise ChatsFailedError(source.failures)
            succeeded = True
        finally:
            run.finish(succeeded=succeeded, logger=self.logger)


def _syncs_first(stream: Stream) -> bool:
    """Whether a stream must sync before the others (see :attr:`TelegramStream.sync_first`)."""
    return isinstance(stream, TelegramStream) and stream.sync_first
