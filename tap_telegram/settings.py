"""The tap's settings as one JSON schema.

It is the source of truth for ``--about``, the settings tables (docs/configuration.md, the
README's summary), ``meltano.yml`` and the hub definition (tests/test_readme.py and
tests/test_hub.py keep them in agreement).

Kept apart from :mod:`tap_telegram.tap` because it is long and only declarative.
"""

from __future__ import annotations

from singer_sdk import typing as th

from tap_telegram.records.constants import CHAT_TYPES, FILE_KINDS
from tap_telegram.sources import SOURCES

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
        th.IntegerType(minimum=1, maximum=2**31 - 1),
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
        # Numbers too: Meltano users type ids unquoted (`[-1001234567890]`).
        th.ArrayType(th.CustomType({"type": ["string", "integer"]})),
        title="Chats",
        description=(
            "Chats to extract: numeric ids (marked, e.g. -1001234567890, as a number or a "
            "string), @usernames, t.me links or chat folders as folder:<name or id> (MTProto) "
            "(exports: ids or exact names). Absent: every "
            "chat (every dialog of the account), filtered by chat_types, and the run says so "
            "with a warning. An empty list is an error."
        ),
    ),
    th.Property(
        "chat_types",
        th.ArrayType(th.StringType(allowed_values=list(CHAT_TYPES))),
        title="Chat types",
        description=(
            "With no `chats`: which chats to extract, any of user, group, supergroup, "
            "channel (default: all)."
        ),
    ),
    th.Property(
        "exclude_chats",
        th.ArrayType(th.CustomType({"type": ["string", "integer"]})),
        title="Exclude chats",
        description=(
            "Chats never to extract, written like `chats`; taken out of every chat (no "
            "`chats`) or out of `chats`. An entry that matches no chat is a warning."
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
        th.IntegerType(minimum=0, maximum=2**31 - 1),
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
            "STATE is written after every page (after every batch file with batch_config)."
        ),
    ),
    th.Property(
        "max_flood_wait",
        th.IntegerType(minimum=0, maximum=86_400),
        default=300,
        title="Max flood wait",
        description=(
            "Longest FLOOD_WAIT (seconds) that is waited out; a longer one fails the chat "
            "with a clear message."
        ),
    ),
    th.Property(
        "max_reconnect_seconds",
        th.NumberType(minimum=0, maximum=86_400),
        default=90,
        title="Max reconnect seconds",
        description=(
            "MTProto: how long a lost connection to Telegram is retried (with backoff, the "
            "requests in flight are sent again) before the run stops with exit 3 (0: no "
            "reconnecting); a rerun resumes from the saved STATE."
        ),
    ),
    th.Property(
        "max_concurrent_requests",
        th.IntegerType(minimum=1, maximum=32),
        default=12,
        title="Max concurrent requests",
        description=(
            "MTProto: history requests in flight at once, shared by all chats and their "
            "parallel lanes. Requests are paced adaptively from FLOOD_WAIT answers; 1 reads "
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
        "track_changes",
        th.BooleanType,
        default=True,
        title="Track changes",
        description=(
            "MTProto: ask Telegram's update log what changed since the last run and emit "
            "edited messages again and deleted ones as tombstones (deleted_scope: chat or "
            "account), whatever their age, for the messages the tap delivered before. "
            "About a request per 100 changes; quiet channels cost nothing."
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
        th.NumberType(minimum=0, maximum=36_500),
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
        "chat_refresh_hours",
        th.NumberType(minimum=0, maximum=87_600),
        default=24,
        title="Chat refresh hours",
        description=(
            "MTProto: fetch a chat's full info (about, member count, linked chat) again at "
            "least this often, spread over runs by chat id; in between the chats stream "
            "emits it as last fetched, kept in STATE. Title, username and flags come fresh "
            "every run. 0: every run."
        ),
    ),
    th.Property(
        "participants_refresh_hours",
        th.NumberType(minimum=0, maximum=87_600),
        default=24,
        title="Participants refresh hours",
        description=(
            "MTProto: list a chat's members again at least this often, and sooner when its "
            "member count changes or join/leave messages arrive; in between the chat has no "
            "participants records. 0: every run."
        ),
    ),
    th.Property(
        "stats_posts",
        th.IntegerType(minimum=0, maximum=100),
        default=0,
        title="Statistics of the newest posts",
        description=(
            "MTProto, with stats_graphs selected: also read the views and reactions graphs of "
            "each channel's newest N posts (stats.getMessageStats, N requests per channel a "
            "day). 0: off."
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
        "proxy",
        th.StringType,
        secret=True,
        title="Proxy",
        description=(
            "MTProto (sync and `tap-telegram login`): reach Telegram through a proxy: "
            "socks5://[user:password@]host:port, socks4://host:port, "
            "http://[user:password@]host:port, or an MTProxy link "
            "https://t.me/proxy?server=...&port=...&secret=... (dd or plain secret)."
        ),
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
        th.IntegerType(minimum=0, maximum=2**63 - 1),
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
        "export_timezone",
        th.StringType,
        title="Export time zone",
        description=(
            "Export: IANA time zone (e.g. Europe/Berlin) of the computer that made an export "
            "older than June 2022, whose dates are local times without a zone. Not needed "
            "for newer exports."
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

# An empty list is almost always a templating mistake (`chats: {{ chats }}` with nothing
# in it), and for these two it would widen the run to every chat or every type.
for _name in ("chats", "chat_types"):
    CONFIG_SCHEMA["properties"][_name]["minItems"] = 1

#: Settings that only some sources read: setting -> those sources (``source`` values).
#: Every other setting applies to all sources. Set to anything but its default under a
#: source that ignores it, a setting is reported with a warning (not an error: a shared
#: Meltano config may carry settings of several sources).
ONLY_FOR: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        (
            "api_id",
            "api_hash",
            "session_string",
            "session_file",
            "max_concurrent_requests",
            "concurrent_chats",
            "use_takeout",
            "track_changes",
            "lookback_messages",
            "lookback_days",
            "include_comments",
            "dc_id",
            "server_address",
            "server_port",
            "media_dir",
            "media_kinds",
            "media_max_size",
            "chat_refresh_hours",
            "participants_refresh_hours",
            "stats_posts",
            "max_reconnect_seconds",
            "proxy",
        ),
        ("mtproto",),
    ),
    # A bot has no history: it reads what arrives, from the moment it runs.
    "start_date": ("mtproto", "export"),
    "start_message_id": ("mtproto", "export"),
    # An export is a file: nothing to wait for.
    "max_flood_wait": ("mtproto", "bot_api"),
    "export_path": ("export",),
    "export_timezone": ("export",),
    **dict.fromkeys(
        ("bot_token", "bot_api_url", "allowed_updates", "bot_api_timeout"), ("bot_api",)
    ),
}
