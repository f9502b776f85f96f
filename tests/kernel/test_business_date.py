"""One business date in Python and SQL: ``business_date`` (services/kernel/clock.py) and its SQL
twins ``credit.business_date`` and ``funds.business_date`` (migrations 003) agree on every instant
around midnight in Asia/Shanghai and in UTC, whatever the database session's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest

from services.kernel.clock import BUSINESS_TZ, BUSINESS_TZ_NAME, business_date


def _instants_around_both_midnights() -> list[datetime]:
    """Every 30 minutes from 20:00 to 04:00 around Shanghai's midnight and around UTC's
    (08:00 Shanghai), plus a second either side of each midnight."""
    found: list[datetime] = []
    for midnight in (datetime(2026, 11, 25, tzinfo=BUSINESS_TZ), datetime(2026, 11, 25, tzinfo=UTC)):
        found += [midnight + timedelta(minutes=30 * step) for step in range(-8, 9)]
        found += [midnight - timedelta(seconds=1), midnight + timedelta(seconds=1)]
    return found


def test_the_python_business_date_is_the_shanghai_calendar_day() -> None:
    assert BUSINESS_TZ.key == BUSINESS_TZ_NAME
    # 2026-11-25 00:30 in Shanghai is still 11-24 in UTC: the business date is the 25th.
    assert business_date(datetime(2026, 11, 24, 16, 30, tzinfo=UTC)) == date(2026, 11, 25)
    assert business_date(datetime(2026, 11, 24, 15, 59, 59, tzinfo=UTC)) == date(2026, 11, 24)
    with pytest.raises(ValueError, match="UTC offset"):
        business_date(datetime(2026, 11, 25, 0, 30))


@pytest.mark.parametrize("session_zone", ["UTC", "Asia/Shanghai", "America/Los_Angeles"])
async def test_sql_and_python_agree_around_both_midnights(db: asyncpg.Pool, session_zone: str) -> None:
    instants = _instants_around_both_midnights()
    async with db.acquire() as conn, conn.transaction():
        await conn.execute(f"SET LOCAL TimeZone = '{session_zone}'")
        rows = await conn.fetch(
            "SELECT t, credit.business_date(t) AS credit, funds.business_date(t) AS funds, t::date AS naive"
            " FROM unnest($1::timestamptz[]) AS t ORDER BY t", instants,
        )
    assert len(rows) == len(instants)
    for row in rows:
        expected = business_date(row["t"])
        assert (row["credit"], row["funds"]) == (expected, expected), row["t"]
    if session_zone != BUSINESS_TZ_NAME:
        # The bug the functions replace: a bare ::date follows the session, not the business calendar.
        assert any(row["naive"] != business_date(row["t"]) for row in rows)
