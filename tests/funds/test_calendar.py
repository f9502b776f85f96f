"""The fund's trading calendar without a database: T+1, the 15:00 cut-off, weekends, holidays.

Days are Asia/Shanghai days; the holidays are services/funds/data/holidays.csv (2026:
Spring Festival 16-20 and 23 February, National Day 1-2 and 5-7 October).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.funds.calendar import (
    CUTOFF,
    confirmation_date,
    holidays,
    is_trading_day,
    next_trading_day,
    trade_date,
)
from services.kernel.clock import BUSINESS_TZ

pytestmark = pytest.mark.unit


def _shanghai(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BUSINESS_TZ)


def test_weekends_and_listed_holidays_do_not_trade() -> None:
    assert is_trading_day(date(2026, 11, 20))  # a Friday
    assert not is_trading_day(date(2026, 11, 21)) and not is_trading_day(date(2026, 11, 22))
    assert not is_trading_day(date(2026, 10, 1))  # National Day, a Thursday
    assert not is_trading_day(date(2026, 2, 23))  # Spring Festival, a Monday
    assert is_trading_day(date(2026, 2, 24))


def test_the_holiday_list_is_read_from_its_data_file() -> None:
    days = holidays()
    assert date(2026, 10, 1) in days and date(2027, 2, 5) in days
    assert date(2026, 11, 20) not in days
    assert all(isinstance(day, date) for day in days)


@pytest.mark.parametrize(
    ("placed", "trade", "confirmed"),
    [
        # Monday before the cut-off: T is Monday, confirmed Tuesday (T+1).
        ("2026-11-23T14:59:59.999999", date(2026, 11, 23), date(2026, 11, 24)),
        # At 15:00 exactly the order counts for the next trading day.
        ("2026-11-23T15:00:00", date(2026, 11, 24), date(2026, 11, 25)),
        ("2026-11-23T00:00:00", date(2026, 11, 23), date(2026, 11, 24)),
        ("2026-11-23T23:59:59", date(2026, 11, 24), date(2026, 11, 25)),
        # Friday: before the cut-off confirms Monday; after it counts for Monday, confirms Tuesday.
        ("2026-11-20T10:00:00", date(2026, 11, 20), date(2026, 11, 23)),
        ("2026-11-20T15:30:00", date(2026, 11, 23), date(2026, 11, 24)),
        # A weekend order, at any hour, counts for Monday.
        ("2026-11-21T09:00:00", date(2026, 11, 23), date(2026, 11, 24)),
        ("2026-11-22T16:00:00", date(2026, 11, 23), date(2026, 11, 24)),
        # The eve of National Day: before 15:00 T is that day and it confirms after the holiday week.
        ("2026-09-30T14:00:00", date(2026, 9, 30), date(2026, 10, 8)),
        ("2026-09-30T15:00:00", date(2026, 10, 8), date(2026, 10, 9)),
        ("2026-10-01T10:00:00", date(2026, 10, 8), date(2026, 10, 9)),
        # Spring Festival: Friday 13 February after the cut-off waits for Tuesday the 24th.
        ("2026-02-13T15:00:00", date(2026, 2, 24), date(2026, 2, 25)),
        # The year turns on a holiday: New Year 2027 is a Friday.
        ("2026-12-31T15:00:00", date(2027, 1, 4), date(2027, 1, 5)),
    ],
)
def test_trade_and_confirmation_dates(placed: str, trade: date, confirmed: date) -> None:
    assert trade_date(_shanghai(placed)) == trade
    assert confirmation_date(_shanghai(placed)) == confirmed


def test_the_cut_off_is_shanghai_time_whatever_offset_the_instant_carries() -> None:
    assert CUTOFF.hour == 15 and CUTOFF.minute == 0
    # 06:59 UTC is 14:59 in Shanghai, 07:00 UTC is 15:00.
    assert trade_date(datetime(2026, 11, 23, 6, 59, tzinfo=UTC)) == date(2026, 11, 23)
    assert trade_date(datetime(2026, 11, 23, 7, 0, tzinfo=UTC)) == date(2026, 11, 24)
    # 20:00 UTC on Sunday is 04:00 Monday in Shanghai: Monday trades.
    assert trade_date(datetime(2026, 11, 22, 20, 0, tzinfo=UTC)) == date(2026, 11, 23)


def test_next_trading_day_skips_weekends_and_holidays() -> None:
    assert next_trading_day(date(2026, 11, 20)) == date(2026, 11, 23)
    assert next_trading_day(date(2026, 9, 30)) == date(2026, 10, 8)
    assert next_trading_day(date(2026, 2, 13)) == date(2026, 2, 24)


instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 20), timezones=st.just(UTC))


@given(instants)
def test_an_order_counts_for_the_first_trading_day_it_can(placed: datetime) -> None:
    local = placed.astimezone(BUSINESS_TZ)
    trade = trade_date(placed)
    assert is_trading_day(trade)
    assert trade >= local.date()
    # No trading day it could have counted for is skipped.
    day = local.date() if local.time() < CUTOFF else local.date() + timedelta(days=1)
    while day < trade:
        assert not is_trading_day(day)
        day += timedelta(days=1)


@given(instants)
def test_confirmation_is_the_next_trading_day_after_t(placed: datetime) -> None:
    trade, confirmed = trade_date(placed), confirmation_date(placed)
    assert is_trading_day(confirmed) and confirmed > trade
    assert all(not is_trading_day(trade + timedelta(days=n)) for n in range(1, (confirmed - trade).days))


@given(instants, instants)
def test_a_later_order_never_counts_for_an_earlier_day(a: datetime, b: datetime) -> None:
    first, second = sorted((a, b))
    assert trade_date(first) <= trade_date(second)
