"""The fence around singer-sdk: every private or ``@final`` SDK name the tap uses, and only here.

The SDK offers no public hook for a few things the tap must do. Each is wrapped here
behind a hook of the tap's own (public names, documented below), so the rest of the
code uses public SDK API only. ``tests/singer/test_sdk_private.py`` checks every SDK
behaviour these wrappers rely on, one test each: an SDK upgrade that changes one fails
there, not in a user's pipeline. Versions checked: singer-sdk 0.54.

Tap side, :class:`SdkTap`:

* ``Tap.sync_all`` (``@final``): the one place that sees a run start and end, in the
  CLI and in the SDK's test runners alike. The source is opened before the first
  stream and closed after the last (sockets, event loop, a takeout), and the run
  summary is logged on every exit path. Hook: :meth:`SdkTap.run_scope`.
* ``PluginBase._handle_termination``: on SIGTERM/SIGINT the SDK writes STATE and exits
  0; an interrupted sync is not a successful one, so it exits 128 + the signal.
* ``Tap._state_writer`` (a ``singer_sdk.helpers._state.StateWriter``): the SDK keeps a
  deep copy of every STATE it writes, to skip an unchanged one next time. STATE holds
  a bookmark per chat and what the source remembers per chat, and is written after
  every page, so that copy made a run over N chats cost N² (minutes for 2,000 chats).
  :class:`LineStateWriter` compares the encoded line instead, with the same effect.
* ``PluginBase._validate_config`` and ``PluginBase._config``: the SDK's messages quote
  the bad value, and for ``api_hash`` or ``session_string`` that is a secret. The
  SDK's validator also fills in defaults, which needs the mutable config dict (the
  public ``config`` is read-only). Hook: :meth:`SdkTap.check_config`.

Stream side, :class:`SdkStream`:

* ``Stream._write_state_message`` and ``state_manager.is_flushed``: STATE after every
  page and at the end of every chat, not only every 10,000 records (SDK issue #2879).
  Hooks: :meth:`SdkStream.mark_state_changed`, :meth:`SdkStream.write_state_if_changed`.
* ``Stream._write_schema_message``: a SCHEMA message when a new chat's stream starts
  (``stream_per_chat``). Hook: :meth:`SdkStream.write_schema_now`.
* ``Stream._generate_schema_messages`` / ``Stream._generate_record_messages``: the
  per-chat stream name (``messages_<chat>``) on SCHEMA and RECORD messages. Hooks:
  :attr:`SdkStream.message_suffix`, :meth:`SdkStream.announces_schema`. When every
  property is selected and conformance is off, RECORD messages are made by the SDK's
  stream-map loop alone (with ``Stream._stream_version``), skipping a per-record walk
  that would change nothing; otherwise by the SDK's own method.
* ``Stream._increment_stream_state``: re-read rows and tombstones (lookback) must not
  move the bookmark, nor trip the SDK's sort check. Hook: :meth:`SdkStream.moves_bookmark`.
"""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
from collections.abc import Generator
from types import FrameType
from typing import TYPE_CHECKING, Any

from singer_sdk import Stream, Tap
from singer_sdk.contrib.msgspec import serialize_jsonl
from singer_sdk.helpers._state import StateWriter
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.helpers.types import Context, TapState
from singer_sdk.plugin_base import JSONSchemaValidator
from singer_sdk.singerlib import RecordMessage, StateMessage
from typing_extensions import override

if TYPE_CHECKING:
    from jsonschema import ValidationError
    from singer_sdk.io_base import GenericSingerWriter
    from singer_sdk.singerlib import SchemaMessage


class LineStateWriter(StateWriter):
    """The SDK's STATE writer, telling an unchanged state by its encoded line.

    The SDK's compares with a deep copy of the last state (``copy.deepcopy`` per
    STATE): encoding is an order of magnitude cheaper, and equal lines mean equal
    states (keys keep their order in a dict).
    """

    def __init__(self, message_writer: GenericSingerWriter[Any, Any]) -> None:
        super().__init__(message_writer)
        self._last_line: bytes | None = None

    @override
    def write_state(self, state: TapState) -> None:
        """Write a STATE message unless the state is the one written last."""
        line = bytes(serialize_jsonl(state))
        if line != self._last_line:
            self._message_writer.write_message(StateMessage(value=state))
            self._last_line = line


class SdkTap(Tap):
    """A Tap whose run, termination and config check go through the hooks below."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._state_writer = LineStateWriter(self.message_writer)

    @abc.abstractmethod
    def run_scope(self) -> contextlib.AbstractContextManager[None]:
        """Hook: a context entered before the first stream syncs and left after the last.

        Left on every exit path (an exception from a stream passes through it).
        """

    @abc.abstractmethod
    def check_config(self, errors: list[ValidationError], *, raise_errors: bool) -> list[str]:
        """Hook: the config's schema errors as messages (raise them when ``raise_errors``).

        Called while the SDK builds the tap, after defaults were filled in.
        """

    @override  # type: ignore[misc]  # @final in the SDK (see the module docstring)
    def sync_all(self) -> None:
        """The SDK's sync of every selected stream, inside :meth:`run_scope`."""
        with self.run_scope():
            super().sync_all()

    @override
    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """Write STATE like the SDK does, then exit 128 + the signal, not 0.

        An interrupted sync is not a successful one: Meltano and schedulers must see it.
        """
        try:
            super()._handle_termination(signum, frame)
        except SystemExit:
            raise SystemExit(128 + signum) from None

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The SDK's validation (it fills in defaults) with :meth:`check_config`'s wording."""
        schema = self.config_jsonschema
        self.append_builtin_config(schema)
        errors = list(JSONSchemaValidator(schema).iter_errors(self._config))
        return self.check_config(errors, raise_errors=raise_errors)


class SdkStream(Stream):
    """A Stream that checkpoints when told to and names its messages per chat."""

    #: Appended to the stream name of this stream's SCHEMA and RECORD messages
    #: (``stream_per_chat``: ``messages`` → ``messages_<chat>``); "" leaves it as is.
    message_suffix: str = ""

    def announces_schema(self) -> bool:
        """Hook: whether SCHEMA messages go out now (the SDK sends one as a sync starts)."""
        return True

    def moves_bookmark(self, record: dict[str, Any], context: Context | None) -> bool:
        """Hook: whether ``record`` may advance the bookmark. Default: every record may."""
        return True

    def mark_state_changed(self) -> None:
        """Note that STATE changed without a record (so it is written next time)."""
        self.state_manager.is_flushed = False

    def write_state_if_changed(self) -> None:
        """Write a STATE message now if anything changed since the last one."""
        self._write_state_message()

    def write_schema_now(self) -> None:
        """Write this stream's SCHEMA message(s) now (under the current suffix)."""
        self._write_schema_message()

    @override
    def _generate_schema_messages(self) -> Generator[SchemaMessage, None, None]:
        if not self.announces_schema():
            return
        for message in super()._generate_schema_messages():
            message.stream += self.message_suffix
            yield message

    @override
    def _generate_record_messages(
        self, record: dict[str, Any]
    ) -> Generator[RecordMessage, None, None]:
        if not self._sdk_path_is_a_loop():
            for message in super()._generate_record_messages(record):
                message.stream += self.message_suffix
                yield message
            return
        # What the SDK's method does when it has nothing to pop and nothing to conform.
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                yield RecordMessage(
                    stream=stream_map.stream_alias + self.message_suffix,
                    record=mapped,
                    version=self._stream_version,
                    time_extracted=dt.datetime.now(dt.timezone.utc),
                )

    _loop_only: bool | None = None

    def _sdk_path_is_a_loop(self) -> bool:
        """Whether the SDK's record path reduces to its stream-map loop (decided once a run).

        It does when the catalog selects every property (its walk that pops deselected
        ones, the largest SDK cost per record in ``python -m bench.profile``, ~7 % of
        the 0 ms bench, then changes nothing) and type conformance is off (the SDK then
        returns the record as it is). tests/singer/test_sdk_private.py compares both paths.
        """
        if self._loop_only is None:
            self._loop_only = self.TYPE_CONFORMANCE_LEVEL == TypeConformanceLevel.NONE and all(
                self.mask.values()
            )
        return self._loop_only

    @override
    def _increment_stream_state(
        self, latest_record: dict[str, Any], *, context: Context | None = None
    ) -> None:
        if self.moves_bookmark(latest_record, context):
            super()._increment_stream_state(latest_record, context=context)
