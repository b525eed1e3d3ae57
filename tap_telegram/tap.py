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

from tap_telegram import streams
from tap_telegram.errors import ChatsFailedError, TapTelegramError
from tap_telegram.output import PageFlushWriter
from tap_telegram.schemas import CHAT_TYPES
from tap_telegram.sources import SOURCES, source_class
from tap_telegram.sources.base import Source
from tap_telegram.sources.telethon_client import ClientFactory, build_client

CONFIG_SCHEMA = th.PropertiesList(
    th.Property(
        "source",
        th.StringType(allowed_values=list(SOURCES)),
        default="mtproto",
        title="Source",
        description=(
            "Where messages come from: `mtproto` (a user session, full history) or "
            "`export` (a Telegram Desktop JSON export, offline)."
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
        description=("Messages per history request (1-100). STATE is written after every page."),
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
        "export_path",
        th.StringType,
        title="Export path",
        description=(
            "Export: a Telegram Desktop JSON export (result.json of one chat or of the "
            "whole account) or a folder searched for them."
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

    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """Write state like the SDK does, but exit 128+signal, not 0.

        An interrupted sync is not a successful one: Meltano and schedulers must see it.
        """
        try:
            super()._handle_termination(signum, frame)
        except SystemExit:
            raise SystemExit(128 + signum) from None

    def discover_streams(self) -> list[Stream]:
        """Chats first (they define the partitions), messages, then the users seen."""
        return [
            streams.ChatsStream(self),
            streams.MessagesStream(self),
            streams.UsersStream(self),
        ]

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
        """Open the source (settings, session, chats) first; always close it at the end."""
        try:
            _ = self.source
            super().sync_all()
            if self.source.failures and self.config.get("on_chat_error") != "skip":
                raise ChatsFailedError(self.source.failures)
        finally:
            source, self._source = self._source, None
            if source is not None:
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
    """Console entry point: the SDK CLI, with user errors as one line and an exit code."""
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
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
