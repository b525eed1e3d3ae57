"""A throwaway PostgreSQL server for end-to-end tests and the crash harness.

Debian's server binaries (``apt-get install postgresql``, see ``scripts/postgres.sh``)
live under ``/usr/lib/postgresql/<version>/bin``. The server runs from a private data
directory under the temporary folder, listens on 127.0.0.1 only, on a free port, with
``trust`` authentication, and its Unix socket inside the data directory. PostgreSQL
refuses to run as root, so as root every server command runs as the ``postgres`` user
(``runuser``). Durability settings are off: these tests kill the *tap*, never the
database, and a server that fsyncs nothing is several times faster.

    with PostgresServer.start() as server:
        server.dsn("telegram")  # postgresql://postgres@127.0.0.1:PORT/telegram
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import psycopg
from psycopg import sql

#: Where Debian puts the server binaries of each major version (``<version>/bin``).
BIN_ROOT = "/usr/lib/postgresql"
BIN_GLOB = f"{BIN_ROOT}/*/bin"
INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found under "
    f"{BIN_GLOB}. Install them with `bash scripts/postgres.sh install` (as root; it runs "
    "`apt-get install -y postgresql`), or set TAP_TELEGRAM_PG_BIN to a folder holding them."
)
#: Server settings: loopback only, no durability (the database is thrown away).
SERVER_OPTIONS = (
    "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
    "-c full_page_writes=off -c max_connections=50 -c shared_buffers=64MB"
)
SUPERUSER = "postgres"
ROOT_PREFIX = "tap-telegram-pg-"
#: The pid of the process that started a server, in its folder (see :func:`reap_stale`).
OWNER_FILE = "owner.pid"


class PostgresUnavailableError(RuntimeError):
    """The server binaries are missing or the server would not start."""


def find_bin_dir() -> Path:
    """The folder with ``initdb``/``pg_ctl`` (``TAP_TELEGRAM_PG_BIN``, else the newest Debian)."""
    override = os.environ.get("TAP_TELEGRAM_PG_BIN")
    candidates = [Path(override)] if override else []

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in path.parent.name.split(".") if part.isdigit())

    candidates += sorted(Path(BIN_ROOT).glob("*/bin"), key=version, reverse=True)
    for folder in candidates:
        if all((folder / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return folder
    raise PostgresUnavailableError(INSTALL_HINT)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _as_server_user(command: Sequence[str]) -> list[str]:
    """``command`` as the ``postgres`` user when we are root (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return list(command)
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", SUPERUSER, "--", *command]
    return ["su", SUPERUSER, "-s", "/bin/sh", "-c", " ".join(_quote(c) for c in command)]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _run(command: Sequence[str], what: str, timeout: float = 120) -> None:
    done = subprocess.run(
        _as_server_user(command),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode:
        raise PostgresUnavailableError(
            f"{what} failed ({done.returncode}): {' '.join(command)}\n{done.stdout}{done.stderr}"
        )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_stale(bin_dir: Path, parent: str | None = None) -> list[Path]:
    """Stop and delete servers left behind by test processes that died (e.g. killed pytest).

    Only folders whose recorded owner process no longer exists are touched, so a
    server of a session still running elsewhere is left alone.
    """
    reaped = []
    for root in Path(parent or tempfile.gettempdir()).glob(f"{ROOT_PREFIX}*"):
        owner = root / OWNER_FILE
        try:
            pid = int(owner.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            continue
        if _pid_alive(pid):
            continue
        stale = PostgresServer(bin_dir=bin_dir, root=root, port=0)
        stale.stop()
        reaped.append(root)
    return reaped


@dataclasses.dataclass
class PostgresServer:
    """A running throwaway server; :meth:`stop` stops it and removes its files."""

    bin_dir: Path
    root: Path
    port: int
    host: str = "127.0.0.1"
    user: str = SUPERUSER
    _stopped: bool = dataclasses.field(default=False, repr=False)

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory (also holds the Unix socket)."""
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        """The server log."""
        return self.root / "server.log"

    @classmethod
    def start(cls, *, port: int | None = None, parent: str | None = None) -> PostgresServer:
        """initdb a fresh cluster in a new temporary folder and start it (waits until ready).

        A free port is probed, then bound by the server: another session (a parallel
        pytest-xdist worker) may take it in between, so a start on a probed port is
        tried up to three times, each on a new cluster and port.
        """
        bin_dir = find_bin_dir()
        reap_stale(bin_dir, parent)
        for attempt in range(1 if port else 3):
            root = Path(tempfile.mkdtemp(prefix=ROOT_PREFIX, dir=parent))
            (root / OWNER_FILE).write_text(str(os.getpid()), encoding="utf-8")
            server = cls(bin_dir=bin_dir, root=root, port=port or free_port())
            try:
                server._init_and_start()
            except PostgresUnavailableError:
                server.stop()
                if port or attempt == 2:
                    raise
                continue
            except BaseException:
                server.stop()
                raise
            return server
        raise AssertionError("unreachable")  # pragma: no cover

    def _init_and_start(self) -> None:
        if os.geteuid() == 0:
            entry = pwd.getpwnam(SUPERUSER)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        os.chmod(self.root, 0o700)  # noqa: PTH101 - mirrors initdb's own requirement
        _run(
            [
                str(self.bin_dir / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            "initdb",
        )
        options = f"-p {self.port} -k {self.data_dir} {SERVER_OPTIONS}"
        _run(
            [
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            "pg_ctl start",
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.dsn("postgres"), connect_timeout=5):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def dsn(self, database: str = "postgres") -> str:
        """A libpq URL for ``database`` (no password: trust authentication)."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"

    def connect(self, database: str = "postgres", **options: Any) -> psycopg.Connection[Any]:
        """An autocommit connection to ``database``."""
        return psycopg.connect(self.dsn(database), autocommit=True, **options)

    def create_database(self, name: str) -> str:
        """Create ``name`` (dropping an older one); returns its DSN."""
        with self.connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.dsn(name)

    def target_config(self, database: str, schema: str) -> dict[str, Any]:
        """Settings of meltanolabs-target-postgres for ``database``.``schema``."""
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": "",
            "database": database,
            "default_target_schema": schema,
        }

    def stop(self) -> None:
        """Stop the server (fast shutdown, immediate as a fallback) and delete its folder."""
        if self._stopped:
            return
        self._stopped = True
        try:
            if (self.data_dir / "postmaster.pid").exists():
                with contextlib.suppress(PostgresUnavailableError, subprocess.TimeoutExpired):
                    _run(
                        [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast",
                         "-w", "-t", "30", "stop"],
                        "pg_ctl stop",
                        timeout=60,
                    )  # fmt: skip
                if (self.data_dir / "postmaster.pid").exists():
                    with contextlib.suppress(PostgresUnavailableError, subprocess.TimeoutExpired):
                        _run(
                            [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m",
                             "immediate", "-w", "stop"],
                            "pg_ctl stop -m immediate",
                            timeout=60,
                        )  # fmt: skip
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@contextlib.contextmanager
def running_server() -> Iterator[PostgresServer]:
    """``with running_server() as server:`` -- start, yield, always stop and clean up."""
    server = PostgresServer.start()
    try:
        yield server
    finally:
        server.stop()
