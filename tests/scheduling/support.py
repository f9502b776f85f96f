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
    scheduler: Scheduler

    async def tick(self, text: str) -> dict[str, asyncpg.Record]:
        """Move the clock to ``text`` (Asia/Shanghai) and let the worker run what is due then."""
        now = at(text)
        self.server.clock.set(now)
        await self.scheduler.defer_ticks(now)
        return await wait_for_ticks(self.db, now)

    async def gql(self, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        return await self.api.gql(query, token or self.api.operator, **variables)


@contextlib.asynccontextmanager
async def platform(database_url: str, *, start: datetime = START) -> AsyncIterator[Platform]:
    """The app as ``fingraph serve`` runs it (one worker in process) on a fresh database."""
    async with other_database(database_url, "fg_sched") as dsn:
        clock = Clock(start)
        settings = Settings(database_url=dsn, jwt_secret=SECRET, pool_min_size=1, pool_max_size=6, worker=True)
        app = create_app(settings, clock=clock)
        async with served(app) as url, httpx.AsyncClient(base_url=url, timeout=60) as http:
            server = Server(url=url, clock=clock, settings=settings)
            pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
            try:
                yield Platform(server, Api(http=http, server_token=server.token), pool, app.state.scheduler)
            finally:
                await pool.close()
