"""Benchmark: ``publishFundYield`` over many holders, against the floor of one plain UPDATE.

``run(dsn, holders=N)``:
1. migrates the database and creates a throw-away fund;
2. bulk-seeds N holdings set-based (``INSERT ... SELECT generate_series``) with the
   matching money in FUND_CUSTODY (one ledger entry from bank settlement), so the
   fund's invariant holds while the bench runs;
3. times one plain ``UPDATE`` over the same rows computing the same floor, the lower
   bound of any per-holder write (in a savepoint, rolled back);
4. times one ``publish_fund_yield`` (the production code path: settle, the one
   set-based income pass, the incomes rows, the ledger entry, the day's row).
Everything runs in one transaction that is rolled back at the end: the database is
left as it was (commit time is therefore not measured).

Standalone: ``.venv/bin/python -m bench.funds_yield --holders 100000`` (``DATABASE_URL``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from datetime import date, datetime, timedelta
from datetime import time as wall
from decimal import Decimal

import asyncpg

from gateway.db import migrate_dsn
from services.funds import publish_fund_yield
from services.kernel.clock import BUSINESS_TZ
from services.kernel.money import Money
from services.payments import SystemAccount, move

RATE = Decimal("1.6543")
DAY = date(2026, 11, 19)

_SEED_HOLDERS = """
    INSERT INTO funds.holdings (fund_id, party_id, units)
    SELECT $1, g, ((g * 7919) % 5000000 + 100)::numeric / 100 FROM generate_series(1, $2::bigint) AS g
"""


async def run(dsn: str, *, holders: int = 1_000_000) -> dict[str, float]:
    await migrate_dsn(dsn)
    conn = await asyncpg.connect(dsn, server_settings={"statement_timeout": "0"})
    try:
        transaction = conn.transaction()
        await transaction.start()
        try:
            code = "BENCH" + uuid.uuid4().hex[:8].upper()
            fund_id = await conn.fetchval(
                "INSERT INTO funds.funds (code, name, manager) VALUES ($1, 'Bench MMF', 'Bench') RETURNING id", code
            )
            now = datetime.combine(DAY + timedelta(days=1), wall(9, 0), tzinfo=BUSINESS_TZ)
            await conn.execute(_SEED_HOLDERS, fund_id, holders)
            total = await conn.fetchval("SELECT sum(units) FROM funds.holdings WHERE fund_id = $1", fund_id)
            await move(
                conn, kind="BENCH_SEED", reference=f"bench:{code}", source=SystemAccount.BANK_SETTLEMENT.code(),
                target=SystemAccount.FUND_CUSTODY.code(), amount=Money(int(total * 100)), now=now,
            )
            await conn.execute("ANALYZE funds.holdings")

            # The floor runs in a savepoint that is rolled back: publish then starts from the same seeded rows.
            floor = conn.transaction()
            await floor.start()
            started = time.perf_counter()
            await conn.execute(
                "UPDATE funds.holdings SET last_income = floor(units * $2::numeric * 0.01) * 0.01 WHERE fund_id = $1",
                fund_id, RATE,
            )
            floor_s = time.perf_counter() - started
            await floor.rollback()

            started = time.perf_counter()
            distribution = await publish_fund_yield(conn, fund_code=code, day=DAY, earnings_per_10k=RATE, now=now)
            publish_s = time.perf_counter() - started
            assert distribution.holders == holders, distribution
        finally:
            await transaction.rollback()
    finally:
        await conn.close()
    return {
        "rows": float(holders),
        "publish_s": round(publish_s, 3),
        "rows_per_s": round(holders / publish_s, 1),
        "floor_update_s": round(floor_s, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--holders", type=int, default=1_000_000)
    parser.add_argument("--dsn", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    if not args.dsn:
        parser.error("set DATABASE_URL or pass --dsn")
    print(json.dumps(asyncio.run(run(args.dsn, holders=args.holders)), indent=2))


if __name__ == "__main__":
    main()
