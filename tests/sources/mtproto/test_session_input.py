"""Every session input a user may paste gets one line and an exit code, never a traceback,
and never the string itself: session strings of any shape (property-tested), other
libraries' sessions, paths, and session files that are empty, foreign, unreadable, or
in use by another running process."""

from __future__ import annotations

import base64
import ctypes
import fcntl
import json
import os
import re
import sqlite3
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telethon.crypto import AuthKey
from telethon.sessions import SQLiteSession, StringSession

from tap_telegram.errors import ConfigError, SessionError
from tap_telegram.sources.mtproto.wire import sessions as session_input
from tap_telegram.sources.mtproto.wire.sessions import STRING_PROBLEMS, string_session
from tests.fake_telegram import FakeTelegram, run_fake_tap, three_chats_world
from tests.fake_telegram.checked import check_run
from tests.fake_telegram.harness import REPO_ROOT
from tests.fake_telegram.sessions import write_session_file
from tests.sources.mtproto.test_errors import assert_one_clear_line
from tests.stream_check import check_text


@pytest.fixture(scope="module")
def world():
    return three_chats_world(seed=31)


@pytest.fixture(scope="module")
def good(world) -> str:
    return FakeTelegram(world).session_string()


def pyrogram_string(layout: str = ">BI?256sQ?") -> str:
    """A session string as Pyrogram exports it (URL-safe base64, padding stripped)."""
    fields = {
        ">BI?256sQ?": (2, 12345, False, b"k" * 256, 777, False),
        ">B?256sQ?": (2, False, b"k" * 256, 777, False),
        ">B?256sI?": (2, False, b"k" * 256, 777, False),
    }[layout]
    return base64.urlsafe_b64encode(struct.pack(layout, *fields)).decode().rstrip("=")


def problem_of(message: str) -> str:
    """Which :data:`STRING_PROBLEMS` entry ``message`` is (numbers may differ)."""
    shape = re.sub(r"\d+", "N", message)
    for key, template in STRING_PROBLEMS.items():
        if re.sub(r"\d+", "N", template.replace("{n}", "0")) == shape:
            return key
    raise AssertionError(f"not a known session_string message: {message}")


# -- the string path, in-process ---------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda good: "hello world", "other"),
        (lambda good: "   ", "blank"),
        (lambda good: good[:200], "length"),  # truncated
        (lambda good: good[:-40], "length"),
        # The traceback: valid base64 of the wrong length (struct.error in Telethon).
        (lambda good: "1" + base64.urlsafe_b64encode(b"x" * 100).decode(), "length"),
        (lambda good: "1" + "Ä" * 352, "characters"),
        (lambda good: good[:100] + "!?" + good[102:], "characters"),
        (lambda good: f"'{good}'", "quoted"),
        (lambda good: f'"{good}"', "quoted"),
        (lambda good: pyrogram_string(), "pyrogram"),
        (lambda good: pyrogram_string(">B?256sQ?"), "pyrogram"),
        (lambda good: pyrogram_string(">B?256sI?"), "pyrogram"),
        (lambda good: "SQLite format 3\x00\x10\x00\x01\x01", "sqlite"),
        (lambda good: "/home/me/.local/share/TelegramDesktop/tdata", "path"),
        (lambda good: "C:\\Users\\me\\AppData\\Roaming\\Telegram Desktop\\tdata", "path"),
        (lambda good: "~/telegram/me.session", "path"),
        (lambda good: "1" + StringSession.encode(bytes(263)), "no_login"),
    ],
)
def test_bad_session_strings_are_named_without_echo(good, make, problem):
    text = make(good)
    with pytest.raises(ConfigError) as info:
        string_session(text)
    message = str(info.value)
    assert problem_of(message) == problem, message
    assert "\n" not in message
    if len(text.strip()) > 3:
        assert text.strip() not in message


def test_troubleshooting_names_every_session_string_problem():
    docs = (REPO_ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    table = docs[docs.index("## Troubleshooting") :]
    for key, template in STRING_PROBLEMS.items():
        reason = template.split(": ", 2)[-1].split(";")[0].split(" (")[0].split(", ")[0]
        if key != "other":
            assert reason in table, f"docs/errors.md troubleshooting lacks {key}: {reason!r}"


def test_an_existing_folder_or_file_given_as_session_string(tmp_path):
    tdata = tmp_path / "tdata"
    tdata.mkdir()
    (tdata / "key_datas").write_bytes(b"TDF$")
    with pytest.raises(ConfigError) as info:
        string_session(str(tdata))
    assert problem_of(str(info.value)) == "folder"
    session_file = write_session_file(
        tmp_path / "me.session", FakeTelegram(three_chats_world()).session_string()
    )
    with pytest.raises(ConfigError) as info:
        string_session(str(session_file))
    assert problem_of(str(info.value)) == "file"


def test_forgiving_about_whitespace_and_padding(good):
    """Terminals wrap and indent a long line; GramJS strips no padding but may use "+/"."""
    canonical = StringSession(good).save()
    wrapped = "  " + good[:120] + "\n   " + good[120:] + "\n"
    assert string_session(wrapped).save() == canonical
    assert string_session(good.rstrip("=")).save() == canonical
    standard = "1" + base64.b64encode(base64.urlsafe_b64decode(good[1:])).decode()
    assert string_session(standard).save() == canonical


@settings(max_examples=400, deadline=None, database=None)
@given(st.text(alphabet=st.characters(exclude_categories=()), max_size=500))
def test_any_text_is_a_session_or_one_known_line(text):
    """Property: arbitrary text (surrogates, NULs, paths, near-base64) either opens as a
    session or raises ConfigError with one of the fixed messages: nothing else escapes,
    and the message cannot quote the input (it is a template plus a count)."""
    try:
        session = string_session(text)
    except ConfigError as exc:
        problem_of(str(exc))
    else:
        assert isinstance(session, StringSession)
        assert session.auth_key is not None


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.sampled_from([True, False]),  # prefix "1" or not
    st.integers(min_value=0, max_value=400),  # decoded size
    st.booleans(),  # strip padding
    st.data(),
)
def test_near_miss_base64_is_one_known_line(prefix, size, strip, data):
    """Property: base64 of any length with or without the version prefix (the strings
    that crashed Telethon's struct.unpack) never escapes as anything but ConfigError."""
    raw = data.draw(st.binary(min_size=size, max_size=size))
    body = base64.urlsafe_b64encode(raw).decode()
    text = ("1" if prefix else "") + (body.rstrip("=") if strip else body)
    try:
        string_session(text)
    except ConfigError as exc:
        problem_of(str(exc))
    else:
        assert prefix
        assert size in session_input.TELETHON_SIZES


@settings(
    max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.integers(min_value=1, max_value=5),
    st.sampled_from(["149.154.167.40", "2001:67c:4e8:f002::a", "127.0.0.1"]),
    st.integers(min_value=1, max_value=65535),
    st.binary(min_size=256, max_size=256).filter(any),
)
def test_every_real_telethon_string_opens(dc_id, address, port, key):
    """Property: whatever Telethon itself writes is accepted and means the same session."""
    session = StringSession()
    session.set_dc(dc_id, address, port)
    session.auth_key = AuthKey(key)
    text = session.save()
    opened = string_session(text)
    assert (opened.dc_id, opened.port, opened.auth_key.key) == (dc_id, port, key)
    assert opened.save() == text


# -- session files, in-process -------------------------------------------------------------


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(alphabet=st.characters(exclude_categories=()), max_size=300))
def test_any_session_file_setting_is_one_line(text):
    """Property: any text as session_file (NULs, surrogates, "~user", overlong names)
    ends in a user error, never anything else."""
    session_input.session_file_exists(text)
    with pytest.raises((ConfigError, SessionError)) as info:
        session_input.file_session(text)
    assert "\n" not in str(info.value)


def test_session_files_of_every_wrong_kind(tmp_path, good):
    def refused(path: Path | str, error: type[Exception] = ConfigError) -> str:
        with pytest.raises(error) as info:
            session_input.file_session(str(path))
        return str(info.value)

    (tmp_path / "empty.session").write_bytes(b"")
    assert "is empty: it holds no login" in refused(tmp_path / "empty.session")
    (tmp_path / "text.session").write_text("just some notes\n")
    assert "not SQLite" in refused(tmp_path / "text.session")
    (tmp_path / "string.session").write_text(good)
    assert "a session string saved to a file" in refused(tmp_path / "string.session")
    assert good not in refused(tmp_path / "string.session")
    (tmp_path / "broken.session").write_bytes(session_input.SQLITE_MAGIC + os.urandom(4000))
    assert "cannot be opened as a Telethon session" in refused(tmp_path / "broken.session")
    other = sqlite3.connect(tmp_path / "other.session")
    other.execute("CREATE TABLE notes (body TEXT)")
    other.commit()
    other.close()
    assert "SQLite file but not a Telethon session" in refused(tmp_path / "other.session")
    pyrogram = sqlite3.connect(tmp_path / "pyro.session")
    pyrogram.executescript(
        "CREATE TABLE sessions (dc_id INTEGER, api_id INTEGER, test_mode INTEGER, "
        "auth_key BLOB, date INTEGER, user_id INTEGER, is_bot INTEGER);"
        "CREATE TABLE peers (id INTEGER);CREATE TABLE version (number INTEGER);"
    )
    pyrogram.close()
    assert "Pyrogram session file" in refused(tmp_path / "pyro.session")
    tdata = tmp_path / "tdata"
    tdata.mkdir()
    assert "Telegram Desktop's tdata folder" in refused(tdata)
    (tmp_path / "plain").mkdir()
    assert "is a folder" in refused(tmp_path / "plain")
    (tmp_path / "session.sqlite").write_bytes(b"x")
    assert "files named *.session" in refused(tmp_path / "session.sqlite")
    assert "no session file at" in refused(tmp_path / "missing.session")
    unfinished = SQLiteSession(str(tmp_path / "unfinished"))  # a login that never finished
    unfinished.close()
    assert "holds no login" in refused(tmp_path / "unfinished.session", SessionError)


def test_a_good_session_file_is_locked_while_open(tmp_path, good):
    path = write_session_file(tmp_path / "me.session", good)
    first = session_input.file_session(str(path))
    try:
        assert first.auth_key.key == StringSession(good).auth_key.key
        with pytest.raises(SessionError) as info:
            session_input.file_session(str(path))
        assert "in use by another running process" in str(info.value)
    finally:
        first.close()
    session_input.file_session(str(tmp_path / "me")).close()  # released; ".session" optional


# -- the real CLI -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda good: "1" + base64.urlsafe_b64encode(b"x" * 100).decode(), "incomplete or damaged"),
        (lambda good: good + "\n", None),  # a pasted newline is fine: the sync runs
        (lambda good: pyrogram_string(), "Pyrogram session string"),
        (lambda good: "SQLite format 3\x00" + "\x00" * 80, "bytes of a SQLite file"),
        (lambda good: "/home/me/.local/share/TelegramDesktop/tdata", "looks like a file path"),
    ],
)
def test_cli_session_strings(world, good, make, needle):
    fake = FakeTelegram(world)
    text = make(good)
    run = run_fake_tap(fake, fake.tap_config(chats=["@fake_devs"], session_string=text))
    if needle is None:
        run.check()
        assert run.records["messages"]
        return
    line = assert_one_clear_line(run, 2, "setting 'session_string'", needle)
    assert text.strip() not in run.stderr + run.stdout
    assert "tap-telegram login" in line
    assert not run.records.get("messages")


@pytest.mark.parametrize(
    ("make", "code", "needle"),
    [
        (lambda folder: folder / "tdata", 2, "tdata folder"),
        (lambda folder: folder / "empty.session", 2, "is empty"),
        (lambda folder: folder / "notes.session", 2, "not SQLite"),
    ],
)
def test_cli_session_files(world, tmp_path, make, code, needle):
    (tmp_path / "tdata").mkdir()
    (tmp_path / "tdata" / "key_datas").write_bytes(b"TDF$")
    (tmp_path / "empty.session").write_bytes(b"")
    (tmp_path / "notes.session").write_text("a note\n")
    fake = FakeTelegram(world)
    config = {**fake.tap_config(chats=["@fake_devs"]), "session_string": None}
    run = run_fake_tap(fake, {**config, "session_file": str(make(tmp_path))})
    assert_one_clear_line(run, code, "setting 'session_file'", needle)


def test_cli_tdata_folder_given_as_session_string(world, tmp_path):
    tdata = tmp_path / "TelegramDesktop" / "tdata"
    tdata.mkdir(parents=True)
    fake = FakeTelegram(world)
    as_string = run_fake_tap(fake, fake.tap_config(chats=["@fake_devs"], session_string=str(tdata)))
    assert_one_clear_line(as_string, 2, "names a folder (Telegram Desktop's tdata?)")
    assert str(tdata) not in as_string.stderr


def _without_root_file_override() -> None:
    """In the child: drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the bounding set,
    so that even root gets "permission denied" on a mode-000 file, as any user would."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_cli_unreadable_session_file(tmp_path, good):
    """A session file the tap's user may not read: one line, exit 2."""
    path = write_session_file(tmp_path / "me.session", good)
    path.chmod(0)
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps({"api_id": 1, "api_hash": "0" * 32, "session_file": str(path), "chats": ["1"]})
    )
    done = subprocess.run(
        [sys.executable, "-m", "tap_telegram", "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
        check=False,
        preexec_fn=_without_root_file_override if os.geteuid() == 0 else None,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    check_text(done.stdout)
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if "| ERROR" in line]
    assert len(errors) == 1, done.stderr[-2000:]
    assert "cannot be read (permission denied)" in errors[0]


def _hold_sqlite_write_lock(path: Path) -> subprocess.Popen[str]:
    """Another process that holds a write lock on the SQLite file (an open transaction)."""
    code = (
        "import sqlite3, sys, time\n"
        "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "conn.execute('BEGIN IMMEDIATE')\n"
        "conn.execute('DELETE FROM entities')\n"
        "print('locked', flush=True)\n"
        "time.sleep(600)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_cli_session_file_locked_by_another_process(world, tmp_path, good):
    path = write_session_file(tmp_path / "me.session", good)
    fake = FakeTelegram(world)
    config = {**fake.tap_config(chats=["@fake_devs"]), "session_string": None}
    holder = _hold_sqlite_write_lock(path)
    try:
        run = run_fake_tap(fake, {**config, "session_file": str(path)})
    finally:
        holder.kill()
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
    assert_one_clear_line(run, 3, "in use by another running process", "its own session")
    rerun = run_fake_tap(fake, {**config, "session_file": str(path)}).check()
    assert rerun.records["messages"]


def _flock_taken(path: Path) -> bool:
    with path.open("rb") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def test_cli_two_overlapping_runs_on_one_session_file(world, tmp_path, good):
    """The second of two overlapping runs stops at once (exit 3) and touches nothing; the
    first completes; the file is free again afterwards."""
    from tests.fake_telegram import dump_spec
    from tests.fake_telegram.harness import LAUNCHER

    path = write_session_file(tmp_path / "me.session", good)
    fake = FakeTelegram(world)
    config = {
        **fake.tap_config(
            chats=["@fake_news"], page_size=25, max_concurrent_requests=1, concurrent_chats=1
        ),
        "session_string": None,
    }
    config["session_file"] = str(path)
    (tmp_path / "config.json").write_text(json.dumps(config))
    spec = dump_spec(fake, tmp_path / "world.json")
    # The first run writes into a pipe nobody reads until the second run was checked:
    # its 1,000 records fill the pipe and it waits there, the session in use, however
    # slow or fast either run starts (no latency race).
    with (tmp_path / "first.err").open("w") as err:
        first = subprocess.Popen(
            [str(LAUNCHER), "--world", str(spec), "--", "--config", str(tmp_path / "config.json")],
            stdout=subprocess.PIPE,
            stderr=err,
            cwd=REPO_ROOT,
            env={**os.environ, "FAKE_TELEGRAM_PYTHON": sys.executable},
        )
    try:
        deadline = time.monotonic() + 60
        while not _flock_taken(path):
            assert first.poll() is None, (tmp_path / "first.err").read_text()[-2000:]
            assert time.monotonic() < deadline, "the first run never opened the session"
            time.sleep(0.05)
        second = run_fake_tap(FakeTelegram(world), config)
        assert first.poll() is None, "the first run ended before the second was checked"
        assert_one_clear_line(second, 3, "in use by another running process")
        assert not second.records.get("messages")
        first_out, _ = first.communicate(timeout=240)
        assert first.returncode == 0, (tmp_path / "first.err").read_text()[-2000:]
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
        assert first.stdout is not None
        first.stdout.close()
    check_run(first_out.decode(), fake, config, None)
    first_ids = [
        json.loads(line)["record"]["id"]
        for line in first_out.decode().splitlines()
        if '"RECORD"' in line and '"stream":"messages"' in line.replace(" ", "")
    ]
    assert first_ids == world.message_ids("@fake_news")
    assert not _flock_taken(path)
    run_fake_tap(FakeTelegram(world), {**config, "chats": ["@fake_devs"]}).check()
