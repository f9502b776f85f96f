"""Automatic persisted queries (Apollo APQ), persisted-only mode, batching and the cost limit."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace
from typing import Any

import httpx

from services.kernel.clock import Clock
from tests.conftest import START, Server, running_app
from tests.support import MERCHANTS_PAGE, Api

EARNINGS = '{ __typename }'


def apq(query: str | None, digest: str) -> dict[str, object]:
    body: dict[str, object] = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
    if query is not None:
        body["query"] = query
    return body


async def test_apq_not_found_then_register_then_hash_only(api: Api) -> None:
    query = f"query Unique{uuid.uuid4().hex} {{ __typename }}"
    digest = hashlib.sha256(query.encode()).hexdigest()

    first = (await api.http.post("/graphql", json=apq(None, digest))).json()
    assert first["errors"][0]["message"] == "PersistedQueryNotFound"
    assert first["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"

    registered = (await api.http.post("/graphql", json=apq(query, digest))).json()
    assert registered == {"data": {"__typename": "Query"}}

    by_hash = (await api.http.post("/graphql", json=apq(None, digest))).json()
    assert by_hash == {"data": {"__typename": "Query"}}
    by_get = await api.http.get(
        "/graphql", params={"extensions": f'{{"persistedQuery":{{"version":1,"sha256Hash":"{digest}"}}}}'}
    )
    assert by_get.json() == {"data": {"__typename": "Query"}}


async def test_apq_hash_mismatch_is_refused(api: Api) -> None:
    body = (await api.http.post("/graphql", json=apq("{ __typename }", "0" * 64))).json()
    assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"


async def test_apq_is_shared_by_every_process_through_postgres(api: Api, server: Server) -> None:
    query = f"query Shared{uuid.uuid4().hex} {{ __typename }}"
    digest = hashlib.sha256(query.encode()).hexdigest()
    await api.http.post("/graphql", json=apq(query, digest))
    async with running_app(replace(server.settings), Clock(START)) as other:
        async with httpx.AsyncClient(base_url=other.url) as client:
            body = (await client.post("/graphql", json=apq(None, digest))).json()
    assert body == {"data": {"__typename": "Query"}}


async def test_persisted_only_mode_refuses_unknown_documents(api: Api, server: Server) -> None:
    known = f"query Known{uuid.uuid4().hex} {{ __typename }}"
    digest = hashlib.sha256(known.encode()).hexdigest()
    await api.http.post("/graphql", json=apq(known, digest))
    strict = replace(server.settings, persisted_only=True)
    async with running_app(strict, Clock(START)) as other:
        async with httpx.AsyncClient(base_url=other.url) as client:
            raw = (await client.post("/graphql", json={"query": "{ __typename }"})).json()
            new = f"query New{uuid.uuid4().hex} {{ __typename }}"
            fresh = (await client.post("/graphql", json=apq(new, hashlib.sha256(new.encode()).hexdigest()))).json()
            stored = (await client.post("/graphql", json=apq(None, digest))).json()
    assert raw["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
    assert fresh["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
    assert stored == {"data": {"__typename": "Query"}}


async def test_batched_operations_answer_in_order(api: Api) -> None:
    batch = [{"query": "{ __typename }"}, {"query": "query { me { __typename } }"}]
    response = await api.http.post("/graphql", json=batch)
    body = response.json()
    assert response.status_code == 200 and isinstance(body, list) and len(body) == 2
    assert body[0] == {"data": {"__typename": "Query"}}
    assert body[1]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_batches_over_the_maximum_are_refused(api: Api, server: Server) -> None:
    batch = [{"query": "{ __typename }"}] * (server.settings.max_batch + 1)
    response = await api.http.post("/graphql", json=batch)
    assert response.status_code == 400


async def test_batched_operations_are_authorised_like_single_ones(api: Api) -> None:
    consumer = await api.consumer()
    other = await api.consumer("Han Meimei")
    query = "query($id: ID!) { consumer(id: $id) { wallet { balance { amount } } } }"
    batch = [{"query": query, "variables": {"id": consumer.id}}, {"query": query, "variables": {"id": other.id}}]
    body = (await api.http.post("/graphql", json=batch, headers={"Authorization": f"Bearer {consumer.token}"})).json()
    assert body[0]["data"]["consumer"]["wallet"]["balance"]["amount"] == "0.00"
    assert body[1]["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_query_cost_over_the_limit_is_refused_before_execution(api: Api) -> None:
    query = ("{ merchants(first: 100) { edges { node { receivedPayments(first: 100) "
             "{ edges { node { id amount { amount } } } } } } } }")
    response = await api.http.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {api.operator}"}
    )
    body = response.json()
    assert "data" not in body
    error = body["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["cost"] == 40300
    assert error["extensions"]["maxCost"] == 10_000


async def test_contract_pages_are_within_the_cost_limit(api: Api) -> None:
    data = await api.gql(MERCHANTS_PAGE, api.operator)
    assert "merchants" in data


async def test_rate_limit_per_principal_answers_429(api: Api, server: Server) -> None:
    # A day-long window: the sliding-window approximation may admit one more right at a window edge.
    limited = replace(server.settings, rate_limit="3/day")
    consumer = await api.consumer()
    other = await api.consumer("Han Meimei")
    async with running_app(limited, Clock(START)) as strict:
        async with httpx.AsyncClient(base_url=strict.url) as client:
            statuses = []
            for _ in range(4):
                response = await client.post(
                    "/graphql", json={"query": "{ __typename }"}, headers={"Authorization": f"Bearer {consumer.token}"}
                )
                statuses.append(response.status_code)
            other_status = (await client.post(
                "/graphql", json={"query": "{ __typename }"}, headers={"Authorization": f"Bearer {other.token}"}
            )).status_code
    assert statuses == [200, 200, 200, 429]
    assert response.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert int(response.headers["Retry-After"]) >= 1
    assert other_status == 200


async def test_a_client_registers_only_documents_that_would_run(api: Api, db: Any) -> None:
    tag = uuid.uuid4().hex
    garbage = f"not graphql at all {tag} " + "x" * 100_000
    invalid = f"query Invalid{tag} {{ noSuchField }}"
    oversized = f'query Big{tag} {{ fund(code: "{"Y" * 60_000}") {{ code }} }}'
    valid = f"query Valid{tag} {{ __typename }}"

    answers = {}
    for name, query in [("garbage", garbage), ("invalid", invalid), ("oversized", oversized), ("valid", valid)]:
        answers[name] = (await api.http.post("/graphql", json=apq(query, hashlib.sha256(query.encode()).hexdigest())))
    stored = {row["query"] for row in await db.fetch(
        "SELECT query FROM gateway.persisted_queries WHERE strpos(query, $1) > 0", tag
    )}

    # Each still runs and answers its own errors; only the runnable, bounded one is kept.
    assert "Syntax Error" in answers["garbage"].json()["errors"][0]["message"]
    assert "noSuchField" in answers["invalid"].json()["errors"][0]["message"]
    assert answers["oversized"].json() == {"data": {"fund": None}}
    assert answers["valid"].json() == {"data": {"__typename": "Query"}}
    assert stored == {valid}
