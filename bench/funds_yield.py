"""Benchmark: ``publishFundYield`` over many holders, against one plain UPDATE of the same rows.

Issue 7, goal 4: a day's income distribution to N holders must cost at most 2x one
plain ``UPDATE`` over the same rows. ``run(dsn, holders=N, rounds=R)``:

1. migrates the database and removes bench funds an interrupted run may have left;
2. creates a throw-away fund and seeds N holdings set-based (``INSERT ... SELECT
   generate_series``) with the matching money in FUND_CUSTODY (one ledger entry from
   bank settlement, so the fund's invariant holds at every moment), and **commits**
   them, then ``VACUUM ANALYZE``: the rows are what a real night finds;
3. times, R rounds, in alternating order (floor first in even rounds, publish first in
   odd ones), each in its own transaction that is rolled back, after a CHECKPOINT (a
   nightly batch finds its pages unchanged since the last checkpoint, so it logs each
   page whole once), and with ``VACUUM funds.holdings, funds.incomes`` after every one
   so that each starts from the same clean tables:
   - the floor: ``UPDATE funds.holdings SET last_income = floor(units x R x 0.01) x 0.01``
     over the fund's holdings, one statement;
   - the publish: ``publish_fund_yield``, the production code path (settle, the one
     set-based income statement with its ``funds.incomes`` rows, the ledger entry, the
     day's row);
4. deletes the bench fund and its holdings and posts the reverse custody entry.

The figures are the medians over the rounds, every sample in ``*_runs_s``. Commit time
is measured for neither (both roll back).

Standalone: ``.venv/bin/python -m bench.funds_yield --holders 100000`` (``DATABASE_URL``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import uuid
from datetime import date, datetime, timedelta
from datetime import time as wall
from decimal import Decimal
from typing import Any

import asyncpg

from bench.batch_timing import floor_and_batch
from gateway.db import migrate_dsn
from services.funds import publish_fund_yield
from services.kernel.clock import BUSINESS_TZ
from services.kernel.money import Money
from services.payments import SystemAccount, move

RATE = Decimal("1.6543")
DAY = date(2026, 11, 19)
_BENCH_NAME = "Bench MMF"

#: Holdings as a night finds them: units, and income already received on earlier days.
_SEED_HOLDERS = """
    INSERT INTO funds.holdings (fund_id, party_id, units, total_income, last_income_date, last_income)
    SELECT $1, g, ((g * 7919) % 5000000 + 100)::numeric / 100, (g % 10000)::numeric / 100, $3, (g % 100)::numeric / 100
      FROM generate_series(1, $2::bigint) AS g
"""
#: The floor: one plain UPDATE over the fund's holdings, computing the same rounded income.
FLOOR_UPDATE = "UPDATE funds.holdings SET last_income = floor(units * $2::numeric * 0.01) * 0.01 WHERE fund_id = $1"


async def _seed(conn: asyncpg.Connection, *, holders: int, now: datetime) -> tuple[int, str]:
    code = "BENCH" + uuid.uuid4().hex[:8].upper()
    async with conn.transaction():
        fund_id: int = await conn.fetchval(
            "INSERT INTO funds.funds (code, name, manager) VALUES ($1, $2, 'Bench') RETURNING id", code, _BENCH_NAME
        )
        await conn.execute(_SEED_HOLDERS, fund_id, holders, DAY - timedelta(days=1))
        total = await conn.fetchval("SELECT sum(units) FROM funds.holdings WHERE fund_id = $1", fund_id)
        await move(
            conn, kind="BENCH_SEED", reference=f"bench:{code}", source=SystemAccount.BANK_SETTLEMENT.code(),
            target=SystemAccount.FUND_CUSTODY.code(), amount=Money(int(total * 100)), now=now,
        )
    await conn.execute("VACUUM ANALYZE funds.holdings")
    return fund_id, code


async def _remove_bench_funds(conn: asyncpg.Connection, now: datetime) -> None:
    """Delete every bench fund and its holdings, and take their money out of custody (also after a crash)."""
    for fund in await conn.fetch("SELECT id, code FROM funds.funds WHERE name = $1 AND code LIKE 'BENCH%'",
                                 _BENCH_NAME):
        async with conn.transaction():
            units = await conn.fetchval(
                "SELECT coalesce(sum(units + pending_units + redeeming_units), 0) FROM funds.holdings"
                " WHERE fund_id = $1", fund["id"],
            )
            await conn.execute(
                "WITH i AS (DELETE FROM funds.incomes WHERE fund_id = $1), y AS (DELETE FROM funds.daily_yields"
                " WHERE fund_id = $1), o AS (DELETE FROM funds.orders WHERE fund_id = $1)"
                " DELETE FROM funds.holdings WHERE fund_id = $1", fund["id"],
            )
            await conn.execute("DELETE FROM funds.funds WHERE id = $1", fund["id"])
            if units:
                await move(
                    conn, kind="BENCH_UNSEED", reference=f"bench:{fund['code']}",
                    source=SystemAccount.FUND_CUSTODY.code(), target=SystemAccount.BANK_SETTLEMENT.code(),
                    amount=Money(int(units * 100)), now=now,
                )


async def run(dsn: str, *, holders: int = 1_000_000, rounds: int = 3) -> dict[str, Any]:
    await migrate_dsn(dsn)
    now = datetime.combine(DAY + timedelta(days=1), wall(9, 0), tzinfo=BUSINESS_TZ)
    conn = await asyncpg.connect(dsn, server_settings={"statement_timeout": "0"})
    try:
        await _remove_bench_funds(conn, now)
        fund_id, code = await _seed(conn, holders=holders, now=now)

        async def floor(conn: asyncpg.Connection) -> int:
            status = await conn.execute(FLOOR_UPDATE, fund_id, RATE)
            return int(status.split()[-1])

        async def publish(conn: asyncpg.Connection) -> int:
            distribution = await publish_fund_yield(conn, fund_code=code, day=DAY, earnings_per_10k=RATE, now=now)
            assert not distribution.already_published, distribution
            return distribution.holders

        figures = await floor_and_batch(conn, floor=floor, batch=("publish", publish), rounds=rounds,
                                        vacuum="funds.holdings, funds.incomes", rows=holders)
    finally:
        try:
            await _remove_bench_funds(conn, now)
        finally:
            await conn.close()
    assert figures["rows_updated"]["publish"] == holders, figures["rows_updated"]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--holders", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds; the order alternates each round")
    parser.add_argument("--dsn", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    if not args.dsn:
        parser.error("set DATABASE_URL or pass --dsn")
    print(json.dumps(asyncio.run(run(args.dsn, holders=args.holders, rounds=args.rounds)), indent=2))


if __name__ == "__main__":
    main()
