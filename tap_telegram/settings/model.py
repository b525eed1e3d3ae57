"""The tap's settings: each declared once, parsed once into one typed, frozen object.

Every field is one setting, declared with :func:`~.declare.setting` (JSON type with
bounds, default, the sources it serves, secret-ness, title, description); the rest
(the JSON schema behind ``--about`` and the docs, the "does nothing for this source"
warning) is derived in :mod:`.declare`. The tap builds one :class:`Settings` after the
SDK validated the config (:meth:`Settings.from_config`) and hands it to the source
and the streams: nothing else reads the config mapping.
"""

# ruff: noqa: RUF009  # `setting(...)` returns a dataclasses.field: the declaration, not a shared default

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any, Literal, get_args

from singer_sdk import typing as th

from tap_telegram.records.constants import CHAT_TYPES, FILE_KINDS
from tap_telegram.settings.dates import parse_start_date
from tap_telegram.settings.declare import (
    BOT_API,
    EXPORT,
    MTPROTO,
    SOURCE_NAMES,
    SourceName,
    secret_repr,
    setting,
    values_of,
)

OnChatError = Literal["continue", "fail", "skip"]
UpdateType = Literal["message", "edited_message", "channel_post", "edited_channel_post"]
#: Numbers too: Meltano users type ids unquoted (`[-1001234567890]`).
ChatRef = str | int
_CHAT_REF = th.CustomType({"type": ["string", "integer"]})


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class Settings:
    """The tap's settings, as the sources and streams read them (lists as tuples)."""

    source: SourceName = setting(
        th.StringType(allowed_values=list(SOURCE_NAMES)),
        default="mtproto",
        title="Source",
        description=(
            "Where messages come from: `mtproto` (a user session, full history), "
            "`export` (a Telegram Desktop JSON export, offline) or `bot_api` (a bot's "
            "live updates, no history)."
        ),
    )
    api_id: int | None = setting(
        th.IntegerType(minimum=1, maximum=2**31 - 1),
        sources=MTPROTO,
        title="API id",
        description="your app's api_id from https://my.telegram.org (API tools).",
    )
    api_hash: str | None = setting(
        th.StringType,
        sources=MTPROTO,
        secret=True,
        title="API hash",
        description="your app's api_hash from https://my.telegram.org.",
    )
    session_string: str | None = setting(
        th.StringType,
        sources=MTPROTO,
        secret=True,
        title="Session string",
        description=(
            "a Telethon StringSession of a logged-in user account; it "
            "grants full access to the account."
        ),
    )
    session_file: str | None = setting(
        th.StringType,
        sources=MTPROTO,
        title="Session file",
        description=(
            "path of a Telethon SQLite session file, used when session_string "
            "is not set. It also caches entities between runs."
        ),
    )
    chats: tuple[ChatRef, ...] | None = setting(
        th.ArrayType(_CHAT_REF),
        non_empty=True,
        title="Chats",
        description=(
            "Chats to extract: numeric ids (marked, e.g. -1001234567890, as a number or a "
            "string), @usernames, t.me links or chat folders as folder:<name or id> (MTProto) "
            "(exports: ids or exact names). Absent: every "
            "chat (every dialog of the account), filtered by chat_types, and the run says so "
            "with a warning. An empty list is an error."
        ),
    )
    chat_types: tuple[str, ...] | None = setting(
        th.ArrayType(th.StringType(allowed_values=list(CHAT_TYPES))),
        non_empty=True,
        title="Chat types",
        description=(
            "With no `chats`: which chats to extract, any of user, group, supergroup, "
            "channel (default: all)."
        ),
    )
    exclude_chats: tuple[ChatRef, ...] | None = setting(
        th.ArrayType(_CHAT_REF),
        title="Exclude chats",
        description=(
            "Chats never to extract, written like `chats`; taken out of every chat (no "
            "`chats`) or out of `chats`. An entry that matches no chat is a warning."
        ),
    )
    # A bot has no history: it reads what arrives, from the moment it runs.
    start_date: dt.datetime | None = setting(
        th.DateTimeType,
        parse=parse_start_date,
        sources=("mtproto", "export"),
        title="Start date",
        description="First run only: skip messages older than this (ISO 8601).",
    )
    start_message_id: int | None = setting(
        th.IntegerType(minimum=0, maximum=2**31 - 1),
        sources=("mtproto", "export"),
        title="Start message id",
        description="First run only: only messages with an id above this one.",
    )
    page_size: int = setting(
        th.IntegerType(minimum=1, maximum=100),
        default=100,
        title="Page size",
        description=(
            "Messages per history request, or updates per getUpdates with bot_api (1-100). "
            "With bot_api STATE is written after every page (after every batch file with "
            "batch_config); else as state_every_records and state_every_seconds say."
        ),
    )
    state_every_records: int = setting(
        th.IntegerType(minimum=1),
        default=10_000,
        title="STATE every records",
        description=(
            "STATE is written, between two pages, once this many records were written "
            "since the last one (and at least one record per 20 bytes of the last STATE, "
            "which holds every chat), or after state_every_seconds; always at the end, "
            "when a chat fails and on SIGTERM/SIGINT. A kill loses at most the records "
            "written since the last STATE: the next run reads them again."
        ),
    )
    state_every_seconds: int = setting(
        th.IntegerType(minimum=0, maximum=86_400),
        default=300,
        title="STATE every seconds",
        description=(
            "STATE is written, between two pages, once this many seconds passed since the "
            "last one (see state_every_records)."
        ),
    )
    # An export is a file: nothing to wait for.
    max_flood_wait: int = setting(
        th.IntegerType(minimum=0, maximum=86_400),
        default=300,
        sources=("mtproto", "bot_api"),
        title="Max flood wait",
        description=(
            "Longest FLOOD_WAIT (seconds) that is waited out; a longer one fails the chat "
            "with a clear message."
        ),
    )
    max_reconnect_seconds: float = setting(
        th.NumberType(minimum=0, maximum=86_400),
        default=90,
        sources=MTPROTO,
        title="Max reconnect seconds",
        description=(
            "how long a lost connection to Telegram is retried (with backoff, the "
            "requests in flight are sent again) before the run stops with exit 3 (0: no "
            "reconnecting); a rerun resumes from the saved STATE."
        ),
    )
    max_concurrent_requests: int = setting(
        th.IntegerType(minimum=1, maximum=32),
        default=12,
        sources=MTPROTO,
        title="Max concurrent requests",
        description=(
            "history requests in flight at once, shared by all chats and their "
            "parallel lanes. Requests are paced adaptively from FLOOD_WAIT answers; 1 reads "
            "strictly one page after another."
        ),
    )
    concurrent_chats: int = setting(
        th.IntegerType(minimum=1, maximum=32),
        default=4,
        sources=MTPROTO,
        title="Concurrent chats",
        description=(
            "chats read at the same time (the one being written and the next "
            "ones, read ahead into bounded buffers)."
        ),
    )
    on_chat_error: OnChatError = setting(
        th.StringType(allowed_values=list(get_args(OnChatError))),
        default="continue",
        title="On chat error",
        description=(
            "When one chat cannot be resolved or read: `continue` with the others and exit "
            "non-zero with a summary (default), `fail` at once, or `skip` it and exit zero."
        ),
    )
    use_takeout: bool = setting(
        th.BooleanType,
        default=False,
        sources=MTPROTO,
        title="Use takeout",
        description=(
            "read history inside a takeout (data export) session, which has "
            "lower flood limits for bulk history. Telegram may first ask you to allow the "
            "export in another Telegram app."
        ),
    )
    stream_per_chat: bool = setting(
        th.BooleanType,
        default=False,
        title="Stream per chat",
        description=(
            "Name the messages stream `messages_<chat id without sign>` per chat, so file "
            "targets write one file per chat. STATE stays under `messages`."
        ),
    )
    track_changes: bool = setting(
        th.BooleanType,
        default=True,
        sources=MTPROTO,
        title="Track changes",
        description=(
            "ask Telegram's update log what changed since the last run and emit "
            "edited messages again and deleted ones as tombstones (deleted_scope: chat or "
            "account), whatever their age, for the messages the tap delivered before. "
            "About a request per 100 changes; quiet channels cost nothing."
        ),
    )
    verify_requests_per_run: int = setting(
        th.IntegerType(minimum=0, maximum=10_000),
        default=20,
        sources=MTPROTO,
        title="Verify requests per run",
        description=(
            "re-read old history of delivered chats, at most N history requests a run, "
            "and emit edits and tombstones the update log missed (a busy chat's \"too "
            'long", a refused position); chats marked for verification first, then the '
            "least recently verified. A chat of n messages is re-checked at least every "
            "ceil(n/100)/N runs when it comes first (README, Changes). 0: off."
        ),
    )
    lookback_messages: int = setting(
        th.IntegerType(minimum=0, maximum=10_000),
        default=0,
        sources=MTPROTO,
        title="Lookback messages",
        description=(
            "re-read the newest N messages of each chat on every run and emit "
            "those whose edit_date, reactions, views, forwards or replies changed, plus "
            "tombstones for deleted ones (channels, supergroups). 0: off."
        ),
    )
    lookback_days: float = setting(
        th.NumberType(minimum=0, maximum=36_500),
        default=0,
        sources=MTPROTO,
        title="Lookback days",
        description=(
            "like lookback_messages, for the messages of the last N days (both "
            "set: either qualifies; at most 10,000 messages a chat). 0: off."
        ),
    )
    include_comments: bool = setting(
        th.BooleanType,
        default=False,
        sources=MTPROTO,
        title="Include comments",
        description=(
            "also extract the discussion group linked to each selected channel; "
            "comments carry comment_post_id and comment_channel_id."
        ),
    )
    chat_refresh_hours: float = setting(
        th.NumberType(minimum=0, maximum=87_600),
        default=24,
        sources=MTPROTO,
        title="Chat refresh hours",
        description=(
            "fetch a chat's full info (about, member count, linked chat) again at "
            "least this often, spread over runs by chat id; in between the chats stream "
            "emits it as last fetched, kept in STATE. Title, username and flags come fresh "
            "every run. 0: every run."
        ),
    )
    participants_refresh_hours: float = setting(
        th.NumberType(minimum=0, maximum=87_600),
        default=24,
        sources=MTPROTO,
        title="Participants refresh hours",
        description=(
            "list a chat's members again at least this often, and sooner when its "
            "member count changes or join/leave messages arrive; in between the chat has no "
            "participants records. 0: every run."
        ),
    )
    stats_posts: int = setting(
        th.IntegerType(minimum=0, maximum=100),
        default=0,
        sources=MTPROTO,
        context=", with stats_graphs selected",
        title="Statistics of the newest posts",
        description=(
            "also read the views and reactions graphs of "
            "each channel's newest N posts (stats.getMessageStats, N requests per channel a "
            "day). 0: off."
        ),
    )
    dc_id: int | None = setting(
        th.IntegerType(minimum=1, maximum=5),
        sources=MTPROTO,
        title="DC id",
        description="data center id, with server_address (e.g. Telegram's test DCs).",
    )
    server_address: str | None = setting(
        th.StringType,
        sources=MTPROTO,
        title="Server address",
        description="connect to this address instead of the session's data center.",
    )
    server_port: int | None = setting(
        th.IntegerType(minimum=1, maximum=65535),
        sources=MTPROTO,
        title="Server port",
        description="port for server_address (default 443).",
    )
    proxy: str | None = setting(
        th.StringType,
        sources=MTPROTO,
        context=" (sync and `tap-telegram login`)",
        secret=True,
        title="Proxy",
        description=(
            "reach Telegram through a proxy: "
            "socks5://[user:password@]host:port, socks4://host:port, "
            "http://[user:password@]host:port, or an MTProxy link "
            "https://t.me/proxy?server=...&port=...&secret=... (dd or plain secret)."
        ),
    )
    media_dir: str | None = setting(
        th.StringType,
        sources=MTPROTO,
        title="Media folder",
        description=(
            "download media files into this folder (`<chat>/<kind>/<id>.<ext>`) and "
            "record media.path and media.sha256; a file already there is not downloaded "
            "again. Unset: metadata only."
        ),
    )
    media_kinds: tuple[str, ...] | None = setting(
        th.ArrayType(th.StringType(allowed_values=list(FILE_KINDS))),
        sources=MTPROTO,
        context=", with media_dir",
        title="Media kinds",
        description="which kinds to download, any of " + ", ".join(FILE_KINDS) + " (default: all).",
    )
    media_max_size: int | None = setting(
        th.IntegerType(minimum=0, maximum=2**63 - 1),
        sources=MTPROTO,
        context=", with media_dir",
        title="Media max size",
        description="skip files larger than this many bytes (default: no limit).",
    )
    export_path: str | None = setting(
        th.StringType,
        sources=EXPORT,
        title="Export path",
        description=(
            "a Telegram Desktop JSON export (result.json of one chat or of the "
            "whole account) or a folder searched for them."
        ),
    )
    export_timezone: str | None = setting(
        th.StringType,
        sources=EXPORT,
        title="Export time zone",
        description=(
            "IANA time zone (e.g. Europe/Berlin) of the computer that made an export "
            "older than June 2022, whose dates are local times without a zone. Not needed "
            "for newer exports."
        ),
    )
    bot_token: str | None = setting(
        th.StringType,
        sources=BOT_API,
        secret=True,
        title="Bot token",
        description="the bot's token from @BotFather; it grants full control of the bot.",
    )
    bot_api_url: str = setting(
        th.StringType,
        default="https://api.telegram.org",
        sources=BOT_API,
        title="Bot API URL",
        description="server to call, e.g. a local Bot API server (telegram-bot-api).",
    )
    allowed_updates: tuple[UpdateType, ...] | None = setting(
        th.ArrayType(th.StringType(allowed_values=list(get_args(UpdateType)))),
        sources=BOT_API,
        title="Allowed updates",
        description=(
            "update types to receive (default: all four). Telegram remembers the "
            "list for the bot; updates of other types are not delivered."
        ),
    )
    bot_api_timeout: int = setting(
        th.IntegerType(minimum=0, maximum=50),
        default=0,
        sources=BOT_API,
        title="Bot API poll timeout",
        description=(
            "long-poll seconds of getUpdates, how long a run waits when no "
            "update is pending. A run ends at the first page shorter than page_size."
        ),
    )

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], *, only: Collection[str] | None = None
    ) -> Settings:
        """The settings of a (validated) config (see :func:`.declare.values_of`).

        ``only``: read just these settings (``tap-telegram login`` reads the connection
        ones of a config file the schema has not checked).
        """
        return cls(**values_of(cls, config, only))

    def __repr__(self) -> str:
        """Every setting, a secret one as ``<secret>`` when set: reprs end up in logs."""
        return secret_repr(self)
