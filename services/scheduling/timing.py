"""When a job is due: its cron read in business time (Asia/Shanghai), against the platform's clock.

A job runs once per scheduled instant. The worker's ticks (every minute) ask which
instant is the latest at or before "now" by the platform's clock (``FINGRAPH_NOW`` or
the real one), so a fixed or moved clock moves the schedule with it, and a worker that
was down runs the latest missed instant when it comes back (the accrual job also
catches up every day it missed, see ``jobs.accrue_credit_interest``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from croniter import croniter

from services.kernel.clock import BUSINESS_TZ


def latest_due(cron: str, now: datetime) -> datetime:
    """The latest instant of ``cron`` (Asia/Shanghai) at or before ``now``."""
    local = now.astimezone(BUSINESS_TZ)
    # get_prev is strictly before its start: start a second later so "now" itself counts.
    previous: datetime = croniter(cron, local + timedelta(seconds=1)).get_prev(datetime)
    return previous


def next_due(cron: str, now: datetime) -> datetime:
    """The first instant of ``cron`` (Asia/Shanghai) after ``now``."""
    following: datetime = croniter(cron, now.astimezone(BUSINESS_TZ)).get_next(datetime)
    return following
