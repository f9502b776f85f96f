"""Credit reads over HTTP: ratings, profiles (who may read them), defaults, constant SQL round trips."""

from __future__ import annotations

import asyncio
from typing import Any

from gateway import metrics
from tests.credit.test_credit_flow import DRAW, OPEN_LINE, borrower
from tests.support import CONFIRM_RECEIPT, CONSUMER_HOME, MERCHANT_VIEW, TOP_UP, Api, Party, new_key

RATE = """mutation($p: ID!, $s: Int!) { rateMerchant(input: {paymentId: $p, stars: $s, comment: "fast"}) {
  userErrors { code message } } }"""
PROFILE = """query($id: ID!) { merchant(id: $id) { creditProfile { score band factors { name points detail } } } }"""
MERCHANT_LINE = """query($id: ID!) { merchant(id: $id) { creditLine { limit { amount } } } }"""
MERCHANTS_CREDIT = """query($first: Int!) { merchants(first: $first) { edges { node { id
  creditProfile { score band factors { name points } }
  creditLine { limit { amount } outstandingPrincipal { amount } drawdowns(first: 5) { edges { node { amount { amount } } } } }
} } } }"""


async def _statements(api: Api, query: str, token: str, **variables: Any) -> tuple[int, dict[str, Any]]:
    """The fewest statements of three runs of the request, and its data.

    A run may also pay for one-off work that is not the request's (a new pooled
    connection's setup, events still in flight from the test's setup); the fewest of
    three is what the request itself costs.
    """
    counts = []
    for _ in range(3):
        before = metrics.SQL_STATEMENTS._value.get()
        data = await api.gql(query, token, **variables)
        counts.append(int(metrics.SQL_STATEMENTS._value.get() - before))
    return min(counts), data


async def _warm_pool(api: Api, query: str, token: str, **variables: Any) -> None:
    """asyncpg introspects the funds holding's row type once per pooled connection (3 statements),
    and the pool hands out its connections in turn (up to 40 in the tests' server, after the
    concurrency tests have grown it): use them all once first."""
    for _ in range(41):
        await api.gql(query, token, **variables)


async def _released_payment(api: Api, buyer: Party, merchant: Party, amount: str = "10.00") -> str:
    paid = await api.pay(buyer, merchant, amount)
    payment_id: str = paid["payment"]["id"]
    await api.gql(CONFIRM_RECEIPT, buyer.token, p=payment_id, k=new_key())
    return payment_id


async def test_rate_a_released_payment_once(api: Api) -> None:
    buyer = await api.consumer("Rater", balance="100.00")
    merchant = await api.merchant()
    released = await _released_payment(api, buyer, merchant)
    held = (await api.pay(buyer, merchant, "5.00"))["payment"]["id"]
    before = (await api.gql(PROFILE, buyer.token, id=merchant.id))["merchant"]["creditProfile"]

    assert (await api.gql(RATE, buyer.token, p=released, s=4))["rateMerchant"]["userErrors"] == []
    codes = {}
    for name, (token, payment, stars) in {
        "again": (buyer.token, released, 5), "held": (buyer.token, held, 5), "stars": (buyer.token, released, 6),
        "stranger": ((await api.consumer("Stranger")).token, released, 5), "bad id": (buyer.token, "mer_1", 5),
    }.items():
        errors = (await api.gql(RATE, token, p=payment, s=stars))["rateMerchant"]["userErrors"]
        codes[name] = [e["code"] for e in errors]
    assert codes == {"again": ["INVALID_STATE"], "held": ["INVALID_STATE"], "stars": ["INVALID_INPUT"],
                     "stranger": ["NOT_FOUND"], "bad id": ["NOT_FOUND"]}

    after = (await api.gql(PROFILE, buyer.token, id=merchant.id))["merchant"]["creditProfile"]
    ratings = {f["name"]: f for f in after["factors"]}["RATINGS"]
    assert ratings["points"] == 80 and ratings["detail"].startswith("1 ratings")
    assert {f["name"]: f for f in before["factors"]}["RATINGS"]["points"] == 50
    for profile in (before, after):
        assert profile["score"] == 350 + sum(f["points"] for f in profile["factors"])
        assert 350 <= profile["score"] <= 950
        assert [f["name"] for f in profile["factors"]] == [
            "PAYMENT_HISTORY", "REPAYMENT", "RATINGS", "CERTIFICATION", "ACCOUNT_AGE"]


async def test_who_may_read_profiles_and_lines(api: Api) -> None:
    merchant = await api.merchant()
    await api.gql(OPEN_LINE, api.operator, p=merchant.id, l="100.00", r="0.0005")
    stranger = await api.consumer("Stranger")
    assert (await api.gql(PROFILE, stranger.token, id=merchant.id))["merchant"]["creditProfile"]["score"] >= 350
    body = (await api.post(MERCHANT_LINE, stranger.token, id=merchant.id)).json()
    assert body["data"]["merchant"]["creditLine"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await api.gql(MERCHANT_LINE, merchant.token, id=merchant.id))["merchant"]["creditLine"] == {
        "limit": {"amount": "100.00"}}
    anonymous = (await api.post(PROFILE, None, id=merchant.id)).json()
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # A consumer's own profile: visible to itself; only operators otherwise (no query reaches another's).
    own = await api.gql(CONSUMER_HOME, stranger.token)
    assert own["me"]["creditProfile"]["score"] >= 350


async def test_open_credit_line_defaults_from_band(api: Api) -> None:
    merchant = await api.merchant()  # certified, new: 350 + 0 + 50 + 50 + 60 + 0 = 510, band D
    score = (await api.gql(PROFILE, merchant.token, id=merchant.id))["merchant"]["creditProfile"]
    assert (score["score"], score["band"]) == (510, "D")
    opened = (await api.gql(OPEN_LINE, api.operator, p=merchant.id))["openCreditLine"]
    assert opened["creditLine"] == {"limit": {"amount": "5000.00"}, "available": {"amount": "5000.00"},
                                    "dailyRate": "0.0006", "apr": "0.219"}
    again = (await api.gql(OPEN_LINE, api.operator, p=merchant.id))["openCreditLine"]
    assert [e["code"] for e in again["userErrors"]] == ["INVALID_STATE"]
    consumer = await api.consumer("Newcomer")  # real-name only: 490, band E: no default line
    refused = (await api.gql(OPEN_LINE, api.operator, p=consumer.id))["openCreditLine"]
    assert [e["code"] for e in refused["userErrors"]] == ["INVALID_STATE"]
    bad = (await api.gql(OPEN_LINE, api.operator, p=consumer.id, l="1.001", r="0.0005"))["openCreditLine"]
    assert [e["code"] for e in bad["userErrors"]] == ["INVALID_AMOUNT"]
    forbidden = (await api.post(OPEN_LINE, consumer.token, p=consumer.id, l="10.00", r="0.0005")).json()
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_consumer_home_round_trips_do_not_grow_with_payments(api: Api) -> None:
    merchant = await api.merchant()
    light, heavy = await borrower(api), await borrower(api)
    for party, count in ((light, 1), (heavy, 10)):
        await api.gql(TOP_UP, party.token, a="100.00", k=new_key())
        await api.gql(DRAW, party.token, a="12.34", k=new_key())
        for _ in range(count):
            await api.pay(party, merchant, "1.00")
    await _warm_pool(api, CONSUMER_HOME, light.token)
    few, light_home = await _statements(api, CONSUMER_HOME, light.token)
    many, heavy_home = await _statements(api, CONSUMER_HOME, heavy.token)
    assert len(light_home["me"]["payments"]["edges"]) == 1 and len(heavy_home["me"]["payments"]["edges"]) == 10
    line = heavy_home["me"]["creditLine"]
    assert line == {"limit": {"amount": "5000.00"}, "available": {"amount": "4987.66"},
                    "outstandingPrincipal": {"amount": "12.34"}, "accruedInterest": {"amount": "0.00"},
                    "dailyRate": "0.0005", "apr": "0.1825"}
    assert few == many, (few, many)


async def test_merchant_view_and_page_round_trips_do_not_grow(api: Api) -> None:
    buyer = await api.consumer("Big buyer", balance="500.00")
    small, big = await api.merchant(), await api.merchant()
    for shop, count in ((small, 2), (big, 20)):
        await api.gql(OPEN_LINE, api.operator, p=shop.id, l="300.00", r="0.0005")
        await api.gql(DRAW, shop.token, a="10.00", k=new_key())
        await asyncio.gather(*(api.pay(buyer, shop, "1.00") for _ in range(count)))
    await _warm_pool(api, MERCHANT_VIEW, small.token, id=small.id)
    few, small_view = await _statements(api, MERCHANT_VIEW, small.token, id=small.id)
    many, big_view = await _statements(api, MERCHANT_VIEW, big.token, id=big.id)
    assert len(big_view["merchant"]["receivedPayments"]["edges"]) == 20
    assert big_view["merchant"]["creditLine"] == {"limit": {"amount": "300.00"}, "available": {"amount": "290.00"},
                                                  "outstandingPrincipal": {"amount": "10.00"}}
    assert big_view["merchant"]["creditProfile"]["score"] >= 350
    assert small_view["merchant"]["creditLine"]["outstandingPrincipal"] == {"amount": "10.00"}
    assert few == many, (few, many)

    shops = [await api.merchant(f"Credit shop {i}") for i in range(6)]
    for shop in shops:
        await api.gql(OPEN_LINE, api.operator, p=shop.id, l="50.00", r="0.0005")
        await api.gql(DRAW, shop.token, a="1.00", k=new_key())
        await api.gql(DRAW, shop.token, a="2.00", k=new_key())
    six, page = await _statements(api, MERCHANTS_CREDIT, api.operator, first=6)
    one, _ = await _statements(api, MERCHANTS_CREDIT, api.operator, first=1)
    edges = page["merchants"]["edges"]
    assert all(len(e["node"]["creditLine"]["drawdowns"]["edges"]) == 2 for e in edges)
    assert six == one, (six, one)
