"""Never a bookmark past a message that was not emitted, whatever order or damage a file has.

The property: a chat's messages are written in a random order, some damaged (a repeat,
a contradicting copy, a field of the wrong type, an id that cannot be read, an item
that is no object), sometimes next to an older export of the same chat. The tap's
bookmark after that run is the last id it emitted (STATE follows the records). A rerun
on the good file from that bookmark must then deliver every id the first run did not:
nothing is lost, and what the first run emitted is exactly what the good file says.
"""

from __future__ import annotations

import copy
import random
import tempfile
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tap_telegram.errors import ExportFormatError
from tap_telegram.sources.base import MessageQuery
from tap_telegram.sources.export import order
from tests.sources.export.support import chat, message, messages, source, write

CHAT = -1000000000777
OLD_IDS = st.integers(min_value=-999_999_999, max_value=-999_999_000)  # a migrated group
IDS = st.lists(OLD_IDS | st.integers(min_value=1, max_value=3000), min_size=1, max_size=40)
DAMAGES = ("repeat", "contradict", "bad field", "bad id", "not an object")


def good_messages(ids: list[int]) -> list[dict[str, Any]]:
    """The chat as Telegram Desktop writes it: oldest first."""
    return [
        message(message_id, f"text {message_id}", date_unixtime=str(1_700_000_000 + n))
        for n, message_id in enumerate(sorted(set(ids)))
    ]


def damage(rows: list[Any], kind: str, rng: random.Random) -> None:
    """One damage of ``kind`` at a random place of ``rows`` (in place)."""
    objects = [index for index, row in enumerate(rows) if isinstance(row, dict)]
    if not objects:
        return
    victim = rng.choice(objects)
    spot = rng.randrange(len(rows) + 1)
    if kind == "repeat":
        rows.insert(spot, copy.deepcopy(rows[victim]))
    elif kind == "contradict":
        rows.insert(spot, {**copy.deepcopy(rows[victim]), "text": "something else"})
    elif kind == "bad field":
        rows[victim] = {**rows[victim], "reactions": "lots"}
    elif kind == "bad id":
        rows[victim] = {**rows[victim], "id": rng.choice([None, "7", 0, 1.5])}
    elif kind == "not an object":
        rows[victim] = rng.choice(["oops", 7, None, []])


def first_run(folder: Path) -> tuple[list[dict[str, Any]], int | None]:
    """Records emitted before the chat ended or failed, and the bookmark STATE would hold."""
    emitted: list[dict[str, Any]] = []
    with closing(source(folder)) as src:
        try:
            for page in pages_of(src):
                emitted.extend(page)
        except ExportFormatError:
            pass
    return emitted, emitted[-1]["id"] if emitted else None


def pages_of(src):
    chats = src.chats()
    if chats:
        yield from src.history_pages(src_query(chats[0]["id"]))


def src_query(chat_id: int) -> MessageQuery:
    """A first run's query of one chat."""
    return MessageQuery(chat_id=chat_id)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@given(
    ids=IDS,
    seed=st.integers(0, 2**32),
    damages=st.lists(st.sampled_from(DAMAGES), max_size=3),
    older_export=st.booleans(),
)
def test_a_rerun_on_the_good_file_delivers_every_id(ids, seed, damages, older_export):
    rng = random.Random(seed)
    good = good_messages(ids)
    rows: list[Any] = copy.deepcopy(good)
    rng.shuffle(rows)
    for kind in damages:
        damage(rows, kind, rng)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        if older_export:
            some = rng.sample(good, rng.randint(0, len(good)))
            write(root / "run1" / "a-older.json", chat(some), mtime=1_600_000_000)
        write(root / "run1" / "b-damaged.json", chat(rows), mtime=1_700_000_000)
        good_path = write(root / "good" / "result.json", chat(good))
        emitted, bookmark = first_run(root / "run1")
        with closing(source(good_path)) as src:
            truth = {record["id"]: record for record in messages(src, CHAT)}
            rest = messages(src, CHAT, after_id=bookmark or 0)

    emitted_ids = [record["id"] for record in emitted]
    assert emitted_ids == sorted(set(emitted_ids)), "ids must strictly ascend"
    for record in emitted:
        assert record == truth[record["id"]], "a first-run record differs from the good file"
    assert bookmark is None or all(i in emitted_ids for i in truth if i <= bookmark), (
        "the bookmark passed a message that was not emitted"
    )
    assert sorted({*emitted_ids, *(record["id"] for record in rest)}) == sorted(truth)


def test_without_damage_every_order_loads_completely():
    rng = random.Random(5)
    for _ in range(30):
        good = good_messages(rng.sample(range(1, 500), 60))
        rows = copy.deepcopy(good)
        rng.shuffle(rows)
        with tempfile.TemporaryDirectory() as folder:
            path = write(Path(folder) / "result.json", chat(rows))
            with closing(source(path)) as src:
                assert messages(src, CHAT) == messages_of_good(good, Path(folder))


def messages_of_good(good: list[dict[str, Any]], folder: Path) -> list[dict[str, Any]]:
    path = write(folder / "good" / "result.json", chat(good))
    with closing(source(path)) as src:
        return messages(src, CHAT)


def test_long_chats_are_sorted_in_runs_on_disk(tmp_path, monkeypatch):
    monkeypatch.setattr(order, "RUN_SIZE", 7)
    opened: list[Any] = []
    real = tempfile.TemporaryFile

    def counting(*args: Any, **kwargs: Any) -> Any:
        handle = real(*args, **kwargs)
        opened.append(handle)
        return handle

    monkeypatch.setattr(tempfile, "TemporaryFile", counting)
    ids = list(range(1, 101))
    random.Random(3).shuffle(ids)
    path = write(tmp_path / "result.json", chat([message(i) for i in ids]))
    with closing(source(path)) as src:
        records = messages(src, CHAT)
        assert [record["id"] for record in records] == list(range(1, 101))
        assert len(opened) == 15  # 14 full runs of 7, and the last 2 messages
        assert all(handle.closed for handle in opened)
        # a reader that stops early (a failing target, a crash) leaves no file open
        opened.clear()
        next(iter(src.history_pages(src_query(CHAT))))
        assert opened
        assert all(handle.closed for handle in opened)


def test_many_runs_are_merged_early_so_few_files_are_open(tmp_path, monkeypatch):
    monkeypatch.setattr(order, "RUN_SIZE", 5)
    monkeypatch.setattr(order, "MAX_RUNS", 3)
    opened: list[Any] = []
    most = [0]
    real = tempfile.TemporaryFile

    def counting(*args: Any, **kwargs: Any) -> Any:
        handle = real(*args, **kwargs)
        opened.append(handle)
        most[0] = max(most[0], sum(not item.closed for item in opened))
        return handle

    monkeypatch.setattr(tempfile, "TemporaryFile", counting)
    ids = list(range(1, 201))
    random.Random(8).shuffle(ids)
    rows = [message(i, f"t{i}") for i in ids]
    rows.insert(77, message(150, "t150"))  # an identical repeat, in another run
    path = write(tmp_path / "result.json", chat(rows))
    with closing(source(path)) as src:
        records = messages(src, CHAT)
    assert [record["id"] for record in records] == list(range(1, 201))
    assert [record["text"] for record in records[:3]] == ["t1", "t2", "t3"]
    assert most[0] <= 4  # MAX_RUNS, and the merged one being written
    assert all(handle.closed for handle in opened)


def test_a_contradiction_across_runs_on_disk_stops_below_it(tmp_path, monkeypatch):
    monkeypatch.setattr(order, "RUN_SIZE", 4)
    rows = [message(i) for i in (9, 3, 1, 7, 2, 8, 5, 4, 6)]
    rows.append(message(5, "not the same"))
    path = write(tmp_path / "result.json", chat(rows))
    got: list[int] = []
    problem = "message id 5: the file holds two different messages"
    with closing(source(path)) as src, pytest.raises(ExportFormatError, match=problem):
        collect(src, got)
    assert got == [1, 2, 3, 4]


def collect(src, got: list[int]) -> None:
    """Ids of the chat's pages into ``got`` as they come (kept when a later page fails)."""
    for page in pages_of(src):
        got.extend(record["id"] for record in page)


def test_a_spilled_run_file_is_never_left_behind(tmp_path, monkeypatch):
    monkeypatch.setattr(order, "RUN_SIZE", 3)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", None)
    rows = [message(i) for i in (5, 4, 3, 2, 1, 6, 9, 8, 7)]
    path = write(tmp_path / "result.json", chat(rows))
    with closing(source(path)) as src:
        assert [r["id"] for r in messages(src, CHAT)] == list(range(1, 10))
    assert list((tmp_path / "tmp").iterdir()) == []
