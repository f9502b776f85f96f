"""A holder's daily income without a database: units, NAV 1.00, and the least units that earn a fen.

A holder of ``u`` units on a day the fund publishes ``R`` per 10,000 earns
floor(u x R / 10000) to 0.01 (services/funds/distribution.py); the statement credits only
holders with at least ``least_units_earning(R)`` units, so that bound must be exact.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.funds import Holding, demo_earnings_per_10k
from services.funds.distribution import least_units_earning
from services.funds.models import money_to_units, units_to_money
from services.kernel import MAX_AMOUNT_FEN, Money

pytestmark = pytest.mark.unit

rates = st.integers(min_value=1, max_value=1_000_000).map(lambda r: Decimal(r).scaleb(-4))  # 0.0001..100
units = st.integers(min_value=1, max_value=10**13).map(lambda f: Decimal(f).scaleb(-2))


def _income(held: Decimal, rate: Decimal) -> Fraction:
    """floor(units x R / 10000) to 0.01, exactly (the distribution's rule, by fractions)."""
    fen = Fraction(held) * Fraction(rate) / 10_000 * 100
    return Fraction(int(fen), 100)


@pytest.mark.parametrize(
    ("rate", "least"),
    [
        ("1.6543", "60.45"),  # 60.45 x 1.6543 / 10000 = 0.010000...; 60.44 earns 0.0099...
        ("1.0000", "100.00"),  # exactly 0.01 at 100 units
        ("0.4500", "222.23"),
        ("100", "1.00"),
        ("0.0001", "1000000.00"),
        ("9.9999", "10.01"),
    ],
)
def test_known_least_units_earning_a_fen(rate: str, least: str) -> None:
    assert least_units_earning(Decimal(rate)) == Decimal(least)
    assert _income(Decimal(least), Decimal(rate)) == Fraction(1, 100)
    assert _income(Decimal(least) - Decimal("0.01"), Decimal(rate)) == 0


def test_nobody_earns_on_a_zero_day_and_a_fifth_decimal_is_refused() -> None:
    assert least_units_earning(Decimal(0)) is None
    with pytest.raises(ValueError, match="more than 4 decimals"):
        least_units_earning(Decimal("1.00005"))


@given(units, rates)
def test_a_holder_is_credited_exactly_when_its_income_reaches_a_fen(held: Decimal, rate: Decimal) -> None:
    least = least_units_earning(rate)
    assert least is not None
    assert (held >= least) == (_income(held, rate) >= Fraction(1, 100))


@given(rates)
def test_the_bound_is_a_whole_number_of_fen(rate: Decimal) -> None:
    least = least_units_earning(rate)
    assert least is not None and least == least.quantize(Decimal("0.01")) and least > 0


def test_units_and_money_at_nav_one() -> None:
    assert money_to_units(Money(1_000_000)) == Decimal("10000.00")
    assert units_to_money(Decimal("624.01")) == Money(62401)
    assert units_to_money(Decimal("0")) == Money(0)
    with pytest.raises(ValueError, match="not whole fen"):
        units_to_money(Decimal("0.001"))


@given(st.integers(min_value=0, max_value=MAX_AMOUNT_FEN))
def test_units_round_trip_through_money(fen: int) -> None:
    assert units_to_money(money_to_units(Money(fen))) == Money(fen)


def test_a_holding_shows_its_value_and_only_the_days_income() -> None:
    holding = Holding(
        fund_id=1, party_id=7, units=Decimal("10000.45"), pending_units=Decimal(0), redeeming_units=Decimal(0),
        total_income=Decimal("12.34"), last_income_date=date(2026, 11, 20), last_income=Decimal("0.45"),
        as_of=date(2026, 11, 21),
    )
    assert holding.value == Money(1_000_045)
    assert holding.income_on(date(2026, 11, 20)) == Money(45)
    assert holding.income_on(date(2026, 11, 21)) == Money(0)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)))
def test_the_demo_curve_is_a_publishable_rate(day: date) -> None:
    rate = demo_earnings_per_10k(day)
    assert Decimal("0.3980") <= rate <= Decimal("0.4740")
    assert rate == rate.quantize(Decimal("0.0001"))
