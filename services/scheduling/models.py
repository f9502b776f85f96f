"""What the scheduler knows about a job: its outcome, its last recorded run, its status now."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from services.kernel.job_runs import JobRun

__all__ = ["JobRun", "JobStatus", "Outcome"]


@dataclass(frozen=True)
class Outcome:
    """What one run did, in words for the operator and in figures for the metrics."""

    summary: str
    #: e.g. ``{"released": 3}``, ``{"days": 2, "interest_fen": 1234}``, ``{"missing": 1}``.
    figures: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class JobStatus:
    """A job as the operator sees it: when it last ran and how, when it runs next, how late it is."""

    name: str
    description: str
    schedule: str
    last_run_at: datetime | None
    last_outcome: str | None
    last_succeeded: bool | None
    next_run_at: datetime
    #: Seconds since the latest scheduled instant the job has not yet run for (0: up to date).
    lag_seconds: int
