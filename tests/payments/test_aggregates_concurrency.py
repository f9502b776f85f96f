"""The running aggregates under concurrent writers: no deadlock, and nothing to correct.

Buyers pay one hot merchant and a second one (some two payments in one transaction, in
either order), merchants refund, buyers confirm, and the auto-release batch runs, all at
once on a pool of connections. Every operation must commit or be refused by a business
rule (never a deadlock: the aggregates are folded at commit in one lock order, ADR 026),
and afterwards ``rebuild-aggregates`` must find every figure right.
"""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta

import asyncpg

from services.credit import rebuild_credit_aggregates
from services.kernel.clock import BUSINESS_TZ
from services.kernel.errors import DomainError
from services.kernel.money import Money
from services.payments import FundingSource, PartyKind, rebuild_payment_aggregates
from services.payments.service import (
    confirm_receipt,
    create_party,
    create_payment,
    refund_payment,
    release_due_payments,
    top_up,
)
from tests.support import other_database

AT = datetime(2026, 11, 19, 12, 0, tzinfo=BUSINESS_TZ)


async def test_concurrent_writers_never_deadlock_and_leave_nothing_to_correct(database_url: str) -> None:
    async with other_database(database_url, "fingraph_aggregates", migrate=True) as dsn:
        pool = await asyncpg.create_pool(dsn, min_size=8, max_size=8)
        assert pool is not None
        try:
            async with pool.acquire() as conn, conn.transaction():
                hot = (await create_party(conn, kind=PartyKind.MERCHANT, name="hot", now=AT)).id
                other = (await create_party(conn, kind=PartyKind.MERCHANT, name="other", now=AT)).id
                buyers = [(await create_party(conn, kind=PartyKind.CONSUMER, name=f"b{i}", now=AT)).id
                          for i in range(24)]
                for buyer in buyers:
                    await top_up(conn, party_id=buyer, amount=Money(10_000_000), now=AT)
            paid: list[tuple[int, int]] = []  # (payment id, buyer)
            failures: list[BaseException] = []

            async def worker(number: int) -> None:
                rng = random.Random(number)
                for step in range(40):
                    at = AT + timedelta(seconds=step)
                    buyer = buyers[(number + 8 * (step % 3)) % len(buyers)]
                    choice = rng.random()
                    try:
                        async with pool.acquire() as conn, conn.transaction():
                            if choice < 0.5 or not paid:
                                first, second = (hot, other) if rng.random() < 0.5 else (other, hot)
                                for merchant in (first, second)[: 1 + (choice < 0.2)]:
                                    p = await create_payment(conn, buyer_id=buyer, merchant_id=merchant,
                                                             amount=Money(rng.randint(100, 9_000)),
                                                             source=FundingSource.WALLET, order_ref="o", now=at)
                                    paid.append((p.id, buyer))
                            elif choice < 0.7:
                                pid, _ = rng.choice(paid)
                                await refund_payment(conn, payment_id=pid, amount=Money(50), reason="r",
                                                     merchant_id=None, now=at)
                            elif choice < 0.9:
                                pid, owner = rng.choice(paid)
                                await confirm_receipt(conn, buyer_id=owner, payment_id=pid, now=at)
                            else:
                                await release_due_payments(conn, as_of=at + timedelta(days=30),
                                                           now=at + timedelta(days=30))
                    except DomainError:
                        pass  # refused by a rule (already released, already refunded): nothing changed
                    except Exception as exc:  # a deadlock would land here
                        failures.append(exc)

            await asyncio.gather(*(worker(n) for n in range(8)))
            assert failures == []
            assert len(paid) > 100
            async with pool.acquire() as conn, conn.transaction():
                reports = await rebuild_payment_aggregates(conn) + await rebuild_credit_aggregates(conn)
            assert [r.corrections for r in reports if r.corrected] == []
        finally:
            await pool.close()
