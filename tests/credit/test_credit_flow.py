"""Credit over HTTP: open, draw, accrue, repay; limits; idempotent accrual; penalty; pay with credit."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import asyncpg

from services.kernel.principal import Role
from tests.conftest import Server
from tests.funds.support import clock_at
from tests.support import CREATE_PAYMENT, TRIAL_BALANCE, Api, Party, new_key

OPEN_LINE = """mutation($p: ID!, $l: Decimal, $r: Decimal) { openCreditLine(input: {partyId: $p, limit: $l, dailyRate: $r}) {
  creditLine { limit { amount } available { amount } dailyRate apr } userErrors { code message } } }"""
ACCRUE = """mutation($d: Date!) { accrueCreditInterest(input: {date: $d}) {
  accrual { date lines totalInterest { amount } totalPenalty { amount } alreadyAccrued } userErrors { code message } } }"""
DRAW = """mutation($a: Decimal!, $k: String!) { drawCredit(input: {amount: $a, idempotencyKey: $k}) {
  creditLine { available { amount } outstandingPrincipal { amount } } userErrors { code message } } }"""
REPAY = """mutation($a: Decimal!, $k: String!) { repayCredit(input: {amount: $a, idempotencyKey: $k}) {
  repayment { interestPaid { amount } principalPaid { amount } penaltyPaid { amount } }
  creditLine { outstandingPrincipal { amount } accruedInterest { amount } } userErrors { code message } } }"""
LINE = """{ me { ... on Consumer { wallet { balance { amount } } creditLine { limit { amount } available { amount }
  outstandingPrincipal { amount } accruedInterest { amount } penaltyInterest { amount } dailyRate apr status
  drawdowns(first: 5) { edges { node { amount { amount } outstanding { amount } dueDate } } } }
  creditProfile { score band factors { name points detail } } } } }"""


# Accrual is global per date: each run of the suite uses its own year, so a reused
# database never finds this run's dates already accrued.
Y = 2040 + random.SystemRandom().randrange(900)


async def borrower(api: Api, limit: str = "5000.00", rate: str = "0.0005") -> Party:
    consumer = await api.consumer("Borrower")
    data = await api.gql(OPEN_LINE, api.operator, p=consumer.id, l=limit, r=rate)
    assert data["openCreditLine"]["userErrors"] == []
    return consumer


async def line_of(api: Api, party: Party) -> dict[str, Any]:
    me: dict[str, Any] = (await api.gql(LINE, party.token))["me"]
    return me


async def accrue(api: Api, day: str) -> dict[str, Any]:
    result: dict[str, Any] = (await api.gql(ACCRUE, api.operator, d=day))["accrueCreditInterest"]
    return result


async def test_draw_accrue_repay_interest_first(api: Api, server: Server, db: asyncpg.Pool) -> None:
    with clock_at(server, f"{Y}-03-01 10:00"):
        consumer = await borrower(api)
        opened = await line_of(api, consumer)
        assert opened["creditLine"]["apr"] == "0.1825"
        drawn = (await api.gql(DRAW, consumer.token, a="1000.00", k=new_key()))["drawCredit"]
        assert drawn == {"creditLine": {"available": {"amount": "4000.00"}, "outstandingPrincipal": {"amount": "1000.00"}},
                         "userErrors": []}
    with clock_at(server, f"{Y}-03-12 10:00"):
        for day in range(1, 11):
            result = await accrue(api, f"{Y}-03-{day:02d}")
            assert result["userErrors"] == [] and not result["accrual"]["alreadyAccrued"]
        assert (await line_of(api, consumer))["creditLine"]["accruedInterest"] == {"amount": "5.00"}
        # Same date again: charges nothing and says so.
        again = await accrue(api, f"{Y}-03-05")
        assert again["accrual"]["alreadyAccrued"] is True
        assert (await line_of(api, consumer))["creditLine"]["accruedInterest"] == {"amount": "5.00"}
        repaid = (await api.gql(REPAY, consumer.token, a="1000.00", k=new_key()))["repayCredit"]
        assert repaid["userErrors"] == []
        assert repaid["repayment"]["interestPaid"] == {"amount": "5.00"}
        assert repaid["repayment"]["principalPaid"] == {"amount": "995.00"}
        assert repaid["creditLine"] == {"outstandingPrincipal": {"amount": "5.00"}, "accruedInterest": {"amount": "0.00"}}
        await api.gql("mutation($a: Decimal!, $k: String!) { topUp(input: {amount: $a, idempotencyKey: $k}) { userErrors { code } } }",
                      consumer.token, a="5.00", k=new_key())
        rest = (await api.gql(REPAY, consumer.token, a="5.00", k=new_key()))["repayCredit"]
        assert rest["creditLine"]["outstandingPrincipal"] == {"amount": "0.00"}
        assert (await line_of(api, consumer))["wallet"]["balance"] == {"amount": "0.00"}
        # Nothing left: a further repayment is refused.
        over = (await api.gql(REPAY, consumer.token, a="0.01", k=new_key()))["repayCredit"]
        assert [e["code"] for e in over["userErrors"]] in (["INVALID_AMOUNT"], ["INSUFFICIENT_FUNDS"])
        total = (await api.gql(TRIAL_BALANCE, api.operator))["trialBalance"]["total"]
        assert total == {"amount": "0.00"}


async def test_same_day_repay_pays_no_interest(api: Api, server: Server) -> None:
    with clock_at(server, f"{Y}-05-01 10:00"):
        consumer = await borrower(api)
        await api.gql(DRAW, consumer.token, a="300.00", k=new_key())
    with clock_at(server, f"{Y}-05-01 18:00"):
        await api.gql(REPAY, consumer.token, a="300.00", k=new_key())
    with clock_at(server, f"{Y}-05-02 10:00"):
        await accrue(api, f"{Y}-05-01")
        assert (await line_of(api, consumer))["creditLine"]["accruedInterest"] == {"amount": "0.00"}


async def test_over_limit_changes_nothing(api: Api, server: Server) -> None:
    consumer = await borrower(api, limit="100.00")
    before = await line_of(api, consumer)
    result = (await api.gql(DRAW, consumer.token, a="100.01", k=new_key()))["drawCredit"]
    assert [e["code"] for e in result["userErrors"]] == ["CREDIT_LIMIT_EXCEEDED"]
    assert await line_of(api, consumer) == before


async def test_future_date_is_refused(api: Api, server: Server) -> None:
    today = server.clock.today().isoformat()
    result = await accrue(api, today)
    assert [e["code"] for e in result["userErrors"]] == ["INVALID_STATE"]


async def test_overdue_drawdown_accrues_penalty(api: Api, server: Server) -> None:
    with clock_at(server, f"{Y}-07-01 10:00"):
        consumer = await borrower(api, rate="0.0004")
        await api.gql(DRAW, consumer.token, a="1000.00", k=new_key())
    with clock_at(server, f"{Y}-08-05 10:00"):
        consumer = Party(consumer.id, consumer.pk, api.server_token(Role.CONSUMER, consumer.pk))  # fresh token
        await accrue(api, f"{Y}-07-31")  # the last day of the 30-day term: plain rate, 0.40
        assert (await line_of(api, consumer))["creditLine"]["penaltyInterest"] == {"amount": "0.00"}
        await accrue(api, f"{Y}-08-01")  # overdue: 1.5 x 0.04% of 1000.00 = 0.60
        line = (await line_of(api, consumer))
        assert line["creditLine"]["penaltyInterest"] == {"amount": "0.60"}
        assert line["creditLine"]["accruedInterest"] == {"amount": "1.00"}
        repayment = (await api.gql(REPAY, consumer.token, a="0.70", k=new_key()))["repayCredit"]["repayment"]
        assert repayment == {"penaltyPaid": {"amount": "0.60"}, "interestPaid": {"amount": "0.10"},
                             "principalPaid": {"amount": "0.00"}}
        repayment_factor = next(f for f in line["creditProfile"]["factors"] if f["name"] == "REPAYMENT")
        assert repayment_factor["points"] == 0 and "1 overdue now" in repayment_factor["detail"]  # < no history


async def test_hundred_concurrent_draws_never_exceed_limit(api: Api, db: asyncpg.Pool) -> None:
    consumer = await borrower(api, limit="1000.00")
    results = await asyncio.gather(*[api.gql(DRAW, consumer.token, a="30.00", k=new_key()) for _ in range(100)])
    ok = [r for r in results if not r["drawCredit"]["userErrors"]]
    refused = [r for r in results if r["drawCredit"]["userErrors"]]
    assert len(ok) == 33 and all(r["drawCredit"]["userErrors"][0]["code"] == "CREDIT_LIMIT_EXCEEDED" for r in refused)
    line = (await line_of(api, consumer))["creditLine"]
    assert line["outstandingPrincipal"] == {"amount": "990.00"} and line["available"] == {"amount": "10.00"}
    assert (await line_of(api, consumer))["wallet"]["balance"] == {"amount": "990.00"}


async def test_pay_with_credit_and_refund_repays_line(api: Api) -> None:
    consumer = await borrower(api, limit="500.00")
    merchant = await api.merchant()
    paid = (await api.gql(CREATE_PAYMENT, consumer.token, m=merchant.id, a="200.00", s="CREDIT", k=new_key()))["createPayment"]
    assert paid["userErrors"] == [] and paid["payment"]["status"] == "HELD"
    line = (await line_of(api, consumer))
    assert line["creditLine"]["outstandingPrincipal"] == {"amount": "200.00"}
    assert line["wallet"]["balance"] == {"amount": "0.00"}
    too_much = (await api.gql(CREATE_PAYMENT, consumer.token, m=merchant.id, a="300.01", s="CREDIT", k=new_key()))
    assert [e["code"] for e in too_much["createPayment"]["userErrors"]] == ["CREDIT_LIMIT_EXCEEDED"]
    refund = """mutation($p: ID!, $a: Decimal!, $k: String!) { refundPayment(input: {paymentId: $p, amount: $a, reason: "r", idempotencyKey: $k}) {
      payment { status } userErrors { code message } } }"""
    done = (await api.gql(refund, merchant.token, p=paid["payment"]["id"], a="50.00", k=new_key()))["refundPayment"]
    assert done["userErrors"] == []
    line = (await line_of(api, consumer))
    assert line["creditLine"]["outstandingPrincipal"] == {"amount": "150.00"}
    assert line["wallet"]["balance"] == {"amount": "0.00"}
