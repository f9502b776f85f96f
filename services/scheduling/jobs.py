"""The platform's timed work: what each job does as of an instant, and when it is due.

Each job calls the services' public operations, the same ones the operator mutations
and CLI commands run, so a scheduled run and a manual one cannot differ; each is
idempotent for its date (or, for the escrow release, "what is due as of now"), so a
run repeated after a crash or by a second worker changes nothing. Schedules are cron
expressions in business time (Asia/Shanghai), read by ``timing``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from services import credit, funds, payments
from services.kernel.clock import business_date
from services.kernel.money import Money
from services.scheduling.models import Outcome

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobEnv:
    """What a run needs: the pool (a job may run several transactions), the instant, the fee."""

    pool: asyncpg.Pool
    now: datetime
    #: The scheduled instant this run is for (``now`` or earlier, when a worker was late).
    due_at: datetime
    platform_fee_bps: int = 0


@dataclass(frozen=True)
class Job:
    name: str
    #: Minute, hour, day, month, weekday in Asia/Shanghai.
    cron: str
    description: str
    run: Callable[[JobEnv], Awaitable[Outcome]]


async def release_due_escrow(env: JobEnv) -> Outcome:
    """Pay the merchant every payment held past its confirmation window, as of now."""
    async with env.pool.acquire() as conn, conn.transaction():
        released = await payments.release_due_payments(
            conn, as_of=env.now, fee_bps=env.platform_fee_bps, now=env.now
        )
    return Outcome(f"released {released} payments due by {env.now.isoformat()}", {"released": released})


async def settle_due_fund_orders(env: JobEnv) -> Outcome:
    """At the start of a business day: confirm due subscriptions, pay out due standard redemptions."""
    today = business_date(env.now)
    async with env.pool.acquire() as conn, conn.transaction():
        settled = await funds.settle_due_fund_orders(conn, now=env.now)
    return Outcome(f"settled {settled} fund orders due by {today}", {"settled": settled})


async def accrue_credit_interest(env: JobEnv) -> Outcome:
    """Accrue every ended business day not accrued yet, oldest first, one transaction per day.

    After downtime this catches up day by day in order (a day's sub-fen carry feeds the
    next, and overdue principal is charged the penalty from its first overdue day). A
    crash part-way keeps the days done; the next run starts after the last one.
    """
    today = business_date(env.now)
    async with env.pool.acquire() as conn:
        days = await credit.unaccrued_days(conn, today=today)
        interest = penalty = 0
        for day in days:
            async with conn.transaction():
                accrual = await credit.accrue_daily_interest(conn, day=day, now=env.now)
            interest += accrual.total_interest.fen
            penalty += accrual.total_penalty.fen
    if not days:
        return Outcome("no ended day left to accrue", {"days": 0, "interest_fen": 0, "penalty_fen": 0})
    span = f"{days[0]}" if len(days) == 1 else f"{days[0]}..{days[-1]}"
    return Outcome(
        f"accrued {span} ({len(days)} days): interest {Money(interest).amount}, penalty {Money(penalty).amount}",
        {"days": len(days), "interest_fen": interest, "penalty_fen": penalty},
    )


async def flag_missing_fund_yields(env: JobEnv) -> Outcome:
    """Flag every fund whose yield for yesterday is not published (its holders earn nothing until it is).

    "Yesterday" is the day before the scheduled instant: a check run late (after
    midnight, by a worker that was down) still asks about the day it was due to check,
    not a day whose yield is not due yet.
    """
    yesterday = business_date(env.due_at) - timedelta(days=1)
    async with env.pool.acquire() as conn:
        missing = await funds.funds_missing_yield(conn, day=yesterday)
    if missing:
        log.warning("fund yield for %s missing: %s", yesterday, ", ".join(missing))
        return Outcome(f"MISSING yield for {yesterday}: {', '.join(missing)}", {"missing": len(missing)})
    return Outcome(f"every fund published {yesterday}", {"missing": 0})


#: Every scheduled job, in the order a tick runs them when several are due.
JOBS: tuple[Job, ...] = (
    Job("releaseDuePayments", "* * * * *", "Auto-confirm payments held past the confirmation window (each minute).",
        release_due_escrow),
    Job("settleFundOrders", "0 0 * * *", "Confirm T+1 subscriptions and pay out standard redemptions due today "
        "(00:00 Asia/Shanghai).", settle_due_fund_orders),
    Job("accrueCreditInterest", "0 0 * * *", "Charge each ended day's credit interest and overdue penalty, "
        "catching up missed days in order (00:00 Asia/Shanghai).", accrue_credit_interest),
    Job("flagMissingFundYields", "0 10 * * *", "Flag a fund whose yield for yesterday is not published by 10:00 "
        "Asia/Shanghai.", flag_missing_fund_yields),
)
