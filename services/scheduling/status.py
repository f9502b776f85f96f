"""A job's status for the operator (``scheduledJobs``) from its latest recorded run and the clock."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from services.scheduling.jobs import JOBS, Job
from services.scheduling.models import JobRun, JobStatus
from services.scheduling.timing import latest_due, next_due


def job_status(job: Job, last: JobRun | None, now: datetime) -> JobStatus:
    """Lag: how long the latest scheduled instant has waited for a successful run (0 once it ran)."""
    due = latest_due(job.cron, now)
    caught_up = last is not None and last.succeeded and last.due_at >= due
    return JobStatus(
        name=job.name, description=job.description, schedule=job.cron,
        last_run_at=last.ran_at if last else None, last_outcome=last.outcome if last else None,
        last_succeeded=last.succeeded if last else None, next_run_at=next_due(job.cron, now),
        lag_seconds=0 if caught_up else max(0, int((now - due).total_seconds())),
    )


def job_statuses(last_runs: Mapping[str, JobRun], now: datetime) -> list[JobStatus]:
    return [job_status(job, last_runs.get(job.name), now) for job in JOBS]
