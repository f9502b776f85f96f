"""The funds domain as frozen values. Units are Decimal with two places (NAV 1.00)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from services.kernel.money import Money

UNIT = Decimal("0.01")
#: NAV is fixed: one unit is worth 1.00 of the fund's currency.
NAV = Decimal("1.00")
#: Instant redemptions per investor per fund per Asia/Shanghai calendar day.
INSTANT_DAILY_LIMIT = Money(10_000_00)
DEFAULT_FUND = "YEB"
#: How far back missing yield days are looked for (the loaders read a year of yields).
MISSING_YIELD_WINDOW_DAYS = 366


class RedemptionMode(StrEnum):
    INSTANT = "INSTANT"
    STANDARD = "STANDARD"


@dataclass(frozen=True, slots=True)
class Fund:
    id: int
    code: str
    name: str
    manager: str
    currency: str


@dataclass(frozen=True, slots=True)
class Holding:
    """A party's units of a fund, as seen on ``as_of`` (orders due by then count as settled)."""

    fund_id: int
    party_id: int
    units: Decimal
    pending_units: Decimal
    redeeming_units: Decimal
    total_income: Decimal
    last_income_date: date | None
    last_income: Decimal
    as_of: date

    @property
    def value(self) -> Money:
        return units_to_money(self.units * NAV)

    def income_on(self, day: date) -> Money:
        return units_to_money(self.last_income if self.last_income_date == day else Decimal(0))


@dataclass(frozen=True, slots=True)
class PendingRedemption:
    """Units of standard redemptions paid out to the wallet on ``payout_date`` (still ``redeeming`` until then)."""

    units: Decimal
    payout_date: date


@dataclass(frozen=True, slots=True)
class DailyYield:
    date: date
    earnings_per_10k: Decimal


@dataclass(frozen=True, slots=True)
class Distribution:
    """The outcome of publishing one day's yield (or of the earlier publish it repeats)."""

    fund_code: str
    date: date
    earnings_per_10k: Decimal
    holders: int
    total_income: Money
    gross_income: Decimal
    residue: Decimal
    already_published: bool


@dataclass(frozen=True, slots=True)
class IncomeDay:
    date: date
    income: Money


@dataclass(frozen=True, slots=True)
class EarningsComparison:
    fund_earnings: Money
    bank_earnings: Money
    ratio: Decimal | None


def money_to_units(amount: Money) -> Decimal:
    return (amount.amount / NAV).quantize(UNIT)


def units_to_money(units: Decimal, currency: str = "CNY") -> Money:
    fen = units * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"units {units} are not whole fen")
    return Money(int(fen), currency)


def days_missing_a_yield(published: Iterable[date], *, today: date) -> list[date]:
    """Calendar days that have ended with no yield published, oldest first.

    A money-market fund earns every calendar day, so every day from the fund's first
    publication to yesterday (Asia/Shanghai) needs one; looked for within the last
    ``MISSING_YIELD_WINDOW_DAYS`` days. A fund that never published misses nothing yet.
    """
    days = set(published)
    if not days:
        return []
    first = max(min(days), today - timedelta(days=MISSING_YIELD_WINDOW_DAYS))
    return [first + timedelta(days=n) for n in range((today - first).days) if first + timedelta(days=n) not in days]
