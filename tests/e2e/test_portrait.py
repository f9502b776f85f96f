"""``financialProfile`` over HTTP: the contract's ConsumerProfile and MerchantProfile, on
both read paths, and what its figures mean after a few payments and a refund."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from gateway.graphql_view import READ_PATH_HEADER
from tests.support import OPEN_DISPUTE, Api, new_key

CONSUMER_PROFILE = """query ConsumerProfile { me { ... on Consumer { financialProfile { netWorth { amount } creditUtilization
  cashFlow(days: 30) { inflow { amount } outflow { amount } } } } } }"""
MERCHANT_PROFILE = """query MerchantProfile($id: ID!) { merchant(id: $id) { financialProfile { refundRate disputeRate averageTicket { amount }
  monthlySales(months: 12) { month sales { amount } } } } }"""
DETAIL = """query($id: ID!) { merchant(id: $id) { financialProfile { sales { amount } payments repeatBuyerShare
  escrowHeld { amount } medianDaysToRelease ratings { count averageStars }
  monthlySales(months: 1) { month sales { amount } refunds { amount } netSales { amount } } } } }"""
BY_ID = """query($id: ID!) { consumer(id: $id) { financialProfile { netWorth { amount }
  cashFlow { inflow { amount } outflow { amount } } byKind: cashFlow(days: 90) { byKind { kind inflow { amount } outflow { amount } } }
  monthlyPayments { payments amount { amount } } } } }"""
REFUND = """mutation($p: ID!, $a: Decimal!, $k: String!) { refundPayment(input: {paymentId: $p, amount: $a, reason: "r",
  idempotencyKey: $k}) { userErrors { code } } }"""


async def _twice(api: Api, query: str, token: str, **variables: Any) -> dict[str, Any]:
    """The second answer, which must come from the compiled path (the first validates)."""
    await api.gql(query, token, **variables)
    response = await api.post(query, token, **variables)
    assert response.headers[READ_PATH_HEADER] == "compiled"
    body: dict[str, Any] = response.json()
    assert not body.get("errors"), body
    return body["data"]  # type: ignore[no-any-return]


async def _once(api: Api, query: str, token: str, **variables: Any) -> dict[str, Any]:
    return await api.gql(query, token, **variables)


@pytest.mark.parametrize("executor", ["compiled", "standard"])
async def test_the_portrait_after_payments_and_a_refund(executor: str, api: Api, standard_api: Api) -> None:
    client = api if executor == "compiled" else standard_api
    buyer, other = await api.consumer(balance="500.00"), await api.consumer(balance="100.00")
    shop = await api.merchant()
    first = (await api.pay(buyer, shop, "100.00"))["payment"]
    await api.pay(buyer, shop, "50.01")
    await api.pay(other, shop, "30.00")
    assert not (await api.gql(REFUND, shop.token, p=first["id"], a="20.00", k=new_key()))["refundPayment"]["userErrors"]

    read = _twice if executor == "compiled" else _once
    mine = (await client.gql(CONSUMER_PROFILE, buyer.token))["me"]["financialProfile"]  # `me`: standard path
    same = (await read(client, BY_ID, api.operator, id=buyer.id))["consumer"]["financialProfile"]
    assert same["netWorth"] == mine["netWorth"] and same["cashFlow"] == mine["cashFlow"]
    assert same["byKind"]["byKind"] == [
        {"kind": "PAYMENTS", "inflow": {"amount": "0.00"}, "outflow": {"amount": "150.01"}},
        {"kind": "REFUNDS", "inflow": {"amount": "20.00"}, "outflow": {"amount": "0.00"}},
        {"kind": "TOP_UPS_AND_WITHDRAWALS", "inflow": {"amount": "500.00"}, "outflow": {"amount": "0.00"}},
        {"kind": "FUND_INCOME", "inflow": {"amount": "0.00"}, "outflow": {"amount": "0.00"}},
        {"kind": "INTEREST_PAID", "inflow": {"amount": "0.00"}, "outflow": {"amount": "0.00"}},
    ]
    assert same["monthlyPayments"][-1] == {"payments": 2, "amount": {"amount": "150.01"}}
    assert mine["netWorth"]["amount"] == "369.99"  # 500 - 150.01 + 20 refunded
    assert mine["creditUtilization"] is None  # no credit line
    assert mine["cashFlow"] == {"inflow": {"amount": "520.00"}, "outflow": {"amount": "150.01"}}

    profile = (await read(client, MERCHANT_PROFILE, shop.token, id=shop.id))["merchant"]["financialProfile"]
    assert profile["refundRate"] == "0.3333"  # 1 of 3 payments, 4 places half to even
    assert profile["disputeRate"] == "0.0000"
    assert profile["averageTicket"] == {"amount": "60.00"}  # 180.01 / 3, rounded down to the fen
    assert len(profile["monthlySales"]) == 12
    assert profile["monthlySales"][-1]["sales"] == {"amount": "180.01"}

    detail = (await read(client, DETAIL, api.operator, id=shop.id))["merchant"]["financialProfile"]
    assert detail["payments"] == 3
    assert detail["repeatBuyerShare"] == "0.5000"
    assert detail["escrowHeld"] == {"amount": "160.01"}
    assert detail["medianDaysToRelease"] is None
    assert detail["ratings"] == {"count": 0, "averageStars": None}
    assert detail["monthlySales"][0]["refunds"] == {"amount": "20.00"}
    assert detail["monthlySales"][0]["netSales"] == {"amount": "160.01"}


async def test_windows_outside_what_the_portrait_keeps_are_refused(api: Api) -> None:
    buyer = await api.consumer()
    query = "query($id: ID!) { consumer(id: $id) { financialProfile { cashFlow(days: 91) { days } } } }"
    for _ in range(2):  # the second request is planned for the compiled path, which leaves the error to the standard
        response = await api.post(query, buyer.token, id=buyer.id)
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert response.json()["data"] == {"consumer": {"financialProfile": None}}


DISPUTED_ROWS = """SELECT t.disputed_payments, v.disputed_payments FROM payments.party_totals t
  JOIN payments.party_totals_from_rows v USING (party_id, stripe) WHERE t.party_id = $1 ORDER BY stripe"""


@pytest.mark.parametrize("executor", ["compiled", "standard"])
async def test_the_dispute_rate_counts_disputed_payments(
    executor: str, api: Api, standard_api: Api, db: asyncpg.Pool
) -> None:
    client = api if executor == "compiled" else standard_api
    buyer, other = await api.consumer(balance="500.00"), await api.consumer(balance="500.00")
    shop = await api.merchant()
    disputed = (await api.pay(buyer, shop, "100.00"))["payment"]
    await api.pay(buyer, shop, "20.00")
    await api.pay(other, shop, "30.00")
    await api.pay(other, shop, "40.00")
    opened = await api.gql(OPEN_DISPUTE, buyer.token, p=disputed["id"], a="40.00", k=new_key())
    assert opened["openDispute"]["userErrors"] == []

    read = _twice if executor == "compiled" else _once
    profile = (await read(client, MERCHANT_PROFILE, shop.token, id=shop.id))["merchant"]["financialProfile"]
    assert profile["disputeRate"] == "0.2500"  # 1 of 4 payments
    # the running count is what rebuild-aggregates recomputes from payments.disputes
    rows = await db.fetch(DISPUTED_ROWS, int(shop.id.split("_")[1]))
    assert sum(r[0] for r in rows) == sum(r[1] for r in rows) == 1
    assert all(r[0] == r[1] for r in rows)
