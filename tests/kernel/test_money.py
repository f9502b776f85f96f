"""Money as integer fen, and ``parse_amount``: the one place an API amount becomes fen."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kernel import CNY, MAX_AMOUNT_FEN, DomainError, ErrorCode, Money, parse_amount

pytestmark = pytest.mark.unit

fen_amounts = st.integers(min_value=1, max_value=MAX_AMOUNT_FEN)


def test_the_amount_is_yuan_with_exactly_two_decimals() -> None:
    assert Money(1).amount == Decimal("0.01")
    assert str(Money(100).amount) == "1.00"
    assert str(Money(62401).amount) == "624.01"
    assert str(Money(-5).amount) == "-0.05"
    assert str(Money(123456)) == "1234.56 CNY"


def test_arithmetic_stays_in_fen_and_in_one_currency() -> None:
    assert Money(150) + Money(275) == Money(425)
    assert Money(150) - Money(275) == Money(-125)
    assert -Money(7) == Money(-7)
    assert Money.zero() == Money(0, CNY)
    with pytest.raises(ValueError, match="cannot mix CNY and USD"):
        Money(1) + Money(1, "USD")
    with pytest.raises(ValueError, match="cannot mix"):
        Money(1) - Money(1, "USD")


@pytest.mark.parametrize(
    ("text", "fen"),
    [("0.01", 1), ("1", 100), ("1.5", 150), ("1.50", 150), ("624.01", 62401), ("10000.00", 1_000_000),
     ("1000000000.00", MAX_AMOUNT_FEN)],
)
def test_parse_amount_reads_up_to_two_decimals_exactly(text: str, fen: int) -> None:
    assert parse_amount(Decimal(text)) == Money(fen)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0", "positive"), ("0.00", "positive"), ("-0.01", "positive"), ("-5", "positive"),
        ("0.001", "more than 2 decimals"), ("1.005", "more than 2 decimals"),
        # Exact in value, but written with three decimals: refused, never silently rounded.
        ("1.000", "more than 2 decimals"),
        ("1000000000.01", "at most 1000000000.00"), ("1E+10", "at most"),
        ("NaN", "finite"), ("Infinity", "finite"), ("-Infinity", "finite"), ("sNaN", "finite"),
    ],
)
def test_parse_amount_refuses_rather_than_rounds(text: str, reason: str) -> None:
    with pytest.raises(DomainError) as refused:
        parse_amount(Decimal(text), field="amountToPay")
    assert refused.value.code is ErrorCode.INVALID_AMOUNT
    assert refused.value.field == "amountToPay"
    assert reason in refused.value.message


def test_parse_amount_keeps_the_currency_it_is_given() -> None:
    assert parse_amount(Decimal("2.50"), currency="USD") == Money(250, "USD")


@given(fen_amounts)
def test_every_amount_round_trips_through_its_decimal(fen: int) -> None:
    money = Money(fen)
    assert parse_amount(money.amount) == money
    assert parse_amount(Decimal(format(money.amount, "f"))) == money


@given(fen_amounts, fen_amounts)
def test_addition_is_exact_and_subtraction_undoes_it(a: int, b: int) -> None:
    total = Money(a) + Money(b)
    assert total.amount == Money(a).amount + Money(b).amount
    assert total - Money(b) == Money(a)


@given(st.integers(min_value=1, max_value=10**12), st.integers(min_value=3, max_value=8))
def test_a_third_decimal_is_always_refused(units: int, places: int) -> None:
    value = Decimal(units).scaleb(-places)
    with pytest.raises(DomainError) as refused:
        parse_amount(value)
    assert refused.value.code is ErrorCode.INVALID_AMOUNT
