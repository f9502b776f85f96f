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

from tests.scale.engines import require_binary
from tests.support import other_database

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
