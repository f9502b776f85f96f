"""The worker: the platform's timed jobs on procrastinate, once per scheduled instant (ADR 023).

Each job of ``services.scheduling.JOBS`` is a procrastinate periodic task that ticks
every minute. A tick asks the platform's clock (``FINGRAPH_NOW`` or the real one) for
the job's latest scheduled instant and runs the job's work for it unless the run
records say it already ran. Across any number of workers on one database:

- procrastinate defers one job per task and minute (its ``procrastinate_periodic_defers``
  are unique), and the ``queueing_lock`` keeps at most one tick of a job waiting;
- the ``lock`` runs ticks of the same job one at a time, so "already ran?" and the record
  written after the work cannot race;
- the work itself is idempotent per date (the services' batches), the last guard.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import asyncpg
import procrastinate
from procrastinate.periodic import PeriodicDeferrer

from gateway import db, job_runs, metrics
from schema.operations import scheduling
from services.kernel.clock import Clock

log = logging.getLogger(__name__)

#: Every job ticks each minute; its own cron (business time) says when it has work.
TICK = "* * * * *"


def task_name(job: str) -> str:
    return f"fingraph.{job}"


class Scheduler:
    """A procrastinate app with one periodic task per job, run by ``run`` (a worker)."""

    def __init__(
        self, *, dsn: str, pool: asyncpg.Pool, clock: Clock, platform_fee_bps: int = 0, name: str | None = None,
        delete_jobs: str = "successful",
    ) -> None:
        self.pool = pool
        self.clock = clock
        self.platform_fee_bps = platform_fee_bps
        self.name = name or f"{socket.gethostname()}:{id(self):x}"
        self.delete_jobs = delete_jobs
        # A small pool of its own (psycopg 3: procrastinate's driver); the jobs' work runs on ``pool``.
        # Behind a transaction pooler (gateway/db.py): no prepared statements, and the worker
        # polls instead of LISTENing (a LISTEN stays on whichever server connection ran it).
        self.behind_pooler = db.behind_transaction_pooler()
        connection: dict[str, Any] = {"prepare_threshold": None} if self.behind_pooler else {}
        self.app = procrastinate.App(
            connector=procrastinate.PsycopgConnector(conninfo=dsn, min_size=1, max_size=3, kwargs=connection)
        )
        for job in scheduling.JOBS:
            self._register(job)

    def _register(self, job: scheduling.Job) -> None:
        async def tick(timestamp: int) -> None:  # procrastinate passes the tick's instant
            await self.run_job(job)

        # No procrastinate retry: a failed tick is redone by the next minute's tick (the run
        # is recorded unsucceeded, so that tick does the work). A retry would put the failed
        # job back to "todo" beside the next tick already queued under the same queueing
        # lock; procrastinate refuses that (unique violation) and the job stays "doing",
        # holding the job's lock, until the worker restarts (ADR 023).
        task = self.app.task(name=task_name(job.name), lock=job.name, queueing_lock=job.name)(tick)
        self.app.periodic(cron=TICK, periodic_id=job.name)(task)

    async def run_job(self, job: scheduling.Job) -> scheduling.Outcome | None:
        """Do ``job``'s work for its latest scheduled instant unless it ran; None if it had."""
        now = self.clock.now()
        due = scheduling.latest_due(job.cron, now)
        async with self.pool.acquire() as conn:
            if await job_runs.ran(conn, job=job.name, due_at=due):
                metrics.SCHEDULED_RUNS.labels(job=job.name, result="skipped").inc()
                return None
        try:
            outcome = await job.run(scheduling.JobEnv(self.pool, now, due, self.platform_fee_bps))
        except Exception as exc:
            log.exception("scheduled job %s for %s failed", job.name, due.isoformat())
            await self._record(job, due, now, f"FAILED: {type(exc).__name__}: {exc}", succeeded=False)
            raise
        log.info("scheduled job %s for %s: %s", job.name, due.isoformat(), outcome.summary)
        for figure, value in outcome.figures.items():
            metrics.SCHEDULED_FIGURES.labels(job=job.name, figure=figure).inc(value)
        if "missing" in outcome.figures:
            metrics.FUND_YIELDS_MISSING.set(outcome.figures["missing"])
        await self._record(job, due, now, outcome.summary, succeeded=True)
        return outcome

    async def _record(
        self, job: scheduling.Job, due: datetime, now: datetime, outcome: str, *, succeeded: bool
    ) -> None:
        metrics.SCHEDULED_RUNS.labels(job=job.name, result="succeeded" if succeeded else "failed").inc()
        async with self.pool.acquire() as conn:
            await job_runs.record(
                conn, job=job.name, due_at=due, ran_at=now, outcome=outcome, succeeded=succeeded, worker=self.name
            )
            await refresh_metrics(conn, now)

    async def run(self, *, wait: bool = True, install_signal_handlers: bool = True) -> None:
        """``fingraph worker``: work the queue (and defer each minute's ticks) until stopped,
        or until the queue is empty if not ``wait``."""
        async with self.app.open_async():
            await self._work(wait=wait, install_signal_handlers=install_signal_handlers)

    async def _work(self, *, wait: bool, install_signal_handlers: bool) -> None:
        await self.app.run_worker_async(
            name=self.name, wait=wait, install_signal_handlers=install_signal_handlers,
            delete_jobs=self.delete_jobs, fetch_job_polling_interval=1.0, listen_notify=not self.behind_pooler,
        )

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Scheduler]:
        """A worker in this process (``fingraph serve``) until the block ends; the app stays open."""
        async with self.app.open_async():
            worker = asyncio.create_task(self._work(wait=True, install_signal_handlers=False), name=self.name)
            try:
                yield self
            finally:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker

    async def defer_ticks(self, at: datetime) -> None:
        """Defer every job's tick for the minute of ``at``, as the worker's deferrer does each minute.

        Tests and demos that move a fixed clock call this (inside ``running``) so that the
        schedule follows it; procrastinate still defers each task and minute once, whoever asks.
        """
        deferrer = PeriodicDeferrer(registry=self.app.periodic_registry)
        await deferrer.defer_jobs(deferrer.get_previous_tasks(at=at.timestamp()))


async def refresh_metrics(conn: asyncpg.Connection, now: datetime) -> None:
    """Set the per-job gauges from the shared run records."""
    for status in scheduling.job_statuses(await job_runs.latest_runs(conn), now):
        if status.last_run_at is not None:
            metrics.SCHEDULED_LAST_RUN.labels(job=status.name).set(status.last_run_at.timestamp())
        if status.last_succeeded is not None:
            metrics.SCHEDULED_LAST_SUCCESS.labels(job=status.name).set(1 if status.last_succeeded else 0)
        metrics.SCHEDULED_NEXT_RUN.labels(job=status.name).set(status.next_run_at.timestamp())
        metrics.SCHEDULED_LAG.labels(job=status.name).set(status.lag_seconds)
