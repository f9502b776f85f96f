"""A demo left running over a (simulated) night: the worker ``fingraph serve`` runs releases due
escrow at its due minute, settles fund orders at the start of the next business day, accrues
each ended day's interest (catching up after days of downtime, in order) and flags a fund
whose yield for yesterday is missing. Balances, holdings and the trial balance at each step.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.credit.test_credit_flow import DRAW, OPEN_LINE
from tests.funds.support import HOLDING, PUBLISH, SUBSCRIBE
from tests.scheduling.support import SCHEDULED_JOBS, Platform, at, platform
from tests.support import PAYMENT_STATE, TRIAL_BALANCE, Party, new_key

LINE = "{ me { ... on Consumer { creditLine { outstandingPrincipal { amount } accruedInterest { amount } } } } }"


async def _state(p: Platform, buyer: Party, merchant: Party, payments: list[str]) -> dict[str, Any]:
    holding = (await p.gql(HOLDING, buyer.token, f="YEB"))["me"]
    line = (await p.gql(LINE, buyer.token))["me"]["creditLine"]
    statuses = [(await p.gql(PAYMENT_STATE, id=pid))["payment"]["status"] for pid in payments]
    trial = (await p.gql(TRIAL_BALANCE))["trialBalance"]
    return {
        "buyer": holding["wallet"]["balance"]["amount"], "merchant": await p.api.balance(merchant),
        "units": holding["fundHolding"]["units"], "pending": holding["fundHolding"]["pendingUnits"],
        "interest": line["accruedInterest"]["amount"], "payments": statuses,
        "trial_balance": trial["total"]["amount"],
    }


def _outcomes(ticks: dict[str, Any]) -> dict[str, str]:
    return {job: row["outcome"] for job, row in ticks.items()}


async def test_a_simulated_night_moves_the_money_by_itself(database_url: str) -> None:
    async with platform(database_url) as p:
        # Friday 2026-11-20 10:00 in Shanghai: a held payment, a fund subscription (T = Friday,
        # confirmed Monday), 1,000.00 drawn on credit at 0.05% a day, YEB published to the 19th.
        merchant = await p.api.merchant("Night Tea Co.")
        buyer = await p.api.consumer("Night Owl", balance="2000.00")
        paid = await p.api.pay(buyer, merchant, "100.00")
        assert paid["payment"]["status"] == "HELD"
        for day in ("2026-11-18", "2026-11-19"):
            assert (await p.gql(PUBLISH, f="YEB", d=day, e="1.6500"))["publishFundYield"]["userErrors"] == []
        assert (await p.gql(SUBSCRIBE, buyer.token, f="YEB", a="500.00", k=new_key()))["subscribeFund"][
            "userErrors"] == []
        assert (await p.gql(OPEN_LINE, p=buyer.id, l="5000.00", r="0.0005"))["openCreditLine"]["userErrors"] == []
        assert (await p.gql(DRAW, buyer.token, a="1000.00", k=new_key()))["drawCredit"]["userErrors"] == []
        payments = [paid["payment"]["id"]]

        # (The worker already ticked when it started, at 10:00 by the clock: a minute later.)
        ticks = await p.tick("2026-11-20 10:01:30")
        assert _outcomes(ticks) == {
            "releaseDuePayments": "released 0 payments due by 2026-11-20T10:01:30+08:00",
            "settleFundOrders": "settled 0 fund orders due by 2026-11-20",
            "accrueCreditInterest": "no ended day left to accrue",
            "flagMissingFundYields": "every fund published 2026-11-19",
        }
        assert await _state(p, buyer, merchant, payments) == {
            "buyer": "2400.00", "merchant": "0.00", "units": "0.00", "pending": "500.00", "interest": "0.00",
            "payments": ["HELD"], "trial_balance": "0.00",
        }

        # Saturday 00:00: Friday has ended and is charged; the subscription waits for Monday.
        ticks = await p.tick("2026-11-21 00:00:30")
        assert ticks["accrueCreditInterest"]["outcome"] == "accrued 2026-11-20 (1 days): interest 0.50, penalty 0.00"
        assert ticks["settleFundOrders"]["outcome"] == "settled 0 fund orders due by 2026-11-21"
        assert await _state(p, buyer, merchant, payments) == {
            "buyer": "2400.00", "merchant": "0.00", "units": "0.00", "pending": "500.00", "interest": "0.50",
            "payments": ["HELD"], "trial_balance": "0.00",
        }

        # Saturday 10:00: nobody published Friday's yield: flagged, in the jobs' view and the metrics.
        ticks = await p.tick("2026-11-21 10:00:30")
        assert ticks["flagMissingFundYields"]["outcome"] == "MISSING yield for 2026-11-20: YEB"
        jobs = {job["name"]: job for job in (await p.gql(SCHEDULED_JOBS))["scheduledJobs"]}
        assert jobs["flagMissingFundYields"]["lastOutcome"] == "MISSING yield for 2026-11-20: YEB"
        assert datetime.fromisoformat(jobs["flagMissingFundYields"]["lastRunAt"]) == at("2026-11-21 10:00:30")
        assert datetime.fromisoformat(jobs["flagMissingFundYields"]["nextRunAt"]) == at("2026-11-22 10:00:00")
        assert {name: job["lagSeconds"] for name, job in jobs.items()} == dict.fromkeys(jobs, 0)
        metrics = (await p.api.http.get("/metrics")).text
        assert "fingraph_fund_yields_missing 1.0" in metrics
        assert 'fingraph_scheduled_job_lag_seconds{job="accrueCreditInterest"} 0.0' in metrics
        assert (await p.gql(PUBLISH, f="YEB", d="2026-11-20", e="1.6500"))["publishFundYield"]["userErrors"] == []
        late = await p.api.pay(buyer, merchant, "40.00")  # due Tuesday 12-01 10:00:30
        payments.append(late["payment"]["id"])

        # The worker is down until Monday 00:00: the accrual catches up Saturday and Sunday in
        # order, the subscription is confirmed at the start of Monday, the business day after T.
        ticks = await p.tick("2026-11-23 00:00:30")
        assert ticks["accrueCreditInterest"]["outcome"] == (
            "accrued 2026-11-21..2026-11-22 (2 days): interest 1.00, penalty 0.00"
        )
        assert ticks["settleFundOrders"]["outcome"] == "settled 1 fund orders due by 2026-11-23"
        # The yield check due Sunday 10:00 runs late, and asks about Saturday, the day it was due to check.
        assert ticks["flagMissingFundYields"]["outcome"] == "MISSING yield for 2026-11-21: YEB"
        assert await _state(p, buyer, merchant, payments) == {
            "buyer": "2360.00", "merchant": "0.00", "units": "500.00", "pending": "0.00", "interest": "1.50",
            "payments": ["HELD", "HELD"], "trial_balance": "0.00",
        }

        # Down again until a minute before the first payment's confirmation window ends (10 days).
        ticks = await p.tick("2026-11-30 09:59:30")
        assert ticks["accrueCreditInterest"]["outcome"] == (
            "accrued 2026-11-23..2026-11-29 (7 days): interest 3.50, penalty 0.00"
        )
        assert ticks["releaseDuePayments"]["outcome"] == "released 0 payments due by 2026-11-30T09:59:30+08:00"
        # ... and at its due minute, not at the next midnight: released to the merchant.
        ticks = await p.tick("2026-11-30 10:00:30")
        assert ticks["releaseDuePayments"]["outcome"] == "released 1 payments due by 2026-11-30T10:00:30+08:00"
        assert await _state(p, buyer, merchant, payments) == {
            "buyer": "2360.00", "merchant": "100.00", "units": "500.00", "pending": "0.00", "interest": "5.00",
            "payments": ["RELEASED", "HELD"], "trial_balance": "0.00",
        }
        async with p.db.acquire() as conn:
            accrued = await conn.fetch("SELECT date, interest FROM credit.accruals ORDER BY date")
        assert [(str(r["date"]), r["interest"]) for r in accrued] == [
            (f"2026-11-{day}", 50) for day in range(20, 30)
        ]
