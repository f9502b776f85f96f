"""Scheduling: the platform's timed work (escrow auto-release, T+1 settlement, nightly
accrual, missing fund yields), defined over the services' public operations.

The gateway runs these jobs on a PostgreSQL-backed job queue (procrastinate, ADR 023)
and records their runs; this package says what each job does and when it is due.
"""

from __future__ import annotations

from services.scheduling.jobs import JOBS, Job, JobEnv
from services.scheduling.models import JobRun, JobStatus, Outcome
from services.scheduling.status import job_status, job_statuses
from services.scheduling.timing import latest_due, next_due

__all__ = ["JOBS", "Job", "JobEnv", "JobRun", "JobStatus", "Outcome", "job_status", "job_statuses", "latest_due",
           "next_due"]
