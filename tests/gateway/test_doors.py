"""Every door answers JSON: unexpected failures, wrong methods and paths, failed sign-ins, unknown
partners and malformed persisted-query hashes (ADR 014, addendum)."""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import strawberry
from graphql import GraphQLError
from limits.aio.storage import MemoryStorage
from starlette.requests import Request
from starlette.responses import Response

from gateway.app import create_app
from gateway.auth import issue_token
from gateway.extensions import FederatedTracing, MaskUnexpectedErrors
from services.kernel.clock import Clock
from services.kernel.principal import Principal, Role
from tests.conftest import SECRET, START, Server, running_app
from tests.e2e.test_ids_kind import fingraph_token
from tests.support import Api, served

TYPENAME = {"query": "{ __typename }"}


def _codes(body: dict[str, Any]) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors") or []]


class _BrokenStorage(MemoryStorage):
    """A rate-limit store that has gone away (a shared Redis down, say): every call fails."""

    async def incr(self, *args: Any, **kwargs: Any) -> int:
        raise RuntimeError("limits storage at 10.0.0.7:6379 refused: secret-internal-detail")

    async def get(self, *args: Any, **kwargs: Any) -> int:
        raise RuntimeError("limits storage at 10.0.0.7:6379 refused: secret-internal-detail")


@pytest.fixture
async def broken_app(server: Server) -> AsyncIterator[str]:
    """The real app whose rate-limit store fails, with one extra route that fails outright."""
    app = create_app(server.settings, clock=Clock(START))
    guards = app.state.guards
    from limits.aio.strategies import SlidingWindowCounterRateLimiter

    guards.rate_limit.limiter = SlidingWindowCounterRateLimiter(_BrokenStorage())

    async def failing(_request: Request) -> Response:
        raise ValueError("secret-internal-detail")

    app.add_route("/failing", failing)
    async with served(app, log_level="critical") as url:
        yield url


def _assert_internal_error(response: httpx.Response) -> None:
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/json"), response.text
    assert "secret-internal-detail" not in response.text and "Traceback" not in response.text
    body = response.json()
    [error] = body["errors"]
    request_id = response.headers["x-request-id"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    assert error["message"] == f"Internal server error (request id {request_id})"


async def test_an_unexpected_failure_outside_graphql_is_a_json_500_with_the_request_id(
    broken_app: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    async with httpx.AsyncClient(base_url=broken_app) as client:
        graphql = await client.post("/graphql", json=TYPENAME, headers={"X-Request-ID": "boom-1"})
        other = await client.get("/failing")
    _assert_internal_error(graphql)
    assert graphql.headers["x-request-id"] == "boom-1"
    _assert_internal_error(other)
    # The real failure is logged, with the request id to find it by.
    logged = [record for record in caplog.records if "boom-1" in record.getMessage()]
    assert logged and logged[0].exc_info is not None
    assert "secret-internal-detail" in str(logged[0].exc_info[1])


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
async def test_other_methods_on_graphql_get_a_graphql_error(api: Api, method: str) -> None:
    response = await api.http.request(method, "/graphql", json=TYPENAME)
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("application/json")
    assert _codes(response.json()) == ["METHOD_NOT_ALLOWED"]
    assert "data" not in response.json()
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/nowhere", 404), ("POST", "/graphql/extra", 404), ("POST", "/healthz", 405), ("PUT", "/metrics", 405),
])
async def test_unknown_paths_and_methods_elsewhere_answer_json(api: Api, method: str, path: str, status: int) -> None:
    response = await api.http.request(method, path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json"), response.text
    assert _codes(response.json()) == ["NOT_FOUND" if status == 404 else "METHOD_NOT_ALLOWED"]


async def test_failed_sign_ins_spend_the_client_address_s_budget(server: Server) -> None:
    operator = issue_token(Principal(Role.OPERATOR), secret=SECRET, now=START, ttl=timedelta(days=1))
    async with running_app(replace(server.settings, rate_limit="3/hour"), Clock(START)) as limited:
        async with httpx.AsyncClient(base_url=limited.url) as client:
            bad = [await client.post("/graphql", json=TYPENAME, headers={"Authorization": f"Bearer junk{i}"})
                   for i in range(5)]
            anonymous = await client.post("/graphql", json=TYPENAME)
            signed_in = await client.post("/graphql", json=TYPENAME, headers={"Authorization": f"Bearer {operator}"})
    assert [r.status_code for r in bad[:3]] == [401, 401, 401]
    for refused in bad[3:]:
        assert refused.status_code == 429 and _codes(refused.json()) == ["RATE_LIMITED"]
        assert int(refused.headers["Retry-After"]) >= 1
    # The address's budget is spent for anonymous requests too; a valid token has its own.
    assert anonymous.status_code == 429
    assert signed_in.json() == {"data": {"__typename": "Query"}}


async def _created_partner(api: Api) -> int:
    created = await api.gql('mutation { createPartner(input: {name: "Door Test"}) { partner { id } } }', api.operator)
    return int(created["createPartner"]["partner"]["id"].split("_")[1])


async def test_a_token_for_a_partner_that_does_not_exist_is_unauthenticated(api: Api, server: Server) -> None:
    real = await _created_partner(api)
    tokens = {pk: issue_token(Principal(Role.PARTNER, partner_id=pk, scopes=frozenset({"payments:read"})),
                              secret=SECRET, now=server.clock.now(), ttl=timedelta(days=1))
              for pk in (real, 10**12)}
    known = await api.http.post("/graphql", json={"query": "{ merchants { edges { node { id } } } }"},
                                headers={"Authorization": f"Bearer {tokens[real]}"})
    assert known.status_code == 200 and "errors" not in known.json()
    unknown = {"Authorization": f"Bearer {tokens[10**12]}"}
    post = await api.http.post("/graphql", json=TYPENAME, headers=unknown)
    get = await api.http.get("/graphql", params=TYPENAME, headers=unknown)
    for response in (post, get):
        assert response.status_code == 401 and _codes(response.json()) == ["UNAUTHENTICATED"]
        assert "ptn_1000000000000" in response.json()["errors"][0]["message"]


async def test_the_token_command_mints_only_for_a_partner_that_exists(api: Api, server: Server) -> None:
    real = await _created_partner(api)
    refused = await fingraph_token(server, "--role", "partner", "--partner", "ptn_999999999", "--scopes", "payments:read")
    assert refused.exit_code == 2 and refused.stdout == "" and "no partner ptn_999999999" in refused.stderr
    minted = await fingraph_token(server, "--role", "partner", "--partner", f"ptn_{real}", "--scopes", "payments:read")
    assert minted.exit_code == 0, minted.stderr
    assert minted.stdout.count(".") == 2 and len(minted.stdout.splitlines()) == 1


@pytest.mark.parametrize("digest", ["g" * 64, "A" * 64, "a" * 63 + "\n", " " + "a" * 63, "\uff41" * 64])
async def test_a_persisted_query_hash_must_be_lowercase_hex(api: Api, digest: str) -> None:
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    response = await api.http.post("/graphql", json={"extensions": extensions})
    assert _codes(response.json()) == ["BAD_REQUEST"], response.text
    assert "lowercase hex" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("version", [True, 1.0, "1"])
async def test_a_persisted_query_version_must_be_the_integer_one(api: Api, version: object) -> None:
    extensions = {"persistedQuery": {"version": version, "sha256Hash": "a" * 64}}
    response = await api.http.post("/graphql", json={"extensions": extensions})
    assert _codes(response.json()) == ["PERSISTED_QUERY_NOT_SUPPORTED"], response.text


@strawberry.type
class _CrashingQuery:
    @strawberry.field
    def balance(self) -> str | None:
        raise RuntimeError("connection to 10.0.0.7 lost: secret-internal-detail")

    @strawberry.field
    def refused(self) -> str | None:
        raise GraphQLError("Not yours", extensions={"code": "FORBIDDEN"})


@dataclass
class _TracedContext:
    request: Any
    request_id: str = "trace-req-1"


async def test_a_federation_trace_masks_an_unexpected_error_like_the_answer_does() -> None:
    # Any client may ask for an ftv1 trace; the trace must not carry what the answer masks.
    schema = strawberry.Schema(query=_CrashingQuery, extensions=[MaskUnexpectedErrors, FederatedTracing])
    asked = _TracedContext(request=SimpleNamespace(headers={"apollo-federation-include-trace": "ftv1"}))

    result = await schema.execute("{ balance refused }", context_value=asked)

    assert result.extensions is not None
    trace = base64.b64decode(result.extensions["ftv1"])
    assert b"secret-internal-detail" not in trace
    assert b"Internal server error (request id trace-req-1)" in trace
    assert b"Not yours" in trace  # errors raised on purpose read the same as in the answer
    assert [error.message for error in result.errors or []] == [
        "Internal server error (request id trace-req-1)", "Not yours",
    ]


async def test_two_authorization_headers_are_refused_whichever_comes_first(api: Api) -> None:
    # A proxy that reads the last header and a server that reads the first must not disagree
    # about who is asking: a request naming two is refused outright.
    consumer = await api.consumer()
    for pair in ([consumer.token, "junk"], ["junk", consumer.token], [consumer.token, api.operator]):
        headers = [("Authorization", f"Bearer {token}") for token in pair]
        response = await api.http.post("/graphql", json={"query": "{ me { __typename } }"}, headers=headers)
        assert response.status_code == 401, response.text
        assert _codes(response.json()) == ["UNAUTHENTICATED"]
        assert "one Authorization header" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("token", [
    "_w.e30.x",  # a header that is not UTF-8
    "W10.e30.x",  # a header that is a JSON array
    "eyJhbGciOiJIUzI1NiJ9.e30.x",  # no signature to speak of
    "eyJhbGciOiJub25lIn0.e30.",  # alg none
    "a" * 5_000,
    "x.y.z.w",
])
async def test_a_bad_token_is_refused_in_our_words_not_a_library_s(api: Api, token: str) -> None:
    response = await api.http.post("/graphql", json=TYPENAME, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and _codes(response.json()) == ["UNAUTHENTICATED"]
    message = response.json()["errors"][0]["message"]
    assert message in {
        "Invalid token: not a well-formed signed token",
        "Invalid token: the signature does not verify",
        "Invalid token: signed with an algorithm we do not accept",
    }, message


async def test_every_path_spends_the_budget_not_only_graphql(server: Server) -> None:
    # /healthz reads the database on every call and anyone may call it; unknown paths are
    # where scanners knock: neither may be flooded for free.
    async with running_app(replace(server.settings, rate_limit="4/hour"), Clock(START)) as limited:
        async with httpx.AsyncClient(base_url=limited.url) as client:
            answered = [(await client.get(path)).status_code for path in ("/healthz", "/nowhere", "/healthz")]
            last = await client.get("/metrics")
            refused = [await client.get(path) for path in ("/healthz", "/nowhere", "/graphql")]
    assert answered == [200, 404, 200] and last.status_code == 200
    for response in refused:
        assert response.status_code == 429, response.text
        assert _codes(response.json()) == ["RATE_LIMITED"]


@pytest.mark.parametrize("path", ["/graphql/", "/healthz/"])
async def test_a_trailing_slash_is_not_redirected_to_the_host_the_client_named(api: Api, path: str) -> None:
    # Starlette redirected /graphql/ to http://<Host header>/graphql: behind a shared cache,
    # a poisoned Host sent other users elsewhere. A path we do not serve is a 404.
    response = await api.http.get(path, headers={"Host": "evil.example"})
    assert response.status_code == 404 and "location" not in response.headers
    assert _codes(response.json()) == ["NOT_FOUND"]
