"""Prometheus metrics of the gateway, served at ``/metrics``."""

from __future__ import annotations

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
