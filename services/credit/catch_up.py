"""Which ended business days still wait for their interest accrual (after downtime, several).

The accrual itself stays ``accrue_daily_interest`` (one date, idempotent); this only
says which dates to run, oldest first, so a scheduler that was down catches up in the
order the days happened (each day's carry feeds the next).
"""

from __future__ import annotations

from datetime import date, timedelta

import asyncpg

from services.credit import repository


async def unaccrued_days(conn: asyncpg.Connection, *, today: date) -> list[date]:
    """The ended days after the last accrued one, oldest first; none before the first drawdown.

    ``today`` is the current business date (Asia/Shanghai): it has not ended, so the
    last day returned is the day before it. With no accrual yet, the first day is the
    day of the first drawdown (no line owed anything before it); with no drawdown
    either, there is nothing to accrue.
    """
    last = await repository.last_accrued_date(conn)
    first = last + timedelta(days=1) if last is not None else await repository.first_drawdown_day(conn)
    if first is None:
        return []
    return [first + timedelta(days=n) for n in range((today - first).days)]
