"""A missed fund day is refused, not lost: a yield is published for every calendar day, in order.

Publish 01-05, skip 01-06: 01-07 is refused naming 01-06, the operator sees 01-06 among
``missingYieldDates``; 01-06 is then accepted, then 01-07; a week later the 7-day yield
spans exactly 7 calendar days.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from services.funds.models import days_missing_a_yield
from services.funds.yields import seven_day_annualized_yield
from tests.conftest import Server
from tests.funds.support import FUND, PUBLISH, clock_at, private_fund
from tests.support import Api

MISSING = """query($f: String!) { fund(code: $f) { missingYieldDates } }"""
RATES = ["0.6012", "0.5987", "0.6100", "0.6234", "0.5900", "0.6001", "0.6150", "0.6090"]


async def publish(api: Api, fund: str, day: str, rate: str = "0.6000") -> dict[str, Any]:
    result: dict[str, Any] = (await api.gql(PUBLISH, api.operator, f=fund, d=day, e=rate))["publishFundYield"]
    return result


async def missing(api: Api, fund: str) -> list[str]:
    found: list[str] = (await api.gql(MISSING, api.operator, f=fund))["fund"]["missingYieldDates"]
    return found


async def test_a_skipped_day_is_refused_named_and_published_afterwards(api: Api, server: Server, db: asyncpg.Pool) -> None:
    fund = await private_fund(db)
    with clock_at(server, "2027-01-10 10:00"):
        assert await missing(api, fund) == []  # nothing published yet: nothing is missing
        assert (await publish(api, fund, "2027-01-05", RATES[0]))["userErrors"] == []
        refused = await publish(api, fund, "2027-01-07", RATES[2])
        assert refused["distribution"] is None
        assert refused["userErrors"] == [{
            "code": "INVALID_STATE",
            "message": f"{fund} has no yield for 2027-01-06: publish 2027-01-06 first (a money-market fund earns "
                       "every calendar day, in date order)",
        }]
        assert await missing(api, fund) == ["2027-01-06", "2027-01-07", "2027-01-08", "2027-01-09"]
        assert (await publish(api, fund, "2027-01-06", RATES[1]))["userErrors"] == []
        assert (await publish(api, fund, "2027-01-07", RATES[2]))["userErrors"] == []
        assert await missing(api, fund) == ["2027-01-08", "2027-01-09"]
        consumer = await api.consumer("Curious Investor")
        forbidden = await api.post(MISSING, consumer.token, f=fund)
        assert forbidden.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    with clock_at(server, "2027-01-13 10:00"):
        for n, rate in enumerate(RATES[3:], start=8):
            assert (await publish(api, fund, f"2027-01-{n:02d}", rate))["userErrors"] == []
        assert await missing(api, fund) == []
        shown = (await api.gql(FUND, api.operator, f=fund))["fund"]
    week = [d["date"] for d in shown["yieldHistory"]]
    assert week == [f"2027-01-{n:02d}" for n in range(12, 5, -1)]  # 7 calendar days, newest first
    expected = seven_day_annualized_yield([Decimal(r) for r in reversed(RATES[1:])])
    assert Decimal(shown["sevenDayAnnualizedYield"]) == expected


def test_missing_days_run_from_the_first_publication_to_yesterday() -> None:
    today = date(2027, 3, 1)
    assert days_missing_a_yield([], today=today) == []
    assert days_missing_a_yield([date(2027, 2, 28)], today=today) == []
    assert days_missing_a_yield([date(2027, 2, 25), date(2027, 2, 27)], today=today) == [
        date(2027, 2, 26), date(2027, 2, 28)]
    long_ago = days_missing_a_yield([date(2020, 1, 1)], today=today)
    assert len(long_ago) == 366 and long_ago[0] == today - timedelta(days=366) and long_ago[-1] == date(2027, 2, 28)
