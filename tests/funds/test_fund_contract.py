"""The contract's fund documents verbatim, and the demo yield history."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import asyncpg

from services.funds import seed_yield_history
from tests.conftest import Server
from tests.funds.support import FUND, clock_at, private_fund
from tests.support import Api, new_key

SUBSCRIBE_YEB = """mutation($a: Decimal!, $k: String!) { subscribeFund(input: {fundCode: "YEB", amount: $a, idempotencyKey: $k}) {
  holding { units pendingUnits } userErrors { code message } } }"""
REDEEM_YEB = """mutation($a: Decimal!, $k: String!) { redeemFund(input: {fundCode: "YEB", amount: $a, mode: INSTANT, idempotencyKey: $k}) {
  holding { units } userErrors { code message } } }"""
CONSUMER_HOME_FUND = """query ConsumerHome { me { __typename ... on Consumer { id name
  wallet { balance { amount currency } }
  fundHolding(fundCode: "YEB") { units pendingUnits value { amount } yesterdayIncome { amount } totalIncome { amount }
    fund { code name earningsPer10k sevenDayAnnualizedYield } } } } }"""


async def test_the_contract_documents_subscribe_read_and_redeem(api: Api, server: Server) -> None:
    saver = await api.consumer(balance="800.00")
    with clock_at(server, "2026-11-23 14:59"):
        data = await api.gql(SUBSCRIBE_YEB, saver.token, a="500.00", k=new_key())
        assert data["subscribeFund"] == {"holding": {"units": "0.00", "pendingUnits": "500.00"}, "userErrors": []}
        early = await api.gql(REDEEM_YEB, saver.token, a="1.00", k=new_key())
        assert early["redeemFund"]["userErrors"][0]["code"] == "INSUFFICIENT_FUNDS"
    with clock_at(server, "2026-11-24 09:30"):
        home = (await api.gql(CONSUMER_HOME_FUND, saver.token))["me"]
        assert home["fundHolding"]["units"] == "500.00"
        assert home["fundHolding"]["value"] == {"amount": "500.00"}
        assert home["fundHolding"]["fund"]["code"] == "YEB"
        redeemed = await api.gql(REDEEM_YEB, saver.token, a="200.00", k=new_key())
        assert redeemed["redeemFund"] == {"holding": {"units": "300.00"}, "userErrors": []}
        assert home["wallet"]["balance"]["amount"] == "300.00"
        assert await api.balance(saver) == "500.00"


async def test_a_year_of_demo_yields_gives_a_plausible_seven_day_yield(api: Api, db: asyncpg.Pool) -> None:
    fund = await private_fund(db)
    async with db.acquire() as conn:
        assert await seed_yield_history(conn, until=date(2026, 11, 19), fund_code=fund) == 365
        assert await seed_yield_history(conn, until=date(2026, 11, 19), fund_code=fund) == 0
    shown = (await api.gql(FUND, f=fund))["fund"]
    assert Decimal("1.4") < Decimal(shown["sevenDayAnnualizedYield"]) < Decimal("1.9")
    assert shown["yieldHistory"][0]["date"] == "2026-11-19"
    assert len(shown["yieldHistory"]) == 7
