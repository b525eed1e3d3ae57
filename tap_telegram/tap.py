"""TapTelegram: settings, streams, and the command line entry point."""

from __future__ import annotations

import copy
import sys
import weakref
from types import FrameType
from typing import ClassVar

import click
from singer_sdk import Stream, Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.plugin_base import JSONSchemaValidator

from tap_telegram import config_errors, login, streams
from tap_telegram.bot_api_stream import bot_api_streams
from tap_telegram.checkpoint import RunSummary
from tap_telegram.errors import ChatsFailedError, ConfigError, TapTelegramError
from tap_telegram.output import PageFlushWriter
from tap_telegram.schemas import CHAT_TYPES
from tap_telegram.sources import SOURCES, source_class
from tap_telegram.sources.base import Source
from tap_telegram.sources.mtproto_download import FILE_KINDS
from tap_telegram.sources.telethon_client import ClientFactory, build_client

CONFIG_SCHEMA = th.PropertiesList(
    th.Property(
        "source",
        th.StringType(allowed_values=list(SOURCES)),
        default="mtproto",
        title="Source",
        description=(
            "Where messages come from: `mtproto` (a user session, full history), "
            "`export` (a Telegram Desktop JSON export, offline) or `bot_api` (a bot's "
            "live updates, no history)."
        ),
    ),
    th.Property(
        "api_id",
        th.IntegerType,
        title="API id",
        description="MTProto: your app's api_id from https://my.telegram.org (API tools).",
    ),
    th.Property(
        "api_hash",
        th.StringType,
        secret=True,
        title="API hash",
        description="MTProto: your app's api_hash from https://my.telegram.org.",
    ),
    th.Property(
        "session_string",
        th.StringType,
        secret=True,
        title="Session string",
        description=(
            "MTProto: a Telethon StringSession of a logged-in user account; it "
            "grants full access to the account."
        ),
    ),
    th.Property(
        "session_file",
        th.StringType,
        title="Session file",
        description=(
            "MTProto: path of a Telethon SQLite session file, used when session_string "
            "is not set. It also caches entities between runs."
        ),
    ),
    th.Property(
        "chats",
        th.ArrayType(th.StringType),
        title="Chats",
        description=(
            "Chats to extract: numeric ids (marked, e.g. -1001234567890), @usernames or "
            "t.me links. Empty or absent: every dialog of the account, filtered by chat_types."
        ),
    ),
    th.Property(
        "chat_types",
        th.ArrayType(th.StringType(allowed_values=list(CHAT_TYPES))),
        title="Chat types",
        description=(
            "With no `chats`: which dialogs to extract, any of user, group, supergroup, "
            "channel (default: all)."
        ),
    ),
    th.Property(
        "start_date",
        th.DateTimeType,
        title="Start date",
        description="First run only: skip messages older than this (ISO 8601).",
    ),
    th.Property(
        "start_message_id",
        th.IntegerType(minimum=0),
        title="Start message id",
        description="First run only: only messages with an id above this one.",
    ),
    th.Property(
        "page_size",
        th.IntegerType(minimum=1, maximum=100),
        default=100,
        title="Page size",
        description=(
            "Messages per history request, or updates per getUpdates with bot_api (1-100). "
            "STATE is written after every page."
        ),
    ),
    th.Property(
        "max_flood_wait",
        th.IntegerType(minimum=0),
        default=300,
        title="Max flood wait",
        description=(
            "Longest FLOOD_WAIT (seconds) that is waited out; a longer one fails the chat "
            "with a clear message."
        ),
    ),
    th.Property(
        "max_concurrent_requests",
        th.IntegerType(minimum=1, maximum=32),
        default=12,
        title="Max concurrent requests",
        description=(
            "MTProto: history requests in flight at once, shared by all chats and id "
            "windows. Requests are paced adaptively from FLOOD_WAIT answers; 1 reads "
            "strictly one page after another."
        ),
    ),
    th.Property(
        "concurrent_chats",
        th.IntegerType(minimum=1, maximum=32),
        default=4,
        title="Concurrent chats",
        description=(
            "MTProto: chats read at the same time (the one being written and the next "
            "ones, read ahead into bounded buffers)."
        ),
    ),
    th.Property(
        "on_chat_error",
        th.StringType(allowed_values=["continue", "fail", "skip"]),
        default="continue",
        title="On chat error",
        description=(
            "When one chat cannot be resolved or read: `continue` with the others and exit "
            "non-zero with a summary (default), `fail` at once, or `skip` it and exit zero."
        ),
    ),
    th.Property(
        "use_takeout",
        th.BooleanType,
        default=False,
        title="Use takeout",
        description=(
            "MTProto: read history inside a takeout (data export) session, which has "
            "lower flood limits for bulk history. Telegram may first ask you to allow the "
            "export in another Telegram app."
        ),
    ),
    th.Property(
        "stream_per_chat",
        th.BooleanType,
        default=False,
        title="Stream per chat",
        description=(
            "Name the messages stream `messages_<chat id without sign>` per chat, so file "
            "targets write one file per chat. STATE stays under `messages`."
        ),
    ),
    th.Property(
        "lookback_messages",
        th.IntegerType(minimum=0, maximum=10_000),
        default=0,
        title="Lookback messages",
        description=(
            "MTProto: re-read the newest N messages of each chat on every run and emit "
            "those whose edit_date, reactions, views, forwards or replies changed, plus "
            "tombstones for deleted ones (channels, supergroups). 0: off."
        ),
    ),
    th.Property(
        "lookback_days",
        th.NumberType(minimum=0),
        default=0,
        title="Lookback days",
        description=(
            "MTProto: like lookback_messages, for the messages of the last N days (both "
            "set: either qualifies; at most 10,000 messages a chat). 0: off."
        ),
    ),
    th.Property(
        "include_comments",
        th.BooleanType,
        default=False,
        title="Include comments",
        description=(
            "MTProto: also extract the discussion group linked to each selected channel; "
            "comments carry comment_post_id and comment_channel_id."
        ),
    ),
    th.Property(
        "dc_id",
        th.IntegerType(minimum=1, maximum=5),
        title="DC id",
        description="MTProto: data center id, with server_address (e.g. Telegram's test DCs).",
    ),
    th.Property(
        "server_address",
        th.StringType,
        title="Server address",
        description="MTProto: connect to this address instead of the session's data center.",
    ),
    th.Property(
        "server_port",
        th.IntegerType(minimum=1, maximum=65535),
        title="Server port",
        description="MTProto: port for server_address (default 443).",
    ),
    th.Property(
        "media_dir",
        th.StringType,
        title="Media folder",
        description=(
            "MTProto: download media files into this folder (`<chat>/<kind>/<id>.<ext>`) and "
            "record media.path and media.sha256; a file already there is not downloaded "
            "again. Unset: metadata only."
        ),
    ),
    th.Property(
        "media_kinds",
        th.ArrayType(th.StringType(allowed_values=list(FILE_KINDS))),
        title="Media kinds",
        description=(
            "With media_dir: which kinds to download, any of " + ", ".join(FILE_KINDS) + " "
            "(default: all)."
        ),
    ),
    th.Property(
        "media_max_size",
        th.IntegerType(minimum=0),
        title="Media max size",
        description="With media_dir: skip files larger than this many bytes (default: no limit).",
    ),
    th.Property(
        "export_path",
        th.StringType,
        title="Export path",
        description=(
            "Export: a Telegram Desktop JSON export (result.json of one chat or of the "
            "whole account) or a folder searched for them."
        ),
    ),
    th.Property(
        "bot_token",
        th.StringType,
        secret=True,
        title="Bot token",
        description="Bot API: the bot's token from @BotFather; it grants full control of the bot.",
    ),
    th.Property(
        "bot_api_url",
        th.StringType,
        default="https://api.telegram.org",
        title="Bot API URL",
        description="Bot API: server to call, e.g. a local Bot API server (telegram-bot-api).",
    ),
    th.Property(
        "allowed_updates",
        th.ArrayType(
            th.StringType(
                allowed_values=[
                    "message",
                    "edited_message",
                    "channel_post",
                    "edited_channel_post",
                ]
            )
        ),
        title="Allowed updates",
        description=(
            "Bot API: update types to receive (default: all four). Telegram remembers the "
            "list for the bot; updates of other types are not delivered."
        ),
    ),
    th.Property(
        "bot_api_timeout",
        th.IntegerType(minimum=0, maximum=50),
        default=0,
        title="Bot API poll timeout",
        description=(
            "Bot API: long-poll seconds of getUpdates, how long a run waits when no "
            "update is pending. A run ends at the first page shorter than page_size."
        ),
    ),
).to_dict()


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


def _user_error(exc: BaseException) -> TapTelegramError | None:
    """The TapTelegramError behind ``exc`` (it may arrive wrapped), if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, TapTelegramError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def main(tap_class: type[TapTelegram] = TapTelegram) -> None:
    """Console entry point: the SDK CLI, with user errors as one line and an exit code.

    ``tap-telegram login`` is the interactive login helper (:mod:`tap_telegram.login`);
    it uses the tap class's client factory, so tests can point it at the fake Telegram.
    """
    login_args = login.login_argv(sys.argv[1:])
    if login_args is not None:
        sys.exit(login.main(login_args, client_factory=tap_class.client_factory))
    command = tap_class.cli
    try:
        code = command.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except click.exceptions.Abort:
        code = 130
    except ConfigValidationError as exc:
        problems = "; ".join(exc.errors) or str(exc)
        tap_class.logger.error("tap-telegram: invalid config: %s", problems)
        code = 2
    except Exception as exc:
        error = _user_error(exc)
        if error is None:
            raise
        tap_class.logger.error("tap-telegram: %s", error)
        code = error.exit_code
    if "--help" in sys.argv[1:]:
        click.echo("\nFirst run: `tap-telegram login` creates a session (see its --help).")
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
