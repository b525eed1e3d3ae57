"""The Singer stream checker: a tap run's whole stdout proves its own output, line by line.

The tap's central promise is that no STATE ever covers a record not yet written, and that
an update-log position (a channel's ``pts``, the account's ``account_log``) moves only
after the edits and tombstones it covers are written. :func:`check_stream` reads a run's
stdout in order and raises :class:`StreamViolation` ("line N: ...") at the first line
that breaks it:

* a line that is not a Singer message (a cut line), a RECORD before its stream's SCHEMA;
* a STATE bookmark (``replication_key_value`` of a partition or of a stream, and
  ``progress_markers``) above both the input bookmark and the highest value of that key
  written for the partition in this run;
* a STATE that moves a chat's ``pts`` or ``account_log`` past an edit or deletion of the
  fake Telegram's update logs (:mod:`tests.fake_telegram.updatelog`) that is due and not
  yet written. Due, as README "Change capture" promises: an id from the chat's
  ``first_id`` up to its bookmark as the run started (delivered before); a deletion in
  a private chat or basic group only when the chat's delivered-id index holds the id; not
  when Telegram answers "too long" for that gap (the fake's :class:`UpdateLogSettings`);
  not for a chat whose partition carries a ``verify`` mark (the sweep re-reads it);
* a record of a chat outside ``selection``; a malformed partition or memory entry.

Every harness that runs the tap calls it (see ``tests/fake_telegram/harness.py``);
:func:`checked_runs` counts the runs checked in this process.
"""

from __future__ import annotations

import bisect
import copy
import dataclasses
import gzip
import json
import urllib.parse
from collections.abc import Collection, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fake_telegram.records import ChatRecord
    from tests.fake_telegram.updatelog import UpdateLog, UpdateLogSettings
    from tests.fake_telegram.world import World

#: Singer message types a tap may print.
KINDS = frozenset({"SCHEMA", "RECORD", "STATE", "ACTIVATE_VERSION", "BATCH"})
#: Keys a stream's STATE may hold (SDK keys and the tap's own).
STREAM_KEYS = frozenset(
    {
        "partitions",
        "replication_key",
        "replication_key_value",
        "replication_key_signpost",
        "starting_replication_value",
        "progress_markers",
        "memory",
        "account_log",
        "bot_api",
        "pts",
        "first_id",
        "delivered_ids",
        "stats",
        "lookback_tail",
        "read_at",
        "verify",
        "log_failures",
        "account_log_failures",
        # The sweep's position (tap_telegram/sources/mtproto/history/sweep_state.py).
        "sweep_after",
        "sweep_end",
        "sweep_since",
        "sweep_reason",
        "sweep_known",
        "sweep_gaps",
        "changes_complete_until",
    }
)
#: Keys of the stream's STATE only (never of a partition).
_STREAM_ONLY = {"partitions", "memory", "account_log", "bot_api", "account_log_failures"}
#: Keys a partition may hold.
PARTITION_KEYS = (STREAM_KEYS - _STREAM_ONLY) | {"context"}
#: Integer fields of a partition (or a per-chat stream's STATE).
INT_KEYS = (
    "pts",
    "first_id",
    "sweep_after",
    "sweep_end",
    "sweep_since",
    "sweep_reason",
    "sweep_known",
    "changes_complete_until",
)
#: The account's log position.
ACCOUNT_FIELDS = ("pts", "qts", "date")

_runs = 0
_PAST = {"edit": "edited", "delete": "deleted"}


class StreamViolation(AssertionError):  # noqa: N818 - the name h23b and the harnesses use
    """A tap's stdout broke a rule; the message starts with ``line N: ``."""

    def __init__(self, line_no: int, message: str) -> None:
        super().__init__(f"line {line_no}: {message}")
        self.line_no = line_no


@dataclasses.dataclass
class StreamReport:
    """What a checked stream held."""

    #: Records per stream.
    records: dict[str, int] = dataclasses.field(default_factory=dict)
    #: STATE messages.
    states: int = 0
    #: Chats (``chat_id``) that records belong to.
    chats: set[int] = dataclasses.field(default_factory=set)
    #: Lines read (the cut one included).
    lines: int = 0
    #: The last STATE value (what a target would persist), if any.
    last_state: dict[str, Any] | None = None
    #: The stream ended in a cut line (allowed with ``cut_ok``).
    cut: bool = False
    #: The input STATE the run was checked against.
    input_state: Mapping[str, Any] | None = None

    @property
    def total(self) -> int:
        """Records of every stream."""
        return sum(self.records.values())


def checked_runs() -> int:
    """How many runs :func:`check_stream` checked in this process."""
    return _runs


def check_stream(
    lines: Iterable[str | bytes],
    *,
    input_state: Mapping[str, Any] | None = None,
    selection: Collection[int] | None = None,
    world: World | None = None,
    update_log: UpdateLogSettings | None = None,
    cut_ok: bool = False,
    count: bool = True,
) -> StreamReport:
    """Check a run's stdout (see the module docstring); raises :class:`StreamViolation`.

    ``world`` is the fake Telegram's world as it stands after the run (its update logs);
    ``update_log`` the fake's settings (when a gap is "too long"). ``cut_ok``: the run
    was killed on purpose, so its last line may be cut; everything before is checked.
    ``count=False``: a hand-made stream, not a tap run (not in :func:`checked_runs`).
    """
    checker = StreamChecker(
        input_state=input_state, selection=selection, world=world, update_log=update_log
    )
    for raw in lines:
        checker.feed(raw)
    return checker.close(cut_ok=cut_ok, count=count)


def check_text(text: str, **options: Any) -> StreamReport:
    """:func:`check_stream` over a whole stdout held in a string (empty lines ignored)."""
    return check_stream((line for line in text.splitlines() if line.strip()), **options)


class StreamChecker:
    """:func:`check_stream` fed line by line, as a run writes (no need to keep the lines).

    :meth:`feed` never raises: the first violation is kept and raised by :meth:`close`,
    so a harness that feeds from inside the tap's ``write`` does not disturb the run.
    """

    def __init__(
        self,
        *,
        input_state: Mapping[str, Any] | None = None,
        selection: Collection[int] | None = None,
        world: World | None = None,
        update_log: UpdateLogSettings | None = None,
    ) -> None:
        self._rules = _Checker(input_state or {}, selection, world, update_log)
        self._pending: tuple[int, str] | None = None
        self._failure: StreamViolation | None = None
        self._line_no = 0
        self._probed: dict[tuple[str, int], tuple[Any, ...]] = {}

    @property
    def report(self) -> StreamReport:
        """What was read so far."""
        return self._rules.report

    def feed(self, raw: str | bytes) -> None:
        """One line of stdout (its newline optional)."""
        if self._failure is not None:
            return
        self._line_no += 1
        line_no = self._line_no
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        text = text.rstrip("\r\n")
        self._rules.report.lines = line_no
        try:
            if self._pending is not None:  # a bad line followed by more: never a mere cut
                raise StreamViolation(*self._pending)
            try:
                message = json.loads(text)
            except ValueError:
                self._pending = (line_no, f"not a JSON line (cut?): {text[:120]!r}")
                return
            self._rules.message(line_no, message)
        except StreamViolation as failure:
            self._failure = failure

    def probe(self, state: Mapping[str, Any], stream: str, chat_id: int) -> None:
        """Check the tap's STATE in memory as a record of ``chat_id`` is about to be written.

        What a SIGTERM would write at that point (the SDK writes the state in memory):
        the chat's partition and the account's position must not cover a record not
        yet written either. Only when they changed since the last probe of the chat.
        """
        if self._failure is not None:
            return
        bookmarks = state.get("bookmarks") or {}
        own = bookmarks.get(stream)
        if not isinstance(own, dict):
            return
        part: Any = own
        if stream == "messages":
            part = next(
                (
                    p
                    for p in own.get("partitions") or ()
                    if isinstance(p, dict) and (p.get("context") or {}).get("chat_id") == chat_id
                ),
                None,
            )
            if part is None:
                return
        account = (bookmarks.get("messages") or {}).get("account_log")
        key = (
            part.get("replication_key_value"),
            part.get("pts"),
            part.get("first_id"),
            account.get("pts") if isinstance(account, dict) else None,
        )
        if self._probed.get((stream, chat_id)) == key:
            return
        self._probed[(stream, chat_id)] = key
        copied = copy.deepcopy(part)
        value: dict[str, Any] = {"bookmarks": {stream: {"partitions": [copied]}}}
        if stream != "messages":
            value["bookmarks"][stream] = copied
        if isinstance(account, dict):
            value["bookmarks"].setdefault("messages", {})["account_log"] = dict(account)
        try:
            self._rules.state(self._line_no + 1, value)
        except StreamViolation as failure:
            text = str(failure).split(": ", 1)[1]
            self._failure = StreamViolation(
                failure.line_no,
                f"(STATE in memory before this RECORD, what SIGTERM would write) {text}",
            )

    def close(self, *, cut_ok: bool = False, count: bool = True) -> StreamReport:
        """The report; raises the first violation (a cut last line only without ``cut_ok``).

        ``count``: a tap run (counted by :func:`checked_runs`), not a hand-made stream.
        """
        global _runs  # noqa: PLW0603 - a process-wide count for the session's closing line
        _runs += int(count)
        if self._failure is not None:
            raise self._failure
        if self._pending is not None:
            if not cut_ok:
                raise StreamViolation(*self._pending)
            self._rules.report.cut = True
        return self._rules.report


class _Checker:
    """The rules over one stream, fed message by message."""

    def __init__(
        self,
        input_state: Mapping[str, Any],
        selection: Collection[int] | None,
        world: World | None,
        update_log: UpdateLogSettings | None,
    ) -> None:
        self.report = StreamReport(input_state=input_state)
        self.selection = set(selection) if selection is not None else None
        self.world = world
        self.settings = update_log
        self.schemas: set[str] = set()
        #: Streams of messages whatever their name (``stream_maps`` can alias them).
        self.message_streams: set[str] = set()
        self.input = _bookmarks(_as_written(input_state))
        #: stream -> chat id (None: the stream itself) -> its input partition.
        self.input_parts: dict[str, dict[int | None, Any]] = {}
        #: (stream, chat id or None) -> field -> highest value written.
        self.written: dict[tuple[str, int | None], dict[str, Any]] = {}
        #: chat id -> ids written (any record) / tombstones written, at or below the input
        #: bookmark (only those can be due changes).
        self.ids: dict[int, set[int]] = {}
        self.tombstones: dict[int, set[int]] = {}
        self.chat_input: dict[int, Mapping[str, Any]] = {}
        for stream, state in self.input.items():
            if stream.startswith("messages"):
                for chat_id, part in _partitions(stream, state):
                    if chat_id is not None:
                        self.chat_input[chat_id] = part
        #: (chat id, pts) / account pts already proven: records only accumulate.
        self.proven: set[tuple[int, int]] = set()
        self.account_proven: set[int] = set()
        self.last_raw: Any = None
        #: (stream, chat id) -> the partition last checked (unchanged ones pass again).
        self.checked: dict[tuple[str, int], dict[str, Any]] = {}

    # -- messages ------------------------------------------------------------------

    def message(self, line_no: int, message: Any) -> None:
        if not isinstance(message, dict) or message.get("type") not in KINDS:
            raise StreamViolation(line_no, f"not a Singer message: {str(message)[:120]}")
        kind = message["type"]
        if kind == "SCHEMA":
            name = str(message.get("stream"))
            self.schemas.add(name)
            if _is_message_schema(name, message):
                self.message_streams.add(name)
        elif kind == "RECORD":
            self.record(line_no, message)
        elif kind == "BATCH":
            for record in _batch_records(line_no, message):
                self.record(line_no, {"stream": message.get("stream"), "record": record})
        elif kind == "STATE":
            self.report.states += 1
            value = message.get("value")
            if not isinstance(value, dict):
                raise StreamViolation(line_no, "STATE without an object value")
            self.report.last_state = value
            if value != self.last_raw:
                self.state(line_no, value)
                self.last_raw = value

    def record(self, line_no: int, message: dict[str, Any]) -> None:
        stream = message.get("stream")
        if stream not in self.schemas:
            raise StreamViolation(line_no, f"RECORD of stream {stream!r} before its SCHEMA")
        record = message.get("record")
        if not isinstance(record, dict):
            raise StreamViolation(line_no, f"RECORD of {stream!r} without an object")
        self.report.records[stream] = self.report.records.get(stream, 0) + 1
        chat_id = record.get("chat_id")
        chat = chat_id if isinstance(chat_id, int) and not isinstance(chat_id, bool) else None
        if chat is not None:
            self.report.chats.add(chat)
            if self.selection is not None and chat not in self.selection:
                raise StreamViolation(line_no, f"{stream} record of chat {chat}, not selected")
        family = "messages" if stream in self.message_streams else stream
        for key in ((family, chat), (family, None)) if chat is not None else ((family, None),):
            highest = self.written.setdefault(key, {})
            for field, value in record.items():
                if _number(value) is not None and (field not in highest or value > highest[field]):
                    highest[field] = value
        message_id = _int(record.get("id"))
        if chat is not None and family == "messages" and message_id is not None:
            start = _int(self.chat_input.get(chat, {}).get("replication_key_value"))
            if start is not None and message_id <= start:
                self.ids.setdefault(chat, set()).add(message_id)
                if record.get("deleted"):
                    self.tombstones.setdefault(chat, set()).add(message_id)

    def state(self, line_no: int, value: dict[str, Any]) -> None:
        bookmarks = value.get("bookmarks", {})
        if not isinstance(bookmarks, dict):
            raise StreamViolation(line_no, "STATE bookmarks is not an object")
        chats: dict[int, dict[str, Any]] = {}
        for stream, state in bookmarks.items():
            if not isinstance(state, dict):
                raise StreamViolation(line_no, f"STATE of {stream!r} is not an object")
            # What the input STATE held is carried as it was (the SDK keeps keys it does
            # not know): only what this run wrote is held to the tap's shapes.
            carried = {
                k
                for k in state
                if k in self.input.get(stream, {}) and self.input[stream][k] == state[k]
            }
            unknown = set(state) - STREAM_KEYS - carried
            if unknown:
                raise StreamViolation(
                    line_no, f"STATE of {stream!r}: unknown keys {sorted(unknown)}"
                )
            if "memory" not in carried:
                _check_memory(line_no, stream, state, self.input.get(stream, {}).get("memory"))
            seen: set[int] = set()
            for chat_id, part in self._parts(line_no, stream, state):
                if stream.startswith("messages") and chat_id is not None:
                    chats[chat_id] = part
                if chat_id is not None:
                    if chat_id in seen:
                        raise StreamViolation(
                            line_no, f"{stream}: two partitions of chat {chat_id}"
                        )
                    seen.add(chat_id)
                    if self.checked.get((stream, chat_id)) == part:
                        continue  # unchanged since it passed: records only accumulate
                self._shape(line_no, stream, chat_id, part)
                self.bookmark(line_no, stream, chat_id, part)
                if stream.startswith("messages") and chat_id is not None:
                    self.channel_pts(line_no, chat_id, part)
                if chat_id is not None:
                    self.checked[(stream, chat_id)] = part
        for stream, state in bookmarks.items():
            account = state.get("account_log")
            if account is not None and account != self.input.get(stream, {}).get("account_log"):
                self.account(line_no, stream, account, chats)

    def _parts(
        self, line_no: int, stream: str, state: dict[str, Any]
    ) -> list[tuple[int | None, dict[str, Any]]]:
        """A stream's partitions (or the stream itself), each checked for its shape."""
        parts = state.get("partitions")
        out: list[tuple[int | None, dict[str, Any]]] = []
        if parts is not None:
            if not isinstance(parts, list):
                raise StreamViolation(line_no, f"{stream}: partitions is not a list")
            for part in parts:
                if not isinstance(part, dict):
                    raise StreamViolation(line_no, f"{stream}: a partition is not an object")
                context = part.get("context")
                chat_id = context.get("chat_id") if isinstance(context, dict) else None
                if _int(chat_id) is None or set(context or {}) != {"chat_id"}:
                    raise StreamViolation(
                        line_no, f"{stream}: partition context is not {{'chat_id': int}}: {context}"
                    )
                out.append((chat_id, part))
        suffix = stream.removeprefix("messages_")
        own = int(suffix) if stream.startswith("messages_") and suffix.isdigit() else None
        if own is not None:
            own = self._marked(own)
        out.append((own, state))
        return out

    def _shape(self, line_no: int, stream: str, chat_id: int | None, part: dict[str, Any]) -> None:
        """A partition's (or a stream's) keys and value types."""
        if "context" in part:
            unknown = set(part) - PARTITION_KEYS
            if unknown:
                raise StreamViolation(
                    line_no, f"{stream}: partition with unknown keys {sorted(unknown)}"
                )
        for key in INT_KEYS:
            if key in part and _int(part[key]) is None:
                raise StreamViolation(line_no, f"{stream} chat {chat_id}: {key} is not an int")
        if "delivered_ids" in part and not isinstance(part["delivered_ids"], list):
            raise StreamViolation(line_no, f"{stream} chat {chat_id}: delivered_ids not a list")
        if (
            part.get("replication_key") == "id"
            and "replication_key_value" in part
            and _int(part["replication_key_value"]) is None
        ):
            raise StreamViolation(line_no, f"{stream} chat {chat_id}: bookmark is not an int id")

    def _marked(self, absolute: int) -> int:
        """A per-chat stream's chat id (``messages_<abs(id)>``) from the records seen."""
        for chat in self.report.chats:
            if abs(chat) == absolute:
                return chat
        for chat in self.chat_input:
            if abs(chat) == absolute:
                return chat
        return absolute

    # -- rules ---------------------------------------------------------------------

    def bookmark(
        self, line_no: int, stream: str, chat_id: int | None, part: dict[str, Any]
    ) -> None:
        """A bookmark never above the input's and the highest value written for it."""
        inputs = self.input_parts.get(stream)
        if inputs is None:  # once per stream: a STATE can hold thousands of partitions
            inputs = self.input_parts[stream] = dict(
                _partitions(stream, self.input.get(stream, {}))
            )
        previous = inputs.get(chat_id, {})
        for holder, old in ((part, previous), (part.get("progress_markers"), previous)):
            if not isinstance(holder, dict):
                continue
            key, value = holder.get("replication_key"), _number(holder.get("replication_key_value"))
            if not isinstance(key, str) or value is None:
                continue
            written = self.written.get((_family(stream), chat_id), {}).get(key)
            floor = [
                v
                for v in (_number(old.get("replication_key_value")), _number(written))
                if v is not None
            ]
            if not floor or value > max(floor):
                raise StreamViolation(
                    line_no,
                    f"STATE gives {stream} chat {chat_id} bookmark {key}={value}, above its input "
                    f"bookmark {old.get('replication_key_value')} and the highest written ({written})",
                )

    def channel_pts(self, line_no: int, chat_id: int, part: dict[str, Any]) -> None:
        """A channel's pts moves only after the due changes of its gap are written."""
        new = _int(part.get("pts"))
        before = self.chat_input.get(chat_id, {})
        old = _int(before.get("pts"))
        if self.world is None or new is None or old is None or new <= old:
            return
        if (chat_id, new) in self.proven or part.get("verify") is not None:
            return  # marked for verification: the sweep re-reads what the log did not say
        chat = self._chat(chat_id)
        if chat is None or chat.log is self.world.account_log:
            return
        bound = self._channel_bound()
        if chat.log.pts - old > bound:
            return  # channelDifferenceTooLong: the gap is not read
        due = self._due(chat, before, part, chat.log, old, new)
        self._prove(line_no, f"pts of chat {chat_id} to {new}", due)
        self.proven.add((chat_id, new))

    def account(
        self, line_no: int, stream: str, position: Any, chats: Mapping[int, Mapping[str, Any]]
    ) -> None:
        """The account's position moves only after every due change of its gap is written."""
        if not isinstance(position, dict) or any(
            _int(position.get(k)) is None for k in ACCOUNT_FIELDS
        ):
            raise StreamViolation(line_no, f"{stream}: account_log is malformed: {position}")
        before = self.input.get(stream, {}).get("account_log")
        old = _int(before.get("pts")) if isinstance(before, dict) else None
        new = position["pts"]
        if self.world is None or old is None or new <= old or new in self.account_proven:
            return
        log = self.world.account_log
        horizon = self.settings.account_horizon if self.settings else 1_000_000
        if log.pts - old > horizon:
            return  # differenceTooLong
        due: list[tuple[int, int, str]] = []
        for chat_id, part in chats.items():
            before_part = self.chat_input.get(chat_id)
            if before_part is None:
                continue
            if self.selection is not None and chat_id not in self.selection:
                continue
            if self.selection is None and part == before_part:
                continue  # not read in this run
            chat = self._chat(chat_id)
            if chat is not None and chat.log is log and part.get("verify") is None:
                due += self._due(chat, before_part, part, log, old, new)
        self._prove(line_no, f"account_log to pts {new}", due)
        self.account_proven.add(new)

    def _due(
        self,
        chat: ChatRecord,
        before: Mapping[str, Any],
        part: Mapping[str, Any],
        log: UpdateLog,
        old: int,
        new: int,
    ) -> list[tuple[int, int, str]]:
        """``(chat id, message id, "edit" | "delete")`` due for a gap ``old .. new`` of ``log``."""
        bookmark = _int(before.get("replication_key_value"))
        first = _int(before.get("first_id"))
        if first is None:
            first = _int(part.get("first_id"))
        if bookmark is None or first is None:
            return []
        # Imported here: the bench runs older trees' taps with this checker on the path.
        from tap_telegram.sources.mtproto.changes.id_index import IdIndex

        index = IdIndex(before.get("delivered_ids")) if log is self._account_log() else None
        last: dict[int, str] = {}
        for event in log.events[bisect.bisect_right(log._ends, old) :]:
            if event.pts > new:
                break
            if event.chat != chat.key:
                continue
            if event.kind == "edit":
                last[chat.id_of(event.first)] = "edit"
            elif event.kind == "delete":
                for n in event.numbers:
                    last[chat.id_of(n)] = "delete"
        chat_id = self.world.marked_id(chat) if self.world else chat.id
        return [
            (chat_id, message_id, kind)
            for message_id, kind in sorted(last.items())
            if first <= message_id <= bookmark
            and (index is None or kind == "edit" or message_id in index)
        ]

    def _prove(self, line_no: int, what: str, due: list[tuple[int, int, str]]) -> None:
        for chat_id, message_id, kind in due:
            written = self.tombstones if kind == "delete" else self.ids
            if message_id not in written.get(chat_id, set()):
                record = "tombstone" if kind == "delete" else "record"
                raise StreamViolation(
                    line_no,
                    f"STATE moves {what} before the {record} of {_PAST[kind]} message "
                    f"{message_id} of chat {chat_id} is written",
                )

    def _chat(self, chat_id: int) -> ChatRecord | None:
        assert self.world is not None
        try:
            return self.world.chat(chat_id)
        except KeyError:
            return None

    def _account_log(self) -> UpdateLog | None:
        return self.world.account_log if self.world is not None else None

    def _channel_bound(self) -> int:
        """The gap past which the fake answers a tap's channel difference "too long"."""
        from tests.fake_telegram.updatelog import USER_LIMIT, UpdateLogSettings

        # A user's limit is at most 100 (the tap asks for 100): Telegram's rule.
        return (self.settings or UpdateLogSettings()).channel_gap(USER_LIMIT)


def _batch_records(line_no: int, message: Mapping[str, Any]) -> Iterator[Any]:
    """The records of a BATCH message's files (JSON Lines, gzipped or not)."""
    encoding = message.get("encoding") or {}
    if encoding.get("format") != "jsonl":
        raise StreamViolation(line_no, f"BATCH in an encoding the checker cannot read: {encoding}")
    for uri in message.get("manifest") or ():
        path = Path(urllib.parse.urlparse(str(uri)).path)
        try:
            with path.open("rb") as file:
                head = file.read(2)
            opener = gzip.open if head == b"\x1f\x8b" else open
            with opener(path, "rt", encoding="utf-8") as lines:
                for text in lines:
                    if text.strip():
                        yield json.loads(text)
        except OSError as error:
            raise StreamViolation(line_no, f"BATCH file {uri} unreadable: {error}") from None


#: Where the MTProto refresh memory keeps one entry per chat, by stream: ``None`` for the
#: memory itself, else its table. Each entry the run writes is a list led by its time
#: (``tap_telegram/sources/mtproto/chats/entries.py``).
_ENTRY_TABLES = {"chats": "full", "participants": None, "topics": None}


def _check_memory(line_no: int, stream: str, state: Mapping[str, Any], before: Any) -> None:
    """A source's memory is an object (see ``tap_telegram/singer/memory.py``); the refresh
    memory's entries this run wrote (not carried from the input STATE as they were) are
    lists led by a whole number, the time (the older objects are rewritten as STATE loads)."""
    memory = state.get("memory")
    if memory is None:
        return
    if not isinstance(memory, dict):
        raise StreamViolation(line_no, f"{stream}: memory is not an object")
    if stream not in _ENTRY_TABLES:
        return
    name = _ENTRY_TABLES[stream]
    table = memory.get(name) if name else memory
    old = (before or {}).get(name) if name and isinstance(before, dict) else before
    for key, entry in table.items() if isinstance(table, dict) else ():
        if isinstance(old, dict) and old.get(key) == entry:
            continue
        if not (isinstance(entry, list) and entry and type(entry[0]) is int):
            raise StreamViolation(
                line_no, f"{stream}: memory entry {key} is not a list led by its time: {entry!r}"
            )


def _as_written(state: Mapping[str, Any]) -> Any:
    """The input STATE as the tap writes it back: NUL characters become U+FFFD (README
    *Limits*), so that what the run carried over compares equal to what it read."""
    text = json.dumps(state, default=str)
    if "\\u0000" not in text:
        return state
    return json.loads(text.replace("\\u0000", "\\ufffd"))


def _bookmarks(state: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    bookmarks = state.get("bookmarks") if isinstance(state, Mapping) else None
    if not isinstance(bookmarks, dict):
        return {}
    return {k: v for k, v in bookmarks.items() if isinstance(v, dict)}


def _partitions(stream: str, state: Mapping[str, Any]) -> list[tuple[int | None, Any]]:
    """``(chat id, partition)`` of a stream's STATE, lenient (input states may be hand-made)."""
    out: list[tuple[int | None, Any]] = []
    parts = state.get("partitions")
    for part in parts if isinstance(parts, list) else ():
        context = part.get("context") if isinstance(part, dict) else None
        chat_id = _int(context.get("chat_id")) if isinstance(context, dict) else None
        if chat_id is not None:
            out.append((chat_id, part))
    suffix = stream.removeprefix("messages_")
    if stream.startswith("messages_") and suffix.isdigit():
        out.append((int(suffix), state))
        out.append((-int(suffix), state))
    out.append((None, state))
    return out


def _family(stream: str) -> str:
    """``messages`` for every stream of messages (``stream_per_chat``: ``messages_<chat>``)."""
    return "messages" if stream.startswith("messages") else stream


def _is_message_schema(stream: str, message: Mapping[str, Any]) -> bool:
    """A SCHEMA of messages: named so, or keyed and shaped so under a ``stream_maps`` alias."""
    properties = (message.get("schema") or {}).get("properties") or {}
    keyed = message.get("key_properties") == ["chat_id", "id"]
    return stream.startswith("messages") or (keyed and "edit_date" in properties)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value
