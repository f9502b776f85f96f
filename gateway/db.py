"""The asyncpg pool and the migrations of every service, applied under an advisory lock.

Every connection the gateway and its commands open goes through ``connect`` or
``create_pool`` here, so that one switch, ``FINGRAPH_PGBOUNCER=1``, makes all of them safe
behind a pooler in transaction mode (PgBouncer ``pool_mode = transaction``): no named
prepared statements (asyncpg's statement cache off: a statement prepared on one server
connection is unknown to the next one the pooler hands out) and no startup parameter the
pooler refuses (``statement_timeout`` is then the pooler's or the role's, see README).
Locks are transaction-scoped everywhere (``pg_advisory_xact_lock``), the one kind a
transaction pooler keeps on one server connection for their whole life.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import asyncpg

from gateway import metrics
from schema import SERVICE_MIGRATIONS

log = logging.getLogger(__name__)

#: pg_advisory_lock key: "fingraph" as a number. Concurrent starts migrate one at a time.
_MIGRATION_LOCK = 0x66696E6772617068
#: procrastinate's tables (the scheduler's job queue) are recorded under this name.
_JOB_QUEUE, _JOB_QUEUE_SCHEMA = "procrastinate", "schema.sql"


def migration_dirs() -> list[tuple[str, Path]]:
    return [("gateway", Path(__file__).parent / "migrations"), *SERVICE_MIGRATIONS]


async def _count_statements(conn: asyncpg.Connection) -> None:
    conn.add_query_logger(lambda _record: metrics.SQL_STATEMENTS.inc())


class PooledConnection(asyncpg.Connection):  # type: ignore[misc]
    """A pool connection released without asyncpg's reset query (one round trip less per
    request). Nothing here leaves session state behind: settings are startup parameters,
    the events hub polls on its own connection, the migration lock is released
    explicitly, and asyncpg still rolls back any open transaction on release."""

    def get_reset_query(self) -> str:
        return ""


def behind_transaction_pooler() -> bool:
    """Whether connections go through a pooler in transaction mode (``FINGRAPH_PGBOUNCER=1``).

    Read from the environment, not passed along, because every command's one-off
    connection (token, migrate, seed) must agree with the server's pool.
    """
    return os.environ.get("FINGRAPH_PGBOUNCER", "").strip().lower() in ("1", "true", "yes", "on")


def connect_options(*, application_name: str = "fingraph", statement_timeout_ms: int | None = None) -> dict[str, Any]:
    """asyncpg's keyword arguments for a connection, direct or through a transaction pooler."""
    server_settings = {"application_name": application_name}
    if behind_transaction_pooler():
        # PgBouncer 1.18 refuses unknown startup parameters; the timeout is its connect_query's.
        return {"statement_cache_size": 0, "server_settings": server_settings}
    if statement_timeout_ms is not None:
        server_settings["statement_timeout"] = str(statement_timeout_ms)
    return {"server_settings": server_settings}


async def connect(dsn: str) -> asyncpg.Connection:
    """One connection (a command's, the events poller's), pooler-safe like the pool's."""
    conn: asyncpg.Connection = await asyncpg.connect(dsn, **connect_options())
    return conn


async def create_pool(
    dsn: str, *, min_size: int = 2, max_size: int = 20, statement_timeout_ms: int = 10_000,
    application_name: str = "fingraph", connect_timeout: float = 60,
) -> asyncpg.Pool:
    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn,
        timeout=connect_timeout,
        min_size=min_size,
        max_size=max_size,
        init=_count_statements,
        connection_class=PooledConnection,
        **connect_options(application_name=application_name, statement_timeout_ms=statement_timeout_ms),
    )
    return pool


_LEDGER_OF_MIGRATIONS = """
    CREATE TABLE IF NOT EXISTS public.fingraph_migrations (
        service text NOT NULL, name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (service, name))
"""


async def migrate(conn: asyncpg.Connection) -> list[str]:
    """Apply every pending migration, in order, each in its own transaction; returns their names.

    Each file's transaction takes the migration lock first and checks again that the file
    is still pending, so concurrent starts apply each file once, in order. The lock is
    transaction-scoped: a session lock taken through a transaction pooler could be
    released on another server connection than the one holding it.
    """
    applied: list[str] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
        await conn.execute(_LEDGER_OF_MIGRATIONS)
    done = {(r["service"], r["name"]) for r in await conn.fetch("SELECT service, name FROM public.fingraph_migrations")}
    for service, directory in migration_dirs():
        for path in sorted(directory.glob("[0-9][0-9][0-9]_*.sql")):
            if (service, path.name) in done:
                continue
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
                if await conn.fetchval(
                    "SELECT 1 FROM public.fingraph_migrations WHERE service = $1 AND name = $2", service, path.name
                ):
                    continue  # another process applied it while this one waited for the lock
                await conn.execute(path.read_text())
                await conn.execute(
                    "INSERT INTO public.fingraph_migrations (service, name) VALUES ($1, $2)", service, path.name
                )
            log.info("applied migration %s/%s", service, path.name)
            applied.append(f"{service}/{path.name}")
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
        done = {(r["service"], r["name"])
                for r in await conn.fetch("SELECT service, name FROM public.fingraph_migrations")}
        applied += await _migrate_job_queue(conn, done)  # its transactions are savepoints of this one
    return applied


async def _migrate_job_queue(conn: asyncpg.Connection, done: set[tuple[str, str]]) -> list[str]:
    """procrastinate's own schema (the scheduler's job queue, ADR 023), recorded like ours.

    A new database gets the package's ``schema.sql`` (its current schema, in one piece)
    and every migration file the package ships is recorded as applied with it; a later
    procrastinate release then brings only its new migration files, applied here in
    name order (the package's own version order) as any other migration.
    """
    schema_sql, migrations = _job_queue_sql()
    if (_JOB_QUEUE, _JOB_QUEUE_SCHEMA) not in done:
        async with conn.transaction():
            await conn.execute(schema_sql)
            await conn.executemany(
                "INSERT INTO public.fingraph_migrations (service, name) VALUES ($1, $2)",
                [(_JOB_QUEUE, name) for name in [_JOB_QUEUE_SCHEMA, *migrations]],
            )
        log.info("applied procrastinate's schema")
        return [f"{_JOB_QUEUE}/{_JOB_QUEUE_SCHEMA}"]
    applied = []
    for name, sql in migrations.items():
        if (_JOB_QUEUE, name) in done:
            continue
        async with conn.transaction():
            await conn.execute(sql)
            await conn.execute(
                "INSERT INTO public.fingraph_migrations (service, name) VALUES ($1, $2)", _JOB_QUEUE, name
            )
        applied.append(f"{_JOB_QUEUE}/{name}")
    return applied


def _job_queue_sql() -> tuple[str, dict[str, str]]:
    """procrastinate's schema and its migration files by name, in name (version) order."""
    from procrastinate.schema import SchemaManager

    files = sorted(Path(SchemaManager.get_migrations_path()).glob("*.sql"))
    return SchemaManager.get_schema(), {path.name: path.read_text() for path in files}


async def migrate_dsn(dsn: str) -> list[str]:
    conn: Any = await connect(dsn)
    try:
        return await migrate(conn)
    finally:
        await conn.close()
