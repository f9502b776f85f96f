"""``fingraph rebuild-aggregates``: a corrupted aggregate is found, reported and corrected."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.kernel.clock import BUSINESS_TZ
from services.kernel.money import Money
from services.payments import FundingSource, PartyKind
from services.payments.service import create_party, create_payment, top_up
from tests.funds.batch_cli import empty_database, fingraph

NOW = "2026-11-20T10:00:00+08:00"


async def test_a_corrupted_aggregate_is_reported_and_corrected(database_url: str) -> None:
    async with empty_database(database_url) as dsn:
        conn: asyncpg.Connection = await asyncpg.connect(dsn)
        try:
            at = datetime(2026, 11, 19, 15, 0, tzinfo=BUSINESS_TZ)
            async with conn.transaction():
                buyer = await create_party(conn, kind=PartyKind.CONSUMER, name="b", now=at)
                shop = await create_party(conn, kind=PartyKind.MERCHANT, name="s", now=at)
                await top_up(conn, party_id=buyer.id, amount=Money(10_000), now=at)
                for fen in (1_000, 2_500):
                    await create_payment(conn, buyer_id=buyer.id, merchant_id=shop.id, amount=Money(fen),
                                         source=FundingSource.WALLET, order_ref="o", now=at)
            status, out, err = await fingraph(dsn, "rebuild-aggregates", now=NOW)
            assert status == 0, err
            assert "nothing corrected" in out

            # given: the merchant's sales and the buyer's top-ups drift from the raw rows
            await conn.execute("UPDATE payments.party_totals SET amount = amount + 7 WHERE party_id = $1", shop.id)
            await conn.execute("DELETE FROM payments.buyer_days WHERE party_id = $1", buyer.id)
            # when
            status, out, err = await fingraph(dsn, "rebuild-aggregates", now=NOW)
            # then: each difference is reported, with the value it had and the value it has now
            assert status == 0, err
            assert f"corrected payments.party_totals party_id={shop.id} stripe={buyer.id % 16}: amount 3507 -> 3500" in out
            assert (f"corrected payments.buyer_days party_id={buyer.id} day=2026-11-19: payments 0 -> 2, "
                    f"paid 0 -> 3500, top_ups 0 -> 10000") in out
            assert "2 aggregate rows corrected" in out
            assert await conn.fetchval(
                "SELECT sum(amount) FROM payments.party_totals WHERE party_id = $1", shop.id) == 3500
            assert await conn.fetchval("SELECT top_ups FROM payments.buyer_days WHERE party_id = $1", buyer.id) == 10_000
            status, out, _ = await fingraph(dsn, "rebuild-aggregates", now=NOW)
            assert "nothing corrected" in out
        finally:
            await conn.close()
