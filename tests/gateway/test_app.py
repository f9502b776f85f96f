"""The HTTP app: health, metrics, GraphiQL, query limits, body limit, masked errors, the token command."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import strawberry
from click.testing import CliRunner

from gateway import metrics
from gateway.cli import main
from gateway.extensions import OperationMetrics
from services.payments import repository
from tests.conftest import SECRET, Server
from tests.support import CONSUMER_HOME, TRIAL_BALANCE, Api


async def test_healthz(api: Api) -> None:
    response = await api.http.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_metrics_expose_http_and_sql_counters(api: Api) -> None:
    await api.gql("{ __typename }")
    response = await api.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'fingraph_http_requests_total{method="POST",path="/graphql",status="200"}' in text
    assert "fingraph_sql_statements_total " in text


async def test_graphiql_for_browsers(api: Api) -> None:
    response = await api.http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower() and "<html" in response.text.lower()


def _nested(levels: int) -> str:
    """payment -> merchant -> receivedPayments -> ... , ``levels`` times (small pages, so depth is what trips)."""
    inner = "id"
    for _ in range(levels):
        inner = f"merchant {{ receivedPayments(first: 1) {{ edges {{ node {{ {inner} }} }} }} }}"
    return f'{{ payment(id: "pay_1") {{ {inner} }} }}'


async def test_depth_limit(api: Api) -> None:
    assert "errors" not in (await api.post(_nested(2), api.operator)).json()
    body = (await api.post(_nested(4), api.operator)).json()
    assert "data" not in body
    assert "exceeds maximum operation depth of 12" in body["errors"][0]["message"]
    # A limit's refusal says so in its code, as the cost limit's does (ADR 014).
    assert [error["extensions"]["code"] for error in body["errors"]] == ["QUERY_TOO_COMPLEX"] * len(body["errors"])


async def test_alias_limit(api: Api) -> None:
    ok = "{ " + " ".join(f"a{i}: __typename" for i in range(30)) + " }"
    too_many = "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"
    assert (await api.post(ok)).json()["data"]["a29"] == "Query"
    body = (await api.post(too_many)).json()
    assert "data" not in body
    assert body["errors"] == [{"message": "31 aliases found. Allowed: 30", "extensions": {"code": "QUERY_TOO_COMPLEX"}}]


async def test_token_limit(api: Api) -> None:
    # Each "__typename" is one token; braces are two more.
    body = (await api.post("{ " + "__typename " * 2_100 + "}")).json()
    assert "data" not in body
    assert "token" in body["errors"][0]["message"].lower()


async def test_request_body_over_the_limit_is_413(api: Api, server: Server) -> None:
    limit = server.settings.max_body_bytes
    padding = " " * (limit + 10)
    declared = await api.http.post("/graphql", content=json.dumps({"query": "{ __typename }" + padding}),
                                   headers={"Content-Type": "application/json"})
    assert declared.status_code == 413
    assert declared.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it streams
        yield b'{"query": "{ __typename }'
        for _ in range(limit // 65_536 + 2):
            yield b" " * 65_536
        yield b'"}'

    streamed = await api.http.post("/graphql", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413

    under = await api.http.post("/graphql", json={"query": "{ __typename }" + " " * 1000})
    assert under.status_code == 200


async def test_an_unexpected_error_is_masked_with_the_request_id_and_logged(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret detail: connection string postgres://u:p@db")

    monkeypatch.setattr(repository, "trial_balance", broken)
    with caplog.at_level(logging.ERROR, logger="fingraph.errors"):
        response = await api.post(TRIAL_BALANCE, api.operator)

    assert response.status_code == 200
    request_id = response.headers["x-request-id"]
    [error] = response.json()["errors"]
    assert error["message"] == f"Internal server error (request id {request_id})"
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    assert "secret detail" not in response.text
    [record] = [r for r in caplog.records if r.name == "fingraph.errors"]
    assert request_id in record.getMessage()
    assert record.exc_info is not None and "secret detail" in str(record.exc_info[1])


async def test_a_client_request_id_is_echoed(api: Api) -> None:
    response = await api.http.post("/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": "trace-42"})
    assert response.headers["x-request-id"] == "trace-42"


async def test_the_token_command_prints_one_token_the_server_accepts(api: Api, server: Server) -> None:
    buyer = await api.consumer("Token Holder")
    # The command checks the party in the database, as the server will (ADR 015).
    env = {"FINGRAPH_JWT_SECRET": SECRET, "FINGRAPH_NOW": server.clock.now().isoformat(),
           "DATABASE_URL": server.settings.database_url or ""}

    # As from a shell: the command runs its own event loop and signal handlers.
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "fingraph"), "token", "--role", "consumer", "--party", buyer.id,
        env={**os.environ, **env}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()

    assert process.returncode == 0, err.decode()
    lines = out.decode().splitlines()
    assert len(lines) == 1 and lines[0].count(".") == 2
    data = await api.gql(CONSUMER_HOME, lines[0])
    assert data["me"]["id"] == buyer.id


def test_the_token_command_refuses_a_bad_party() -> None:
    result = CliRunner().invoke(main, ["token", "--role", "consumer", "--party", "mer_1"],
                                env={"FINGRAPH_JWT_SECRET": SECRET})
    assert result.exit_code != 0
    assert result.stdout == ""


@strawberry.type
class _TinyQuery:
    @strawberry.field
    def hello(self) -> str:
        return "world"


async def test_operation_metrics_count_a_document_that_did_not_parse_and_keep_its_error() -> None:
    # Without a parser cache Strawberry catches the syntax error and ends the operation
    # normally; the metrics hook then has no document to read the operation type from.
    schema = strawberry.Schema(query=_TinyQuery, extensions=[OperationMetrics])
    unknown = metrics.GRAPHQL_OPERATIONS.labels(operation_type="unknown", outcome="error")
    before = unknown._value.get()

    result = await schema.execute("{ hello")

    assert [error.message for error in result.errors or []] == ["Syntax Error: Expected Name, found <EOF>."]
    assert unknown._value.get() == before + 1
    assert (await schema.execute("{ hello }")).data == {"hello": "world"}
