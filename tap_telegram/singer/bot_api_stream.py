"""The ``messages`` stream of an update log (``source: bot_api``): a log read by ``update_id``.

The tap uses :class:`UpdateLogMessagesStream` for any source class that is an
:class:`~tap_telegram.sources.base.UpdateLogSource`; the Bot API is the one today.

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
   was handed to the SDK, and before the request that confirms the page is sent. In
   a batch run (``batch_config``) the page's records are first written to batch
   files and announced by BATCH messages
   (:meth:`~tap_telegram.singer.sdk_private.SdkStream.checkpoint`).
2. The offset sent to Telegram is never beyond ``update_id`` + 1 of a page whose
   records (or BATCH messages) and STATE are already on stdout.
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
from typing import Any

from singer_sdk.helpers.types import Context
from singer_sdk.singerlib.catalog import REPLICATION_LOG_BASED
from typing_extensions import override

from tap_telegram.singer.counters import ChatRun
from tap_telegram.singer.streams import MessagesStreamBase
from tap_telegram.sources.base import UpdateLogSource

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


class UpdateLogMessagesStream(MessagesStreamBase[UpdateLogSource]):
    """``messages`` from an update log; cursor rules in the module docstring.

    Synced first: the source learns its chats from the updates, and ``chats`` must
    list them.
    """

    sync_first = True

    @property
    @override
    def replication_key(self) -> str | None:
        """None: the cursor (``update_id``) is not a record field."""
        return None

    @replication_key.setter
    def replication_key(self, value: str | None) -> None:
        """Ignored: a catalog made for another source may name ``id``."""

    @property
    @override
    def forced_replication_method(self) -> str:
        """LOG_BASED, whatever the catalog says (see the module docstring)."""
        return REPLICATION_LOG_BASED

    @forced_replication_method.setter
    def forced_replication_method(self, value: str | None) -> None:
        """Ignored, like :attr:`replication_key`."""

    @property
    @override
    def partitions(self) -> list[dict[str, Any]] | None:
        """None: one cursor for all chats (even if a STATE of another source has partitions)."""
        return None

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Records page by page; STATE after each page, before it is confirmed."""
        after = read_cursor(self.stream_state)
        self.logger.info(
            "bot_api: reading updates after update_id %s",
            "(none: first run)" if after is None else after,
        )
        runs: dict[int, ChatRun] = {}  # for the run summary line
        try:
            yield from self._pages(after, runs)
        finally:
            for run in runs.values():
                self.host.run_summary.add_chat(run)

    def _pages(self, after: int | None, runs: dict[int, ChatRun]) -> Iterable[dict[str, Any]]:
        per_chat = self.host.settings.stream_per_chat
        schemas_sent: set[str] = set()
        for page in self.source.update_pages(after):
            for record in page.records:
                runs.setdefault(record["chat_id"], ChatRun()).messages += 1
                if per_chat:
                    self.enter_chat_stream(record["chat_id"])
                    if self.message_suffix not in schemas_sent:
                        schemas_sent.add(self.message_suffix)
                        self.write_schema_now()
                yield record
            # Every record of the page has been handed over: deliver it (in a batch
            # run: batch files and BATCH messages), checkpoint, and only then let the
            # generator confirm the page with its next request.
            write_cursor(self.stream_state, page.last_update_id)
            self.mark_state_changed()
            self.checkpoint()
