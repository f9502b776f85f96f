"""The scheduler's run records (``gateway.scheduled_job_runs``): one row per job and instant.

A worker asks ``ran`` before doing a job's work for an instant and ``record``s the
outcome after; jobs of the same name never run at once (procrastinate's ``lock``), so
the check and the record cannot race between workers. A failed run is recorded too
(``succeeded`` false) and the next tick tries the instant again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg

from schema.operations import JobRun

#: Rows older than this are pruned as new ones arrive (the release job writes one a minute).
KEEP = timedelta(days=7)


async def ran(conn: asyncpg.Connection, *, job: str, due_at: datetime) -> bool:
    done: bool | None = await conn.fetchval(
        "SELECT succeeded FROM gateway.scheduled_job_runs WHERE job = $1 AND due_at = $2", job, due_at
    )
    return bool(done)


async def record(
    conn: asyncpg.Connection, *, job: str, due_at: datetime, ran_at: datetime, outcome: str, succeeded: bool,
    worker: str,
) -> None:
    await conn.execute(
        """
        INSERT INTO gateway.scheduled_job_runs AS r (job, due_at, ran_at, outcome, succeeded, worker)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (job, due_at) DO UPDATE
           SET ran_at = excluded.ran_at, outcome = excluded.outcome, succeeded = excluded.succeeded,
               worker = excluded.worker, executions = r.executions + 1
        """,
        job, due_at, ran_at, outcome[:2000], succeeded, worker,
    )
    await conn.execute(
        "DELETE FROM gateway.scheduled_job_runs WHERE job = $1 AND due_at < $2", job, due_at - KEEP
    )


async def latest_runs(conn: asyncpg.Connection) -> dict[str, JobRun]:
    """The latest run of each job (by scheduled instant), keyed by job name."""
    rows = await conn.fetch(
        """
        SELECT DISTINCT ON (job) job, due_at, ran_at, outcome, succeeded
          FROM gateway.scheduled_job_runs ORDER BY job, due_at DESC
        """
    )
    return {row["job"]: JobRun(**dict(row)) for row in rows}
