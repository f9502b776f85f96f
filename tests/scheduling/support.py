"""A served app with its in-process worker on a database of its own, and ticks that follow a moved clock."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import httpx

from gateway.app import create_app
from gateway.scheduler import Scheduler
from gateway.settings import Settings
from schema.operations import scheduling
from services.kernel.clock import Clock
from tests.conftest import SECRET, START, Server
from tests.support import Api, other_database, served

SCHEDULED_JOBS = "query ScheduledJobs { scheduledJobs { name lastRunAt nextRunAt lastOutcome lagSeconds } }"


def at(text: str) -> datetime:
    """An Asia/Shanghai wall-clock instant, e.g. at("2026-11-25 10:00:30")."""
    return datetime.fromisoformat(text.replace(" ", "T") + "+08:00")


async def wait_for_ticks(db: asyncpg.Pool, now: datetime, *, timeout: float = 30) -> dict[str, asyncpg.Record]:
    """Wait until every job has a run for its latest instant as of ``now`` and the queue is empty."""
    due = {job.name: scheduling.latest_due(job.cron, now) for job in scheduling.JOBS}
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with db.acquire() as conn:
            rows = await conn.fetch(
                "SELECT * FROM gateway.scheduled_job_runs WHERE (job, due_at) IN"
                " (SELECT * FROM unnest($1::text[], $2::timestamptz[]))", list(due), list(due.values()),
            )
            busy = await conn.fetchval("SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')")
        if len(rows) == len(due) and busy == 0:
            return {row["job"]: row for row in rows}
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"ticks as of {now} never ran: {[dict(r) for r in rows]}, {busy} jobs queued")
        await asyncio.sleep(0.05)


@dataclass
class Platform:
    """The served app, its worker (``fingraph serve``'s), a client and a pool on its own database."""

    server: Server
    api: Api
    db: asyncpg.Pool
    workers: list[Scheduler]

    async def tick(self, text: str) -> dict[str, asyncpg.Record]:
        """Move the clock to ``text`` (Asia/Shanghai) and let the workers run what is due then.

        Every worker's deferrer is asked at once, as each would at that minute; procrastinate
        keeps one job per task and minute whoever asks first.
        """
        now = at(text)
        self.server.clock.set(now)
        await asyncio.gather(*(worker.defer_ticks(now) for worker in self.workers))
        return await wait_for_ticks(self.db, now)

    async def gql(self, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        return await self.api.gql(query, token or self.api.operator, **variables)


@contextlib.asynccontextmanager
async def platform(
    database_url: str, *, start: datetime = START, workers: int = 0, job_timeout_ms: int = 10_000
) -> AsyncIterator[Platform]:
    """On a fresh database: the app as ``fingraph serve`` runs it (one worker in process), or,
    with ``workers``, the app without one beside that many workers of their own (as
    ``fingraph worker`` processes), which keep their finished jobs for inspection and run
    their jobs' statements under ``job_timeout_ms``."""
    async with other_database(database_url, "fg_sched") as dsn:
        clock = Clock(start)
        settings = Settings(
            database_url=dsn, jwt_secret=SECRET, pool_min_size=1, pool_max_size=6, worker=workers == 0
        )
        app = create_app(settings, clock=clock)
        async with contextlib.AsyncExitStack() as stack:
            url = await stack.enter_async_context(served(app))
            http = await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=60))
            server = Server(url=url, clock=clock, settings=settings)
            pool = await asyncpg.create_pool(
                dsn, min_size=1, max_size=2 + 2 * workers, server_settings={"statement_timeout": str(job_timeout_ms)}
            )
            stack.push_async_callback(pool.close)
            running = [app.state.scheduler] if workers == 0 else [
                await stack.enter_async_context(
                    Scheduler(dsn=dsn, pool=pool, clock=clock, name=f"worker-{n}", delete_jobs="never").running()
                )
                for n in range(workers)
            ]
            yield Platform(server, Api(http=http, server_token=server.token), pool, running)
