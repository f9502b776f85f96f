"""Prometheus metrics of the gateway, served at ``/metrics``."""

from __future__ import annotations

import functools
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter("fingraph_http_requests_total", "HTTP requests", ["method", "path", "status"])
HTTP_LATENCY = Histogram(
    "fingraph_http_request_seconds", "HTTP request latency", ["path"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
GRAPHQL_OPERATIONS = Counter(
    "fingraph_graphql_operations_total", "GraphQL operations executed", ["operation_type", "outcome"]
)
GRAPHQL_ERRORS = Counter("fingraph_graphql_errors_total", "GraphQL errors returned", ["code"])
SQL_STATEMENTS = Counter("fingraph_sql_statements_total", "SQL statements sent to PostgreSQL")
READ_PATHS = Counter("fingraph_read_paths_total", "GraphQL operations by executor (compiled SQL or standard)", ["path"])


# A labelled child per label set, looked up once: ``labels()`` checks and joins the label
# values on every call, a few microseconds on every request's path.
@functools.lru_cache(maxsize=512)
def http_request(method: str, path: str, status: int) -> Any:
    return HTTP_REQUESTS.labels(method=method, path=path, status=str(status))


@functools.lru_cache(maxsize=64)
def http_latency(path: str) -> Any:
    return HTTP_LATENCY.labels(path=path)


@functools.lru_cache(maxsize=64)
def graphql_operation(operation_type: str, outcome: str) -> Any:
    return GRAPHQL_OPERATIONS.labels(operation_type=operation_type, outcome=outcome)


@functools.lru_cache(maxsize=8)
def read_path(path: str) -> Any:
    return READ_PATHS.labels(path=path)

# The scheduler (ADR 023): refreshed by each worker after every tick from the shared run
# records, so any process's /metrics tells the same story.
SCHEDULED_RUNS = Counter(
    "fingraph_scheduled_job_runs_total", "Ticks of scheduled jobs by result (succeeded, failed, skipped: already ran)",
    ["job", "result"],
)
SCHEDULED_FIGURES = Counter(
    "fingraph_scheduled_job_figures_total", "What scheduled runs did (released, settled, days, interest_fen...)",
    ["job", "figure"],
)
SCHEDULED_LAST_RUN = Gauge("fingraph_scheduled_job_last_run_timestamp_seconds", "Last run (platform clock)", ["job"])
SCHEDULED_NEXT_RUN = Gauge("fingraph_scheduled_job_next_run_timestamp_seconds", "Next scheduled instant", ["job"])
SCHEDULED_LAG = Gauge(
    "fingraph_scheduled_job_lag_seconds", "Seconds the latest scheduled instant has waited for a successful run",
    ["job"],
)
SCHEDULED_LAST_SUCCESS = Gauge("fingraph_scheduled_job_last_success", "1 if the last run succeeded", ["job"])
FUND_YIELDS_MISSING = Gauge(
    "fingraph_fund_yields_missing", "Funds whose yield for yesterday was missing at the last check"
)
