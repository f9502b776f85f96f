"""Prometheus metrics of the gateway, served at ``/metrics``."""

from __future__ import annotations

import functools
from typing import Any

from prometheus_client import Counter, Histogram

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
