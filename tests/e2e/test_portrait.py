"""``financialProfile`` over HTTP: the contract's ConsumerProfile and MerchantProfile, on
both read paths, and what its figures mean after a few payments and a refund."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.graphql_view import READ_PATH_HEADER
from tests.support import Api, new_key

CONSUMER_PROFILE = """query ConsumerProfile { me { ... on Consumer { financialProfile { netWorth { amount } creditUtilization
  cashFlow(days: 30) { inflow { amount } outflow { amount } } } } } }"""
MERCHANT_PROFILE = """query MerchantProfile($id: ID!) { merchant(id: $id) { financialProfile { refundRate disputeRate averageTicket { amount }
  monthlySales(months: 12) { month sales { amount } } } } }"""
DETAIL = """query($id: ID!) { merchant(id: $id) { financialProfile { sales { amount } payments repeatBuyerShare
  escrowHeld { amount } medianDaysToRelease ratings { count averageStars }
  monthlySales(months: 1) { month sales { amount } refunds { amount } netSales { amount } } } } }"""
RATES = "query($id: ID!) { merchant(id: $id) { financialProfile { refundRate disputeRate averageTicket { amount } } } }"
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


@pytest.mark.parametrize("executor", ["compiled", "standard"])
async def test_the_portrait_after_payments_and_a_refund(executor: str, api: Api, standard_api: Api) -> None:
    client = api if executor == "compiled" else standard_api
    buyer, other = await api.consumer(balance="500.00"), await api.consumer(balance="100.00")
    shop = await api.merchant()
    first = (await api.pay(buyer, shop, "100.00"))["payment"]
    await api.pay(buyer, shop, "50.01")
    await api.pay(other, shop, "30.00")
    assert not (await api.gql(REFUND, shop.token, p=first["id"], a="20.00", k=new_key()))["refundPayment"]["userErrors"]

    mine = (await client.gql(CONSUMER_PROFILE, buyer.token))["me"]["financialProfile"]  # `me`: standard path
    assert mine["netWorth"]["amount"] == "369.99"  # 500 - 150.01 + 20 refunded
    assert mine["creditUtilization"] is None  # no credit line
    assert mine["cashFlow"] == {"inflow": {"amount": "520.00"}, "outflow": {"amount": "150.01"}}

    # Fields with arguments below a computed value take the standard path (the planner's
    # rule); the same figures without them compile.
    if executor == "compiled":
        compiled = (await _twice(client, RATES, shop.token, id=shop.id))["merchant"]["financialProfile"]
        assert compiled == {"refundRate": "0.3333", "disputeRate": "0.0000", "averageTicket": {"amount": "60.00"}}
    profile = (await client.gql(MERCHANT_PROFILE, shop.token, id=shop.id))["merchant"]["financialProfile"]
    assert profile["refundRate"] == "0.3333"  # 1 of 3 payments, 4 places half to even
    assert profile["disputeRate"] == "0.0000"
    assert profile["averageTicket"] == {"amount": "60.00"}  # 180.01 / 3, rounded down to the fen
    assert len(profile["monthlySales"]) == 12
    assert profile["monthlySales"][-1]["sales"] == {"amount": "180.01"}

    detail = (await client.gql(DETAIL, api.operator, id=shop.id))["merchant"]["financialProfile"]
    assert detail["payments"] == 3
    assert detail["repeatBuyerShare"] == "0.5000"
    assert detail["escrowHeld"] == {"amount": "160.01"}
    assert detail["medianDaysToRelease"] is None
    assert detail["ratings"] == {"count": 0, "averageStars": None}
    assert detail["monthlySales"][0]["refunds"] == {"amount": "20.00"}
    assert detail["monthlySales"][0]["netSales"] == {"amount": "160.01"}


async def test_windows_outside_what_the_portrait_keeps_are_refused(api: Api) -> None:
    buyer = await api.consumer()
    response = await api.post("{ me { ... on Consumer { financialProfile { cashFlow(days: 91) { days } } } } }",
                              buyer.token)
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
