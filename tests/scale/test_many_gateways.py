"""Several gateway processes on one database, sharing one Redis: one limit, one effect per key, one event stream.

Two ``fingraph serve`` processes on two ports with the same ``DATABASE_URL`` and
``FINGRAPH_REDIS_URL``, as two hosts behind a load balancer would run.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import Settings
from services.kernel.clock import Clock
from services.kernel.principal import Role
from tests.conftest import SECRET, START, Server
from tests.protocols.ws_client import TransportWs
from tests.scale.engines import gateway_env, gateway_processes, redis_server
from tests.support import CREATE_PAYMENT, Api, free_port, new_key, served

#: Small enough to spend in a test, long enough that no window boundary passes during it.
LIMIT = 40
EVENTS = "subscription { paymentEvents { kind payment { id status amount { amount } } } }"


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture(scope="module")
async def two_gateways(database_url: str, server: Server, redis_url: str) -> AsyncIterator[list[str]]:
    env = gateway_env(database_url, FINGRAPH_REDIS_URL=redis_url, FINGRAPH_RATE_LIMIT=f"{LIMIT}/hour")
    async with gateway_processes(env, 2) as urls:
        yield urls


async def _post(url: str, query: str, token: str, **variables: Any) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(f"{url}/graphql", json={"query": query, "variables": variables},
                                 headers={"Authorization": f"Bearer {token}"})


async def test_two_gateways_give_one_principal_the_limit_not_twice_it(api: Api, two_gateways: list[str]) -> None:
    buyer = await api.consumer()
    statuses = []
    for i in range(LIMIT + 20):
        response = await _post(two_gateways[i % 2], "{ __typename }", buyer.token)
        statuses.append(response.status_code)
    assert statuses.count(200) == LIMIT
    assert statuses[:LIMIT] == [200] * LIMIT
    assert set(statuses[LIMIT:]) == {429}
    # Both processes refuse now, each having counted only half the hits itself.
    for url in two_gateways:
        refused = await _post(url, "{ __typename }", buyer.token)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1


async def test_two_gateways_racing_on_one_key_make_one_payment(api: Api, db: Any, two_gateways: list[str]) -> None:
    buyer = await api.consumer(balance="100.00")
    merchant = await api.merchant()
    for _ in range(3):
        key = new_key()
        variables = {"m": merchant.id, "a": "10.00", "s": "WALLET", "k": key}
        answers = await asyncio.gather(*(
            _post(url, CREATE_PAYMENT, buyer.token, **variables) for url in two_gateways for _ in range(3)
        ))
        bodies = [a.json() for a in answers]
        assert all(a.status_code == 200 for a in answers), bodies
        assert all(body == bodies[0] for body in bodies), bodies
        assert bodies[0]["data"]["createPayment"]["payment"]["status"] == "HELD"
    assert await api.balance(buyer) == "70.00"
    async with db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM payments.payments WHERE buyer_id = $1", buyer.pk) == 3


async def test_a_subscriber_on_one_gateway_sees_a_payment_made_through_the_other(
    api: Api, server: Server, two_gateways: list[str]
) -> None:
    buyer = await api.consumer(balance="50.00")
    merchant = await api.merchant()
    first, second = two_gateways
    async with TransportWs.connect(first, server.token(Role.MERCHANT, merchant.pk)) as socket:
        operation = await socket.subscribe(EVENTS)
        await asyncio.sleep(0.5)  # the subscription's cursor starts at "now"
        made = await _post(second, CREATE_PAYMENT, buyer.token, m=merchant.id, a="12.34", s="WALLET", k=new_key())
        payment = made.json()["data"]["createPayment"]["payment"]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while not socket.messages[operation] and loop.time() < deadline:
            await socket._receive(deadline - loop.time())
        events = [m["payload"]["data"]["paymentEvents"] for m in socket.messages[operation] if m["type"] == "next"]
    assert events, json.dumps(socket.messages[operation])
    assert events[0]["payment"] == {"id": payment["id"], "status": "HELD", "amount": {"amount": "12.34"}}


async def test_a_gateway_whose_redis_is_unreachable_refuses_rather_than_counting_nothing(database_url: str) -> None:
    settings = Settings(database_url=database_url, jwt_secret=SECRET, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    async with served(create_app(settings, clock=Clock(START))) as url, httpx.AsyncClient() as client:
        response = await client.post(f"{url}/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
