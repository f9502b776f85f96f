"""The injectable clock: fixed or real, always with an offset, business days in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kernel import Clock
from services.kernel.clock import BUSINESS_TZ

pytestmark = pytest.mark.unit


def test_a_fixed_clock_returns_its_instant_and_can_be_moved() -> None:
    start = datetime.fromisoformat("2026-11-20T10:00:00+08:00")
    clock = Clock(start)
    assert clock.is_fixed
    assert clock.now() == start
    clock.set(start + timedelta(days=1))
    assert clock.now() == datetime.fromisoformat("2026-11-21T10:00:00+08:00")


def test_from_iso_reads_fingraph_now_or_keeps_real_time() -> None:
    assert Clock.from_iso("2026-11-20T10:00:00+08:00").now() == datetime(2026, 11, 20, 2, tzinfo=UTC)
    real = Clock.from_iso(None)
    assert not real.is_fixed
    before = datetime.now(UTC)
    assert before <= real.now() <= datetime.now(UTC)
    assert real.now().utcoffset() == timedelta(0)


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        Clock(datetime(2026, 11, 20, 10))
    with pytest.raises(ValueError, match="UTC offset"):
        Clock.from_iso("2026-11-20T10:00:00")
    clock = Clock(datetime(2026, 11, 20, 10, tzinfo=UTC))
    with pytest.raises(ValueError, match="UTC offset"):
        clock.set(datetime(2026, 11, 21, 10))


@pytest.mark.parametrize(
    ("instant", "business_day"),
    [
        ("2026-11-20T15:59:59+00:00", date(2026, 11, 20)),
        # Midnight in Shanghai is 16:00 UTC: the business day turns there, not at UTC midnight.
        ("2026-11-20T16:00:00+00:00", date(2026, 11, 21)),
        ("2026-11-20T23:59:59+08:00", date(2026, 11, 20)),
        ("2026-11-21T00:00:00+08:00", date(2026, 11, 21)),
        ("2026-11-20T10:00:00-05:00", date(2026, 11, 20)),
        ("2026-11-20T11:00:00-05:00", date(2026, 11, 21)),
    ],
)
def test_today_is_the_business_date_in_shanghai(instant: str, business_day: date) -> None:
    assert Clock(datetime.fromisoformat(instant)).today() == business_day


# From 1992 on: Shanghai kept summer time in 1986-1991, +09:00 then.
@given(st.datetimes(min_value=datetime(1992, 1, 1), max_value=datetime(9000, 1, 1), timezones=st.just(UTC)))
def test_today_is_utc_plus_eight_whatever_offset_the_instant_is_written_in(instant: datetime) -> None:
    assert Clock(instant).today() == Clock(instant.astimezone(BUSINESS_TZ)).today()
    assert Clock(instant).today() == (instant + timedelta(hours=8)).date()
