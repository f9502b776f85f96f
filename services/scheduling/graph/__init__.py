"""The scheduling slice of the graph: the operator's ``scheduledJobs``."""

from __future__ import annotations

from services.scheduling.graph.queries import ScheduledJobType, SchedulingQuery

__all__ = ["ScheduledJobType", "SchedulingQuery"]
