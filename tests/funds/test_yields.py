"""Yield arithmetic without a database: the 7-day annualised yield and the earnings comparison.

The known values are the source article's worked example (/work/shared/seed/DIGEST.md):
10,000 yuan for a year earns 35.00 at the bank's 0.35% and 624.01 at Yu'e Bao's 6.2401%,
17.83 times as much.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from services.funds.yields import compare_earnings, seven_day_annualized_yield, simple_earnings
from services.kernel import MAX_AMOUNT_FEN, DomainError, ErrorCode, Money

pytestmark = pytest.mark.unit

# Earnings per 10,000 units a day, as a fund publishes them: 4 decimals, 0..100 (the publish rule).
rates = st.integers(min_value=0, max_value=1_000_000).map(lambda r: Decimal(r).scaleb(-4))
everyday_rates = st.integers(min_value=0, max_value=30_000).map(lambda r: Decimal(r).scaleb(-4))
weeks = st.lists(everyday_rates, min_size=7, max_size=7)


def test_the_articles_comparison_for_one_year() -> None:
    compared = compare_earnings(Decimal("10000"), Decimal("6.2401"), Decimal("0.35"), 365)
    assert compared.fund_earnings == Money(62401)
    assert compared.bank_earnings == Money(3500)
    assert compared.ratio == Decimal("17.83")
    assert str(compared.fund_earnings.amount) == "624.01" and str(compared.bank_earnings.amount) == "35.00"


def test_each_side_is_rounded_down_to_the_fen() -> None:
    # 10,000 x 6.2401% x 30/365 = 51.2884...: an investor is paid 51.28, never 51.29.
    assert simple_earnings(Money(1_000_000), Decimal("6.2401"), 30) == Money(5128)
    # 1.00 x 0.35% x 1/365 is far below a fen: nothing, not a rounded-up 0.01.
    assert simple_earnings(Money(100), Decimal("0.35"), 1) == Money(0)
    compared = compare_earnings(Decimal("1.00"), Decimal("6.2401"), Decimal("0.35"), 1)
    assert compared.fund_earnings == Money(0) and compared.bank_earnings == Money(0) and compared.ratio is None


def test_the_ratio_is_of_the_rounded_amounts_half_up() -> None:
    # 100.00 for 100 days: fund 1.70 (1.7096 down), bank 0.09 (0.0958 down): 1.70 / 0.09 = 18.888... -> 18.89.
    compared = compare_earnings(Decimal("100"), Decimal("6.2401"), Decimal("0.35"), 100)
    assert (compared.fund_earnings, compared.bank_earnings, compared.ratio) == (Money(170), Money(9), Decimal("18.89"))


@pytest.mark.parametrize(
    ("amount", "fund", "bank", "days", "code", "field"),
    [
        ("0", "6.2401", "0.35", 365, ErrorCode.INVALID_AMOUNT, "amount"),
        ("10.001", "6.2401", "0.35", 365, ErrorCode.INVALID_AMOUNT, "amount"),
        ("10000", "6.2401", "0.35", 0, ErrorCode.INVALID_INPUT, "days"),
        ("10000", "6.2401", "0.35", 36_501, ErrorCode.INVALID_INPUT, "days"),
        ("10000", "-1", "0.35", 365, ErrorCode.INVALID_INPUT, "fundAnnualYieldPercent"),
        ("10000", "1000.01", "0.35", 365, ErrorCode.INVALID_INPUT, "fundAnnualYieldPercent"),
        ("10000", "6.2401", "NaN", 365, ErrorCode.INVALID_INPUT, "bankRatePercent"),
        ("10000", "6.2401", "Infinity", 365, ErrorCode.INVALID_INPUT, "bankRatePercent"),
    ],
)
def test_out_of_range_inputs_are_refused_by_name(
    amount: str, fund: str, bank: str, days: int, code: ErrorCode, field: str
) -> None:
    with pytest.raises(DomainError) as refused:
        compare_earnings(Decimal(amount), Decimal(fund), Decimal(bank), days)
    assert (refused.value.code, refused.value.field) == (code, field)


def test_the_largest_comparison_is_exact() -> None:
    # A hundred years at 1000% earns far more than one operation may move: still an answer.
    compared = compare_earnings(Decimal("1000000000.00"), Decimal("1000"), Decimal("1000"), 36_500)
    assert compared.fund_earnings == Money(1_000_000_000_00 * 1000)
    assert compared.ratio == Decimal("1.00")


percents = st.integers(min_value=0, max_value=10_000_000).map(lambda p: Decimal(p).scaleb(-4))  # 0..1000%


@given(st.integers(min_value=1, max_value=MAX_AMOUNT_FEN), percents, st.integers(min_value=1, max_value=36_500))
def test_simple_earnings_is_the_exact_interest_rounded_down(fen: int, percent: Decimal, days: int) -> None:
    exact = Fraction(fen) * Fraction(percent) / 100 * days / 365  # in fen
    assert simple_earnings(Money(fen), percent, days) == Money(int(exact))  # int() floors a positive Fraction


def _yield_by_logarithms(week: list[Decimal]) -> Decimal:
    """The same yield by another road: exp(365/7 x sum ln(1 + R/10000)) at 60 digits."""
    with localcontext() as ctx:
        ctx.prec = 60
        log_sum = sum(((Decimal(1) + rate / 10_000).ln() for rate in week), Decimal(0))
        annual = (log_sum * 365 / 7).exp()
        return ((annual - 1) * 100).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def test_known_seven_day_yields() -> None:
    # (1.0001)^365 - 1 = 3.71724...%: seven days of 1.0000 per 10k.
    assert seven_day_annualized_yield([Decimal("1.0000")] * 7) == Decimal("3.7172")
    assert seven_day_annualized_yield([Decimal("0.5000")] * 7) == Decimal("1.8417")
    assert seven_day_annualized_yield([Decimal("2")] * 7) == Decimal("7.5723")
    assert seven_day_annualized_yield([Decimal(0)] * 7) == Decimal("0.0000")


@pytest.mark.parametrize("days", [0, 1, 6, 8, 30])
def test_no_yield_until_exactly_seven_days_are_given(days: int) -> None:
    assert seven_day_annualized_yield([Decimal("0.45")] * days) is None


@given(rates)
def test_a_constant_week_compounds_to_the_exact_yearly_power(rate: Decimal) -> None:
    exact = (1 + Fraction(rate) / 10_000) ** 365 - 1  # an integer power: exact as a fraction
    scaled = exact * 100 * 10_000
    half_up = int(scaled + Fraction(1, 2))
    assert seven_day_annualized_yield([rate] * 7) == Decimal(half_up).scaleb(-4)


@given(weeks)
def test_any_week_agrees_with_the_logarithm_road(week: list[Decimal]) -> None:
    assert seven_day_annualized_yield(week) == _yield_by_logarithms(week)


@given(weeks, st.integers(min_value=0, max_value=6), st.integers(min_value=1, max_value=10_000))
def test_a_better_day_never_lowers_the_yield(week: list[Decimal], day: int, raise_by: int) -> None:
    better = list(week)
    better[day] += Decimal(raise_by).scaleb(-4)
    before, after = seven_day_annualized_yield(week), seven_day_annualized_yield(better)
    assert before is not None and after is not None
    assert after >= before


@given(weeks, st.permutations(range(7)))
def test_the_order_of_the_days_does_not_matter(week: list[Decimal], order: list[int]) -> None:
    assume(len(set(week)) > 1)
    assert seven_day_annualized_yield([week[i] for i in order]) == seven_day_annualized_yield(week)
