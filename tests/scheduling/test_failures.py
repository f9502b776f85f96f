"""A job that fails is recorded as failed (the operator sees it and its lag), retried, and
does its work once when it succeeds: the accrual blocked by a lock charges the day once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg

from tests.credit.test_credit_flow import DRAW, OPEN_LINE
from tests.scheduling.support import SCHEDULED_JOBS, at, platform, wait_for_ticks
from tests.support import TRIAL_BALANCE, new_key

LINE = "{ me { ... on Consumer { creditLine { accruedInterest { amount } } } } }"


async def _accrual_run(db: asyncpg.Pool) -> asyncpg.Record | None:
    async with db.acquire() as conn:
        return await conn.fetchrow(
            "SELECT * FROM gateway.scheduled_job_runs WHERE job = 'accrueCreditInterest' AND due_at = $1",
            at("2026-11-21 00:00:00"),
        )


async def test_a_failed_job_is_shown_retried_and_does_its_work_once(database_url: str) -> None:
    async with platform(database_url, workers=1, job_timeout_ms=300) as p:
        buyer = await p.api.consumer("Blocked", balance="10.00")
        assert (await p.gql(OPEN_LINE, p=buyer.id, l="5000.00", r="0.0005"))["openCreditLine"]["userErrors"] == []
        assert (await p.gql(DRAW, buyer.token, a="1000.00", k=new_key()))["drawCredit"]["userErrors"] == []

        # Something holds the credit lines at midnight: the accrual's lock waits past its timeout.
        blocker: asyncpg.Connection = await asyncpg.connect(p.server.settings.database_url)
        try:
            async with blocker.transaction():
                await blocker.execute("LOCK TABLE credit.lines IN ACCESS EXCLUSIVE MODE")
                now = at("2026-11-21 00:00:30")
                p.server.clock.set(now)
                await p.workers[0].defer_ticks(now)
                for _ in range(300):
                    failed = await _accrual_run(p.db)
                    if failed is not None:
                        break
                    await asyncio.sleep(0.05)
                assert failed is not None and not failed["succeeded"]
                assert failed["outcome"].startswith("FAILED: QueryCanceledError"), failed["outcome"]
                jobs = {job["name"]: job for job in (await p.gql(SCHEDULED_JOBS))["scheduledJobs"]}
                assert jobs["accrueCreditInterest"]["lastOutcome"] == failed["outcome"]
                assert jobs["accrueCreditInterest"]["lagSeconds"] == 30
        finally:
            await blocker.close()

        # The lock is gone: the next minute's tick accrues Friday, once.
        later = now + timedelta(minutes=1)
        p.server.clock.set(later)
        await p.workers[0].defer_ticks(later)
        run = (await wait_for_ticks(p.db, later, timeout=60))["accrueCreditInterest"]
        assert run["succeeded"] and run["executions"] >= 2
        assert run["outcome"] == "accrued 2026-11-20 (1 days): interest 0.50, penalty 0.00"
        assert (await p.gql(LINE, buyer.token))["me"]["creditLine"]["accruedInterest"] == {"amount": "0.50"}
        assert (await p.gql(TRIAL_BALANCE))["trialBalance"]["total"]["amount"] == "0.00"
        jobs = {job["name"]: job for job in (await p.gql(SCHEDULED_JOBS))["scheduledJobs"]}
        assert jobs["accrueCreditInterest"]["lagSeconds"] == 0
