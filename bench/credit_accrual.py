"""Benchmark: ``accrueCreditInterest`` over many credit lines, against one plain UPDATE of the same rows.

Issue 7, goal 4: the daily accrual over N lines must cost at most 2x one plain
``UPDATE`` over the same rows. ``run(dsn, lines=N, rounds=R)``:

1. migrates the database and removes bench lines an interrupted run may have left;
2. seeds N credit lines, each with one open drawdown, set-based (``INSERT ... SELECT
   generate_series``), with the matching loan-book entry (LOAN_BOOK -> bank settlement,
   so the loan book equals what borrowers owe at every moment), and **commits** them,
   then ``VACUUM ANALYZE``: the rows are what a real night finds (committed, hint bits
   set, statistics known), not rows the timed statement's own transaction just wrote;
3. times, R rounds, in alternating order (floor first in even rounds, accrual first in
   odd ones), each in its own transaction that is rolled back, with ``VACUUM
   credit.lines`` after every one so that each starts from the same clean table:
   - the floor: ``UPDATE credit.lines SET accrued_interest = accrued_interest +
     floor(outstanding_principal * daily_rate)``, every line of the table, one statement;
   - the accrual: ``accrue_daily_interest``, the production code path (the claim of the
     date, the set-based statement, the day's totals, the ledger entry);
4. deletes the bench lines and posts the reverse loan-book entry.

Both run on the same table, indexes, WAL settings and ``synchronous_commit``; the
figures are the medians over the rounds, with every sample in ``*_runs_s``. Commit
time is not measured for either (both roll back). The business date is picked at
random far in the future of any real data, so it has never been accrued.

Standalone: ``.venv/bin/python -m bench.credit_accrual --lines 100000`` (``DATABASE_URL``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
from datetime import date, datetime, timedelta
from datetime import time as wall
from decimal import Decimal
from typing import Any

import asyncpg

from bench.batch_timing import floor_and_batch
from gateway.db import migrate_dsn
from services.credit import accrue_daily_interest
from services.kernel.clock import BUSINESS_TZ
from services.kernel.money import Money
from services.payments import SystemAccount, move

RATE = Decimal("0.0005")
#: Bench lines get party ids from here on: far above any real party (no FK across schemas).
_PARTY_BASE = 9_000_000_000_000

#: Lines as a night finds them after earlier nights: interest charged and unpaid, a sub-fen carry.
_SEED_LINES = """
    INSERT INTO credit.lines (party_id, limit_fen, daily_rate, outstanding_principal, accrued_interest,
                              interest_carry, interest_charged, opened_at)
    SELECT $1 + g, 10000000, $3, (g * 7919) % 5000000 + 100, g % 5000,
           ((g * 104729) % 1000000000000)::numeric / 1000000000000, g % 5000, $4
      FROM generate_series(1, $2::bigint) AS g
"""
_SEED_DRAWDOWNS = """
    INSERT INTO credit.drawdowns (line_id, amount, outstanding, drawn_at, due_date, reference)
    SELECT id, outstanding_principal, outstanding_principal, $2, $3, 'bench' FROM credit.lines WHERE party_id > $1
"""
#: The floor: one plain UPDATE over every line, charging floor(principal x rate).
FLOOR_UPDATE = (
    "UPDATE credit.lines SET accrued_interest = accrued_interest + floor(outstanding_principal * daily_rate)"
)


async def _seed(conn: asyncpg.Connection, *, lines: int, drawn: datetime, due: date) -> None:
    async with conn.transaction():
        await conn.execute(_SEED_LINES, _PARTY_BASE, lines, RATE, drawn)
        await conn.execute(_SEED_DRAWDOWNS, _PARTY_BASE, drawn, due)
        total = await conn.fetchval(
            "SELECT sum(outstanding_principal) FROM credit.lines WHERE party_id > $1", _PARTY_BASE
        )
        await move(
            conn, kind="BENCH_SEED", reference="bench:credit", source=SystemAccount.LOAN_BOOK.code(),
            target=SystemAccount.BANK_SETTLEMENT.code(), amount=Money(int(total)), now=drawn,
        )
    await conn.execute("VACUUM ANALYZE credit.lines")
    await conn.execute("VACUUM ANALYZE credit.drawdowns")


async def _remove_bench_lines(conn: asyncpg.Connection, now: datetime) -> None:
    """Delete the bench lines and give the loan book back what they owed (also after a crash)."""
    async with conn.transaction():
        left = await conn.fetchrow(
            "SELECT count(*) AS lines, coalesce(sum(outstanding_principal + accrued_interest + accrued_penalty), 0)"
            " AS owed FROM credit.lines WHERE party_id > $1", _PARTY_BASE,
        )
        if not left["lines"]:
            return
        await conn.execute(
            "DELETE FROM credit.drawdowns d USING credit.lines l WHERE d.line_id = l.id AND l.party_id > $1",
            _PARTY_BASE,
        )
        await conn.execute("DELETE FROM credit.lines WHERE party_id > $1", _PARTY_BASE)
        if left["owed"]:
            await move(
                conn, kind="BENCH_UNSEED", reference="bench:credit", source=SystemAccount.BANK_SETTLEMENT.code(),
                target=SystemAccount.LOAN_BOOK.code(), amount=Money(int(left["owed"])), now=now,
            )


async def run(dsn: str, *, lines: int = 1_000_000, rounds: int = 3) -> dict[str, Any]:
    await migrate_dsn(dsn)
    day = date(5000, 1, 1) + timedelta(days=random.SystemRandom().randrange(1_000_000))
    drawn = datetime.combine(day, wall(9, 0), tzinfo=BUSINESS_TZ)
    now = datetime.combine(day + timedelta(days=1), wall(9, 0), tzinfo=BUSINESS_TZ)

    async def floor(conn: asyncpg.Connection) -> int:
        status = await conn.execute(FLOOR_UPDATE)
        return int(status.split()[-1])

    async def accrual(conn: asyncpg.Connection) -> int:
        result = await accrue_daily_interest(conn, day=day, now=now)
        assert not result.already_accrued, result
        return result.lines

    conn = await asyncpg.connect(dsn, server_settings={"statement_timeout": "0"})
    try:
        await _remove_bench_lines(conn, now)
        await _seed(conn, lines=lines, drawn=drawn, due=day + timedelta(days=30))
        figures = await floor_and_batch(conn, floor=floor, batch=("accrual", accrual), rounds=rounds,
                                        vacuum="credit.lines", rows=lines)
    finally:
        try:
            await _remove_bench_lines(conn, now)
        finally:
            await conn.close()
    assert figures["rows_updated"]["accrual"] >= lines, figures["rows_updated"]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds; the order alternates each round")
    parser.add_argument("--dsn", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    if not args.dsn:
        parser.error("set DATABASE_URL or pass --dsn")
    print(json.dumps(asyncio.run(run(args.dsn, lines=args.lines, rounds=args.rounds)), indent=2))


if __name__ == "__main__":
    main()
