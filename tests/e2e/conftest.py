"""Fixtures of the end-to-end tests: PostgreSQL, the Meltano project, per-test workspaces.

* ``pg_server`` (session): a throwaway PostgreSQL on 127.0.0.1 (see ``postgres.py``),
  stopped and deleted at the end of the session. Missing server binaries fail the
  tests with the command that installs them (``bash scripts/postgres.sh install``).
* ``pg_database`` (session): database ``telegram`` on it.
* ``meltano_project`` (session): the installed test project (``meltano_project.py``),
  cached between sessions under ``~/.cache/tap-telegram-e2e``.
* ``workspace``: one test's own state store, output folders and settings.
* ``pg_schema``: a schema name unique to the test, dropped afterwards.
* ``destination``: parametrized over the three loaders; reads back what was written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg import sql

from tests.e2e.meltano_project import LOADERS, MeltanoError, MeltanoProject, Workspace
from tests.e2e.outputs import Destination
from tests.e2e.postgres import PostgresServer, PostgresUnavailableError

DATABASE = "telegram"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole session."""
    try:
        server = PostgresServer.start()
    except PostgresUnavailableError as exc:
        pytest.fail(f"cannot start PostgreSQL for the e2e tests: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_database(pg_server: PostgresServer) -> str:
    """The e2e database's name (created fresh)."""
    pg_server.create_database(DATABASE)
    return DATABASE


@pytest.fixture(scope="session")
def meltano_project(tmp_path_factory: pytest.TempPathFactory) -> MeltanoProject:
    """The installed test Meltano project (cached across sessions)."""
    log = tmp_path_factory.mktemp("meltano-install") / "install.log"
    try:
        return MeltanoProject.provision(log=log)
    except MeltanoError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def workspace(meltano_project: MeltanoProject, tmp_path: Path) -> Workspace:
    """A fresh state store, output folders and settings for one test."""
    return meltano_project.workspace(tmp_path / "workspace")


@pytest.fixture
def pg_schema(
    request: pytest.FixtureRequest, pg_server: PostgresServer, pg_database: str
) -> Iterator[str]:
    """A schema name unique to this test (dropped at teardown)."""
    name = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower()).strip("_")[:50]
    schema = f"t_{name}"
    drop = sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
    with pg_server.connect(pg_database) as conn:
        conn.execute(drop)
    yield schema
    with pg_server.connect(pg_database) as conn:
        conn.execute(drop)


@pytest.fixture(params=LOADERS)
def destination(request: pytest.FixtureRequest, workspace: Workspace) -> Destination:
    """Each loader in turn (target-csv, target-jsonl, target-postgres), set up for this test."""
    target = str(request.param)
    if target != "target-postgres":
        return Destination(target, workspace)
    server: PostgresServer = request.getfixturevalue("pg_server")
    database: str = request.getfixturevalue("pg_database")
    schema: str = request.getfixturevalue("pg_schema")
    workspace.use_postgres(server.target_config(database, schema))
    return Destination(target, workspace, server, database, schema)
