"""Every portrait figure, recomputed from the raw rows of a generated history, to the fen.

A seeded random history of months (payments from the wallet and on credit, refunds
before and after release, confirmations and the auto-release, top-ups, withdrawals,
fund subscriptions with daily income, credit draws, repayments and nightly interest,
ratings) runs through the services in a database of its own. Then each consumer's and
merchant's portrait, read from the running aggregates, must equal the same figure
computed here from payments, refunds, postings, holdings, incomes and repayments; and
``rebuild-aggregates`` must find nothing to correct.
"""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import asyncpg
import pytest

from services.credit import portrait, repository
from services.credit.service import (
    accrue_daily_interest,
    draw_credit,
    open_credit_line,
    rate_merchant,
    repay_credit,
)
from services.funds.service import publish_fund_yield, settle_fund_orders, subscribe
from services.kernel.clock import BUSINESS_TZ
from services.kernel.errors import DomainError
from services.kernel.money import Money
from services.payments import FundingSource, PartyKind, payment_history_by_party_ids, rebuild_payment_aggregates
from services.payments.service import (
    confirm_receipt,
    create_party,
    create_payment,
    refund_payment,
    release_due_payments,
    top_up,
    withdraw,
)
from tests.support import other_database

START = date(2026, 5, 25)
DAYS = 150
FOUR = Decimal("0.0001")


@pytest.fixture(scope="module")
async def history(database_url: str) -> AsyncIterator[tuple[asyncpg.Connection, list[int], list[int], datetime]]:
    async with other_database(database_url, "fingraph_portrait", migrate=True) as dsn:
        conn: asyncpg.Connection = await asyncpg.connect(dsn)
        try:
            consumers, merchants, now = await _generate(conn, random.Random(20261130))
            yield conn, consumers, merchants, now
        finally:
            await conn.close()


async def _attempt(conn: asyncpg.Connection, op: Any) -> None:
    """One operation in its own transaction; a refusal (not enough money...) changes nothing."""
    try:
        async with conn.transaction():
            await op
    except DomainError:
        pass


async def _generate(conn: asyncpg.Connection, rng: random.Random) -> tuple[list[int], list[int], datetime]:
    first = datetime.combine(START, time(9), tzinfo=BUSINESS_TZ)
    async with conn.transaction():
        consumers = [(await create_party(conn, kind=PartyKind.CONSUMER, name=f"c{i}", now=first)).id for i in range(5)]
        merchants = [(await create_party(conn, kind=PartyKind.MERCHANT, name=f"m{i}", now=first)).id for i in range(3)]
        for c in consumers:
            await top_up(conn, party_id=c, amount=Money(500_000), now=first)
        for c in consumers[:3]:
            await open_credit_line(conn, party_id=c, limit=Money(300_000), daily_rate=Decimal("0.0005"), now=first)
    payments: list[int] = []
    for offset in range(DAYS):
        day = START + timedelta(days=offset)
        for _ in range(rng.randint(2, 6)):
            at = datetime.combine(day, time(rng.randint(0, 23), rng.randint(0, 59)), tzinfo=BUSINESS_TZ)
            c, m = rng.choice(consumers), rng.choice(merchants)
            amount = Money(rng.randint(1, 40_000))
            kind = rng.random()
            if kind < 0.45:
                source = FundingSource.CREDIT if c in consumers[:3] and rng.random() < 0.3 else FundingSource.WALLET
                async with conn.transaction():
                    try:
                        async with conn.transaction():
                            p = await create_payment(conn, buyer_id=c, merchant_id=m, amount=amount, source=source,
                                                     order_ref="o", now=at)
                            payments.append(p.id)
                    except DomainError:
                        pass
            elif kind < 0.55 and payments:
                pid = rng.choice(payments)
                await _attempt(conn, refund_payment(conn, payment_id=pid, amount=Money(rng.randint(1, 20_000)),
                                                    reason="r", merchant_id=None, now=at))
            elif kind < 0.70 and payments:
                pid = rng.choice(payments)
                buyer = await conn.fetchval("SELECT buyer_id FROM payments.payments WHERE id = $1", pid)
                await _attempt(conn, confirm_receipt(conn, buyer_id=buyer, payment_id=pid, now=at))
                await _attempt(conn, rate_merchant(conn, buyer_id=buyer, payment_id=pid, stars=rng.randint(1, 5),
                                                   comment="", now=at))
            elif kind < 0.78:
                await _attempt(conn, top_up(conn, party_id=c, amount=amount, now=at))
            elif kind < 0.84:
                await _attempt(conn, withdraw(conn, party_id=c, amount=amount, now=at))
            elif kind < 0.90:
                await _attempt(conn, subscribe(conn, fund_code="YEB", party_id=c, amount=amount, now=at))
            elif kind < 0.95 and c in consumers[:3]:
                await _attempt(conn, draw_credit(conn, party_id=c, amount=amount, now=at))
            elif c in consumers[:3]:
                await _attempt(conn, repay_credit(conn, party_id=c, amount=amount, now=at, at_most_owed=True))
        night = datetime.combine(day + timedelta(days=1), time(1), tzinfo=BUSINESS_TZ)
        async with conn.transaction():
            await settle_fund_orders(conn, as_of=day, now=night)
            await publish_fund_yield(conn, fund_code="YEB", day=day, earnings_per_10k=Decimal("1.6500"), now=night)
            await accrue_daily_interest(conn, day=day, now=night)
            await release_due_payments(conn, as_of=night, now=night)
    now = datetime.combine(START + timedelta(days=DAYS), time(12), tzinfo=BUSINESS_TZ)
    return consumers, merchants, now


def _day(at: datetime) -> date:
    return at.astimezone(BUSINESS_TZ).date()


def _rate(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / whole).quantize(FOUR, ROUND_HALF_EVEN) if whole else None


def _months(today: date) -> list[str]:
    found, month = [], today.replace(day=1)
    for _ in range(12):
        found.append(month.strftime("%Y-%m"))
        month = (month - timedelta(days=1)).replace(day=1)
    return found[::-1]


async def test_every_consumer_figure_matches_the_raw_rows(
    history: tuple[asyncpg.Connection, list[int], list[int], datetime],
) -> None:
    conn, consumers, _, now = history
    today = _day(now)
    facts = await repository.portrait_facts(conn, portrait.consumer_facts_sql, consumers, today=today)
    checked_income = checked_interest = 0
    for c in consumers:
        got = portrait.consumer_portrait(facts[c], today)
        wallet = await conn.fetchval(
            "SELECT coalesce(sum(t.amount), 0) FROM payments.postings t JOIN payments.accounts a ON a.id = t.account_id"
            " WHERE a.kind = 'WALLET' AND a.party_id = $1", c)
        fund = await conn.fetchval(
            "SELECT coalesce(sum(units + pending_units + redeeming_units), 0) * 100 FROM funds.holdings"
            " WHERE party_id = $1", c)
        line = await conn.fetchrow("SELECT * FROM credit.lines WHERE party_id = $1", c)
        owed = line["outstanding_principal"] + line["accrued_interest"] + line["accrued_penalty"] if line else 0
        assert got.net_worth.fen == wallet + int(fund) - owed
        assert got.idle_cash_in_fund == _rate(int(fund), wallet + int(fund))
        assert got.credit_utilization == (_rate(line["outstanding_principal"], line["limit_fen"]) if line else None)
        pays = await conn.fetch("SELECT amount, created_at FROM payments.payments WHERE buyer_id = $1", c)
        refunds = await conn.fetch(
            "SELECT r.amount, r.created_at FROM payments.refunds r JOIN payments.payments p ON p.id = r.payment_id"
            " WHERE p.buyer_id = $1", c)
        bank = await conn.fetch(
            "SELECT e.kind, t.amount, e.created_at FROM payments.journal_entries e JOIN payments.postings t"
            " ON t.entry_id = e.id JOIN payments.accounts a ON a.id = t.account_id"
            " WHERE a.party_id = $1 AND e.kind IN ('TOP_UP', 'WITHDRAWAL')", c)
        incomes = await conn.fetch("SELECT date, income FROM funds.incomes WHERE party_id = $1", c)
        interest = await conn.fetch(
            "SELECT r.interest + r.penalty AS paid, r.repaid_at FROM credit.repayments r"
            " JOIN credit.lines l ON l.id = r.line_id WHERE l.party_id = $1", c)
        for days in (30, 90):
            first = today - timedelta(days=days - 1)

            def within(day: date, first: date = first) -> bool:
                return first <= day <= today

            flow = {f.kind.value: (f.inflow.fen, f.outflow.fen) for f in got.cash_flow(days).by_kind}
            assert flow["PAYMENTS"] == (0, sum(p["amount"] for p in pays if within(_day(p["created_at"]))))
            assert flow["REFUNDS"] == (sum(r["amount"] for r in refunds if within(_day(r["created_at"]))), 0)
            assert flow["TOP_UPS_AND_WITHDRAWALS"] == (
                sum(b["amount"] for b in bank if b["kind"] == "TOP_UP" and within(_day(b["created_at"]))),
                -sum(b["amount"] for b in bank if b["kind"] == "WITHDRAWAL" and within(_day(b["created_at"]))))
            income = sum(int(i["income"] * 100) for i in incomes if within(i["date"]))
            assert flow["FUND_INCOME"] == (income, 0)
            paid = sum(i["paid"] for i in interest if within(_day(i["repaid_at"])))
            assert flow["INTEREST_PAID"] == (0, paid)
            checked_income += income
            checked_interest += paid
            total = got.cash_flow(days)
            assert total.inflow.fen == sum(v[0] for v in flow.values())
            assert total.outflow.fen == sum(v[1] for v in flow.values())
        by_month: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for p in pays:
            by_month[_day(p["created_at"]).strftime("%Y-%m")][0] += 1
            by_month[_day(p["created_at"]).strftime("%Y-%m")][1] += p["amount"]
        assert [(m.month, m.payments, m.amount.fen) for m in got.monthly_payments(12)] == [
            (m, by_month[m][0], by_month[m][1]) for m in _months(today)]
    assert checked_income > 0 and checked_interest > 0, "the history must exercise fund income and interest"


async def test_every_merchant_figure_matches_the_raw_rows(
    history: tuple[asyncpg.Connection, list[int], list[int], datetime],
) -> None:
    conn, _, merchants, now = history
    today = _day(now)
    facts = await repository.portrait_facts(conn, portrait.merchant_facts_sql, merchants, today=today)
    for m in merchants:
        got = portrait.merchant_portrait(facts[m], today)
        pays = await conn.fetch("SELECT * FROM payments.payments WHERE merchant_id = $1", m)
        refunds = await conn.fetch(
            "SELECT r.amount, r.created_at FROM payments.refunds r JOIN payments.payments p ON p.id = r.payment_id"
            " WHERE p.merchant_id = $1", m)
        ratings = await conn.fetch("SELECT stars FROM credit.ratings WHERE merchant_id = $1", m)
        assert got.payments == len(pays) > 10
        assert got.sales.fen == sum(p["amount"] for p in pays)
        assert got.refund_rate == _rate(sum(1 for p in pays if p["refunded"] > 0), len(pays))
        assert got.dispute_rate == Decimal("0.0000")  # the generated history opens no dispute (tests/e2e/test_portrait.py does)
        assert got.average_ticket == Money(sum(p["amount"] for p in pays) // len(pays))
        per_buyer: dict[int, int] = defaultdict(int)
        for p in pays:
            per_buyer[p["buyer_id"]] += 1
        assert got.repeat_buyer_share == _rate(sum(1 for n in per_buyer.values() if n >= 2), len(per_buyer))
        assert got.escrow_held.fen == sum(
            p["amount"] - p["refunded"] for p in pays if p["status"] in ("HELD", "PARTIALLY_REFUNDED"))
        released = [int((p["released_at"] - p["created_at"]).total_seconds() // 86400)
                    for p in pays if p["released_at"] is not None]
        assert released and got.median_days_to_release == Decimal(str(statistics.median(released)))
        assert got.ratings == len(ratings)
        assert got.average_stars == (
            (Decimal(sum(r["stars"] for r in ratings)) / len(ratings)).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
            if ratings else None)
        sales: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for p in pays:
            sales[_day(p["created_at"]).strftime("%Y-%m")][0] += 1
            sales[_day(p["created_at"]).strftime("%Y-%m")][1] += p["amount"]
        for r in refunds:
            sales[_day(r["created_at"]).strftime("%Y-%m")][2] += r["amount"]
        assert [(s.month, s.payments, s.amount.fen, s.net.fen) for s in got.monthly_sales(12)] == [
            (month, sales[month][0], sales[month][1], sales[month][1] - sales[month][2]) for month in _months(today)]


async def test_the_credit_score_s_payment_facts_match_the_raw_rows(
    history: tuple[asyncpg.Connection, list[int], list[int], datetime],
) -> None:
    conn, consumers, merchants, _ = history
    found = await payment_history_by_party_ids(conn, consumers + merchants)
    for party in consumers:  # purchases count once released, at what was released (PaymentHistory)
        rows = await conn.fetch(
            "SELECT p.*, (SELECT coalesce(sum(r.amount), 0) FROM payments.refunds r WHERE r.payment_id = p.id"
            " AND NOT r.after_release) AS before_release FROM payments.payments p WHERE buyer_id = $1", party)
        h = found[party]
        assert h.count == len(rows)
        assert h.released_count == sum(1 for r in rows if r["released_at"] is not None)
        assert h.refunded_count == 0
        assert h.volume_fen == sum(r["amount"] - r["before_release"] for r in rows if r["released_at"] is not None)
    for party in merchants:  # sales count while released, net of refunds; refunds granted count
        rows = await conn.fetch("SELECT * FROM payments.payments WHERE merchant_id = $1", party)
        h = found[party]
        assert h.count == len(rows)
        assert h.released_count == sum(1 for r in rows if r["status"] == "RELEASED")
        assert h.refunded_count == sum(1 for r in rows if r["refunded"] > 0)
        assert h.volume_fen == sum(r["amount"] - r["refunded"] for r in rows if r["status"] == "RELEASED")


async def test_the_aggregates_kept_by_the_writes_need_no_correction(
    history: tuple[asyncpg.Connection, list[int], list[int], datetime],
) -> None:
    conn = history[0]
    from services.credit import rebuild_credit_aggregates

    async with conn.transaction():
        reports = await rebuild_payment_aggregates(conn) + await rebuild_credit_aggregates(conn)
    assert all(r.rows > 0 for r in reports)
    assert [r.corrections for r in reports if r.corrected] == []
