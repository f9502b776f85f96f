"""The floor of goal 3 (``bench/ledger_floor.py``) writes exactly what a WALLET ``createPayment`` writes."""

from __future__ import annotations

from typing import Any

import asyncpg

from bench import ledger_floor
from services.kernel.money import Money
from services.payments import service
from services.payments.models import FundingSource
from tests.conftest import START
from tests.support import Api

_TABLES = ("payments.payments", "payments.payment_events", "payments.journal_entries", "payments.postings")


async def _writes(conn: asyncpg.Connection, buyer: int, merchant: int) -> dict[str, Any]:
    """Rows of these two parties' payments (and their ledger entries), with ids left out."""
    rows = {
        "payments": await conn.fetch(
            "SELECT amount, refunded, status, funding_source, order_ref FROM payments.payments"
            " WHERE buyer_id = $1 AND merchant_id = $2", buyer, merchant),
        "events": await conn.fetch(
            "SELECT kind FROM payments.payment_events WHERE buyer_id = $1 AND merchant_id = $2", buyer, merchant),
        "postings": await conn.fetch(
            """
            SELECT e.kind, a.code, p.amount FROM payments.payments pay
              JOIN payments.journal_entries e ON e.reference = 'payment:' || pay.id
              JOIN payments.postings p ON p.entry_id = e.id JOIN payments.accounts a ON a.id = p.account_id
             WHERE pay.buyer_id = $1 AND pay.merchant_id = $2 ORDER BY p.amount
            """, buyer, merchant),
        "wallet": await conn.fetchval(
            "SELECT balance FROM payments.accounts WHERE code = 'WALLET:' || $1 || ':CNY'", str(buyer)),
    }
    return {name: [dict(r) for r in value] if isinstance(value, list) else value for name, value in rows.items()}


async def _counts(conn: asyncpg.Connection) -> list[int]:
    return [await conn.fetchval(f"SELECT count(*) FROM {table}") for table in _TABLES]  # noqa: S608 (constant names)


async def test_the_floor_writes_the_rows_create_payment_writes(api: Api, db: asyncpg.Pool) -> None:
    # given two buyers with the same money and one merchant
    first, second = await api.consumer(balance="100.00"), await api.consumer(balance="100.00")
    merchant = await api.merchant()
    async with db.acquire() as conn:
        # when one pays through the service and the other through the floor's bare SQL
        before = await _counts(conn)
        async with conn.transaction():
            await service.create_payment(
                conn, buyer_id=first.pk, merchant_id=merchant.pk, amount=Money(2580), source=FundingSource.WALLET,
                order_ref="order-1", now=START,
            )
        middle = await _counts(conn)
        await ledger_floor.pay(conn, buyer_id=second.pk, merchant_id=merchant.pk, fen=2580, now=START)
        after = await _counts(conn)
        # then both wrote the same rows: payment, event, entry, two postings, the wallet's balance
        assert [m - b for m, b in zip(middle, before, strict=True)] == [1, 1, 1, 2]
        assert [a - m for a, m in zip(after, middle, strict=True)] == [1, 1, 1, 2]
        ours, floors = await _writes(conn, first.pk, merchant.pk), await _writes(conn, second.pk, merchant.pk)
    for posting in ours["postings"] + floors["postings"]:
        posting["code"] = posting["code"].replace(str(first.pk), "BUYER").replace(str(second.pk), "BUYER")
    assert ours == floors
    assert ours["wallet"] == 100_00 - 25_80


async def test_the_floor_reports_its_rate_and_latencies(api: Api, database_url: str) -> None:
    # given buyers with money and two merchants of this test only
    buyers = [await api.consumer(balance="100000.00") for _ in range(3)]
    merchants = [await api.merchant() for _ in range(2)]
    # when the floor runs briefly on two connections
    figures = await ledger_floor.run(
        database_url, connections=2, duration=0.3, warmup=0.05, fund=False,
        buyer_ids=[b.pk for b in buyers], merchant_ids=[m.pk for m in merchants],
    )
    # then it has measured committed payments
    assert set(figures) == {"transactions_per_second", "p50_ms", "p99_ms", "connections", "duration"}
    assert figures["transactions_per_second"] > 0 and figures["connections"] == 2
    assert figures["p50_ms"] <= figures["p99_ms"]
