"""Benchmark: ``accrueCreditInterest`` over many credit lines, against the floor of one plain UPDATE.

``run(dsn, lines=N)``:
1. migrates the database;
2. bulk-seeds N credit lines, each with one open drawdown, set-based
   (``INSERT ... SELECT generate_series``), and the matching loan-book entry (one
   ledger entry LOAN_BOOK -> bank settlement), so the loan book still equals what
   borrowers owe while the bench runs;
3. times one plain ``UPDATE`` over the same rows charging floor(principal x rate), the
   lower bound of any per-line write (in a savepoint, rolled back);
4. times one ``accrue_daily_interest`` (the production code path: the claim of the date,
   the one set-based statement over all lines, the day's totals, the ledger entry).
Everything runs in one transaction that is rolled back at the end: the database is left
as it was (commit time is therefore not measured). The business date is picked at random
far in the future of any real data, so it has never been accrued.

Standalone: ``.venv/bin/python -m bench.credit_accrual --lines 100000`` (``DATABASE_URL``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time
from datetime import date, datetime, timedelta
from datetime import time as wall
from decimal import Decimal

import asyncpg

from gateway.db import migrate_dsn
from services.credit import accrue_daily_interest
from services.kernel.clock import BUSINESS_TZ
from services.kernel.money import Money
from services.payments import SystemAccount, move

RATE = Decimal("0.0005")
#: Bench lines get party ids from here on: far above any real party (no FK across schemas).
_PARTY_BASE = 9_000_000_000_000

_SEED_LINES = """
    INSERT INTO credit.lines (party_id, limit_fen, daily_rate, outstanding_principal, opened_at)
    SELECT $1 + g, 10000000, $3, (g * 7919) % 5000000 + 100, $4 FROM generate_series(1, $2::bigint) AS g
"""
_SEED_DRAWDOWNS = """
    INSERT INTO credit.drawdowns (line_id, amount, outstanding, drawn_at, due_date, reference)
    SELECT id, outstanding_principal, outstanding_principal, $2, $3, 'bench' FROM credit.lines WHERE party_id > $1
"""


async def run(dsn: str, *, lines: int = 1_000_000) -> dict[str, float]:
    await migrate_dsn(dsn)
    day = date(5000, 1, 1) + timedelta(days=random.SystemRandom().randrange(1_000_000))
    drawn = datetime.combine(day, wall(9, 0), tzinfo=BUSINESS_TZ)
    now = datetime.combine(day + timedelta(days=1), wall(9, 0), tzinfo=BUSINESS_TZ)
    conn = await asyncpg.connect(dsn, server_settings={"statement_timeout": "0"})
    try:
        transaction = conn.transaction()
        await transaction.start()
        try:
            await conn.execute(_SEED_LINES, _PARTY_BASE, lines, RATE, drawn)
            await conn.execute(_SEED_DRAWDOWNS, _PARTY_BASE, drawn, day + timedelta(days=30))
            total = await conn.fetchval(
                "SELECT sum(outstanding_principal) FROM credit.lines WHERE party_id > $1", _PARTY_BASE
            )
            await move(
                conn, kind="BENCH_SEED", reference="bench:credit", source=SystemAccount.LOAN_BOOK.code(),
                target=SystemAccount.BANK_SETTLEMENT.code(), amount=Money(int(total)), now=drawn,
            )
            await conn.execute("ANALYZE credit.lines")
            await conn.execute("ANALYZE credit.drawdowns")

            floor = conn.transaction()
            await floor.start()
            started = time.perf_counter()
            await conn.execute(
                "UPDATE credit.lines"
                " SET accrued_interest = accrued_interest + floor(outstanding_principal * daily_rate)"
                " WHERE party_id > $1", _PARTY_BASE,
            )
            floor_s = time.perf_counter() - started
            await floor.rollback()

            started = time.perf_counter()
            accrual = await accrue_daily_interest(conn, day=day, now=now)
            accrual_s = time.perf_counter() - started
            assert accrual.lines >= lines and not accrual.already_accrued, accrual
        finally:
            await transaction.rollback()
    finally:
        await conn.close()
    return {
        "rows": float(lines),
        "accrual_s": round(accrual_s, 3),
        "rows_per_s": round(lines / accrual_s, 1),
        "floor_update_s": round(floor_s, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--dsn", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    if not args.dsn:
        parser.error("set DATABASE_URL or pass --dsn")
    print(json.dumps(asyncio.run(run(args.dsn, lines=args.lines)), indent=2))


if __name__ == "__main__":
    main()
