"""Streams for channel owners and moderators: ``admin_log`` (and the statistics streams).

``admin_log`` has one STATE partition per chat, like ``messages``
(:class:`~tap_telegram.singer.streams.ChatPartitioned`), with the event id as bookmark:
each run asks only for events after it, and STATE follows every page, so a crash never
leaves a bookmark ahead of the records written. Telegram keeps the log for 48 hours
only: the partition also remembers when the chat's log was last read (``read_at``) and
a run that comes later than that says, once per chat, that events may have been lost.

These streams are not selected by default (``selected_by_default``): a run without a
catalog, or one that does not select them, sends none of their requests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, ClassVar

import pendulum
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.helpers.types import Context
from typing_extensions import override

from tap_telegram.errors import ChatError
from tap_telegram.records.moderation import ADMIN_LOG_SCHEMA
from tap_telegram.singer.output import datetime_conformer
from tap_telegram.singer.streams import ChatPartitioned, bookmark_of
from tap_telegram.sources.base import Record, Source

#: How long Telegram keeps admin-log events (core.telegram.org/api/recent-actions).
ADMIN_LOG_RETENTION = dt.timedelta(hours=48)
#: Partition key: when the chat's admin log was last read completely (ISO 8601, UTC).
READ_AT = "read_at"


class AdminLogStream(ChatPartitioned[Source]):
    """Admin-log events of the selected channels and supergroups the account administers."""

    name = "admin_log"
    primary_keys: ClassVar[list[str]] = ["chat_id", "id"]
    schema = ADMIN_LOG_SCHEMA
    selected_by_default = False
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    _conform = staticmethod(datetime_conformer(ADMIN_LOG_SCHEMA))

    @override
    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        """Datetimes (the event's and its messages') to ISO 8601 strings."""
        return self._conform(row)

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """One chat's events after its bookmark, page by page, STATE between pages when due."""
        assert context is not None
        chat_id = int(context["chat_id"])
        label = self.source.chat_label(chat_id)
        if any(failure.chat == label for failure in self.source.failures):
            return
        partition = self.get_context_state(context)
        after_id = bookmark_of(self.get_starting_replication_key_value(context)) or 0
        now = dt.datetime.now(dt.timezone.utc)
        emitted = False
        try:
            pages = self.source.admin_log_pages(chat_id, after_id)
            if pages is None:
                return
            self._warn_if_late(label, partition.get(READ_AT), now)
            for index, page in enumerate(pages):
                if index:
                    # Every record of the previous page has been written.
                    self.write_state_if_due()
                yield from page
                emitted = emitted or bool(page)
            partition[READ_AT] = now.isoformat(timespec="seconds")
            self.mark_state_changed()
        except ChatError as error:
            self.write_state_if_changed()  # the chat's progress up to the failure
            self.source.chat_failed(error)
        finally:
            if emitted:
                self.write_state_if_due()

    def _warn_if_late(self, label: str, read_at: Any, now: dt.datetime) -> None:
        """One warning when the last read is older than Telegram keeps events."""
        if not isinstance(read_at, str):
            return
        try:
            last = pendulum.parse(read_at)
        except (ValueError, pendulum.parsing.exceptions.ParserError):
            return
        if not isinstance(last, dt.datetime) or now - last <= ADMIN_LOG_RETENTION:
            return
        hours = (now - last).total_seconds() / 3600
        self.logger.warning(
            "chat %s: admin_log last read %.0f hours ago; Telegram keeps events 48 hours, "
            "so older ones may be lost: run at least every 48 hours (hourly is safe)",
            label,
            hours,
        )
