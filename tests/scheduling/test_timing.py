"""When each job is due, in business time (Asia/Shanghai) against the platform clock, and its lag."""

from __future__ import annotations

from datetime import datetime

import pytest

from schema.operations import JobRun, scheduling

pytestmark = pytest.mark.unit


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_daily_job_is_due_at_midnight_in_shanghai_not_utc() -> None:
    # 23:30 UTC on the 20th is 07:30 on the 21st in Shanghai: the day that ended is the 20th.
    now = at("2026-11-20T23:30:00+00:00")
    assert scheduling.latest_due("0 0 * * *", now) == at("2026-11-21T00:00:00+08:00")
    assert scheduling.next_due("0 0 * * *", now) == at("2026-11-22T00:00:00+08:00")
    # 15:59 UTC is 23:59 in Shanghai: still the 20th.
    assert scheduling.latest_due("0 0 * * *", at("2026-11-20T15:59:00+00:00")) == at("2026-11-20T00:00:00+08:00")


def test_an_instant_on_the_schedule_is_due_at_that_instant() -> None:
    assert scheduling.latest_due("* * * * *", at("2026-11-20T10:00:00+08:00")) == at("2026-11-20T10:00:00+08:00")
    assert scheduling.latest_due("* * * * *", at("2026-11-20T10:00:59+08:00")) == at("2026-11-20T10:00:00+08:00")
    assert scheduling.next_due("* * * * *", at("2026-11-20T10:00:00+08:00")) == at("2026-11-20T10:01:00+08:00")


def _job(name: str) -> scheduling.Job:
    return next(job for job in scheduling.JOBS if job.name == name)


def test_lag_counts_from_the_latest_instant_not_yet_run() -> None:
    accrue = _job("accrueCreditInterest")
    now = at("2026-11-22T03:00:00+08:00")
    never = scheduling.job_status(accrue, None, now)
    assert never.lag_seconds == 3 * 3600 and never.last_run_at is None and never.last_outcome is None
    ran_yesterday = JobRun(accrue.name, at("2026-11-21T00:00:00+08:00"), at("2026-11-21T00:00:05+08:00"), "ok", True)
    assert scheduling.job_status(accrue, ran_yesterday, now).lag_seconds == 3 * 3600
    ran_today = JobRun(accrue.name, at("2026-11-22T00:00:00+08:00"), at("2026-11-22T00:00:05+08:00"), "ok", True)
    status = scheduling.job_status(accrue, ran_today, now)
    assert status.lag_seconds == 0
    assert status.next_run_at == at("2026-11-23T00:00:00+08:00")
    assert status.last_run_at == at("2026-11-22T00:00:05+08:00")
    failed_today = JobRun(accrue.name, ran_today.due_at, ran_today.ran_at, "FAILED: boom", False)
    assert scheduling.job_status(accrue, failed_today, now).lag_seconds == 3 * 3600


def test_every_job_is_listed_once_with_a_valid_schedule() -> None:
    names = [job.name for job in scheduling.JOBS]
    assert names == ["releaseDuePayments", "settleFundOrders", "accrueCreditInterest", "flagMissingFundYields"]
    statuses = scheduling.job_statuses({}, at("2026-11-20T10:00:30+08:00"))
    assert [s.name for s in statuses] == names
    assert [s.next_run_at.isoformat() for s in statuses] == [
        "2026-11-20T10:01:00+08:00", "2026-11-21T00:00:00+08:00", "2026-11-21T00:00:00+08:00",
        "2026-11-21T10:00:00+08:00",
    ]
