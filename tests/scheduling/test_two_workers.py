"""Two workers on one database (as two ``fingraph worker`` processes): each job runs once per
scheduled instant, and the money moves once."""

from __future__ import annotations

import contextlib
from collections import Counter

from procrastinate.exceptions import AlreadyEnqueued

from gateway.scheduler import task_name
from schema.operations import scheduling
from tests.credit.test_credit_flow import DRAW, OPEN_LINE
from tests.scheduling.support import platform, wait_for_ticks
from tests.support import TRIAL_BALANCE, new_key

#: Minutes and midnights the clock walks through: each tick instant once, both workers asked.
WALK = [
    "2026-11-20 10:01:10", "2026-11-20 10:02:10", "2026-11-21 00:00:10", "2026-11-22 00:00:10",
    "2026-11-30 10:00:10", "2026-11-30 10:01:10", "2026-11-30 10:02:10", "2026-12-01 00:00:10",
]


async def test_two_workers_run_each_job_once_per_instant(database_url: str) -> None:
    async with platform(database_url, workers=2) as p:
        merchant = await p.api.merchant("Twice Tea Co.")
        buyer = await p.api.consumer("Twin", balance="1000.00")
        for amount in ("10.00", "20.00"):  # both due 2026-11-30 10:00
            assert (await p.api.pay(buyer, merchant, amount))["payment"]["status"] == "HELD"
        p.server.clock.set(p.server.clock.now().replace(minute=1))
        assert (await p.api.pay(buyer, merchant, "30.00"))["payment"]["status"] == "HELD"  # due 10:01
        assert (await p.gql(OPEN_LINE, p=buyer.id, l="5000.00", r="0.0005"))["openCreditLine"]["userErrors"] == []
        assert (await p.gql(DRAW, buyer.token, a="2000.00", k=new_key()))["drawCredit"]["userErrors"] == []

        ran = []
        for instant in WALK:
            ticks = await p.tick(instant)
            ran += [(row["job"], row["due_at"], row["executions"], row["succeeded"]) for row in ticks.values()]

        # Two processes whose own clocks disagree by a minute defer ticks for different
        # timestamps at the same platform instant: the second tick finds the run recorded.
        for n, worker in enumerate(p.workers):
            for job in scheduling.JOBS:
                with contextlib.suppress(AlreadyEnqueued):  # the other's tick still waits: enough
                    await worker.app.tasks[task_name(job.name)].defer_async(timestamp=n)
        again = await wait_for_ticks(p.db, p.server.clock.now())
        assert {job: row["executions"] for job, row in again.items()} == dict.fromkeys(again, 1)

        async with p.db.acquire() as conn:
            deferred = await conn.fetch(
                "SELECT task_name, args->>'timestamp' AS tick, count(*) AS jobs FROM procrastinate_jobs"
                " WHERE args->>'timestamp' NOT IN ('0', '1') GROUP BY 1, 2"
            )
            ran_by = await conn.fetch("SELECT DISTINCT worker_id FROM procrastinate_jobs WHERE worker_id IS NOT NULL")
            releases = await conn.fetch(
                "SELECT reference FROM payments.journal_entries WHERE kind = 'ESCROW_AUTO_RELEASE' ORDER BY id"
            )
            accruals = await conn.fetch("SELECT date, interest FROM credit.accruals ORDER BY date")
        # The work of every (job, instant) ran once, and succeeded; no tick was queued twice.
        assert all(executions == 1 and succeeded for _, _, executions, succeeded in ran), ran
        per_job = Counter(job for job, due, _, _ in set(ran))
        assert per_job["releaseDuePayments"] == len(WALK)  # a new minute at each step
        assert per_job["accrueCreditInterest"] == 5  # the midnights of 11-20, 11-21, 11-22, 11-30 (late), 12-01
        assert deferred and {r["jobs"] for r in deferred} == {1}
        assert len(ran_by) >= 1
        # The money moved once: one release entry per minute that had something due, and
        # one accrual per ended day, 2000.00 x 0.05% = 1.00 each.
        assert [r["reference"] for r in releases] == [
            "release-due:2026-11-30T10:00:10+08:00", "release-due:2026-11-30T10:01:10+08:00",
        ]
        assert [(str(r["date"]), r["interest"]) for r in accruals] == [
            (f"2026-11-{day}", 100) for day in range(20, 31)
        ]
        assert await p.api.balance(merchant) == "60.00"
        assert (await p.gql(TRIAL_BALANCE))["trialBalance"]["total"]["amount"] == "0.00"
