"""The SDK ceiling: a plain singer-sdk tap that yields prebuilt records of the tap's shape.

    python -m bench.ceiling --world spec.json > /dev/null

It maps the first :data:`TEMPLATES` messages of each chat of the world with the tap's
own mapping (so records have exactly the shape, sizes and nesting the tap emits),
then yields ``messages`` records per chat by cycling through them with ascending ids:
no fetching, no Telethon, only the SDK and the same schema. By default it is a stock
SDK tap (the SDK's msgspec writer, recursive type conformance); ``--tuned`` gives it
the tap's own output tuning (:mod:`tap_telegram.singer.output`: datetime-only conformance,
flush per page), so the tap's fetching overhead can be told apart from output costs.
Prints nothing but Singer messages; the record count goes to stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Generator, Iterable
from typing import Any, ClassVar

from singer_sdk import Stream, Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.helpers.types import Context
from singer_sdk.singerlib import RecordMessage

from tap_telegram.records.schemas import MESSAGE_SCHEMA
from tap_telegram.records.types import plain
from tap_telegram.singer.output import PageFlushWriter, datetime_conformer
from tap_telegram.sources.mtproto.mapping.messages import PeerIndex, map_message
from tests.fake_telegram.history import with_entities
from tests.fake_telegram.spec import load_spec, world_from_spec
from tests.fake_telegram.world import World

TEMPLATES = 1_000


def templates(world: World, key: str) -> list[dict[str, Any]]:
    """Records of the chat's first messages, mapped by the tap's own mapping."""
    chat = world.chat(key)
    count = min(TEMPLATES, chat.total)
    messages = [world.factory.build(chat, n) for n in range(1, count + 1)]
    users, chats = with_entities(world, messages)
    peers = PeerIndex.from_response(users, chats, world.self_user.id)
    chat_id = world.marked_id(chat)
    out = [map_message(message, chat_id, peers) for message in messages]
    return [plain(record) for record in out if record is not None]


class CeilingStream(Stream):
    """Messages of every chat of the world, from templates; one partition per chat."""

    name = "messages"
    primary_keys: ClassVar[list[str]] = ["chat_id", "id"]
    replication_key = "id"
    is_sorted = True
    schema = MESSAGE_SCHEMA

    world: World

    @property
    def partitions(self) -> list[dict[str, Any]]:
        return [{"chat_id": self.world.marked_id(key)} for key in self.world.chats]

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        assert context is not None
        chat = self.world.chat(int(context["chat_id"]))
        prebuilt = templates(self.world, chat.key)
        width = len(prebuilt)
        for message_id in range(1, chat.total + 1):
            record = dict(prebuilt[(message_id - 1) % width])
            record["id"] = message_id
            yield record


class TunedCeilingStream(CeilingStream):
    """The same with the tap's conformance: datetimes only, compiled from the schema."""

    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    _conform = staticmethod(datetime_conformer(MESSAGE_SCHEMA))

    def _generate_record_messages(self, record: dict) -> Generator[RecordMessage, None, None]:
        yield from super()._generate_record_messages(self._conform(record))


class CeilingTap(Tap):
    """A tap with nothing but the SDK between prebuilt records and stdout."""

    name = "tap-ceiling"
    message_writer_class = MsgSpecWriter
    config_jsonschema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}
    world: World
    stream_class: type[CeilingStream] = CeilingStream

    def discover_streams(self) -> list[Stream]:
        stream = self.stream_class(self)
        stream.world = self.world
        return [stream]


class TunedCeilingTap(CeilingTap):
    """Stock SDK plus the tap's output tuning."""

    message_writer_class = PageFlushWriter
    stream_class = TunedCeilingStream


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--world", required=True, help="fake Telegram JSON spec")
    parser.add_argument("--tuned", action="store_true", help="the tap's output tuning")
    args = parser.parse_args(argv)
    world = world_from_spec(load_spec(args.world))
    tap_class = TunedCeilingTap if args.tuned else CeilingTap
    tap_class.world = world
    tap = tap_class(config={}, setup_mapper=True)
    tap.sync_all()
    total = sum(chat.total for chat in world.chats.values())
    sys.stderr.write(f"ceiling: {total} records\n")


if __name__ == "__main__":
    main()
