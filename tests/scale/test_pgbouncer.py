"""The end-to-end suite with the gateway behind PgBouncer in transaction mode.

tests/e2e runs again in a subprocess, on a fresh database of its own, with
``FINGRAPH_TEST_PGBOUNCER=1`` (tests/conftest.py puts a PgBouncer started on a free port
between the served gateway and that database) and ``FINGRAPH_PGBOUNCER=1`` (what the
gateway needs behind a transaction pooler: gateway/db.py). Every scenario of the
contract, the concurrency and idempotency races included, then goes through the pooler.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from gateway.app import create_app
from gateway.settings import Settings
from services.kernel.clock import Clock
from tests.conftest import SECRET, START
from tests.scale.engines import pgbouncer, require_binary
from tests.scheduling.support import at, wait_for_ticks
from tests.support import other_database, served

ROOT = Path(__file__).parents[2]


async def test_the_e2e_suite_passes_through_pgbouncer_in_transaction_mode(
    database_url: str, tmp_path: Path
) -> None:
    require_binary("pgbouncer", package="pgbouncer")
    async with other_database(database_url, "fg_pgbouncer", migrate=True) as dsn:
        env = {**os.environ, "DATABASE_URL": dsn, "FINGRAPH_TEST_PGBOUNCER": "1", "FINGRAPH_PGBOUNCER": "1"}
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "pytest", "tests/e2e", "-q", "-x", "-p", "no:randomly", "-p", "no:cacheprovider",
             "--basetemp", str(tmp_path / "e2e")],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
        )
    tail = done.stdout[-6000:] + done.stderr[-2000:]
    assert done.returncode == 0, tail
    assert " passed" in done.stdout and " skipped" not in done.stdout.splitlines()[-1], tail


async def test_the_scheduler_runs_its_jobs_through_pgbouncer(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``fingraph serve``'s in-process worker (procrastinate on psycopg) behind the pooler, midnight's jobs."""
    require_binary("pgbouncer", package="pgbouncer")
    monkeypatch.setenv("FINGRAPH_PGBOUNCER", "1")
    async with other_database(database_url, "fg_pgbouncer_jobs", migrate=True) as dsn:
        with pgbouncer(dsn) as pooled:
            clock = Clock(START)
            settings = Settings(database_url=pooled, jwt_secret=SECRET, pool_min_size=1, pool_max_size=6, worker=True)
            app = create_app(settings, clock=clock)
            direct = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
            try:
                async with served(app):
                    for instant in ("2026-11-21 00:00:10", "2026-11-22 00:00:10"):
                        now = at(instant)
                        clock.set(now)
                        await app.state.scheduler.defer_ticks(now)
                        ran = await wait_for_ticks(direct, now, timeout=60)
                        # every job's tick for that midnight ran once, and succeeded
                        assert all(row["executions"] == 1 and row["succeeded"] for row in ran.values()), ran
            finally:
                await direct.close()
