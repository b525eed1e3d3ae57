"""The stream checker: each rule fires on a hand-made bad stream and passes on a good one."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fake_telegram.updatelog import UpdateLogSettings
from tests.fake_telegram.world import World
from tests.stream_check import StreamReport, StreamViolation, checked_runs
from tests.stream_check import check_stream as check_any

SCHEMA = {"type": "SCHEMA", "stream": "messages", "schema": {}, "key_properties": ["chat_id", "id"]}


def check_stream(stream: list[str], **options: Any) -> StreamReport:
    """Hand-made streams are not tap runs: not counted."""
    return check_any(stream, count=False, **options)


def record(chat_id: int, message_id: int, **fields: Any) -> dict[str, Any]:
    return {
        "type": "RECORD",
        "stream": "messages",
        "record": {"chat_id": chat_id, "id": message_id, **fields},
    }


def part(chat_id: int, bookmark: int | None = None, **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"context": {"chat_id": chat_id}, **fields}
    if bookmark is not None:
        out.update(replication_key="id", replication_key_value=bookmark)
    return out


def state(*parts: dict[str, Any], **stream: Any) -> dict[str, Any]:
    return {
        "type": "STATE",
        "value": {"bookmarks": {"messages": {"partitions": list(parts), **stream}}},
    }


def lines(*messages: dict[str, Any] | str) -> list[str]:
    return [m if isinstance(m, str) else json.dumps(m) for m in messages]


def fails(stream: list[str], line: int, text: str, **options: Any) -> None:
    with pytest.raises(StreamViolation, match=f"^line {line}: .*{text}") as info:
        check_stream(stream, **options)
    assert info.value.line_no == line


# -- lines, SCHEMA, bookmarks -----------------------------------------------------


def test_a_good_stream_passes_and_is_counted() -> None:
    before = checked_runs()
    report = check_any(
        lines(
            SCHEMA,
            record(1, 1),
            record(1, 2),
            state(part(1, 2)),
            record(2, 7),
            state(part(1, 2), part(2, 7)),
        ),
        selection={1, 2},
    )
    assert report.records == {"messages": 2 + 1}
    assert report.states == 2
    assert report.chats == {1, 2}
    assert checked_runs() == before + 1


def test_a_cut_line_fails_unless_the_run_was_killed_on_purpose() -> None:
    stream = lines(SCHEMA, record(1, 1), state(part(1, 1)), '{"type":"RECORD","stream":"mes')
    fails(stream, 4, "not a JSON line")
    report = check_stream(stream, cut_ok=True)
    assert report.cut
    assert report.records == {"messages": 1}
    # A bad line in the middle is never a mere cut.
    fails([*stream, json.dumps(record(1, 2))], 4, "not a JSON line", cut_ok=True)


def test_a_record_before_its_schema_fails() -> None:
    fails(lines(record(1, 1), SCHEMA), 1, "before its SCHEMA")


def test_state_before_its_page_records_fails() -> None:
    good = lines(SCHEMA, record(1, 1), record(1, 2), state(part(1, 2)))
    check_stream(good)
    fails(lines(SCHEMA, state(part(1, 2)), record(1, 1), record(1, 2)), 2, "bookmark id=2")
    # Next page: the STATE for page 2 comes before page 2's records.
    fails(lines(*good, state(part(1, 4)), record(1, 3), record(1, 4)), 5, "above its input")


def test_a_bookmark_may_stay_at_its_input_value() -> None:
    input_state = state(part(1, 50))["value"]
    check_stream(lines(SCHEMA, state(part(1, 50))), input_state=input_state)
    fails(lines(SCHEMA, state(part(1, 51))), 2, "input bookmark 50", input_state=input_state)


def test_a_per_chat_stream_bookmark_is_checked_too() -> None:
    schema = {**SCHEMA, "stream": "messages_1001"}
    row = {**record(-1001, 5), "stream": "messages_1001"}
    good = {
        "type": "STATE",
        "value": {
            "bookmarks": {"messages_1001": {"replication_key": "id", "replication_key_value": 5}}
        },
    }
    check_stream(lines(schema, row, good))
    fails(lines(schema, good, row), 2, "messages_1001")


def test_a_record_outside_the_selection_fails() -> None:
    fails(lines(SCHEMA, record(1, 1), record(3, 1)), 3, "chat 3, not selected", selection={1, 2})


@pytest.mark.parametrize(
    ("bad", "text"),
    [
        ({"context": {}, "replication_key": "id", "replication_key_value": 1}, "context"),
        ({"context": {"chat_id": "1"}}, "context"),
        ({"context": {"chat_id": 1, "topic": 2}}, "context"),
        (part(1, None, replication_key="id", replication_key_value="5"), "not an int id"),
        (part(1, 1, pts="7"), "pts is not an int"),
        (part(1, 1, colour="red"), "unknown keys"),
    ],
)
def test_a_malformed_partition_fails(bad: dict[str, Any], text: str) -> None:
    fails(lines(SCHEMA, record(1, 1), state(bad)), 3, text)


def test_duplicate_partitions_and_bad_memory_fail() -> None:
    fails(lines(SCHEMA, record(1, 1), state(part(1, 1), part(1, 1))), 3, "two partitions")
    fails(lines(SCHEMA, state(memory=[1])), 2, "memory is not an object")
    fails(lines(SCHEMA, state(account_log={"pts": 3})), 2, "account_log is malformed")


def memory_state(stream: str, memory: dict[str, Any]) -> dict[str, Any]:
    return {"type": "STATE", "value": {"bookmarks": {stream: {"memory": memory}}}}


def test_refresh_memory_entries_the_run_writes_are_lists_led_by_their_time() -> None:
    full = {"full": {"-1001": [1717243200, "about", 7]}, "run": 1717243200}
    check_stream(lines(SCHEMA, memory_state("chats", full), memory_state("topics", {"-1001": [1]})))
    old = {"-1001": {"at": 1717243200, "top": 30}}
    fails(lines(SCHEMA, memory_state("participants", old)), 2, "not a list led by its time")
    fails(lines(SCHEMA, memory_state("chats", {"full": {"5": ["1717243200"]}})), 2, "not a list")
    # What the input STATE held, carried as it was, is not the run's to answer for.
    carried = {"bookmarks": {"participants": {"memory": {**old, "-1002": [1]}}}}
    written = {**old, "-1002": [2]}
    check_stream(lines(SCHEMA, memory_state("participants", written)), input_state=carried)


# -- update-log positions -----------------------------------------------------------


@pytest.fixture
def world() -> World:
    world = World(seed=3)
    world.add_chat("super", "supergroup", messages=10)
    world.add_chat("friend", "private", messages=10)
    return world


def test_pts_moving_before_its_edits_and_tombstones_fails(world: World) -> None:
    chat = world.chat("super")
    old = chat.pts
    marked = world.marked_id(chat)
    world.edit_message(chat, 3, "edited")
    world.delete_messages(chat, [5])
    world.edit_message(chat, 12 - 2, "a later id")  # 10: due as well
    world.append_messages(chat, 2)  # new messages: read by history, never due
    new = chat.pts
    before = state(part(marked, 10, pts=old, first_id=1))["value"]
    after = state(part(marked, 12, pts=new, first_id=1))
    changes = [record(marked, 3), record(marked, 5, deleted=True), record(marked, 10)]
    history = [record(marked, 11), record(marked, 12)]
    options: dict[str, Any] = {"input_state": before, "world": world}
    check_stream(lines(SCHEMA, *history, *changes, after), **options)
    # pts stored with the history page, before the changes (``start_chat`` variant).
    early = state(part(marked, 12, pts=new, first_id=1))
    fails(lines(SCHEMA, *history, early, *changes, after), 4, "edited message 3", **options)
    # Only the tombstone missing.
    fails(
        lines(SCHEMA, *history, record(marked, 3), record(marked, 10), after),
        6,
        "tombstone of deleted message 5",
        **options,
    )
    # A record of the deleted id that is not a tombstone does not count.
    fails(
        lines(SCHEMA, *history, *changes[:1], record(marked, 5), changes[2], after),
        7,
        "message 5",
        **options,
    )


def test_changes_outside_the_delivered_range_are_not_due(world: World) -> None:
    chat = world.chat("super")
    old = chat.pts
    marked = world.marked_id(chat)
    world.edit_message(chat, 2, "before first_id")
    world.edit_message(chat, 9, "after the bookmark")
    before = state(part(marked, 8, pts=old, first_id=3))["value"]
    check_stream(
        lines(SCHEMA, state(part(marked, 8, pts=chat.pts, first_id=3))),
        input_state=before,
        world=world,
    )


def test_a_gap_too_long_for_telegram_is_not_due(world: World) -> None:
    chat = world.chat("super")
    old = chat.pts
    marked = world.marked_id(chat)
    world.edit_message(chat, 3, "edited")
    world.append_messages(chat, 5)
    before = state(part(marked, 10, pts=old, first_id=1))["value"]
    after = lines(SCHEMA, state(part(marked, 10, pts=chat.pts, first_id=1)))
    fails(after, 2, "message 3", input_state=before, world=world)  # 6 events back: due
    world.append_messages(chat, 95)  # 101 events back: pts + 100 < remote pts
    after = lines(SCHEMA, state(part(marked, 10, pts=chat.pts, first_id=1)))
    check_stream(after, input_state=before, world=world)
    check_stream(after, input_state=before, world=world, update_log=UpdateLogSettings())
    generous = UpdateLogSettings(channel_too_long="horizon", channel_horizon=200)
    fails(after, 2, "message 3", input_state=before, world=world, update_log=generous)


def test_account_log_moving_before_a_private_chat_edit_fails(world: World) -> None:
    chat = world.chat("friend")
    marked = world.marked_id(chat)
    ids = world.message_ids(chat)
    position = {"pts": world.account_pts, "qts": 0, "date": 1}
    before = state(part(marked, ids[-1], first_id=ids[0]), account_log=position)["value"]
    world.edit_message(chat, ids[4], "edited")
    moved = {"pts": world.account_pts, "qts": 0, "date": 2}
    done = part(marked, ids[-1], first_id=ids[0], stats={"runs": 2})
    fails(
        lines(SCHEMA, state(done, account_log=moved)),
        2,
        f"account_log .* message {ids[4]}",
        input_state=before,
        world=world,
    )
    check_stream(
        lines(SCHEMA, record(marked, ids[4]), state(done, account_log=moved)),
        input_state=before,
        world=world,
    )


def test_an_account_deletion_is_due_only_for_ids_the_chat_delivered(world: World) -> None:
    from tap_telegram.sources.mtproto.changes.id_index import IdIndex

    chat = world.chat("friend")
    marked = world.marked_id(chat)
    ids = world.message_ids(chat)
    index = IdIndex(None)
    index.add(ids[:5])
    position = {"pts": world.account_pts, "qts": 0, "date": 1}
    first = part(marked, ids[-1], first_id=ids[0], delivered_ids=index.save())
    before = state(first, account_log=position)["value"]
    world.delete_messages(chat, [ids[2], ids[7]])  # ids[7] is not in the index
    moved = {"pts": world.account_pts, "qts": 0, "date": 2}
    after = state({**first, "stats": {"runs": 2}}, account_log=moved)
    fails(lines(SCHEMA, after), 2, f"message {ids[2]}", input_state=before, world=world)
    tomb = record(marked, ids[2], deleted=True)
    check_stream(lines(SCHEMA, tomb, after), input_state=before, world=world)


def test_messages_under_a_stream_maps_alias_still_cover_their_bookmark() -> None:
    schema = {
        "type": "SCHEMA",
        "stream": "posts_1001",
        "schema": {"properties": {"chat_id": {}, "id": {}, "edit_date": {}}},
        "key_properties": ["chat_id", "id"],
    }
    row = {**record(-1001, 5), "stream": "posts_1001"}
    check_stream(lines(schema, row, state(part(-1001, 5))))
    fails(lines(schema, state(part(-1001, 5)), row), 2, "bookmark id=5")
