"""A scheduled job's recorded run: the value the gateway's run records hand to the graph.

In the kernel because both sides name it: the gateway stores runs (its own table), the
graph context returns them, and ``services.scheduling`` turns them into statuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class JobRun:
    """The latest recorded run of a job (instants of the platform's clock)."""

    job: str
    #: The scheduled instant this run was for (one run per job and instant).
    due_at: datetime
    ran_at: datetime
    outcome: str
    succeeded: bool
