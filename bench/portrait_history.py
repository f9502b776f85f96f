"""Reads that must not slow down as history grows (issue 17, ADR 026).

``MerchantView`` with ``creditProfile`` and ``financialProfile`` for a merchant with
``payments`` (1,000,000) payments and for one with 100, on the gateway as configured
by default; the goal is big / small >= 0.7 (req/s). The history is written set-based
(``INSERT ... SELECT generate_series``, triggers off as a bulk import would run), then
``rebuild-aggregates`` counts it, as an operator does after a bulk import: both are
timed (the brief: under about two minutes for 1,000,000).

Run alone: ``python -m bench.portrait_history --payments 1000000`` (``DATABASE_URL`` a
server the bench may create a database on), or as a batch of ``make bench``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from bench.http_load import drive
from bench.scenarios import MERCHANT_VIEW, graphql_problem
from bench.servers import running_gateway
from gateway.auth import issue_token
from gateway.db import migrate_dsn
from services.credit import rebuild_credit_aggregates
from services.kernel.clock import BUSINESS_TZ
from services.kernel.ids import encode_id
from services.kernel.principal import Principal, Role
from services.payments import PartyKind, create_party, rebuild_payment_aggregates

NOW = "2026-11-20T10:00:00+08:00"
#: MerchantView with the portrait beside the credit profile.
PORTRAIT_VIEW = MERCHANT_VIEW[:-4] + """
  financialProfile { sales { amount } refundRate disputeRate averageTicket { amount } repeatBuyerShare
    escrowHeld { amount } medianDaysToRelease ratings { count averageStars }
    monthlySales(months: 12) { month sales { amount } netSales { amount } } } } }"""
BUYERS = 1_000

#: A year of payments to one merchant: 1% refunded in full, the newest 0.5% still held,
#: the rest released 1 to 10 days after payment. Bind: $1 merchant, $2 first buyer id,
#: $3 payments, $4 now, $5 buyers.
_HISTORY = """
INSERT INTO payments.payments (buyer_id, merchant_id, amount, refunded, status, funding_source, order_ref,
                               created_at, released_at)
SELECT $2::bigint + n % $5, $1, amount,
       CASE WHEN n % 100 = 7 THEN amount ELSE 0 END,
       CASE WHEN n % 100 = 7 THEN 'REFUNDED' WHEN n > $3 * 0.995 THEN 'HELD' ELSE 'RELEASED' END,
       'WALLET', 'bench', at,
       CASE WHEN n % 100 <> 7 AND n <= $3 * 0.995 THEN at + (1 + n % 10) * interval '1 day' + interval '5 hours' END
  FROM generate_series(1, $3::bigint) AS n,
       LATERAL (SELECT 100 + (n * 7919) % 50000 AS amount,
                       $4::timestamptz - interval '365 days' + (n * 364 * 86400 / $3) * interval '1 second' AS at) v
"""
_REFUNDS = """
INSERT INTO payments.refunds (payment_id, amount, reason, after_release, created_at)
SELECT id, amount, 'bench', false, created_at + interval '1 day' FROM payments.payments
 WHERE merchant_id = $1 AND status = 'REFUNDED'
"""


async def _merchant_with_history(conn: asyncpg.Connection, payments: int, now: datetime, name: str) -> int:
    async with conn.transaction():
        merchant = await create_party(conn, kind=PartyKind.MERCHANT, name=name, now=now)
        first_buyer = await conn.fetchval(
            "WITH buyers AS (INSERT INTO payments.parties (kind, name, created_at)"
            " SELECT 'CONSUMER', 'bench buyer ' || n, $2 FROM generate_series(1, $1) n RETURNING id)"
            " SELECT min(id) FROM buyers", BUYERS, now)
        await conn.execute("SET LOCAL session_replication_role = replica")  # a bulk import: no triggers
        await conn.execute(_HISTORY, merchant.id, first_buyer, payments, now, BUYERS)
        await conn.execute(_REFUNDS, merchant.id)
    return merchant.id


class _View:
    def __init__(self, name: str, merchant: int, token: str) -> None:
        self.name = name
        self.path = "/graphql"
        self.body = {"query": PORTRAIT_VIEW, "operationName": "MerchantView",
                     "variables": {"id": encode_id("Merchant", merchant)}}
        self.headers = {"Authorization": f"Bearer {token}"}

    def next_request(self, client: int) -> tuple[dict[str, Any], dict[str, str]]:
        return self.body, self.headers

    def check(self, client: int, status: int, body: Any) -> str | None:
        problem = graphql_problem(status, body)
        if problem is None and body["data"]["merchant"]["financialProfile"] is None:
            problem = "no financialProfile"
        return problem


def _median(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    ordered = sorted(rounds, key=lambda r: float(r["requests_per_second"]))
    return {**ordered[(len(ordered) - 1) // 2], "rounds_per_second": [r["requests_per_second"] for r in rounds]}


async def run(dsn: str, *, payments: int = 1_000_000, duration: float = 5.0, warmup: float = 2.0,
              concurrency: int = 8, rounds: int = 3) -> dict[str, Any]:
    await migrate_dsn(dsn)
    now = datetime.fromisoformat(NOW).astimezone(BUSINESS_TZ)
    conn: asyncpg.Connection = await asyncpg.connect(dsn)
    try:
        started = time.monotonic()
        # The long history first: the small merchant's payments are then the newest rows,
        # as a shop that opened last month's are, and neither read is helped by where
        # the other's rows sit in the table.
        big = await _merchant_with_history(conn, payments, now, "Long history")
        small = await _merchant_with_history(conn, 100, now, "Small history")
        seeded = time.monotonic()
        async with conn.transaction():
            reports = await rebuild_payment_aggregates(conn) + await rebuild_credit_aggregates(conn)
        rebuilt = time.monotonic()
        await conn.execute("ANALYZE")
        sales = await conn.fetchval("SELECT sum(amount) FROM payments.party_totals WHERE party_id = $1", big)
        raw = await conn.fetchval("SELECT sum(amount) FROM payments.payments WHERE merchant_id = $1", big)
        assert sales == raw, (sales, raw)
    finally:
        await conn.close()
    secret = secrets.token_urlsafe(32)
    operator = issue_token(Principal(Role.OPERATOR), secret=secret, now=now)
    views = (("100 payments", small), (f"{payments:,} payments", big))
    measured: dict[str, list[dict[str, Any]]] = {label: [] for label, _ in views}
    with tempfile.TemporaryDirectory() as scratch, running_gateway(
        dsn=dsn, secret=secret, now=NOW, workers=1, log=Path(scratch) / "gateway.log"
    ) as url:
        # Alternating rounds, the median counting: on a shared machine one run of each is
        # not a comparison (the bench's writes do the same).
        for number in range(rounds):
            for label, merchant in views if number % 2 == 0 else views[::-1]:
                result = await drive(url, _View(f"MerchantView+portrait, {label}", merchant, operator),
                                     concurrency=concurrency, duration=duration, warmup=warmup)
                measured[label].append(result.as_json())
    figures = {label: _median(rounds_of) for label, rounds_of in measured.items()}
    small_rate = figures["100 payments"]["requests_per_second"]
    big_rate = figures[f"{payments:,} payments"]["requests_per_second"]
    return {
        "payments": payments,
        "seed_seconds": round(seeded - started, 1),
        "rebuild_seconds": round(rebuilt - seeded, 1),
        "rows_corrected_by_rebuild": sum(r.corrected for r in reports),
        "reads": figures,
        "big_over_small": round(big_rate / small_rate, 3) if small_rate else None,
        "goal_big_over_small": 0.7,
    }


def main() -> None:
    import os

    parser = argparse.ArgumentParser(prog="python -m bench.portrait_history", description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--duration", type=float, default=5.0)
    args = parser.parse_args()
    from bench.servers import fresh_database

    async def go() -> dict[str, Any]:
        async with fresh_database("fingraph_bench_portrait", keep=False) as dsn:
            return await run(dsn, payments=args.payments, duration=args.duration)

    assert os.environ.get("DATABASE_URL"), "set DATABASE_URL"
    print(json.dumps(asyncio.run(go()), indent=2))


if __name__ == "__main__":
    main()
