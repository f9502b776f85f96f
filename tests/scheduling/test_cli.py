"""``fingraph serve`` runs a worker unless ``--no-worker``; ``fingraph worker`` runs the jobs
as of ``FINGRAPH_NOW``. Run as people run them: subprocesses on a fresh database, with the
demo data set ``serve`` loads into it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import httpx

from tests.support import free_port, other_database

ROOT = Path(__file__).resolve().parents[2]
FRIDAY = "2026-11-20T10:00:00+08:00"


def _env(dsn: str, now: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": dsn, "FINGRAPH_JWT_SECRET": "s" * 40, "FINGRAPH_NOW": now}


def _serve_until_healthy(dsn: str, *flags: str, settle: float = 0.0) -> str:
    """Start ``fingraph serve``, wait for /healthz (and ``settle`` seconds more), stop it; its output."""
    port = free_port()
    command = [sys.executable, "-c", "from gateway.cli import main; main()", "serve", "--port", str(port), *flags]
    process = subprocess.Popen(command, cwd=ROOT, env=_env(dsn, FRIDAY), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()[0].decode()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        time.sleep(settle)
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0].decode()
    return output


async def _runs(dsn: str) -> dict[str, str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT DISTINCT ON (job) job, outcome FROM gateway.scheduled_job_runs"
                                " ORDER BY job, due_at DESC")
    finally:
        await conn.close()
    return {row["job"]: row["outcome"] for row in rows}


async def test_serve_runs_the_jobs_unless_no_worker_and_the_worker_command_follows_the_clock(
    database_url: str,
) -> None:
    async with other_database(database_url, "fg_sched_cli") as dsn:
        quiet = _serve_until_healthy(dsn, "--no-worker", settle=2)
        assert "running the scheduled jobs" not in quiet
        assert await _runs(dsn) == {}

        loud = _serve_until_healthy(dsn, settle=3)
        assert "running the scheduled jobs in process" in loud
        ran = await _runs(dsn)
        assert set(ran) == {"releaseDuePayments", "settleFundOrders", "accrueCreditInterest",
                            "flagMissingFundYields"}, loud[-3000:]
        assert ran["releaseDuePayments"].endswith(f"due by {FRIDAY}")

        # One night later by the clock, `fingraph worker` runs what fell due overnight and exits.
        saturday = "2026-11-21T10:00:30+08:00"
        done = subprocess.run(
            [sys.executable, "-c", "from gateway.cli import main; main()", "worker", "--until-idle"],
            cwd=ROOT, env=_env(dsn, saturday), capture_output=True, text=True, timeout=120,
        )
        assert done.returncode == 0, done.stderr
        after = await _runs(dsn)
        assert after["releaseDuePayments"].endswith(f"due by {saturday}")
        assert after["settleFundOrders"].endswith("due by 2026-11-21")
        assert after["accrueCreditInterest"].startswith("accrued 2026-11-20 (1 days)")
        assert after["flagMissingFundYields"] == "MISSING yield for 2026-11-20: YEB"
