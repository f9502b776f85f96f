"""The guard pipeline over HTTP: POST (compiled and standard), GET and each item of a batch."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest

from gateway.auth import issue_token
from services.kernel.clock import Clock
from services.kernel.principal import Principal, Role
from tests.conftest import SECRET, START, Server, running_app
from tests.support import CREATE_PAYMENT, Api, new_key

TYPENAME = {"query": "{ __typename }"}
ME = "query { me { __typename } }"
ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Merchant { id } } }"


def _codes(body: dict[str, Any]) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors") or []]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_batch_spends_one_hit_per_operation(api: Api, server: Server) -> None:
    consumer = await api.consumer()
    async with running_app(replace(server.settings, rate_limit="5/hour"), Clock(START)) as limited:
        async with httpx.AsyncClient(base_url=limited.url) as client:
            first = await client.post("/graphql", json=[TYPENAME] * 3, headers=_bearer(consumer.token))
            second = await client.post("/graphql", json=[TYPENAME] * 3, headers=_bearer(consumer.token))
            single = await client.post("/graphql", json=TYPENAME, headers=_bearer(consumer.token))
    assert first.status_code == 200 and first.json() == [{"data": {"__typename": "Query"}}] * 3
    assert second.status_code == 200
    assert second.json()[:2] == [{"data": {"__typename": "Query"}}] * 2
    assert "data" not in second.json()[2] and _codes(second.json()[2]) == ["RATE_LIMITED"]
    assert single.status_code == 429 and _codes(single.json()) == ["RATE_LIMITED"]
    assert int(single.headers["Retry-After"]) >= 1


async def test_a_batch_of_ten_at_five_a_second_answers_at_most_five(api: Api, server: Server) -> None:
    consumer = await api.consumer()
    async with running_app(replace(server.settings, rate_limit="5/second"), Clock(START)) as limited:
        async with httpx.AsyncClient(base_url=limited.url) as client:
            answers = (await client.post("/graphql", json=[TYPENAME] * 10, headers=_bearer(consumer.token))).json()
    answered = [a for a in answers if "data" in a]
    # A sliding window may admit one more right at a window's edge.
    assert len(answered) <= 6
    assert all(_codes(a) == ["RATE_LIMITED"] for a in answers if "data" not in a)


async def test_a_request_that_reaches_no_operation_still_counts_once(api: Api, server: Server) -> None:
    consumer = await api.consumer()
    headers = {**_bearer(consumer.token), "Content-Type": "application/json"}
    async with running_app(replace(server.settings, rate_limit="3/hour"), Clock(START)) as limited:
        async with httpx.AsyncClient(base_url=limited.url) as client:
            garbage = [(await client.post("/graphql", content=b"{not json", headers=headers)).status_code
                       for _ in range(2)]
            allowed = await client.post("/graphql", json=TYPENAME, headers=headers)
            refused = await client.post("/graphql", json=TYPENAME, headers=headers)
            more_garbage = await client.post("/graphql", content=b"{not json", headers=headers)
    assert all(400 <= status < 500 and status != 429 for status in garbage)
    assert allowed.json() == {"data": {"__typename": "Query"}}
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    # Over its budget, a request is refused before its body is read, whatever the body.
    assert more_garbage.status_code == 429 and _codes(more_garbage.json()) == ["RATE_LIMITED"]


async def test_twenty_thousand_entity_representations_are_too_complex(api: Api) -> None:
    many = [{"__typename": "Merchant", "id": "mer_1"}] * 20_000
    single = await api.http.post(
        "/graphql", json={"query": ENTITIES, "variables": {"r": many}}, headers=_bearer(api.operator)
    )
    batch = await api.http.post(
        "/graphql", json=[{"query": ENTITIES, "variables": {"r": many[:12_000]}}, TYPENAME],
        headers=_bearer(api.operator),
    )
    assert "data" not in single.json() and _codes(single.json()) == ["QUERY_TOO_COMPLEX"]
    assert single.json()["errors"][0]["extensions"]["cost"] == 20_000
    assert _codes(batch.json()[0]) == ["QUERY_TOO_COMPLEX"] and batch.json()[1] == {"data": {"__typename": "Query"}}
    merchant = await api.merchant()
    few = [{"__typename": "Merchant", "id": merchant.id}] * 2
    within = await api.http.post(
        "/graphql", json={"query": ENTITIES, "variables": {"r": few}}, headers=_bearer(api.operator)
    )
    assert within.json() == {"data": {"_entities": [{"id": merchant.id}] * 2}}


@pytest.mark.parametrize("who", ["wrong kind", "no such party"])
async def test_a_token_naming_no_party_of_its_kind_is_unauthenticated(
    api: Api, server: Server, who: str
) -> None:
    consumer, merchant = await api.consumer(balance="10.00"), await api.merchant()
    principal = (Principal(Role.MERCHANT, party_id=consumer.pk) if who == "wrong kind"
                 else Principal(Role.CONSUMER, party_id=10**15))
    token = issue_token(principal, secret=SECRET, now=server.clock.now(), ttl=timedelta(days=1))
    headers = _bearer(token)
    pay = {"query": CREATE_PAYMENT, "variables": {"m": merchant.id, "a": "1.00", "s": "WALLET", "k": new_key()}}

    post = await api.http.post("/graphql", json={"query": ME}, headers=headers)
    mutation = await api.http.post("/graphql", json=pay, headers=headers)
    get = await api.http.get("/graphql", params={"query": ME}, headers=headers)
    batch = await api.http.post("/graphql", json=[{"query": ME}, pay], headers=headers)

    for response in (post, mutation, get):
        assert response.status_code == 401, response.text
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert "data" not in response.json() and _codes(response.json()) == ["UNAUTHENTICATED"]
        assert "no such" in response.json()["errors"][0]["message"]
    assert [_codes(item) for item in batch.json()] == [["UNAUTHENTICATED"], ["UNAUTHENTICATED"]]
    assert await api.balance(consumer) == "10.00"
