"""Bad input: every problem is one ExportFormatError line; good records stay good."""

from __future__ import annotations

from contextlib import closing

import pytest

from tap_telegram.errors import ConfigError, ExportFormatError
from tap_telegram.sources.base import MessageQuery, SourceContext
from tap_telegram.sources.export.source import ExportSource
from tests.sources.export.support import (
    ACCOUNT_SAMPLE,
    LOGGER,
    SINGLE_SAMPLE,
    chat,
    chats_of,
    message,
    pages,
    source,
    write,
)

CHAT = -1000000000777


def one_line(error: pytest.ExceptionInfo[BaseException]) -> str:
    text = str(error.value)
    assert "\n" not in text
    assert "Traceback" not in text
    return text


def test_missing_file_or_folder(tmp_path):
    with pytest.raises(ExportFormatError, match="no such file or folder") as error:
        chats_of(tmp_path / "nope" / "result.json")
    assert str(tmp_path / "nope") in one_line(error)


def test_export_path_setting_is_required():
    with pytest.raises(ConfigError, match="'export_path' is required"):
        ExportSource(SourceContext({}, LOGGER)).chats()


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({"chat_types": ["dm"]}, "'chat_types': unknown dm"),
        ({"page_size": "lots"}, "'page_size'"),
    ],
)
def test_bad_settings_are_config_errors(config, problem):
    src = source(SINGLE_SAMPLE, **config)
    with closing(src), pytest.raises(ConfigError, match=problem):
        pages(src, -1001633221100)


def test_folder_without_an_export(tmp_path):
    write(tmp_path / "photos" / "meta.json", {"camera": "x"})
    (tmp_path / "notes.txt").write_text("no export here")
    with pytest.raises(ExportFormatError, match="the folder has no Telegram Desktop JSON export"):
        chats_of(tmp_path)


def test_empty_file(tmp_path):
    path = tmp_path / "result.json"
    path.write_bytes(b"")
    with pytest.raises(ExportFormatError, match="ends at byte 0: the file is empty") as error:
        chats_of(path)
    one_line(error)


@pytest.mark.parametrize("sample", [SINGLE_SAMPLE, ACCOUNT_SAMPLE])
def test_truncated_file_fails_before_any_record(tmp_path, sample):
    data = sample.read_bytes()
    path = tmp_path / "result.json"
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(ExportFormatError, match="cut off \\(truncated\\)") as error:
        chats_of(path)
    text = one_line(error)
    assert f"ends at byte {len(data) * 2 // 3}" in text
    assert "in chat '" in text
    assert "after message id" in text
    assert "export it again from Telegram Desktop" in text


def test_damaged_byte_names_a_position(tmp_path):
    data = bytearray(SINGLE_SAMPLE.read_bytes())
    spot = data.index(b'"date_unixtime"', len(data) // 2)
    data[spot] = ord("#")
    path = tmp_path / "result.json"
    path.write_bytes(bytes(data))
    with pytest.raises(ExportFormatError, match="invalid JSON") as error:
        chats_of(path)
    assert "near byte" in one_line(error)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ([1, 2], "the file holds a list, not an object"),
        ("text", "the file holds a string, not an object"),
        ({"about": "x", "personal_information": {}}, "neither 'messages' .* nor 'chats'"),
        ({"name": "X", "type": "personal_chat", "id": 1, "chats_v2": []}, "neither 'messages'"),
        (chat([], id="777"), "'id' should be a positive integer, not a string"),
        (chat([], id={"bare": 7}), "'id' should be a positive integer, not an object"),
        (chat([], type=5), "'type' should be a string"),
        (
            {"name": "X", "type": "personal_chat", "id": 5, "messages": {"1": {}}},
            "should be a list",
        ),
        ({"chats": {"list": [{"name": "X", "type": "personal_chat", "id": 5}]}}, "no 'messages'"),
    ],
)
def test_wrong_shapes(tmp_path, data, problem):
    path = write(tmp_path / "result.json", data)
    with pytest.raises(ExportFormatError, match=problem) as error:
        chats_of(path)
    assert str(path) in one_line(error)


def collect_until_error(path) -> tuple[list[int], str]:
    """Ids yielded before the failure and the error text."""
    got: list[int] = []
    with closing(source(path)) as src:
        try:
            for page in pages_lazy(src):
                got.extend(record["id"] for record in page)
        except ExportFormatError as error:
            text = str(error)
        else:
            pytest.fail("no ExportFormatError")
    assert "\n" not in text
    return got, text


def pages_lazy(src):
    yield from src.history_pages(MessageQuery(chat_id=src.chats()[0]["id"]))


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ({"width": "800", "photo": "p.jpg"}, "message id 5: 'width' should be an integer"),
        ({"from_id": "usr42"}, "message id 5: 'from_id' should look like user123"),
        (
            {"text_entities": [{"type": "plain", "text": "a"}, {"type": "bold"}]},
            "a text part is an object",
        ),
        ({"date_unixtime": None}, "message id 5: 'date_unixtime'"),
    ],
)
def test_bad_message_in_the_middle_ends_the_chat_after_the_last_good_one(tmp_path, bad, problem):
    rows = [message(index) for index in range(1, 11)]
    rows[4].update(bad)
    path = write(tmp_path / "result.json", chat(rows))
    got, text = collect_until_error(path)
    assert got == [1, 2, 3, 4]
    assert problem in text
    assert text.startswith(f"chat {CHAT} ('Test group'): export file {path}: ")


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ({"id": "5"}, "has no usable 'id' (a non-zero integer) but a string"),
        ({"id": 0}, "but the number 0"),
        ({"id": 2**40}, "but the number 1099511627776"),
        ({"id": None}, "but null"),
    ],
)
def test_message_without_a_usable_id_loads_nothing_of_the_chat(tmp_path, bad, problem):
    """Its place is unknown: any bookmark could pass it, so none is made."""
    rows = [message(index) for index in range(1, 11)]
    rows[4].update(bad)
    path = write(tmp_path / "result.json", chat(rows))
    got, text = collect_until_error(path)
    assert got == []
    assert text.startswith(f"chat {CHAT} ('Test group'): export file {path}: message #5: ")
    assert "it has no usable 'id'" in text
    assert problem in text
    assert "loads nothing of this chat" in text


def test_message_that_is_not_an_object(tmp_path):
    rows: list = [message(1), message(2), "oops", message(4)]
    path = write(tmp_path / "result.json", chat(rows))
    got, text = collect_until_error(path)
    assert got == []
    assert (
        f"chat {CHAT} ('Test group'): export file {path}: message #3: it is a string, not" in text
    )


def test_messages_out_of_order_load_in_id_order(tmp_path):
    rows = [message(index, f"text {index}") for index in (1, 2, 3, 9, 7, 10, 8)]
    path = write(tmp_path / "result.json", chat(rows))
    with closing(source(path)) as src:
        records = [record for page in pages_lazy(src) for record in page]
    assert [record["id"] for record in records] == [1, 2, 3, 7, 8, 9, 10]
    assert [record["text"] for record in records][3] == "text 7"


def test_identical_repeats_are_one_message(tmp_path):
    rows = [message(index) for index in (1, 2, 2, 3, 1)]
    path = write(tmp_path / "result.json", chat(rows))
    with closing(source(path)) as src:
        records = [record for page in pages_lazy(src) for record in page]
    assert [record["id"] for record in records] == [1, 2, 3]


def test_contradictory_repeats_stop_the_chat_below_that_id(tmp_path):
    rows = [message(index) for index in (1, 2, 3, 4, 5)]
    rows.insert(2, message(4, "another text"))
    path = write(tmp_path / "result.json", chat(rows))
    got, text = collect_until_error(path)
    assert got == [1, 2, 3]
    assert "message id 4: the file holds two different messages with this id" in text
    assert text.startswith(f"chat {CHAT} ('Test group'): export file {path}")


def test_records_yielded_before_an_error_are_complete(tmp_path):
    rows = [message(index) for index in range(1, 1201)]
    rows[1100]["reactions"] = "lots"
    path = write(tmp_path / "result.json", chat(rows))
    got, text = collect_until_error(path)
    assert got == list(range(1, 1101))  # pages of 500, 500 and the 100 good ones before 1101
    assert "message id 1101: 'reactions' should be a list" in text


def test_file_changed_between_scan_and_read(tmp_path):
    path = write(tmp_path / "result.json", chat([message(index) for index in range(1, 6)]))
    with closing(source(path)) as src:
        src.chats()
        write(path, chat([message(index) for index in range(1, 3)]))
        with pytest.raises(ExportFormatError, match="the file changed while the tap was reading"):
            list(pages_lazy(src))


@pytest.mark.parametrize(
    ("ids", "problem"),
    [
        ([1, 2], "message #3 of messages.item: the file changed while the tap was reading it: "
         "it has fewer messages than when it was scanned"),
        ([1, 2, "x", 4, 5], "message #4 of messages.item: the file changed while the tap was "
         "reading it: the message after id 2 has no usable id now"),
        ([1, 2, 4, 3, 5], "message #5 of messages.item: the file changed while the tap was "
         "reading it: message id 3 now comes after 4"),
        ([7, 8, 9, 10, 11], "message #2 of messages.item: the file changed while the tap was "
         "reading it: its first message is now 7"),
    ],
)  # fmt: skip
def test_each_change_between_scan_and_read_names_its_message(tmp_path, ids, problem):
    """Each problem is named with the cursor's position, as before the read's loop per chat.

    (The position is the cursor's after the item it took: one past a bad item.)
    """
    path = write(tmp_path / "result.json", chat([message(index) for index in range(1, 6)]))
    with closing(source(path)) as src:
        src.chats()
        rows = [message(7) | {"id": id_} if isinstance(id_, str) else message(id_) for id_ in ids]
        write(path, chat(rows))
        with pytest.raises(ExportFormatError) as raised:
            list(pages_lazy(src))
    assert problem in str(raised.value)


def test_file_cut_between_scan_and_read(tmp_path):
    path = write(tmp_path / "result.json", chat([message(index) for index in range(1, 6)]))
    with closing(source(path)) as src:
        src.chats()
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        with pytest.raises(ExportFormatError, match=r"message #3 of messages.item: .*cannot "
                           "read it again"):  # fmt: skip
            list(pages_lazy(src))


def test_file_removed_between_scan_and_read(tmp_path):
    path = write(tmp_path / "result.json", chat([message(1)]))
    with closing(source(path)) as src:
        src.chats()
        path.unlink()
        with pytest.raises(ExportFormatError, match="cannot open it again"):
            list(pages_lazy(src))
