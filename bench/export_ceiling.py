"""The export path's SDK ceiling: a singer-sdk tap that yields the export's own records, prebuilt.

    python -m bench.export_ceiling --export result.json [--stock] > /dev/null

Reads every chat of the export with the tap's own :class:`ExportSource` *before* the
sync (its CPU time is reported apart, so the runner can take it out), keeps the
``messages`` records in memory, and then lets a plain singer-sdk tap write exactly
those records: no file reading, no mapping, only the SDK. By default it is the
optimised SDK tap (:mod:`bench.ceiling`'s tuned stream: the tap's datetime-only
conformance and its page-flushing msgspec writer); ``--stock`` gives the stock SDK
(msgspec writer, recursive conformance). Same records, same order, same partitions
(one per chat) as the tap: the bench hashes both streams and compares.

Prints nothing but Singer messages; ``export-ceiling: N records, prebuilt in S s CPU``
goes to stderr.
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys
import time
from collections.abc import Generator, Iterable
from typing import Any, ClassVar

from singer_sdk import Stream, Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.helpers.types import Context
from singer_sdk.singerlib import RecordMessage
from typing_extensions import override

from tap_telegram.records.schemas import MESSAGE_SCHEMA
from tap_telegram.singer.output import PageFlushWriter, datetime_conformer
from tap_telegram.sources.base import MessageQuery, SourceContext
from tap_telegram.sources.export.source import ExportSource


def prebuild(path: str) -> dict[int, list[dict[str, Any]]]:
    """Every chat's ``messages`` records, as the tap's export source builds them."""
    source = ExportSource(SourceContext({"export_path": path}, logging.getLogger("ceiling")))
    try:
        return {
            chat["id"]: [
                record
                for page in source.history_pages(MessageQuery(chat_id=chat["id"]))
                for record in page
            ]
            for chat in source.chats()
        }
    finally:
        source.close()


class ExportCeilingStream(Stream):
    """Prebuilt records of every chat; one partition per chat, like the tap's stream."""

    name = "messages"
    primary_keys: ClassVar[list[str]] = ["chat_id", "id"]
    replication_key = "id"
    is_sorted = True
    schema = MESSAGE_SCHEMA
    records: ClassVar[dict[int, list[dict[str, Any]]]] = {}

    @property
    @override
    def partitions(self) -> list[dict[str, Any]]:
        return [{"chat_id": chat_id} for chat_id in self.records]

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        assert context is not None
        return self.records[int(context["chat_id"])]


class TunedExportCeilingStream(ExportCeilingStream):
    """The same with the tap's conformance (datetimes only)."""

    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    _conform = staticmethod(datetime_conformer(MESSAGE_SCHEMA))

    @override
    def _generate_record_messages(self, record: dict) -> Generator[RecordMessage, None, None]:
        yield from super()._generate_record_messages(self._conform(record))


class StockExportCeilingTap(Tap):
    """Stock singer-sdk: msgspec writer, recursive conformance.

    (Not :class:`bench.ceiling.CeilingTap`: that module imports the fake Telegram and
    Telethon, start-up CPU the tap's export path does not pay.)
    """

    name = "tap-export-ceiling"
    message_writer_class = MsgSpecWriter
    config_jsonschema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}

    @override
    def discover_streams(self) -> list[Stream]:
        return [ExportCeilingStream(self)]


class ExportCeilingTap(StockExportCeilingTap):
    """singer-sdk with the tap's output tuning: the optimised ceiling."""

    message_writer_class = PageFlushWriter

    @override
    def discover_streams(self) -> list[Stream]:
        return [TunedExportCeilingStream(self)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--export", required=True, help="the export file (result.json)")
    parser.add_argument("--stock", action="store_true", help="the stock SDK, not the tuned one")
    args = parser.parse_args(argv)
    gc.disable()  # collections walking the growing prebuilt heap would count as prebuild
    began = time.process_time()
    ExportCeilingStream.records = prebuild(args.export)
    spent = time.process_time() - began
    gc.collect()
    gc.freeze()  # the prebuilt records are no garbage: no collection walks them
    gc.enable()
    tap_class = StockExportCeilingTap if args.stock else ExportCeilingTap
    tap_class(config={}, setup_mapper=True).sync_all()
    total = sum(len(records) for records in ExportCeilingStream.records.values())
    sys.stderr.write(f"export-ceiling: {total} records, prebuilt in {spent:.3f} s CPU\n")


if __name__ == "__main__":
    main()
