"""Byte-order marks and UTF-16/32 files load; an error's byte position is one in the file."""

from __future__ import annotations

import codecs
from contextlib import closing

import pytest

from tap_telegram.errors import ExportFormatError
from tap_telegram.sources.export.encoding import Utf8Reader, sniff
from tests.sources.export.support import (
    ACCOUNT_SAMPLE,
    SINGLE_SAMPLE,
    chats_of,
    messages,
    run_all,
    source,
)

#: (label, how to encode the UTF-8 text of a file)
ENCODINGS = [
    ("utf-8 with BOM", lambda text: codecs.BOM_UTF8 + text.encode("utf-8")),
    ("utf-16-le with BOM", lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le")),
    ("utf-16-be with BOM", lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be")),
    ("utf-16-le", lambda text: text.encode("utf-16-le")),
    ("utf-16-be", lambda text: text.encode("utf-16-be")),
    ("utf-32-le with BOM", lambda text: codecs.BOM_UTF32_LE + text.encode("utf-32-le")),
    ("utf-32-be", lambda text: text.encode("utf-32-be")),
]


@pytest.mark.parametrize(("label", "encode"), ENCODINGS, ids=[label for label, _ in ENCODINGS])
@pytest.mark.parametrize("sample", [SINGLE_SAMPLE, ACCOUNT_SAMPLE], ids=["single", "account"])
def test_every_encoding_gives_the_same_records(tmp_path, sample, label, encode):
    path = tmp_path / "result.json"
    path.write_bytes(encode(sample.read_text(encoding="utf-8")))
    assert run_all(source(path)) == run_all(source(sample)), label


@pytest.mark.parametrize(
    ("head", "encoding"),
    [
        (b"{\n ", "utf-8"),
        (b"\xef\xbb\xbf{", "utf-8-sig"),
        (b"\xff\xfe{\x00", "utf-16-le"),
        (b"\xfe\xff\x00{", "utf-16-be"),
        (b"{\x00\n\x00", "utf-16-le"),
        (b"\x00{\x00\n", "utf-16-be"),
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"{\x00\x00\x00", "utf-32-le"),
        (b"\x00\x00\x00{", "utf-32-be"),
        (b"", "utf-8"),
    ],
)
def test_sniff(head, encoding):
    assert sniff(head)[0] == encoding


@pytest.mark.parametrize(("label", "encode"), ENCODINGS, ids=[label for label, _ in ENCODINGS])
def test_truncated_file_names_its_real_size(tmp_path, label, encode):
    raw = encode(SINGLE_SAMPLE.read_text(encoding="utf-8"))
    cut = len(raw) * 2 // 3
    cut -= cut % 4  # whole code units: the cut is the problem, not a broken character
    path = tmp_path / "result.json"
    path.write_bytes(raw[:cut])
    with pytest.raises(ExportFormatError, match="cut off") as error:
        chats_of(path)
    text = str(error.value)
    assert f"ends at byte {cut} (a " in text, label
    assert "\n" not in text


def test_damage_in_a_utf16_file_is_reported_at_a_file_position(tmp_path):
    raw = bytearray(
        codecs.BOM_UTF16_LE + SINGLE_SAMPLE.read_text(encoding="utf-8").encode("utf-16-le")
    )
    spot = raw.index('"date_unixtime"'.encode("utf-16-le"), len(raw) // 2)
    raw[spot] = ord("#")
    path = tmp_path / "result.json"
    path.write_bytes(bytes(raw))
    with pytest.raises(ExportFormatError, match="invalid JSON") as error:
        chats_of(path)
    position = int(str(error.value).split("near byte ")[1].split()[0])
    assert spot < position <= len(raw)  # in the file, past the damage (the parser reads ahead)
    assert "(a UTF-16-LE file)" in str(error.value)


def test_a_broken_utf16_sequence_is_one_line(tmp_path):
    raw = SINGLE_SAMPLE.read_text(encoding="utf-8").encode("utf-16-le")
    spot = raw.index('"text"'.encode("utf-16-le"))
    broken = raw[:spot] + "\ud800".encode("utf-16-le", "surrogatepass") + b"x\x00" + raw[spot:]
    path = tmp_path / "result.json"
    path.write_bytes(broken)
    with pytest.raises(ExportFormatError, match="invalid JSON") as error:
        chats_of(path)
    assert "\n" not in str(error.value)
    assert "(a UTF-16-LE file)" in str(error.value)


def test_utf8_reader_counts_file_bytes(tmp_path):
    path = tmp_path / "x.json"
    path.write_bytes('{"a": "ü"}'.encode("utf-32-le"))
    with closing(Utf8Reader(path.open("rb"), "utf-32-le")) as reader:
        assert reader.read(3) == b'{"a'
        assert reader.read() == '": "ü"}'.encode()
        assert reader.tell() == 40
        assert reader.read(10) == b""


def test_bom_file_reads_messages_like_the_plain_one(tmp_path):
    path = tmp_path / "result.json"
    path.write_bytes(codecs.BOM_UTF8 + SINGLE_SAMPLE.read_bytes())
    with closing(source(path)) as src, closing(source(SINGLE_SAMPLE)) as plain:
        chat_id = src.chats()[0]["id"]
        assert messages(src, chat_id, after_id=30) == messages(plain, chat_id, after_id=30)
