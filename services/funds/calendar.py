"""The trading calendar: which days the fund trades, and which day an order counts for.

Days are Asia/Shanghai calendar days. Weekends never trade; the holiday list is data
(``data/holidays.csv``, replaceable) loaded once. An order placed before 15:00 on a
trading day T counts for T; later, or on a non-trading day, for the next trading day.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path

from services.kernel.clock import BUSINESS_TZ

#: Orders placed at or after this local time count for the next trading day.
CUTOFF = time(15, 0)
HOLIDAYS_FILE = Path(__file__).parent / "data" / "holidays.csv"


@lru_cache(maxsize=1)
def holidays() -> frozenset[date]:
    with HOLIDAYS_FILE.open(newline="") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return frozenset(date.fromisoformat(row["date"]) for row in rows)


def is_trading_day(day: date) -> bool:
    return day.weekday() < 5 and day not in holidays()


def next_trading_day(day: date) -> date:
    """The first trading day strictly after ``day``."""
    day += timedelta(days=1)
    while not is_trading_day(day):
        day += timedelta(days=1)
    return day


def trade_date(placed_at: datetime) -> date:
    """The trading day T an order placed at ``placed_at`` counts for."""
    local = placed_at.astimezone(BUSINESS_TZ)
    if is_trading_day(local.date()) and local.time() < CUTOFF:
        return local.date()
    return next_trading_day(local.date())


def confirmation_date(placed_at: datetime) -> date:
    """Subscriptions confirm (and standard redemptions pay out) on the trading day after T."""
    return next_trading_day(trade_date(placed_at))
