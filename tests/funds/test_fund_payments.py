"""Paying from Yu'e Bao, idempotent orders, privacy, and batched reads of holdings."""

from __future__ import annotations

from typing import Any

import asyncpg

from gateway import metrics
from services.kernel.principal import Role
from tests.conftest import Server
from tests.funds.support import HOLDING, SUBSCRIBE, clock_at, custody_and_units, holding, private_fund, subscribe
from tests.support import CREATE_PAYMENT, REFUND_PAYMENT, TOP_UP, Api, footprint, new_key

MERCHANTS_WITH_HOLDINGS = """query($first: Int!) { merchants(first: $first) { edges { node { id
  fundHolding(fundCode: "YEB") { units yesterdayIncome { amount } fund { code } } } } } }"""
MERCHANT_HOLDING = """query($id: ID!) { merchant(id: $id) { id fundHolding(fundCode: "YEB") { units } } }"""


async def test_pay_from_the_fund_redeems_units_into_escrow_and_a_refund_goes_back_to_the_fund(
    api: Api, server: Server, db: asyncpg.Pool
) -> None:
    buyer = await api.consumer(balance="20000.00")
    merchant = await api.merchant()
    with clock_at(server, "2026-11-23 10:00"):
        await subscribe(api, buyer, "YEB", "20000.00")
        early = await api.gql(CREATE_PAYMENT, buyer.token, m=merchant.id, a="100.00", s="FUND", k=new_key())
        assert early["createPayment"]["userErrors"][0]["code"] == "INSUFFICIENT_FUNDS"  # units still pending
    with clock_at(server, "2026-11-25 10:00"):
        # More than the instant cap: paying is not an instant redemption.
        big = await api.gql(CREATE_PAYMENT, buyer.token, m=merchant.id, a="12000.00", s="FUND", k=new_key())
        assert big["createPayment"]["payment"]["status"] == "HELD"
        data = await api.gql(CREATE_PAYMENT, buyer.token, m=merchant.id, a="100.00", s="FUND", k=new_key())
        payment = data["createPayment"]["payment"]
        assert (payment["status"], payment["heldAmount"]) == ("HELD", {"amount": "100.00"})
        assert (await holding(api, buyer, "YEB"))["units"] == "7900.00"
        assert await api.balance(buyer) == "0.00"
        refunded = await api.gql(REFUND_PAYMENT, merchant.token, p=payment["id"], a="100.00", k=new_key())
        assert refunded["refundPayment"]["payment"]["status"] == "REFUNDED"
        # Back by the original route (ADR 022): a subscription of the refund, confirmed T+1.
        assert await api.balance(buyer) == "0.00"
        back = await holding(api, buyer, "YEB")
        assert (back["units"], back["pendingUnits"]) == ("7900.00", "100.00")
        too_much = await api.gql(CREATE_PAYMENT, buyer.token, m=merchant.id, a="7900.01", s="FUND", k=new_key())
        assert too_much["createPayment"]["userErrors"][0]["code"] == "INSUFFICIENT_FUNDS"
    with clock_at(server, "2026-11-26 10:00"):
        token = api.server_token(Role.CONSUMER, buyer.pk)
        back = (await api.gql(HOLDING, token, f="YEB"))["me"]["fundHolding"]
        assert (back["units"], back["pendingUnits"]) == ("8000.00", "0.00")
    custody, units = await custody_and_units(db)
    assert custody == units


async def test_subscribe_is_idempotent_and_a_failed_one_changes_nothing(api: Api, db: asyncpg.Pool) -> None:
    fund = await private_fund(db)
    saver = await api.consumer(balance="50.00")
    key = new_key()
    first = await subscribe(api, saver, fund, "30.00", key)
    again = await subscribe(api, saver, fund, "30.00", key)
    assert first == again == {"holding": {"units": "0.00", "pendingUnits": "30.00"}, "userErrors": []}
    assert await api.balance(saver) == "20.00"
    reused = await subscribe(api, saver, fund, "1.00", key)
    assert reused["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"

    before = await footprint(db, saver.pk)
    for amount, code in (("20.01", "INSUFFICIENT_FUNDS"), ("1.001", "INVALID_AMOUNT"), ("0", "INVALID_AMOUNT")):
        failed = await subscribe(api, saver, fund, amount)
        assert (failed["holding"], failed["userErrors"][0]["code"]) == (None, code)
    unknown = await api.gql(SUBSCRIBE, saver.token, f="NOPE", a="1.00", k=new_key())
    assert unknown["subscribeFund"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert await footprint(db, saver.pk) == before
    assert (await holding(api, saver, fund))["pendingUnits"] == "30.00"


async def test_a_holding_is_private_to_its_party_and_operators(api: Api) -> None:
    merchant = await api.merchant()
    stranger = await api.consumer("Stranger")
    await api.gql(TOP_UP, merchant.token, a="10.00", k=new_key())
    await subscribe(api, merchant, "YEB", "10.00")
    own = await api.gql(MERCHANT_HOLDING, merchant.token, id=merchant.id)
    assert own["merchant"]["fundHolding"] == {"units": "0.00"}
    seen = await api.post(MERCHANT_HOLDING, stranger.token, id=merchant.id)
    body = seen.json()
    assert body["data"]["merchant"]["fundHolding"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await api.gql(MERCHANT_HOLDING, api.operator, id=merchant.id))["merchant"]["fundHolding"] is not None


async def _statements_for(api: Api, first: int) -> tuple[int, dict[str, Any]]:
    """Statements of the request once warm: its second run (the first validates the document
    on the standard path; later ones may take the compiled path)."""
    counts, data = [], {}
    for _ in range(2):
        before = metrics.SQL_STATEMENTS._value.get()
        data = await api.gql(MERCHANTS_WITH_HOLDINGS, api.operator, first=first)
        counts.append(int(metrics.SQL_STATEMENTS._value.get() - before))
    return counts[-1], data


async def test_a_page_of_merchants_reads_holdings_in_constant_queries(api: Api, standard_api: Api) -> None:
    merchants = [await api.merchant(f"Saving shop {i}") for i in range(6)]
    for shop in merchants:
        await api.gql(TOP_UP, shop.token, a="5.00", k=new_key())
        await subscribe(api, shop, "YEB", "5.00")
    for client in (api, standard_api):
        many, page = await _statements_for(client, 6)
        one, _ = await _statements_for(client, 1)
        assert [e["node"]["fundHolding"]["fund"]["code"] for e in page["merchants"]["edges"]] == ["YEB"] * 6
        assert many == one, (many, one)
