"""The ``session_string`` and ``session_file`` settings, checked before Telethon sees them.

Telethon trusts its session inputs: a string of the wrong length ends in a
``struct.error`` traceback, a file that is not its SQLite layout in an ``sqlite3`` one
(or is silently created empty), and a file another run is using in "database is locked"
halfway through a sync, or in Telegram revoking the key (AUTH_KEY_DUPLICATED). Users
paste all sorts of things there: another library's session, a Telegram Desktop
``tdata`` folder, a session file's bytes, a path. This module looks at the input first
and turns each case into one line that says what it is and what to do, exit 2 for a
wrong setting and 3 for a session that cannot be used right now. Messages never quote
the string (it is a full login); a file's *path* is named, as it is not secret.

A session file is also locked (``flock``) for as long as the run uses it, so a second
run started on the same file stops at once with one line instead of sharing the key.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import sqlite3
from pathlib import Path
from typing import IO

from telethon.sessions import SQLiteSession, StringSession

from tap_telegram.errors import ConfigError, SessionError
from tap_telegram.sources.mtproto.wire.errors import LOGIN_HINT

#: Telethon's string version prefix and the byte sizes of its body (IPv4, IPv6):
#: dc id (1) + address (4 or 16) + port (2) + auth key (256); as text, 353 and 369
#: characters with the prefix.
TELETHON_PREFIX = "1"
TELETHON_SIZES = frozenset({263, 275})
#: Pyrogram's session strings decode to these sizes (old, 64-bit user ids, current).
PYROGRAM_SIZES = frozenset({263, 267, 271})
SQLITE_MAGIC = b"SQLite format 3\x00"
#: Seconds to wait for another process's SQLite write lock before calling the file busy.
LOCK_WAIT = 2.0
#: Files Telegram Desktop keeps in its ``tdata`` folder.
TDATA_MARKERS = ("key_datas", "settingss", "usertag")

NOT_TELETHON = "setting 'session_string' is not a Telethon string session"
FILE_HINT = "create one with `tap-telegram login --session-file PATH`"

#: Why a session string was refused: every message the string path can produce. None
#: contains the input; ``{n}`` is a character count.
STRING_PROBLEMS = {
    "blank": f"{NOT_TELETHON}: it is blank; {LOGIN_HINT}",
    "quoted": (
        f"{NOT_TELETHON}: it is wrapped in quotes; set it without them (in Meltano's .env "
        f"too), or {LOGIN_HINT}"
    ),
    "sqlite": (
        f"{NOT_TELETHON}: it holds the bytes of a SQLite file (a Telethon .session file?); "
        f"save that file and set session_file to its path instead, or {LOGIN_HINT}"
    ),
    "folder": (
        f"{NOT_TELETHON}: it names a folder (Telegram Desktop's tdata?), which tap-telegram "
        f"cannot read; {LOGIN_HINT}"
    ),
    "file": (
        f"{NOT_TELETHON}: it names a file; set session_file to a Telethon .session file "
        f"instead, or paste the session string itself; or {LOGIN_HINT}"
    ),
    "path": (
        f"{NOT_TELETHON}: it looks like a file path (Telegram Desktop's tdata?); "
        f"tap-telegram reads Telethon sessions only; {LOGIN_HINT}"
    ),
    "pyrogram": (
        f"{NOT_TELETHON}: it looks like a Pyrogram session string, which Telethon cannot "
        f"use; {LOGIN_HINT}"
    ),
    "characters": (
        f"{NOT_TELETHON}: it has characters a session string never has (copied with "
        f"extra text?); copy the whole line printed by the login, or {LOGIN_HINT}"
    ),
    "length": (
        f"{NOT_TELETHON}: it is incomplete or damaged ({{n}} characters; a Telethon session "
        f"string has 353, or 369 for an IPv6 address); copy the whole line, or {LOGIN_HINT}"
    ),
    "no_login": f"{NOT_TELETHON}: it holds no login (an empty auth key); {LOGIN_HINT}",
    "other": f"{NOT_TELETHON}; {LOGIN_HINT}",
}


def string_session(text: str) -> StringSession:
    """The ``session_string`` setting as a Telethon session, or a :class:`ConfigError`.

    Whitespace anywhere is dropped (terminals wrap and indent long lines); a body
    without its ``=`` padding (GramJS writes both alphabets) is accepted.
    """
    compact = "".join(str(text).split())
    body = _telethon_body(compact)
    if body is not None:
        if not any(body[-256:]):
            raise ConfigError(STRING_PROBLEMS["no_login"])
        return StringSession(TELETHON_PREFIX + StringSession.encode(body))
    raise ConfigError(_string_problem(str(text).strip(), compact))


def _decode(body: str) -> bytes | None:
    """``body`` as base64 in either alphabet, padding optional; ``None`` if it is not."""
    try:
        return base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        # Standard alphabet ("+/", GramJS) after trying the URL-safe one.
        try:
            return base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
        except (binascii.Error, ValueError):
            return None


def _telethon_body(compact: str) -> bytes | None:
    """The decoded body of a well-formed Telethon string session, else ``None``."""
    if not compact.startswith(TELETHON_PREFIX) or not compact.isascii():
        return None
    data = _decode(compact[1:].rstrip("="))
    return data if data is not None and len(data) in TELETHON_SIZES else None


def _string_problem(stripped: str, compact: str) -> str:
    """What a string that is not a Telethon session is, as one of :data:`STRING_PROBLEMS`."""
    if not compact:
        return STRING_PROBLEMS["blank"]
    if "\x00" in stripped or stripped.startswith(SQLITE_MAGIC.decode().rstrip("\x00")):
        return STRING_PROBLEMS["sqlite"]
    if len(stripped) > 1 and stripped[0] == stripped[-1] and stripped[0] in "'\"":
        return STRING_PROBLEMS["quoted"]
    where = _path_kind(stripped)
    if where is not None:
        return STRING_PROBLEMS[where]
    data = _decode(compact.rstrip("=")) if compact.isascii() else None
    if compact.startswith(TELETHON_PREFIX):
        if data is None and _decode(compact[1:].rstrip("=")) is None:
            return STRING_PROBLEMS["characters"]
        return STRING_PROBLEMS["length"].format(n=len(compact))
    if data is not None and len(data) in PYROGRAM_SIZES and 1 <= data[0] <= 5:
        return STRING_PROBLEMS["pyrogram"]
    return STRING_PROBLEMS["other"]


def _path_kind(text: str) -> str | None:
    """``folder``/``file``/``path`` when ``text`` is a file system path, else ``None``.

    A Telethon string never contains a path separator in its URL-safe alphabet, but a
    GramJS one may contain ``/``: only strings shaped like paths are looked up.
    """
    looks_like_path = (
        text.startswith(("/", "~", "./", "../", "\\"))
        or text[1:3] in (":\\", ":/")
        or text.endswith((".session", "/tdata", "\\tdata"))
        or "tdata" in text.lower().split("/")
    )
    if not looks_like_path:
        return None
    try:
        path = Path(text).expanduser()
        if path.is_dir():
            return "folder"
        if path.exists():
            return "file"
    except (OSError, ValueError, RuntimeError):  # odd names, no home directory
        pass
    return "path"


# -- session files ---------------------------------------------------------------------


def _paths(setting: str) -> tuple[Path, Path] | None:
    """``session_file`` as given (``~`` expanded) and the file Telethon opens for it.

    Telethon adds ``.session`` to a name without it; ``None`` for a path that cannot be
    formed (``~nobody``).
    """
    try:
        given = Path(setting).expanduser()
    except (RuntimeError, ValueError):
        return None
    if not given.name or given.name.endswith(".session"):
        return given, given
    return given, given.with_name(given.name + ".session")


def session_file_exists(setting: str) -> bool:
    """Whether there is something at ``session_file`` (the path as given, or with .session).

    Telethon would silently create a missing file; something that exists but is not a
    session (a folder, another library's file) gets its own message from
    :func:`file_session`.
    """
    paths = _paths(setting)
    return paths is not None and any(_kind(path) for path in paths)


def _kind(path: Path) -> str | None:
    """``dir``, ``file`` or ``None`` (nothing there, or a name the system refuses)."""
    try:
        if path.is_dir():
            return "dir"
        return "file" if path.exists() else None
    except (OSError, ValueError):  # too long, NUL bytes, undecodable
        return None


def _shown(setting: str) -> str:
    """A path for a message: control characters and stray surrogates escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in setting)


class LockedSQLiteSession(SQLiteSession):  # type: ignore[misc]  # Telethon ships no types
    """A Telethon SQLite session that holds an exclusive ``flock`` on its file while open.

    Two runs on one session would share one auth key (Telegram revokes it:
    AUTH_KEY_DUPLICATED) and one SQLite file (each holds a write lock between commits).
    The lock is released by :meth:`close`, which Telethon calls on disconnect, or by the
    process ending.
    """

    def __init__(self, filename: str, lock: IO[bytes] | None) -> None:
        self._lock = lock
        super().__init__(filename)

    def close(self) -> None:
        """Close the database, then release the file lock."""
        try:
            super().close()
        finally:
            lock, self._lock = self._lock, None
            if lock is not None:
                lock.close()  # closing the descriptor releases the flock


def file_session(setting: str) -> SQLiteSession:
    """The ``session_file`` setting as an open, locked Telethon session, or one clear error."""
    paths = _paths(setting)
    if paths is None:
        raise ConfigError(f"setting 'session_file' is not a usable path; {FILE_HINT}")
    given, path = paths
    name = f"setting 'session_file': {_shown(setting)}"
    if "dir" in (_kind(given), _kind(path)):
        folder = given if _kind(given) == "dir" else path
        desktop = folder.name == "tdata" or any(_kind(folder / m) for m in TDATA_MARKERS)
        kind = (
            "Telegram Desktop's tdata folder, which tap-telegram cannot read"
            if desktop
            else "a folder"
        )
        raise ConfigError(f"{name} is {kind}, not a Telethon session file; {FILE_HINT}")
    if _kind(path) is None:
        if _kind(given) is not None:
            raise ConfigError(
                f"{name}: Telethon reads sessions from files named *.session and there is no "
                f"{_shown(path.name)}; rename the file (if it is a Telethon session) or "
                f"{FILE_HINT}"
            )
        raise ConfigError(
            f"setting 'session_file': no session file at {_shown(setting)}; {FILE_HINT}"
        )
    _check_content(name, path)
    lock = _lock(name, path)
    try:
        _check_sqlite(name, path)
        return LockedSQLiteSession(str(path), lock)
    except sqlite3.Error as exc:
        if lock is not None:
            lock.close()
        raise ConfigError(
            f"{name} cannot be opened as a Telethon session ({_sqlite_reason(exc)}); {FILE_HINT}"
        ) from None
    except BaseException:
        if lock is not None:
            lock.close()
        raise


def _check_content(name: str, path: Path) -> None:
    """Readable, not empty, a SQLite file (not a session string saved to a file)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except PermissionError:
        raise ConfigError(
            f"{name} cannot be read (permission denied); the tap reads and updates it: give "
            "the user that runs the tap read and write access to it and to its folder"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{name} cannot be read ({type(exc).__name__})") from None
    if not head:
        raise ConfigError(
            f"{name} is empty: it holds no login; delete it and run "
            "`tap-telegram login --session-file PATH`"
        )
    if head != SQLITE_MAGIC:
        if head.startswith(TELETHON_PREFIX.encode()) and head.isascii():
            raise ConfigError(
                f"{name} holds text, not a SQLite session (a session string saved to a "
                "file?); set session_string to that text instead, or "
                f"{FILE_HINT}"
            )
        raise ConfigError(f"{name} is not a Telethon session file (not SQLite); {FILE_HINT}")


def _lock(name: str, path: Path) -> IO[bytes] | None:
    """An exclusive ``flock`` on the session file, or :class:`SessionError` if it is taken.

    ``None`` where the file system has no ``flock`` (the SQLite check still runs).
    """
    try:
        handle = path.open("rb")
    except OSError:
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise SessionError(_in_use(name)) from None
    except OSError:  # no flock here (some network file systems)
        handle.close()
        return None
    return handle


def _in_use(name: str) -> str:
    """The line for a session file that another process holds (``flock`` or SQLite lock)."""
    return (
        f"{name} is in use by another running process; one session cannot serve two runs "
        "at once (Telegram would revoke it): wait for that run to end, or give each run or "
        "shard its own session (`tap-telegram login --session-file OTHER_PATH`)"
    )


def _check_sqlite(name: str, path: Path) -> None:
    """Telethon's tables, a login in them, and no other process holding a write lock."""
    uri = f"{path.resolve().as_uri()}?mode=rw"  # never creates the file
    with contextlib.closing(
        sqlite3.connect(uri, uri=True, timeout=LOCK_WAIT, isolation_level=None)
    ) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        columns = (
            {row[1] for row in conn.execute("PRAGMA table_info(sessions)")}
            if "sessions" in tables
            else set()
        )
        if "api_id" in columns or "peers" in tables:
            raise ConfigError(
                f"{name} is a Pyrogram session file, which Telethon cannot use; {FILE_HINT}"
            )
        if not {"version", "sessions"} <= tables or "auth_key" not in columns:
            raise ConfigError(f"{name} is a SQLite file but not a Telethon session; {FILE_HINT}")
        try:
            conn.execute("BEGIN IMMEDIATE")  # what Telethon needs to write its entity cache
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise SessionError(_in_use(name)) from None
            if "readonly" in str(exc):
                raise ConfigError(
                    f"{name} cannot be written; the tap updates it (Telethon's entity "
                    "cache): give the user that runs the tap write access to it and its folder"
                ) from None
            raise
        conn.execute("ROLLBACK")
        row = conn.execute("SELECT auth_key FROM sessions").fetchone()
    if not row or not row[0]:
        raise SessionError(
            f"{name} holds no login (a login that never finished?); delete it and run "
            "`tap-telegram login --session-file PATH`"
        )


def _sqlite_reason(exc: sqlite3.Error) -> str:
    """SQLite's own words, which name no data (e.g. "file is not a database")."""
    text = str(exc).split(":")[0].strip() or type(exc).__name__
    return text[:80]
