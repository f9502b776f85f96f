"""The Decimal, Date and DateTime scalars, on a tiny schema of their own (no server).

A value the scalar refuses is a GraphQL error naming the value, never a crash and
never a rounding; amounts are then the domain's (``parse_amount``) to judge.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
import strawberry
from hypothesis import given
from hypothesis import strategies as st

from services.kernel import MAX_AMOUNT_FEN, Money, parse_amount
from services.kernel.graph import DATE_SCALAR, DATETIME_SCALAR, DECIMAL_SCALAR

pytestmark = pytest.mark.unit


@strawberry.type
class Query:
    @strawberry.field
    def echo_decimal(self, value: Decimal) -> Decimal:
        return value

    @strawberry.field
    def fen(self, amount: Decimal) -> int:
        return parse_amount(amount).fen

    @strawberry.field
    def echo_date(self, value: date) -> date:
        return value

    @strawberry.field
    def utc(self, value: datetime) -> datetime:
        return value.astimezone(UTC)


SCHEMA = strawberry.Schema(
    query=Query, scalar_overrides={Decimal: DECIMAL_SCALAR, date: DATE_SCALAR, datetime: DATETIME_SCALAR}
)


def _run(document: str, value: Any) -> tuple[Any, list[str]]:
    result = SCHEMA.execute_sync(document, variable_values={"v": value})
    return result.data, [error.message for error in result.errors or ()]


def _decimal(value: Any) -> tuple[Any, list[str]]:
    data, errors = _run("query ($v: Decimal!) { echoDecimal(value: $v) }", value)
    return (data["echoDecimal"] if data else None), errors


@pytest.mark.parametrize(
    ("text", "shown"),
    [("100.00", "100.00"), ("0.01", "0.01"), ("-3.5", "-3.5"), ("007", "7"), ("624.010", "624.010"),
     ("1" * 20 + "." + "9" * 20, "1" * 20 + "." + "9" * 20)],
)
def test_a_plain_decimal_string_is_read_exactly(text: str, shown: str) -> None:
    assert _decimal(text) == (shown, [])


@pytest.mark.parametrize(
    "value",
    [
        100, 100.5, True, ["1"], {"amount": "1"},  # not a string
        "1e9", "1E+3", "NaN", "Infinity", "-Infinity", "sNaN",  # Decimal() reads these; the API does not
        "", " 1", "1 ", "+1", "1.", ".5", "1,000.00", "1_000", "--1", "0x10",
        "\uff11\uff10\uff10", "\u0661\u0660\u0660", "1\u00b2",  # full-width, Arabic-Indic, superscript digits
        "1" * 21, "1." + "0" * 21,  # longer than any amount
    ],
)
def test_anything_else_is_a_validation_error_naming_the_value(value: Any) -> None:
    data, errors = _decimal(value)
    assert data is None
    assert len(errors) == 1
    assert "Decimal must be" in errors[0]
    assert repr(value)[:37] in errors[0]


def test_a_huge_value_is_not_echoed_whole() -> None:
    _, errors = _decimal("9" * 5000)
    assert len(errors) == 1 and "..." in errors[0] and "9" * 500 not in errors[0]


def test_a_literal_in_the_document_is_held_to_the_same_rules() -> None:
    assert SCHEMA.execute_sync('{ echoDecimal(value: "12.30") }').data == {"echoDecimal": "12.30"}
    refused = SCHEMA.execute_sync('{ echoDecimal(value: "1e3") }')
    assert refused.data is None and refused.errors and "Decimal must be" in refused.errors[0].message
    assert SCHEMA.execute_sync("{ echoDecimal(value: 12.30) }").errors


def test_the_scalar_reads_and_the_domain_judges_the_amount() -> None:
    data, errors = _run("query ($v: Decimal!) { fen(amount: $v) }", "624.01")
    assert (data, errors) == ({"fen": 62401}, [])


@given(st.integers(min_value=1, max_value=MAX_AMOUNT_FEN))
def test_an_amount_round_trips_through_the_scalar(fen: int) -> None:
    shown, errors = _decimal(format(Money(fen).amount, "f"))
    assert errors == []
    assert parse_amount(Decimal(shown)) == Money(fen)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**17), max_value=10**17))
def test_serialising_writes_plain_notation_that_reads_back_equal(value: Decimal) -> None:
    shown, errors = _decimal(format(value, "f"))
    assert errors == []
    assert "e" not in shown.lower() and Decimal(shown) == value


def test_dates_are_iso_8601_within_the_years_the_api_reads() -> None:
    document = "query ($v: Date!) { echoDate(value: $v) }"
    assert _run(document, "2026-11-20") == ({"echoDate": "2026-11-20"}, [])
    for refused in ["2026-11-31", "11/20/2026", "2026-11-20T10:00:00+08:00", 20261120,
                    "\uff12\uff10\uff12\uff16-11-20", "0001-01-01", "9999-12-31", "1899-12-31"]:
        data, errors = _run(document, refused)
        assert data is None and len(errors) == 1 and "encountered error 'Date must" in errors[0], refused


def test_an_instant_must_carry_its_offset() -> None:
    document = "query ($v: DateTime!) { utc(value: $v) }"
    assert _run(document, "2026-11-20T10:00:00+08:00") == ({"utc": "2026-11-20T02:00:00+00:00"}, [])
    assert _run(document, "2026-11-20T02:00:00Z") == ({"utc": "2026-11-20T02:00:00+00:00"}, [])
    data, errors = _run(document, "2026-11-20T10:00:00")
    assert data is None and "without an offset" in errors[0]
    for refused in ["9999-12-31T23:00:00+00:00", "1800-01-01T00:00:00+00:00", "yesterday", 1_763_000_000,
                    "2026-11-20T10:00:00+99:00"]:
        data, errors = _run(document, refused)
        assert data is None and len(errors) == 1 and "encountered error 'DateTime must" in errors[0], refused


@given(st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(9998, 12, 30),
                    timezones=st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))])))
def test_an_instant_round_trips(instant: datetime) -> None:
    data, errors = _run("query ($v: DateTime!) { utc(value: $v) }", instant.isoformat())
    assert errors == []
    assert datetime.fromisoformat(data["utc"]) == instant
