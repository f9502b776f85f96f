"""Benchmark floor of ``createPayment`` (WALLET): the same ledger writes as bare asyncpg transactions.

``run(dsn)`` on a migrated and seeded database: ``connections`` asyncpg connections,
each in a closed loop, send exactly the call a WALLET ``createPayment`` makes
(``service.wallet_payment``: ``payments.pay_from_wallet``, one statement in its own
transaction): the payment (if the merchant is one) with its event row, then the ledger
entry: lock the buyer's wallet, check its balance, insert the journal entry, its two
postings and the new wallet balance. No GraphQL, no HTTP, no idempotency key: what is
left is PostgreSQL's own cost, the limit the end-to-end figure is compared with
(issue 7, goal 3; docs/adr/012-one-call-payment.md).

The rows are real and committed (nothing is rolled back): buyers are topped up first
through the ledger, as ``bench.scenarios.prepare_buyers`` does, so none runs dry.
``hot_merchant=True`` sends every payment to one merchant.

Standalone: ``.venv/bin/python -m bench.ledger_floor --dsn postgresql://...``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from bench.http_load import nearest_rank
from bench.scenarios import BUYER_TOP_UP
from services.kernel.clock import Clock
from services.kernel.money import Money
from services.payments import PartyKind, SystemAccount, oldest_parties, top_up, wallet_code
from services.payments.ledger import POST_ENTRY
from services.payments.repository import INSERT_HELD_PAYMENT
from services.payments.service import wallet_payment

#: The amounts ``bench.scenarios.CreatePayment`` pays, in fen.
_AMOUNTS_FEN = (990, 2580, 12800, 3900, 6660)
_NOW = "2026-11-20T10:00:00+08:00"

async def pay(conn: asyncpg.Connection, *, buyer_id: int, merchant_id: int, fen: int, now: datetime) -> int:
    """One WALLET payment as the service's own call (``payments.pay_from_wallet``), sent bare; the payment's id."""
    call = wallet_payment(buyer_id=buyer_id, merchant_id=merchant_id, amount=Money(fen), order_ref="order-1", now=now)
    # The statement sql_call.run sends, without the service's Python around it (no decoding).
    response = await conn.fetchval(call.statement(), call.request_json())
    return int(orjson.loads(response)["id"])


async def pay_by_statements(
    conn: asyncpg.Connection, *, buyer_id: int, merchant_id: int, fen: int, now: datetime
) -> int:
    """The same writes as an explicit transaction of the two statements inside that call (four round trips).

    BEGIN, the payment with its event, the ledger entry, COMMIT: how ``createPayment``
    sent them before docs/adr/012, and what "bare SQL transactions" read literally means.
    """
    async with conn.transaction():
        payment = await conn.fetchrow(INSERT_HELD_PAYMENT, buyer_id, merchant_id, fen, "CNY", "WALLET", "order-1", now)
        entry = await conn.fetchrow(
            POST_ENTRY, "ESCROW_HOLD", f"payment:{payment['id']}", now,
            [wallet_code(buyer_id), SystemAccount.ESCROW.code()], [-fen, fen], 1,
        )
        if entry is None or entry["entry_id"] is None:
            raise RuntimeError(f"buyer {buyer_id} cannot pay {fen} fen")
        return int(payment["id"])


async def _parties(dsn: str, *, kind: PartyKind, limit: int) -> list[int]:
    conn: asyncpg.Connection = await asyncpg.connect(dsn)
    try:
        return [party.id for party in await oldest_parties(conn, kind=kind, limit=limit)]
    finally:
        await conn.close()


async def fund_buyers(dsn: str, buyer_ids: list[int], *, now: datetime) -> None:
    """Top every buyer up with ``BUYER_TOP_UP`` through the ledger, so no payment runs dry."""
    conn: asyncpg.Connection = await asyncpg.connect(dsn)
    try:
        for start in range(0, len(buyer_ids), 250):
            async with conn.transaction():
                for buyer_id in buyer_ids[start:start + 250]:
                    await top_up(conn, party_id=buyer_id, amount=BUYER_TOP_UP, now=now)
    finally:
        await conn.close()


async def run(
    dsn: str, *, connections: int = 16, duration: float = 8.0, hot_merchant: bool = False,
    warmup: float = 1.0, buyers: int = 1_000, fund: bool = True,
    buyer_ids: Sequence[int] | None = None, merchant_ids: Sequence[int] | None = None,
    by_statements: bool = False,
) -> dict[str, Any]:
    """Payments per second of the bare SQL, with p50/p99 latency of a transaction in milliseconds.

    Buyers are the ``buyers`` oldest consumers and merchants the oldest ones (the one
    oldest with ``hot_merchant``), unless ``buyer_ids``/``merchant_ids`` name them;
    ``fund=False`` skips the top-up when they already have money (a rerun);
    ``by_statements`` sends ``pay_by_statements`` instead of the one call.
    """
    send = pay_by_statements if by_statements else pay
    now = Clock.from_iso(_NOW).now()
    if buyer_ids is None:
        buyer_ids = await _parties(dsn, kind=PartyKind.CONSUMER, limit=buyers)
    if merchant_ids is None:
        merchant_ids = await _parties(dsn, kind=PartyKind.MERCHANT, limit=1_000)
    merchants = list(merchant_ids[:1] if hot_merchant else merchant_ids)
    if not buyer_ids or not merchants:
        raise RuntimeError("seed the database first (gateway.demo.seed)")
    if fund:
        await fund_buyers(dsn, list(buyer_ids), now=now)
    sequence = itertools.count()
    latencies: list[float] = []
    pool: list[asyncpg.Connection] = []

    async def client(conn: asyncpg.Connection) -> None:
        while (sent := time.perf_counter()) < end:
            n = next(sequence)
            await send(conn, buyer_id=buyer_ids[n % len(buyer_ids)], merchant_id=merchants[(n * 7) % len(merchants)],
                       fen=_AMOUNTS_FEN[n % len(_AMOUNTS_FEN)], now=now)
            done = time.perf_counter()
            if sent >= begin and done <= end:
                latencies.append((done - sent) * 1000)

    try:
        for _ in range(connections):
            pool.append(await asyncpg.connect(dsn))
        begin = time.perf_counter() + warmup
        end = begin + duration
        await asyncio.gather(*(client(conn) for conn in pool))
    finally:
        await asyncio.gather(*(conn.close() for conn in pool))
    ordered = sorted(latencies)
    p50, p99 = nearest_rank(ordered, 0.50), nearest_rank(ordered, 0.99)
    return {
        "transactions_per_second": round(len(ordered) / duration, 1),
        "p50_ms": None if p50 is None else round(p50, 2),
        "p99_ms": None if p99 is None else round(p99, 2),
        "connections": connections,
        "duration": duration,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ledger_floor", description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", required=True, help="a migrated, seeded database (gateway.demo.seed)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--hot-merchant", action="store_true", help="every payment to one merchant")
    args = parser.parse_args(argv)
    figures = asyncio.run(run(args.dsn, connections=args.connections, duration=args.duration,
                              hot_merchant=args.hot_merchant))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
