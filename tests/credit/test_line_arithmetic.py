"""A credit line's arithmetic without a database: what is available, the APR, when a day ends.

The daily accrual itself is one SQL statement (services/credit/accrual.py); its exact
interest and carried residue are checked against PostgreSQL in test_credit_properties.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.credit import CreditLine
from services.credit.models import DEFAULT_TERM_DAYS, PENALTY_MULTIPLIER, LineStatus
from services.credit.service import end_of_day
from services.kernel import Money

pytestmark = pytest.mark.unit


def _line(limit: int, outstanding: int, daily_rate: str = "0.0005") -> CreditLine:
    return CreditLine(
        id=1, party_id=7, limit=Money(limit), daily_rate=Decimal(daily_rate), term_days=DEFAULT_TERM_DAYS,
        status=LineStatus.ACTIVE, outstanding_principal=Money(outstanding), accrued_interest=Money(0),
        accrued_penalty=Money(0), opened_at=datetime(2026, 11, 1, tzinfo=UTC),
    )


def test_available_is_the_limit_less_the_principal_drawn() -> None:
    assert _line(5_000_000, 1_234_567).available == Money(3_765_433)
    assert _line(5_000_000, 0).available == Money(5_000_000)
    assert _line(5_000_000, 5_000_000).available == Money(0)


def test_the_apr_is_the_daily_rate_times_365_exactly() -> None:
    assert _line(1, 0, "0.0005").apr == Decimal("0.1825")
    assert _line(1, 0, "0.00037").apr == Decimal("0.13505")
    assert PENALTY_MULTIPLIER == Decimal("1.5")


@given(st.integers(0, 10**12), st.integers(0, 10**12))
def test_drawn_plus_available_is_the_limit(limit: int, drawn: int) -> None:
    line = _line(limit, min(drawn, limit))
    assert line.available + line.outstanding_principal == line.limit


@pytest.mark.parametrize(
    ("day", "ends"),
    [
        (date(2026, 11, 20), datetime(2026, 11, 20, 16, 0, tzinfo=UTC)),
        (date(2026, 12, 31), datetime(2026, 12, 31, 16, 0, tzinfo=UTC)),
        (date(2028, 2, 28), datetime(2028, 2, 28, 16, 0, tzinfo=UTC)),
    ],
)
def test_a_business_day_ends_at_midnight_in_shanghai(day: date, ends: datetime) -> None:
    assert end_of_day(day) == ends


@given(st.dates(min_value=date(1992, 1, 1), max_value=date(9000, 1, 1)))
def test_consecutive_days_end_a_day_apart(day: date) -> None:
    assert end_of_day(day + timedelta(days=1)) - end_of_day(day) == timedelta(days=1)
    assert end_of_day(day).utcoffset() == timedelta(hours=8)
