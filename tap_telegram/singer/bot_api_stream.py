"""The ``messages`` stream for ``source: bot_api``: a log read by ``update_id``.

The MTProto and export sources read each chat's history by message id, so their
``messages`` stream has one state partition per chat with ``id`` as replication key.
The Bot API has one cursor for the whole bot, the global ``update_id``, and updates
of all chats arrive interleaved; edits carry message ids below ones already seen.
Neither fits an ``id`` bookmark (the SDK would raise InvalidStreamSortException on
the first edit or on the next chat's lower ids, or move bookmarks back).

So this stream is LOG_BASED, like a database tap reading a change log: no
replication key in the records, no partitions, and the cursor kept in the stream's
state next to what the SDK writes::

    {"bookmarks": {"messages": {"bot_api": {"update_id": 123456789}}}}

The SDK keeps unknown keys of a stream's state as they are and writes the whole tap
state in every STATE message, so the key round-trips through any target.

Checkpoint rules (see :mod:`tap_telegram.sources.bot_api.source` for Telegram's side):

1. STATE with a page's last ``update_id`` is written after every record of that page
   was handed to the SDK, and before the request that confirms the page is sent.
2. The offset sent to Telegram is never beyond ``update_id`` + 1 of a page whose
   records and STATE are already on stdout.
3. A run's first call sends no offset (it confirms nothing); the updates up to the
   ``update_id`` of the STATE it was given are skipped when that update is still
   queued (the previous run's unconfirmed last page), then confirmed.

Loss window: updates of a page P are deleted by Telegram once the tap asks for the
page after P. If the pipeline dies after that request but before the *target*
persisted P's records and STATE, P's updates are gone: at most ``page_size`` updates
(one page), and only when the target, not just the tap, fails. A tap killed at any
other moment loses nothing: records it emitted without a following STATE are
re-emitted by the next run (duplicates, which targets upsert by primary key).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from singer_sdk import Stream
from singer_sdk.helpers.types import Context
from singer_sdk.singerlib.catalog import REPLICATION_LOG_BASED

from tap_telegram.singer.counters import ChatRun
from tap_telegram.singer.streams import MessagesStream

if TYPE_CHECKING:
    from tap_telegram.sources.bot_api.source import BotApiSource
    from tap_telegram.tap import TapTelegram

#: Key of the Bot API cursor inside the ``messages`` stream state.
CURSOR_KEY = "bot_api"


def read_cursor(stream_state: Mapping[str, Any]) -> int | None:
    """The last ``update_id`` a previous run delivered, or ``None`` on a first run."""
    value = (stream_state.get(CURSOR_KEY) or {}).get("update_id")
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def write_cursor(stream_state: dict[str, Any], update_id: int) -> None:
    """Remember ``update_id`` as the last one delivered.

    It only moves back when Telegram restarted its update ids (after a week without
    updates): then the new, lower ids are the ones to remember.
    """
    stream_state[CURSOR_KEY] = {"update_id": update_id}


class BotApiMessagesStream(MessagesStream):
    """``messages`` from a bot's updates; cursor rules in the module docstring."""

    @property  # type: ignore[override]
    def replication_key(self) -> str | None:
        """None: the cursor (``update_id``) is not a record field."""
        return None

    @replication_key.setter
    def replication_key(self, value: str | None) -> None:
        """Ignored: a catalog made for another source may name ``id``."""

    @property
    def forced_replication_method(self) -> str:
        """LOG_BASED, whatever the catalog says (see the module docstring)."""
        return REPLICATION_LOG_BASED

    @forced_replication_method.setter
    def forced_replication_method(self, value: str | None) -> None:
        """Ignored, like :attr:`replication_key`."""

    @property
    def partitions(self) -> list[dict[str, Any]] | None:
        """None: one cursor for all chats."""
        return None

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Records page by page; STATE after each page, before it is confirmed."""
        source: BotApiSource = self.source  # type: ignore[assignment]
        after = read_cursor(self.stream_state)
        self.logger.info(
            "bot_api: reading updates after update_id %s",
            "(none: first run)" if after is None else after,
        )
        per_chat = bool(self.config.get("stream_per_chat"))
        schemas_sent: set[str] = set()
        runs: dict[int, ChatRun] = {}  # for the run summary line
        try:
            yield from self._pages(source, after, per_chat, schemas_sent, runs)
        finally:
            for run in runs.values():
                self._tap.run_summary.add_chat(run)

    def _pages(
        self,
        source: BotApiSource,
        after: int | None,
        per_chat: bool,
        schemas_sent: set[str],
        runs: dict[int, ChatRun],
    ) -> Iterable[dict[str, Any]]:
        for page in source.update_pages(after):
            for record in page.records:
                runs.setdefault(record["chat_id"], ChatRun()).messages += 1
                if per_chat:
                    self._chat_suffix = str(abs(record["chat_id"]))
                    if self._chat_suffix not in schemas_sent:
                        schemas_sent.add(self._chat_suffix)
                        self._write_schema_message()
                yield record
            # Every record of the page has been written: checkpoint, then let the
            # generator confirm the page with its next request.
            write_cursor(self.stream_state, page.last_update_id)
            self.state_manager.is_flushed = False
            self._write_state_message()


def bot_api_streams(tap: TapTelegram, loaded: list[Stream]) -> list[Stream]:
    """The tap's streams for ``source: bot_api``: :class:`BotApiMessagesStream`, run first.

    A bot learns its chats from the updates, so ``messages`` must run before
    ``chats`` (the SDK runs streams by name) for ``chats`` to list them.
    """
    out = [BotApiMessagesStream(tap) if stream.name == "messages" else stream for stream in loaded]
    out.sort(key=lambda stream: stream.name != "messages")
    return out
