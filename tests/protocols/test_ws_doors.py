"""The WebSocket door: messages bounded like request bodies, failed sign-ins counted (ADR 014 addendum)."""

from __future__ import annotations

import contextlib
import json
from dataclasses import replace

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from services.kernel.clock import Clock
from tests.conftest import START, Server, running_app
from tests.protocols.ws_client import TransportWs, codes
from tests.support import Api

INIT = json.dumps({"type": "connection_init", "payload": {}})


def _ws(url: str) -> str:
    return url.replace("http://", "ws://") + "/graphql"


async def test_a_message_over_the_body_limit_closes_the_socket_with_1009(server: Server) -> None:
    async with running_app(replace(server.settings, max_body_bytes=10_000), Clock(START)) as small:
        async with connect(_ws(small.url), subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                           max_size=None) as socket:
            await socket.send(INIT)
            assert json.loads(await socket.recv())["type"] == "connection_ack"
            within = {"id": "1", "type": "subscribe", "payload": {"query": "{ __typename }" + " " * 5_000}}
            await socket.send(json.dumps(within))
            assert json.loads(await socket.recv())["type"] == "next"
            assert json.loads(await socket.recv())["type"] == "complete"
            over = {"id": "2", "type": "subscribe", "payload": {"query": "{ __typename }" + " " * 20_000}}
            await socket.send(json.dumps(over))
            with pytest.raises(ConnectionClosed) as closed:
                await socket.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


async def test_a_bad_token_in_connection_init_spends_the_address_s_budget(server: Server) -> None:
    # Each socket opened is one hit and each bad token one more: six in all.
    async with running_app(replace(server.settings, rate_limit="6/hour"), Clock(START)) as limited:
        codes = []
        for attempt in range(3):
            async with connect(_ws(limited.url), subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
                await socket.send(json.dumps({"type": "connection_init",
                                              "payload": {"Authorization": f"Bearer junk{attempt}"}}))
                with pytest.raises(ConnectionClosed) as closed:
                    await socket.recv()
                assert closed.value.rcvd is not None
                codes.append(closed.value.rcvd.code)
        async with httpx.AsyncClient(base_url=limited.url) as client:
            after = await client.post("/graphql", json={"query": "{ __typename }"})
    assert codes == [4403] * 3
    assert after.status_code == 429


async def test_opening_sockets_spends_the_budget_and_a_spent_one_gets_a_json_429(server: Server) -> None:
    async with running_app(replace(server.settings, rate_limit="3/hour"), Clock(START)) as limited:
        async with contextlib.AsyncExitStack() as open_sockets:
            for _ in range(3):
                await open_sockets.enter_async_context(
                    connect(_ws(limited.url), subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
                )
            with pytest.raises(InvalidStatus) as refused:
                async with connect(_ws(limited.url), subprotocols=["graphql-transport-ws"]):  # type: ignore[list-item]
                    pass
    response = refused.value.response
    assert response.status_code == 429
    assert json.loads(response.body or b"{}")["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


EVENTS = "subscription { paymentEvents { kind } }"


async def test_open_subscriptions_are_capped_per_principal_across_sockets(api: Api, server: Server) -> None:
    consumer, neighbour = await api.consumer(), await api.consumer()
    async with running_app(replace(server.settings, max_subscriptions=3), Clock(START)) as capped:
        async with TransportWs.connect(capped.url, consumer.token) as first, \
                TransportWs.connect(capped.url, consumer.token) as second:
            held = [await first.subscribe(EVENTS), await first.subscribe(EVENTS), await second.subscribe(EVENTS)]
            for operation_id, socket in zip(held, [first, first, second], strict=True):
                assert await socket.quiet_for(operation_id, 0.3)
            over = await second.subscribe(EVENTS)
            refused = await second.final(over)
            # Another principal has its own allowance.
            async with TransportWs.connect(capped.url, neighbour.token) as other:
                other_id = await other.subscribe(EVENTS)
                assert await other.quiet_for(other_id, 0.3)
            # A subscription that ends gives its place back.
            await first.socket.send(json.dumps({"id": held[0], "type": "complete"}))
            again = await second.subscribe(EVENTS)
            assert await second.quiet_for(again, 0.5)
    assert refused["type"] == "error" and codes(refused) == ["TOO_MANY_SUBSCRIPTIONS"]
