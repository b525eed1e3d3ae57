"""The fence around singer-sdk: every private or ``@final`` SDK name the tap uses, and only here.

The SDK offers no public hook for a few things the tap must do. Each is wrapped here
behind a hook of the tap's own (public names, documented below), so the rest of the
code uses public SDK API only. ``tests/singer/test_sdk_private.py`` checks every SDK
behaviour these wrappers rely on, one test each: an SDK upgrade that changes one fails
there, not in a user's pipeline. Versions checked: singer-sdk 0.54.

Each is here for correctness, except three kept for speed because they pay
(``python -m bench.overrides`` and ``python -m bench --only state``, with and without,
back to back): :class:`IndexedStateManager` (without it the CPU per message grows with
the chats: a scan of every partition per record), :class:`LineStateWriter` (with STATE
after every page, a first run over 500 chats cost 2.5 x the tap's CPU without it; at
the cadence it matters little, and it also measures each STATE for the cadence) and the
record loop of :meth:`SdkStream._generate_record_messages` (18 % more of the tap's CPU
per message at 0 ms without it). docs/development.md, "The singer-sdk fence", lists each
member, what it is for and the test that fails without it. (One file of ~480 lines on
purpose: every private SDK name the tap uses is here and nowhere else.)

Tap side, :class:`SdkTap`:

* ``Tap.sync_all`` (``@final``): the one place that sees a run start and end, in the
  CLI and in the SDK's test runners alike. The source is opened before the first
  stream and closed after the last (sockets, event loop, a takeout), and the run
  summary is logged on every exit path. Hook: :meth:`SdkTap.run_scope`.
* ``PluginBase._handle_termination``: on SIGTERM/SIGINT the SDK writes STATE and exits
  0; an interrupted sync is not a successful one, so it exits 128 + the signal. A
  signal that arrives while a page is being written waits for that write to end (else
  a cut line, then the page again). In a batch run it writes no STATE: the state in
  memory covers records that are in no batch file yet, and the last STATE written
  already covers everything delivered.
* ``Tap._state_writer`` (a ``singer_sdk.helpers._state.StateWriter``): the SDK keeps a
  deep copy of every STATE it writes, to skip an unchanged one next time. STATE holds
  a bookmark per chat and what the source remembers per chat; written after every page
  (``state_every_seconds: 0``) that copy made a run over N chats cost N² (minutes for
  2,000 chats). :class:`LineStateWriter` compares the encoded line instead, with the
  same effect, and reports each STATE's size to the run's cadence.
* ``PluginBase._validate_config`` and ``PluginBase._config``: the SDK's messages quote
  the bad value, and for ``api_hash`` or ``session_string`` that is a secret. The
  SDK's validator also fills in defaults, which needs the mutable config dict (the
  public ``config`` is read-only). Hook: :meth:`SdkTap.check_config`.

Stream side, :class:`SdkStream`:

* ``Stream._write_state_message`` and ``state_manager.is_flushed``: STATE at the run's
  cadence (:mod:`tap_telegram.singer.cadence`, by records and by time, between pages),
  when a chat fails and at the end, not only every 10,000 records (SDK issue #2879).
  Hooks: :meth:`SdkStream.mark_state_changed`, :meth:`SdkStream.write_state_if_changed`,
  :meth:`SdkStream.write_state_if_due`, :meth:`SdkStream.checkpoint`. The SDK's own
  ``STATE_MSG_FREQUENCY`` (every 10,000 records, whatever the STATE's size) is off.
* ``Stream.state_manager`` (with ``Stream._state_manager``, ``Stream._tap_state`` and
  ``singer_sdk.streams._state.StreamStateManager``): the SDK finds a partition's state
  by scanning every partition, once per record; :class:`IndexedStateManager` finds it
  through a dict kept in step with the SDK's list (speed: CPU per message no longer
  grows with the chats).
* ``Stream._sync_batches`` (with ``Stream._sync_records``, ``Stream._tap`` and the
  SDK's ``SDKBatchMessage``): a batch run (``batch_config``) in the SDK's own order,
  a BATCH message and then the STATE it covers, but with the tap's checkpoints in
  it. The SDK's path cuts batches inside its own loop, so STATE the stream writes
  between pages would claim records still in memory, and a stream whose next request
  has an effect (the Bot API confirms updates) could not have its records written
  out first. Here records wait in memory, grouped by the stream name their RECORD
  message would carry (suffix, stream maps and property selection applied), until
  ``batch_size`` of them are waiting or the stream asks for a :meth:`SdkStream.checkpoint`;
  then every group becomes a batch file (the SDK's ``Batcher``) and a BATCH message,
  and only then is STATE written. In a batch run :meth:`SdkStream.write_state_if_changed`
  writes nothing: STATE comes with the next BATCH messages.
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
* The text of ``Stream.sync``'s log line before it re-raises an error that ended the
  stream (:data:`SDK_UNHANDLED_ERROR`): an error the tap prints itself, as the one line
  that says what to do, would only be buried under it. Hook:
  :meth:`SdkStream.reports_error_itself`.
"""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
import logging
import sys
from collections.abc import Generator
from types import FrameType
from typing import TYPE_CHECKING, Any

from singer_sdk import Stream, Tap
from singer_sdk.batch import Batcher
from singer_sdk.contrib.msgspec import serialize_jsonl
from singer_sdk.helpers._batch import SDKBatchMessage
from singer_sdk.helpers._state import StateWriter
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.helpers.types import Context, TapState
from singer_sdk.plugin_base import JSONSchemaValidator
from singer_sdk.singerlib import RecordMessage, StateMessage
from singer_sdk.streams._state import StreamStateManager
from typing_extensions import override

from tap_telegram.singer.cadence import StateCadence

if TYPE_CHECKING:
    from jsonschema import ValidationError
    from singer_sdk.helpers._batch import BatchConfig
    from singer_sdk.io_base import GenericSingerWriter
    from singer_sdk.metrics import Counter
    from singer_sdk.singerlib import SchemaMessage


#: How ``Stream.sync`` begins the line it logs before re-raising any error that ended a
#: stream's sync (singer-sdk 0.54: "An unhandled error occurred while syncing '%s'").
SDK_UNHANDLED_ERROR = "An unhandled error occurred"


class LineStateWriter(StateWriter):
    """The SDK's STATE writer, telling an unchanged state by its encoded line.

    The SDK's compares with a deep copy of the last state (``copy.deepcopy`` per
    STATE): encoding is an order of magnitude cheaper, and equal lines mean equal
    states (keys keep their order in a dict). Every STATE written is reported to the
    run's :class:`~tap_telegram.singer.cadence.StateCadence` with its size.
    """

    def __init__(
        self, message_writer: GenericSingerWriter[Any, Any], cadence: StateCadence | None = None
    ) -> None:
        super().__init__(message_writer)
        self._last_line: bytes | None = None
        self._cadence = cadence if cadence is not None else StateCadence()

    @override
    def write_state(self, state: TapState) -> None:
        """Write a STATE message unless the state is the one written last."""
        line = bytes(serialize_jsonl(state))
        if line != self._last_line:
            self._message_writer.write_message(StateMessage(value=state))
            self._last_line = line
            self._cadence.wrote(len(line))


class IndexedStateManager(StreamStateManager):
    """The SDK's state manager, finding a partition's state through an index.

    The SDK finds a context's partition by scanning the stream's whole partition list
    (``_find_in_partitions_list``, from ``get_writeable_state_dict``), and it does so
    for every record (``increment_state``) and at every partition's start and end:
    135 us a record at 2,000 chats, 938 us at 10,000 (issue 26). Here a dict from the
    context (its items, sorted) to the partition's position in that list answers in
    O(1). The list stays the SDK's own (it is what STATE holds); the index is checked
    on every hit (the entry at that position still has that context) and rebuilt when
    the list was replaced, grew or shrank behind its back, so it never returns a
    partition that is not in STATE. A duplicate context, an unhashable one or no
    partitions at all are left to the SDK (which raises on duplicates, as before).
    """

    _index: dict[tuple[tuple[str, Any], ...], int] | None = None
    _indexed: list[dict[str, Any]] | None = None
    _duplicates: bool = False

    @override
    def get_context_state(self, context: Context | None) -> dict[str, Any]:
        """The context's writable partition state (created when missing), in O(1)."""
        partition_context = self.get_state_partition_context(context)
        if not partition_context:
            return super().get_context_state(context)
        try:
            key = tuple(sorted(partition_context.items()))
            hash(key)
        except TypeError:
            return super().get_context_state(context)
        partitions = self._partitions()
        if partitions is None:
            return super().get_context_state(context)
        if partitions is not self._indexed or len(partitions) != len(self._index or ()):
            self._rebuild(partitions)
        if self._duplicates:
            return super().get_context_state(context)
        assert self._index is not None
        position = self._index.get(key)
        if position is not None:
            found = partitions[position] if position < len(partitions) else None
            if found is not None and found.get("context") == partition_context:
                return found
            self._rebuild(partitions)  # changed in place: look again
            position = self._index.get(key)
            if position is not None:
                return partitions[position]
        # Not in STATE yet: created the SDK's way (``_create_in_partitions_list``).
        created: dict[str, Any] = {"context": dict(partition_context)}
        partitions.append(created)
        self._index[key] = len(partitions) - 1
        return created

    def _partitions(self) -> list[dict[str, Any]] | None:
        """The stream's partition list in STATE (made empty if missing), None if unusable."""
        stream_state = self.stream_state
        partitions = stream_state.setdefault("partitions", [])
        return partitions if isinstance(partitions, list) else None

    def _rebuild(self, partitions: list[dict[str, Any]]) -> None:
        """Index every partition of ``partitions`` by its context."""
        index: dict[tuple[tuple[str, Any], ...], int] = {}
        duplicates = False
        for position, partition in enumerate(partitions):
            context = partition.get("context") if isinstance(partition, dict) else None
            try:
                key = tuple(sorted(context.items())) if isinstance(context, dict) else None
                hash(key)
            except TypeError:
                key = None
            if key is None:
                # An entry the index cannot hold: count it so the length check holds.
                key = (("", position),)
            duplicates = duplicates or key in index
            index[key] = position
        self._index, self._indexed, self._duplicates = index, partitions, duplicates


class SdkTap(Tap):
    """A Tap whose run, termination and config check go through the hooks below."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        #: When the next STATE is due (every stream of the run counts into it).
        self.state_cadence = StateCadence()
        super().__init__(*args, **kwargs)
        self._state_writer = LineStateWriter(self.message_writer, self.state_cadence)

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
        """Write STATE like the SDK does (not in a batch run), then exit 128 + the signal.

        An interrupted sync is not a successful one: Meltano and schedulers must see it.
        A signal that comes while the writer is writing waits for the write to end
        (:meth:`tap_telegram.singer.output.PageFlushWriter.after_write`). In a batch run
        the state in memory may cover records that wait for their batch file: the last
        STATE written, which follows the BATCH messages it covers, stands.
        """
        after_write = getattr(self.message_writer, "after_write", None)
        if after_write is not None and after_write(lambda: self._handle_termination(signum, frame)):
            return  # a page is being written: its lines end whole, then this runs again
        if self.config.get("batch_config"):
            self.logger.info("Shutting down: batch run, the last STATE written stands")
            raise SystemExit(128 + signum)
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

    def reports_error_itself(self, error: BaseException) -> bool:
        """Hook: whether ``error``, ending this stream's sync, is printed by the tap itself.

        If so, the SDK's generic line before it (:data:`SDK_UNHANDLED_ERROR`) is left
        out. Default: no error is.
        """
        return False

    @override
    def log(self, message: str, *args: Any, level: int = logging.INFO, **kwargs: Any) -> None:
        """The SDK's stream log, minus its "unhandled error" line where the tap reports it."""
        if message.startswith(SDK_UNHANDLED_ERROR):
            error = sys.exc_info()[1]
            if error is not None and self.reports_error_itself(error):
                return
        super().log(message, *args, level=level, **kwargs)

    #: In a batch run, the records not yet in a batch file, by the stream name of their
    #: RECORD message; None outside a batch run.
    _unbatched: dict[str, list[dict[str, Any]]] | None = None
    #: How many records (before stream maps) wait in :attr:`_unbatched`.
    _unbatched_count = 0
    _batch_config: BatchConfig | None = None
    _batch_counter: Counter | None = None

    #: The SDK writes STATE every ``STATE_MSG_FREQUENCY`` records whatever its size; the
    #: run's :class:`~tap_telegram.singer.cadence.StateCadence` decides instead
    #: (:meth:`write_state_if_due`).
    STATE_MSG_FREQUENCY = sys.maxsize

    @property
    @override
    def state_manager(self) -> StreamStateManager:
        """The SDK's manager, indexing the partitions (:class:`IndexedStateManager`)."""
        if self._state_manager is None:
            self._state_manager = IndexedStateManager(
                tap_name=self.tap_name,
                stream_name=self.name,
                tap_state=self._tap_state,
                state_partitioning_keys=self.state_partitioning_keys,
                is_sorted=self.is_sorted,
                check_sorted=self.check_sorted,
            )
        return self._state_manager

    @property
    def state_cadence(self) -> StateCadence:
        """The run's cadence of STATE messages (one per tap; a stream alone gets its own)."""
        cadence = getattr(self._tap, "state_cadence", None)
        if not isinstance(cadence, StateCadence):
            cadence = self.__dict__.setdefault("_own_cadence", StateCadence())
        return cadence

    def write_state_if_due(self) -> None:
        """Write STATE now if it changed and the cadence says one is due (else later).

        Called where STATE may be written (every record so far is written and the state
        in memory covers no other): between pages, at a chat's end. The end of the
        stream, a failing chat and a termination signal write it whatever the cadence.
        """
        if self.state_cadence.due():
            self.write_state_if_changed()

    def mark_state_changed(self) -> None:
        """Note that STATE changed without a record (so it is written next time)."""
        self.state_manager.is_flushed = False

    def write_state_if_changed(self) -> None:
        """Write a STATE message now if anything changed since the last one.

        In a batch run it writes nothing: there STATE follows the next BATCH messages
        (after ``batch_size`` records, a :meth:`checkpoint` or the stream's end), so
        that it never claims records that are in no batch file yet.
        """
        if self._unbatched is None:
            self._write_state_message()

    def checkpoint(self) -> None:
        """Deliver every record handed to the SDK so far, then write STATE if it changed.

        For a stream whose next request has an effect (the Bot API's next getUpdates
        confirms the updates read so far): outside a batch run the records are on
        stdout already; in a batch run the waiting ones are written to batch files and
        announced by BATCH messages first.
        """
        self._write_batches()
        self._write_state_message()

    @override
    def _sync_batches(self, batch_config: BatchConfig, context: Context | None = None) -> None:
        """The SDK's batch sync in its order (BATCH, then STATE), with our checkpoints.

        See the module docstring; records go through the RECORD path
        (``_generate_record_messages``) so a batch file holds what RECORD messages
        would have carried.
        """
        self._unbatched, self._unbatched_count = {}, 0
        self._batch_config = batch_config
        try:
            with self.get_batch_counter() as counter:
                self._batch_counter = counter
                for record in self._sync_records(context, write_messages=False):
                    for message in self._generate_record_messages(record):
                        self._unbatched.setdefault(message.stream, []).append(message.record)
                    self._unbatched_count += 1
                    if self._unbatched_count >= batch_config.batch_size:
                        self.checkpoint()
                self.checkpoint()
        finally:
            # Records still waiting (an error ended the stream) are covered by no STATE.
            self._unbatched, self._batch_counter = None, None

    def _write_batches(self) -> None:
        """Every waiting record into a batch file per stream name, each announced by BATCH."""
        config = self._batch_config
        if self._unbatched is None or config is None:
            return
        self._unbatched_count = 0
        if not self._unbatched:  # every record so far was filtered out by a stream map
            return
        for stream_name, records in self._unbatched.items():
            batcher = Batcher(tap_name=self.tap_name, stream_name=stream_name, batch_config=config)
            for manifest in batcher.get_batches(records=iter(records)):
                message = SDKBatchMessage(
                    stream=stream_name, encoding=config.encoding, manifest=manifest
                )
                self._tap.write_message(message)
                if self._batch_counter is not None:
                    self._batch_counter.increment()
        self._unbatched.clear()
        self.mark_state_changed()

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
        self.state_cadence.count()
        if self.moves_bookmark(latest_record, context):
            super()._increment_stream_state(latest_record, context=context)
