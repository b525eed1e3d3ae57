"""TapTelegram: the tap's face to singer-sdk: settings, streams, the run's source and lifecycle.

The command line entry point is :mod:`tap_telegram.cli.main`; settings live in
:mod:`tap_telegram.settings`.
"""

from __future__ import annotations

import copy
import weakref
from types import FrameType
from typing import ClassVar

from singer_sdk import Stream, Tap
from singer_sdk.plugin_base import JSONSchemaValidator

from tap_telegram.cli import config_errors
from tap_telegram.errors import ChatsFailedError, ConfigError
from tap_telegram.settings import CONFIG_SCHEMA
from tap_telegram.singer import streams
from tap_telegram.singer.bot_api_stream import bot_api_streams
from tap_telegram.singer.counters import RunSummary
from tap_telegram.singer.output import PageFlushWriter
from tap_telegram.sources import source_class
from tap_telegram.sources.base import Source
from tap_telegram.sources.mtproto.client import ClientFactory, build_client


class TapTelegram(Tap):
    """Singer tap for Telegram message history."""

    name = "tap-telegram"
    # A copy: the SDK adds its built-in settings (stream maps, flattening, ...) to the
    # class's schema in place, and CONFIG_SCHEMA must stay the tap's own settings.
    config_jsonschema = copy.deepcopy(CONFIG_SCHEMA)
    #: msgspec serializes records ~1.6x faster than the default writer (NOTES.md);
    #: flushing once per page instead of per record saves a system call per record.
    message_writer_class = PageFlushWriter

    #: Builds the Telethon client; tests swap in the fake Telegram here.
    client_factory: ClassVar[ClientFactory] = staticmethod(build_client)

    _source: Source | None = None
    _run_summary: RunSummary | None = None

    @property
    def run_summary(self) -> RunSummary:
        """Totals of this run, fed by the messages stream, logged as one line at the end."""
        if self._run_summary is None:
            self._run_summary = RunSummary()
        return self._run_summary

    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """Write state like the SDK does, but exit 128+signal, not 0.

        An interrupted sync is not a successful one: Meltano and schedulers must see it.
        """
        try:
            super()._handle_termination(signum, frame)
        except SystemExit:
            raise SystemExit(128 + signum) from None

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The SDK's validation (it also fills in defaults), with safe messages.

        The SDK's messages quote the bad value, and for api_hash or session_string that
        is a secret: these name the setting and what it must be, never the value.
        """
        schema = self.config_jsonschema
        self.append_builtin_config(schema)
        validator = JSONSchemaValidator(schema)
        problems = config_errors.describe_all(validator.iter_errors(self._config))
        if problems and raise_errors:
            raise ConfigError(config_errors.message(problems))
        if problems:
            self.logger.warning("%s", config_errors.message(problems))
        return problems

    def discover_streams(self) -> list[Stream]:
        """Chats first (they define the partitions), messages, topics, members, users seen."""
        return [
            streams.ChatsStream(self),
            streams.MessagesStream(self),
            streams.TopicsStream(self),
            streams.ParticipantsStream(self),
            streams.UsersStream(self),
        ]

    # Final in the SDK, but the one place that builds and orders (by name) the streams.
    def load_streams(self) -> list[Stream]:  # type: ignore[misc]
        """The SDK's streams; ``source: bot_api`` swaps in its own messages stream."""
        loaded = super().load_streams()
        if self.config.get("source") == "bot_api":
            return bot_api_streams(self, loaded)
        return loaded

    @property
    def open_source(self) -> Source | None:
        """The run's source if it is open now (never opens one)."""
        return self._source

    @property
    def source(self) -> Source:
        """The run's source, opened on first use (discovery never gets here)."""
        if self._source is None:
            name = str(self.config.get("source") or "mtproto")
            cls = source_class(name)
            if name == "mtproto":
                source: Source = cls(  # type: ignore[call-arg]
                    self.config, self.logger, client_factory=type(self).client_factory
                )
            else:
                source = cls(self.config, self.logger)
            self._source = source
            # Dry runs (SDK test runners, `--test`) sync streams without sync_all: close
            # the source when the tap goes away, so no file or socket is left open.
            weakref.finalize(self, source.close)
            source.open()
        return self._source

    # The SDK marks sync_all final, but it is the one place that sees both the start
    # and the end of a run, in the CLI and in get_tap_test_class alike; the source
    # must be closed there or sockets and the event loop leak.
    def sync_all(self) -> None:  # type: ignore[misc]
        """Open the source (settings, session, chats) first; always close it at the end.

        The summary line (messages, requests, flood waits, failed chats) is logged on
        every exit path, and the source learns whether the run succeeded before it
        closes (a takeout is finished with that flag).
        """
        succeeded = False
        self._run_summary = RunSummary()
        try:
            _ = self.source
            super().sync_all()
            if self.source.failures and self.config.get("on_chat_error") != "skip":
                raise ChatsFailedError(self.source.failures)
            succeeded = True
        finally:
            source, self._source = self._source, None
            if source is not None:
                source.succeeded = succeeded
                self.run_summary.log(self.logger, source.call_stats(), len(source.failures))
                source.close()
