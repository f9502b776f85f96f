"""``scheduledJobs``: each timed job's last run, next run, outcome and lag (operator only)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from services.kernel.graph import Info, require_operator
from services.kernel.graph.compiled import standard_only
from services.kernel.graph.directives import signed_in
from services.scheduling.models import JobStatus
from services.scheduling.status import job_statuses

_STATUS = standard_only("an operator's view of the scheduler: a handful of rows, read from its run records")


@strawberry.type(name="ScheduledJob", description="A job the platform runs by itself, and how it went.")
class ScheduledJobType:
    name: str = strawberry.field(metadata=_STATUS)
    description: str = strawberry.field(metadata=_STATUS)
    schedule: str = strawberry.field(metadata=_STATUS, description="Cron expression in Asia/Shanghai time.")
    last_run_at: datetime | None = strawberry.field(metadata=_STATUS)
    last_outcome: str | None = strawberry.field(
        metadata=_STATUS, description="What the last run did (or why it failed)."
    )
    last_succeeded: bool | None = strawberry.field(metadata=_STATUS)
    next_run_at: datetime = strawberry.field(metadata=_STATUS)
    lag_seconds: int = strawberry.field(
        metadata=_STATUS,
        description="Seconds since the latest scheduled instant the job has not yet run for (0: up to date).",
    )

    @classmethod
    def of(cls, status: JobStatus) -> ScheduledJobType:
        return cls(
            name=status.name, description=status.description, schedule=status.schedule,
            last_run_at=status.last_run_at, last_outcome=status.last_outcome, last_succeeded=status.last_succeeded,
            next_run_at=status.next_run_at, lag_seconds=status.lag_seconds,
        )


@strawberry.type
class SchedulingQuery:
    @strawberry.field(
        description="Operator: the scheduled jobs (escrow release, T+1 settlement, accrual, missing yields).",
        directives=[*signed_in()],
        metadata=_STATUS,
    )
    async def scheduled_jobs(self, info: Info) -> list[ScheduledJobType]:
        require_operator(info)
        last_runs = await info.context.scheduled_job_runs()
        return [ScheduledJobType.of(s) for s in job_statuses(last_runs, info.context.clock.now())]
