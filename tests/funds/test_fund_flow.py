"""The fund over HTTP through simulated days: orders, confirmation, income, yields, redemptions."""

from __future__ import annotations

from decimal import Decimal, localcontext

import asyncpg

from tests.conftest import Server
from tests.funds.support import (
    FUND,
    PUBLISH,
    REDEEM,
    clock_at,
    custody_and_units,
    holding,
    income,
    private_fund,
    subscribe,
)
from tests.support import Api, new_key

COMPARISON = """query { earningsComparison(amount: "10000.00", fundAnnualYieldPercent: "6.2401", bankRatePercent: "0.35", days: 365) {
  fundEarnings { amount } bankEarnings { amount } ratio } }"""


async def test_earnings_comparison_is_public_and_exact(api: Api) -> None:
    data = await api.gql(COMPARISON)
    assert data["earningsComparison"] == {
        "fundEarnings": {"amount": "624.01"}, "bankEarnings": {"amount": "35.00"}, "ratio": "17.83"
    }


async def test_yeb_exists_with_its_manager(api: Api) -> None:
    data = await api.gql(FUND, f="YEB")
    assert data["fund"]["name"] == "Yu'e Bao"
    assert data["fund"]["manager"] == "Tianhong Asset Management"


async def test_subscribe_wednesday_morning_confirms_thursday_and_earns_from_then(
    api: Api, server: Server, db: asyncpg.Pool
) -> None:
    fund = await private_fund(db)
    buyer = await api.consumer(balance="1000.00")
    with clock_at(server, "2026-11-25 10:00"):  # a Wednesday
        result = await subscribe(api, buyer, fund, "500.00")
        assert result == {"holding": {"units": "0.00", "pendingUnits": "500.00"}, "userErrors": []}
        assert (await holding(api, buyer, fund))["pendingUnits"] == "500.00"
    with clock_at(server, "2026-11-26 09:00"):  # Thursday: confirmed, but Wednesday earned nothing
        published = await api.gql(PUBLISH, api.operator, f=fund, d="2026-11-25", e="1.6500")
        assert published["publishFundYield"]["distribution"]["holders"] == 0
        assert published["publishFundYield"]["distribution"]["totalIncome"] == {"amount": "0.00"}
        now = await holding(api, buyer, fund)
        assert (now["units"], now["pendingUnits"], now["yesterdayIncome"]) == ("500.00", "0.00", {"amount": "0.00"})
    with clock_at(server, "2026-11-27 09:00"):  # Friday: Thursday's income arrives
        published = await api.gql(PUBLISH, api.operator, f=fund, d="2026-11-26", e="1.6500")
        assert published["publishFundYield"]["distribution"]["holders"] == 1
        now = await holding(api, buyer, fund)
        expected = income("500.00", "1.6500")  # 0.0825 -> 0.08
        assert now["yesterdayIncome"] == {"amount": str(expected)}
        assert now["units"] == str(Decimal("500.00") + expected)
        assert now["incomeHistory"] == [{"date": "2026-11-26", "income": {"amount": "0.08"}}]


async def test_friday_after_cutoff_before_a_monday_holiday_counts_for_tuesday(
    api: Api, server: Server, db: asyncpg.Pool
) -> None:
    # 2026-04-06 (Monday) is Qingming in services/funds/data/holidays.csv.
    fund = await private_fund(db)
    buyer = await api.consumer(balance="300.00")
    with clock_at(server, "2026-04-03 16:00"):
        await subscribe(api, buyer, fund, "300.00")
    async with db.acquire() as conn:
        order = await conn.fetchrow(
            "SELECT trade_date::text, settle_date::text FROM funds.orders o JOIN funds.funds f ON f.id = o.fund_id"
            " WHERE f.code = $1", fund,
        )
    assert order is not None and (order["trade_date"], order["settle_date"]) == ("2026-04-07", "2026-04-08")
    with clock_at(server, "2026-04-07 23:59"):  # Tuesday: still pending
        assert (await holding(api, buyer, fund))["pendingUnits"] == "300.00"
    with clock_at(server, "2026-04-08 00:01"):  # Wednesday: confirmed
        now = await holding(api, buyer, fund)
        assert (now["units"], now["pendingUnits"]) == ("300.00", "0.00")


async def test_income_per_holder_to_the_fen_and_published_once(api: Api, server: Server, db: asyncpg.Pool) -> None:
    fund = await private_fund(db)
    amounts = ["1234.56", "99.99", "0.01", "87654.32"]
    holders = [await api.consumer(balance=a) for a in amounts]
    with clock_at(server, "2026-11-23 10:00"):  # Monday; confirmed Tuesday
        for party, amount in zip(holders, amounts, strict=True):
            await subscribe(api, party, fund, amount)
    with clock_at(server, "2026-11-25 08:00"):
        postings_before = await _postings(db)
        first = (await api.gql(PUBLISH, api.operator, f=fund, d="2026-11-24", e="1.6543"))["publishFundYield"]
        expected = [income(a, "1.6543") for a in amounts]
        assert first["distribution"]["holders"] == 4
        assert first["distribution"]["totalIncome"] == {"amount": str(sum(expected))}
        assert first["distribution"]["alreadyPublished"] is False
        exact = sum(Decimal(a) for a in amounts) * Decimal("1.6543") / 10_000
        assert Decimal(first["distribution"]["residue"]) == exact - sum(expected)
        for party, amount, paid in zip(holders, amounts, expected, strict=True):
            assert (await holding(api, party, fund))["units"] == str(Decimal(amount) + paid)
        after_first = await _postings(db)
        assert after_first == postings_before + 2  # one FUND_INCOME -> FUND_CUSTODY entry

        second = (await api.gql(PUBLISH, api.operator, f=fund, d="2026-11-24", e="1.6543"))["publishFundYield"]
        assert second["distribution"]["alreadyPublished"] is True
        assert second["distribution"]["totalIncome"] == first["distribution"]["totalIncome"]
        assert await _postings(db) == after_first
        for party, amount, paid in zip(holders, amounts, expected, strict=True):
            assert (await holding(api, party, fund))["units"] == str(Decimal(amount) + paid)

        today = (await api.gql(PUBLISH, api.operator, f=fund, d="2026-11-25", e="1.6543"))["publishFundYield"]
        assert today["distribution"] is None and today["userErrors"][0]["code"] == "INVALID_STATE"
    custody, units = await custody_and_units(db)
    assert custody == units


def _seven_day_yield(rates: list[str]) -> Decimal:
    """The DESIGN.md formula, computed another way (exp of a sum of logs)."""
    with localcontext() as ctx:
        ctx.prec = 60
        log_sum = sum(((1 + Decimal(r) / 10_000).ln() for r in rates), Decimal(0))
        annual = (log_sum * 365 / 7).exp()
        return ((annual - 1) * 100).quantize(Decimal("0.0001"))


async def test_seven_day_yield_from_seven_published_days(api: Api, server: Server, db: asyncpg.Pool) -> None:
    fund = await private_fund(db)
    rates = ["1.6500", "1.7012", "0.4100", "0.4234", "2.0001", "1.5555", "1.6000"]
    with clock_at(server, "2026-11-20 09:00"):
        for day, rate in enumerate(rates, start=10):
            data = await api.gql(PUBLISH, api.operator, f=fund, d=f"2026-11-{day}", e=rate)
            assert data["publishFundYield"]["userErrors"] == []
            shown = (await api.gql(FUND, f=fund))["fund"]
            assert shown["sevenDayAnnualizedYield"] is None or day == 16
        shown = (await api.gql(FUND, f=fund))["fund"]
    assert shown["sevenDayAnnualizedYield"] == str(_seven_day_yield(rates))
    assert shown["earningsPer10k"] == "1.6000"
    assert [d["earningsPer10k"] for d in shown["yieldHistory"]] == list(reversed(rates))


async def test_instant_redemption_is_capped_per_day_standard_is_not(
    api: Api, server: Server, db: asyncpg.Pool
) -> None:
    fund = await private_fund(db)
    saver = await api.consumer(balance="20000.00")
    with clock_at(server, "2026-11-23 10:00"):
        await subscribe(api, saver, fund, "20000.00")
    with clock_at(server, "2026-11-25 10:00"):  # confirmed on Tuesday
        ok = await api.gql(REDEEM, saver.token, f=fund, a="6000.00", m="INSTANT", k=new_key())
        assert ok["redeemFund"]["holding"]["units"] == "14000.00"
        over = await api.gql(REDEEM, saver.token, f=fund, a="4000.01", m="INSTANT", k=new_key())
        assert over["redeemFund"] == {
            "holding": None, "userErrors": [{"code": "INSTANT_REDEMPTION_LIMIT_EXCEEDED", "message": over[
                "redeemFund"]["userErrors"][0]["message"]}],
        }
        rest = await api.gql(REDEEM, saver.token, f=fund, a="4000.00", m="INSTANT", k=new_key())
        assert rest["redeemFund"]["holding"]["units"] == "10000.00"
        assert await api.balance(saver) == "10000.00"
        standard = await api.gql(REDEEM, saver.token, f=fund, a="5000.00", m="STANDARD", k=new_key())
        assert standard["redeemFund"]["holding"] == {"units": "5000.00", "redeemingUnits": "5000.00"}
        assert await api.balance(saver) == "10000.00"
        custody, units = await custody_and_units(db)
        assert custody == units
    with clock_at(server, "2026-11-26 00:01"):  # next trading day: standard paid out, new instant quota
        await api.gql(
            "mutation { settleFundOrders(input: {}) { settledCount userErrors { code } } }", api.operator
        )
        assert await api.balance(saver) == "15000.00"
        again = await api.gql(REDEEM, saver.token, f=fund, a="1.00", m="INSTANT", k=new_key())
        assert again["redeemFund"]["holding"] == {"units": "4999.00", "redeemingUnits": "0.00"}
    custody, units = await custody_and_units(db)
    assert custody == units


async def _postings(db: asyncpg.Pool) -> int:
    async with db.acquire() as conn:
        count: int = await conn.fetchval("SELECT count(*) FROM payments.postings")
    return count
