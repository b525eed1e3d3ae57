"""The scale-out recipe of docs/scaling.md, proven: two shards run at the same time.

Per shard (``meltano_project.SHARDS``) an extractor that ``inherit_from: tap-telegram``
and differs in ``chats``, with its own session (one a ``session_file``, the other a
``session_string``), and a loader that ``inherit_from: target-postgres`` with a schema of
its own. Both ``meltano run`` start at once, into one PostgreSQL database, with Meltano's
own system database (its state backend) in the same server (``MELTANO_DATABASE_URI``);
then the world grows and a second round runs in parallel again. Both rounds must finish,
keep one state id per shard holding exactly its chats' bookmarks, and leave tables equal
to the fake's ground truth, without a duplicate row.

A schema per shard, because two target-postgres loads into one schema at the same moment
race (0.8.1: both create the same table, "relation already exists"; both insert the same
new user, "duplicate key ... users_pkey"; 5 of 20 simultaneous starts failed when tried),
which docs/scaling.md says.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from psycopg import sql

from tests.e2e.meltano_project import (
    FAKE_EXTRACTOR,
    SHARDS,
    CommandResult,
    Workspace,
    bookmarks,
    state_id,
)
from tests.e2e.outputs import duplicates, keys, last_ids, postgres_rows, world_keys, world_truth
from tests.e2e.postgres import PostgresServer
from tests.e2e.worlds import WorldFile, shard_world_spec
from tests.fake_telegram import API_HASH, API_ID
from tests.fake_telegram.sessions import write_session_file

pytestmark = pytest.mark.e2e

#: Which world chats each shard reads (its ``chats`` in meltano.yml name them).
SHARD_CHATS = {
    "tap-telegram-news": ["news", "news_chat"],
    "tap-telegram-groups": ["devs", "ops"],
}
SYSTEM_DB = "meltano_system"


@pytest.fixture
def system_database(pg_server: PostgresServer) -> Iterator[str]:
    """Meltano's system database in the test server, as a SQLAlchemy URL (psycopg 3)."""
    pg_server.create_database(SYSTEM_DB)
    yield f"postgresql+psycopg://{pg_server.user}@{pg_server.host}:{pg_server.port}/{SYSTEM_DB}"
    with pg_server.connect() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(SYSTEM_DB))
        )


@pytest.fixture
def shard_schemas(pg_server: PostgresServer, pg_database: str) -> Iterator[dict[str, str]]:
    """A target schema per shard loader (``t_shards_<its schema>``), dropped before and after."""
    schemas = {loader: f"t_shards_{suffix}" for _, loader, suffix in SHARDS.values()}

    def drop() -> None:
        with pg_server.connect(pg_database) as conn:
            for schema in schemas.values():
                conn.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
                )

    drop()
    yield schemas
    drop()


def run_in_parallel(ws: Workspace) -> dict[str, CommandResult]:
    """``meltano run EXTRACTOR LOADER`` for every shard, all started at once."""
    started = {}
    for extractor, (_, loader, _) in SHARDS.items():
        process, log = ws.popen("run", extractor, loader)
        started[extractor] = (process, log, time.monotonic(), loader)
    results, ended = {}, {}
    for extractor, (process, log, began, loader) in started.items():
        try:
            code = process.wait(timeout=900)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        ended[extractor] = time.monotonic()
        results[extractor] = CommandResult(
            args=["run", extractor, loader],
            returncode=code,
            output=log.read_text(encoding="utf-8", errors="replace"),
            seconds=ended[extractor] - began,
        )
    ws.check_tap_runs()  # every shard's tap stdout through the stream checker
    last_start = max(began for _, _, began, _ in started.values())
    assert last_start < min(ended.values()), "the runs did not overlap"
    return results


def system_state_ids(server: PostgresServer) -> list[str]:
    """The state ids Meltano keeps in its system database (table ``state``)."""
    with server.connect(SYSTEM_DB) as conn:
        rows = conn.execute("SELECT state_id FROM state ORDER BY state_id").fetchall()
    return [str(row[0]) for row in rows]


def check_round(
    ws: Workspace,
    world: Any,
    server: PostgresServer,
    database: str,
    schemas: dict[str, str],
    results: dict[str, CommandResult],
) -> None:
    for result in results.values():
        result.check()
    expected_ids = sorted(state_id(tap, loader) for tap, (_, loader, _) in SHARDS.items())
    assert system_state_ids(server) == expected_ids
    users: collections.Counter[int] = collections.Counter()
    for shard, (_, loader, _) in SHARDS.items():
        chats = SHARD_CHATS[shard]
        truth = world_truth(world, chats)
        # The shard's state has exactly its own chats, at their newest message.
        assert bookmarks(ws.state(state_id(shard, loader))) == last_ids(truth)
        schema = schemas[loader]
        found = keys(postgres_rows(server, database, schema, "messages"))
        assert not duplicates(found), f"{schema}.messages has duplicated rows"
        assert set(found) == world_keys(truth), f"{schema}.messages is not the ground truth"
        chat_rows = postgres_rows(server, database, schema, "chats")
        assert sorted(int(row["id"]) for row in chat_rows) == sorted(truth)
        shard_users = collections.Counter(
            int(row["id"]) for row in postgres_rows(server, database, schema, "users")
        )
        assert max(shard_users.values(), default=1) == 1, f"{schema}.users has duplicated rows"
        users.update(shard_users)
    assert users, "no shard wrote users"


def test_two_shards_in_parallel_with_the_state_backend_in_postgres(
    workspace: Workspace,
    pg_server: PostgresServer,
    pg_database: str,
    shard_schemas: dict[str, str],
    system_database: str,
    tmp_path: Path,
) -> None:
    ws = workspace
    world_file = WorldFile(shard_world_spec(), tmp_path / "world.json")
    world, fake = world_file.world, world_file.fake
    ws.use_world(world_file.path)
    ws.env["MELTANO_DATABASE_URI"] = system_database
    # Shared settings on the parents; each shard only its session, each loader its schema.
    ws.set_config(FAKE_EXTRACTOR, source="mtproto", api_id=API_ID, api_hash=API_HASH)
    ws.use_postgres(pg_server.target_config(pg_database, "unused_by_shards"))
    news_session = write_session_file(tmp_path / "news.session", fake.session_string(name="news"))
    ws.set_config("tap-telegram-news", session_file=str(news_session))
    ws.set_config("tap-telegram-groups", session_string=fake.session_string(name="groups"))
    for loader, schema in shard_schemas.items():
        ws.set_config(loader, default_target_schema=schema)

    # Deploy step: migrate the system database once, before any run. Every Meltano command
    # migrates it on start, and two first runs at once would race to create its tables.
    ws.meltano("upgrade", "database", timeout=300).check()

    first = run_in_parallel(ws)
    check_round(ws, world, pg_server, pg_database, shard_schemas, first)

    # Second round: every chat grew (the two of no shard too: they stay unread).
    for key in ("news", "news_chat", "devs", "ops", "bob", "family"):
        world.append_messages(key, 35)
    world_file.save()
    second = run_in_parallel(ws)
    check_round(ws, world, pg_server, pg_database, shard_schemas, second)
    assert "unused_by_shards" not in _schemas(pg_server, pg_database)


def _schemas(server: PostgresServer, database: str) -> set[str]:
    with server.connect(database) as conn:
        rows = conn.execute("SELECT schema_name FROM information_schema.schemata").fetchall()
    return {str(row[0]) for row in rows}
