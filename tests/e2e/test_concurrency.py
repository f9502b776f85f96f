"""Concurrent payments: the wallet lock serialises one buyer, distinct buyers never queue on each other."""

from __future__ import annotations

import asyncio
from collections import Counter

import asyncpg

from tests.support import CREATE_PAYMENT, MERCHANT_VIEW, TOP_UP, Api, Party, new_key


async def _pay_all(api: Api, buyers: list[Party], merchant: Party, amount: str) -> list[dict[str, object]]:
    responses = await asyncio.gather(*(
        api.post(CREATE_PAYMENT, buyer.token, m=merchant.id, a=amount, s="WALLET", k=new_key()) for buyer in buyers
    ))
    # No 500s, no deadlock or timeout surfacing as a GraphQL error: every answer is a payload.
    assert Counter(r.status_code for r in responses) == Counter({200: len(buyers)})
    bodies = [r.json() for r in responses]
    errors = [body["errors"] for body in bodies if body.get("errors")]
    assert errors == []
    return [body["data"]["createPayment"] for body in bodies]


async def test_200_concurrent_payments_from_one_buyer_spend_exactly_the_wallet(api: Api, db: asyncpg.Pool) -> None:
    buyer = await api.consumer(balance="1000.00")
    merchant = await api.merchant()

    results = await _pay_all(api, [buyer] * 200, merchant, "10.00")

    outcomes = Counter(
        "ok" if not r["userErrors"] else r["userErrors"][0]["code"] for r in results  # type: ignore[index]
    )
    assert outcomes == Counter({"ok": 100, "INSUFFICIENT_FUNDS": 100})
    assert await api.balance(buyer) == "0.00"
    view = (await api.gql(MERCHANT_VIEW, merchant.token, id=merchant.id))["merchant"]
    assert view["escrowHeld"]["amount"] == "1000.00"
    async with db.acquire() as conn:
        count = await conn.fetchval("SELECT count(*) FROM payments.payments WHERE buyer_id = $1", buyer.pk)
    assert count == 100


async def test_200_concurrent_payments_from_distinct_buyers_all_succeed(api: Api, db: asyncpg.Pool) -> None:
    merchant = await api.merchant()
    buyers = list(await asyncio.gather(*(api.consumer(f"Buyer {i}") for i in range(200))))
    await asyncio.gather(*(api.gql(TOP_UP, b.token, a="10.00", k=new_key()) for b in buyers))

    results = await _pay_all(api, buyers, merchant, "10.00")

    assert [r["userErrors"] for r in results] == [[]] * 200
    assert {r["payment"]["status"] for r in results} == {"HELD"}  # type: ignore[index]
    view = (await api.gql(MERCHANT_VIEW, merchant.token, id=merchant.id))["merchant"]
    assert view["escrowHeld"]["amount"] == "2000.00"
    async with db.acquire() as conn:
        balances = await conn.fetch(
            "SELECT balance FROM payments.accounts WHERE party_id = ANY($1::bigint[])", [b.pk for b in buyers]
        )
    assert [row["balance"] for row in balances] == [0] * 200
