"""The asyncpg pool and the migrations of every service, applied under an advisory lock."""

from __future__ import annotations

import logging
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


async def create_pool(
    dsn: str, *, min_size: int = 2, max_size: int = 20, statement_timeout_ms: int = 10_000
) -> asyncpg.Pool:
    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        server_settings={"statement_timeout": str(statement_timeout_ms), "application_name": "fingraph"},
        init=_count_statements,
        connection_class=PooledConnection,
    )
    return pool


async def migrate(conn: asyncpg.Connection) -> list[str]:
    """Apply every pending migration, in order, each in its own transaction; returns their names."""
    applied: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
    try:
        await conn.execute(
            """
            CREATE TABLE IF NOT EXISTS public.fingraph_migrations (
                service text NOT NULL, name text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (service, name))
            """
        )
        done = {
            (r["service"], r["name"]) for r in await conn.fetch("SELECT service, name FROM public.fingraph_migrations")
        }
        for service, directory in migration_dirs():
            for path in sorted(directory.glob("[0-9][0-9][0-9]_*.sql")):
                if (service, path.name) in done:
                    continue
                async with conn.transaction():
                    await conn.execute(path.read_text())
                    await conn.execute(
                        "INSERT INTO public.fingraph_migrations (service, name) VALUES ($1, $2)", service, path.name
                    )
                log.info("applied migration %s/%s", service, path.name)
                applied.append(f"{service}/{path.name}")
        applied += await _migrate_job_queue(conn, done)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
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
    conn: Any = await asyncpg.connect(dsn)
    try:
        return await migrate(conn)
    finally:
        await conn.close()
