"""The customer portrait (客户画像): a party's financial figures, from running aggregates.

The facts come in one statement (``consumer_facts_sql``/``merchant_facts_sql``) that
reads each service's aggregates through its public SQL fragment: payments' totals and
days, funds' holdings and income, credit's line and interest paid. The figures are then
computed here, by pure functions, the same on the loader's path and the compiled one.

Rounding (stated once): money is whole fen; an average ticket rounds down to the fen;
rates and shares are Decimal strings of 4 places, rounded half to even; a median of
whole days is exact (a half when the count is even).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import Enum
from typing import Any

import asyncpg

from services.funds import fund_portrait_sql
from services.kernel.aggregates import Aggregate, RebuildReport, rebuild
from services.kernel.money import Money
from services.payments import buyer_portrait_sql, merchant_portrait_sql

#: Windows a read may ask for: the facts carry this many days and months, no more.
MAX_CASH_FLOW_DAYS = 90
MAX_MONTHS = 12
RATE_PLACES = Decimal("0.0001")


class CashFlowKind(str, Enum):
    PAYMENTS = "PAYMENTS"
    REFUNDS = "REFUNDS"
    TOP_UPS_AND_WITHDRAWALS = "TOP_UPS_AND_WITHDRAWALS"
    FUND_INCOME = "FUND_INCOME"
    INTEREST_PAID = "INTEREST_PAID"


@dataclass(frozen=True, slots=True)
class Flow:
    kind: CashFlowKind
    inflow: Money
    outflow: Money


@dataclass(frozen=True, slots=True)
class CashFlow:
    days: int
    inflow: Money
    outflow: Money
    by_kind: tuple[Flow, ...]


@dataclass(frozen=True, slots=True)
class MonthFigures:
    month: str  # YYYY-MM, Asia/Shanghai
    payments: int
    amount: Money  # payments made (consumer) or sales, GMV (merchant)
    refunded: Money  # refunds given that month (merchant)

    @property
    def net(self) -> Money:
        return self.amount - self.refunded


def rate(part: int, whole: int) -> Decimal | None:
    """part / whole to 4 places, half to even; None when there is no whole."""
    return (Decimal(part) / Decimal(whole)).quantize(RATE_PLACES, ROUND_HALF_EVEN) if whole else None


def month_starts(today: date, months: int) -> list[date]:
    """The first days of the last ``months`` months, the current one last."""
    starts, month = [], today.replace(day=1)
    for _ in range(months):
        starts.append(month)
        month = (month - timedelta(days=1)).replace(day=1)
    return starts[::-1]


def _months(rows: Mapping[date, tuple[int, int, int]], today: date, months: int) -> tuple[MonthFigures, ...]:
    return tuple(
        MonthFigures(month=start.strftime("%Y-%m"), payments=rows.get(start, (0, 0, 0))[0],
                     amount=Money(rows.get(start, (0, 0, 0))[1]), refunded=Money(rows.get(start, (0, 0, 0))[2]))
        for start in month_starts(today, months)
    )


@dataclass(frozen=True, slots=True)
class ConsumerPortrait:
    party_id: int
    today: date
    wallet: Money
    fund_value: Money
    credit_owed: Money  # principal + interest + penalty not yet repaid
    credit_limit: Money | None
    credit_principal: Money
    #: day -> (payments, paid, refunds in, top-ups, withdrawals, fund income, interest paid), fen.
    days: Mapping[date, tuple[int, int, int, int, int, int, int]]

    @property
    def net_worth(self) -> Money:
        return self.wallet + self.fund_value - self.credit_owed

    @property
    def idle_cash_in_fund(self) -> Decimal | None:
        """Fund value / (wallet + fund value): the share of idle cash that earns."""
        return rate(self.fund_value.fen, self.wallet.fen + self.fund_value.fen)

    @property
    def credit_utilization(self) -> Decimal | None:
        """Principal outstanding / limit; None without a credit line."""
        return None if self.credit_limit is None else rate(self.credit_principal.fen, self.credit_limit.fen)

    def cash_flow(self, days: int) -> CashFlow:
        """The last ``days`` calendar days, today included (Asia/Shanghai)."""
        first = self.today - timedelta(days=days - 1)
        sums = [0] * 7
        for day, row in self.days.items():
            if first <= day <= self.today:
                sums = [a + b for a, b in zip(sums, row, strict=True)]
        _, paid, refunds, top_ups, withdrawals, income, interest = sums
        flows = (
            Flow(CashFlowKind.PAYMENTS, Money(0), Money(paid)),
            Flow(CashFlowKind.REFUNDS, Money(refunds), Money(0)),
            Flow(CashFlowKind.TOP_UPS_AND_WITHDRAWALS, Money(top_ups), Money(withdrawals)),
            Flow(CashFlowKind.FUND_INCOME, Money(income), Money(0)),
            Flow(CashFlowKind.INTEREST_PAID, Money(0), Money(interest)),
        )
        return CashFlow(days=days, inflow=Money(sum(f.inflow.fen for f in flows)),
                        outflow=Money(sum(f.outflow.fen for f in flows)), by_kind=flows)

    def monthly_payments(self, months: int) -> tuple[MonthFigures, ...]:
        by_month: dict[date, tuple[int, int, int]] = {}
        for day, row in self.days.items():
            start = day.replace(day=1)
            count, amount, _ = by_month.get(start, (0, 0, 0))
            by_month[start] = (count + row[0], amount + row[1], 0)
        return _months(by_month, self.today, months)


@dataclass(frozen=True, slots=True)
class MerchantPortrait:
    party_id: int
    today: date
    payments: int
    sales: Money
    refunded_payments: int
    disputed_payments: int
    escrow_held: Money
    buyers: int
    repeat_buyers: int
    months: Mapping[date, tuple[int, int, int]]  # month -> (payments, sales, refunded), fen
    release_days: tuple[tuple[int, int], ...]  # (whole days, payments), ascending
    ratings: int
    stars: int

    @property
    def refund_rate(self) -> Decimal | None:
        """Payments with any refund / payments."""
        return rate(self.refunded_payments, self.payments)

    @property
    def dispute_rate(self) -> Decimal | None:
        """Payments with a dispute / payments."""
        return rate(self.disputed_payments, self.payments)

    @property
    def average_ticket(self) -> Money | None:
        """Sales / payments, rounded down to the fen."""
        return Money(self.sales.fen // self.payments) if self.payments else None

    @property
    def repeat_buyer_share(self) -> Decimal | None:
        """Buyers with two payments or more / buyers."""
        return rate(self.repeat_buyers, self.buyers)

    @property
    def median_days_to_release(self) -> Decimal | None:
        """Median whole days from payment to release over released payments."""
        total = sum(n for _, n in self.release_days)
        if not total:
            return None
        wanted = [(total - 1) // 2, total // 2]  # 0-based ranks of the middle one or two
        found: list[int] = []
        seen = 0
        for days, n in self.release_days:
            found += [days for rank in wanted if seen <= rank < seen + n]
            seen += n
        return Decimal(found[0] + found[1]) / 2

    @property
    def average_stars(self) -> Decimal | None:
        return None if not self.ratings else (Decimal(self.stars) / self.ratings).quantize(
            Decimal("0.01"), ROUND_HALF_EVEN)

    def monthly_sales(self, months: int) -> tuple[MonthFigures, ...]:
        return _months(self.months, self.today, months)


def consumer_facts_sql(party: str, today: str) -> str:
    """The consumer's facts in one JSON array: payments', funds' and credit's fragments."""
    credit = (
        f"(SELECT json_build_object('line', (SELECT json_build_array(l.limit_fen, l.outstanding_principal,"
        f" l.accrued_interest + l.accrued_penalty) FROM credit.lines l WHERE l.party_id = {party}),"
        f" 'interest', (SELECT coalesce(json_agg(json_build_array(d.day, d.interest)), '[]')"
        f" FROM credit.interest_paid_days d WHERE d.party_id = {party} AND d.day > {today} - 90"
        f" AND d.day <= {today})))"
    )
    return (f"json_build_array({party}, {buyer_portrait_sql(party, today)}, {fund_portrait_sql(party, today)},"
            f" {credit})")


def merchant_facts_sql(party: str, today: str) -> str:
    """The merchant's facts in one JSON array: payments' fragment and its ratings."""
    ratings = (f"(SELECT json_build_array(coalesce(sum(r.ratings), 0), coalesce(sum(r.stars), 0))"
               f" FROM credit.rating_totals r WHERE r.merchant_id = {party})")
    return f"json_build_array({party}, {merchant_portrait_sql(party, today)}, {ratings})"


def consumer_portrait(facts: list[Any], today: date) -> ConsumerPortrait:
    party_id, payments, funds, credit = facts
    days: dict[date, list[int]] = {}
    for day, count, paid, refunds, top_ups, withdrawals in payments["days"]:
        days[date.fromisoformat(day)] = [int(count), int(paid), int(refunds), int(top_ups), int(withdrawals), 0, 0]
    for day, fen in funds["income"]:
        days.setdefault(date.fromisoformat(day), [0] * 7)[5] += int(fen)
    for day, fen in credit["interest"]:
        days.setdefault(date.fromisoformat(day), [0] * 7)[6] += int(fen)
    line = credit["line"]
    return ConsumerPortrait(
        party_id=party_id, today=today, wallet=Money(int(payments["wallet"])), fund_value=Money(int(funds["value"])),
        credit_owed=Money(int(line[1]) + int(line[2]) if line else 0),
        credit_limit=Money(int(line[0])) if line else None, credit_principal=Money(int(line[1]) if line else 0),
        days={day: (row[0], row[1], row[2], row[3], row[4], row[5], row[6]) for day, row in days.items()},
    )


def merchant_portrait(facts: list[Any], today: date) -> MerchantPortrait:
    party_id, payments, (ratings, stars) = facts
    t = payments["totals"]
    return MerchantPortrait(
        party_id=party_id, today=today, payments=int(t["payments"]), sales=Money(int(t["amount"])),
        refunded_payments=int(t["refunded_payments"]), disputed_payments=int(t["disputed_payments"]),
        escrow_held=Money(int(t["held"])), buyers=int(t["buyers"]), repeat_buyers=int(t["repeat_buyers"]),
        months={date.fromisoformat(m): (int(n), int(a), int(r)) for m, n, a, r in payments["months"]},
        release_days=tuple((int(d), int(n)) for d, n in payments["release_days"]),
        ratings=int(ratings), stars=int(stars),
    )


#: Credit's aggregates (migrations/004_portrait_aggregates.sql) and the raw tables they count.
AGGREGATES = (
    Aggregate("credit.rating_totals", ("merchant_id", "stripe"), ("ratings", "stars"), ("credit.ratings",)),
    Aggregate("credit.repayment_records", ("party_id",), ("on_time", "late"), ("credit.drawdowns", "credit.lines")),
    Aggregate("credit.interest_paid_days", ("party_id", "day"), ("interest",),
              ("credit.repayments", "credit.lines")),
)


async def rebuild_credit_aggregates(conn: asyncpg.Connection) -> list[RebuildReport]:
    """Recompute credit's aggregates from ratings, drawdowns and repayments; what was corrected."""
    return await rebuild(conn, AGGREGATES)
