"""Request errors have codes, a request names its operation, a key comes once (ADR 014, third review).

Each door is tried: a POST the compiled path may answer, the standard server, a batch,
GET and a graphql-transport-ws ``subscribe``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.routing import WebSocketRoute
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from gateway.app import create_app
from services.kernel.clock import Clock
from tests.conftest import START, Server
from tests.protocols.ws_client import TransportWs, codes
from tests.support import Api, served

TWO = "query First { __typename } query Second { viewerKind: __typename }"
LEGACY, RESPONSE = "application/json", "application/graphql-response+json"


def _codes(body: dict[str, Any]) -> list[str | None]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors") or []]


@pytest.fixture(params=["compiled", "standard"])
def door(request: pytest.FixtureRequest, api: Api, standard_api: Api) -> Api:
    return api if request.param == "compiled" else standard_api


@pytest.mark.parametrize("accept", [LEGACY, RESPONSE])
async def test_several_operations_and_no_operation_name_is_refused_naming_them(door: Api, accept: str) -> None:
    consumer = await door.consumer()
    headers = {"accept": accept, "Authorization": f"Bearer {consumer.token}"}
    for _ in range(2):  # the second time the document is cached (and may be compiled)
        response = await door.http.post("/graphql", json={"query": TWO}, headers=headers)
        assert response.status_code == (400 if accept == RESPONSE else 200), response.text
        body = response.json()
        assert "data" not in body and _codes(body) == ["OPERATION_RESOLUTION_FAILURE"]
        assert "First" in body["errors"][0]["message"] and "Second" in body["errors"][0]["message"]
        named = await door.http.post("/graphql", json={"query": TWO, "operationName": "Second"}, headers=headers)
        assert named.json() == {"data": {"viewerKind": "Query"}}


async def test_several_operations_are_refused_in_a_batch_over_get_and_over_websocket(api: Api, server: Server) -> None:
    batch = await api.http.post("/graphql", json=[{"query": TWO}, {"query": TWO, "operationName": "First"}])
    assert batch.status_code == 200
    first, second = batch.json()
    assert _codes(first) == ["OPERATION_RESOLUTION_FAILURE"] and second == {"data": {"__typename": "Query"}}
    get = await api.http.get("/graphql", params={"query": TWO})
    assert _codes(get.json()) == ["OPERATION_RESOLUTION_FAILURE"] and "data" not in get.json()
    # Not judged by its first operation: a mutation first is no reason for a 405.
    mixed = await api.http.get("/graphql", params={"query": "mutation M { __typename } query Q { __typename }"})
    assert mixed.status_code == 200 and _codes(mixed.json()) == ["OPERATION_RESOLUTION_FAILURE"], mixed.text
    named = await api.http.get("/graphql", params={"query": "mutation M { __typename } query Q { __typename }",
                                                   "operationName": "M"})
    assert named.status_code == 405
    async with TransportWs.connect(server.url) as ws:
        refused = await ws.answer(TWO)
        assert refused["type"] == "error" and codes(refused) == ["OPERATION_RESOLUTION_FAILURE"]
        assert await ws.answer("{ __typename }") == {"data": {"__typename": "Query"}}  # the socket stays


PARSE, VALIDATION = "{ __typename", "{ noSuchField }"
COERCION_QUERY = "query($on: Boolean!) { __typename @include(if: $on) }"
COERCION_VARIABLES: dict[str, Any] = {"on": "yes"}


@pytest.mark.parametrize("accept", [LEGACY, RESPONSE])
async def test_syntax_validation_and_coercion_errors_carry_codes_over_http(door: Api, accept: str) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"query": PARSE}, "GRAPHQL_PARSE_FAILED"), ({"query": VALIDATION}, "GRAPHQL_VALIDATION_FAILED"),
        ({"query": COERCION_QUERY, "variables": COERCION_VARIABLES}, "BAD_USER_INPUT"),
        ({"query": "{ __typename }" * 3_000}, "GRAPHQL_PARSE_FAILED"),  # past the token limit
    ]
    for body, code in cases:
        for _ in range(2):  # cached documents and validations keep their codes
            response = await door.http.post("/graphql", json=body, headers={"accept": accept})
            # ADR 009's statuses: a request error is 400 only for graphql-response+json.
            assert response.status_code == (400 if accept == RESPONSE else 200), response.text
            assert _codes(response.json()) == [code], (body, response.text)
        get = await door.http.get("/graphql", params={k: json.dumps(v) if isinstance(v, dict) else v
                                                       for k, v in body.items()})
        assert _codes(get.json()) == [code], get.text
        batch = await door.http.post("/graphql", json=[body, {"query": "{ __typename }"}])
        assert _codes(batch.json()[0]) == [code] and batch.json()[1] == {"data": {"__typename": "Query"}}


async def test_syntax_validation_and_coercion_errors_carry_codes_over_websocket(server: Server) -> None:
    async with TransportWs.connect(server.url) as ws:
        parse = await ws.answer(PARSE)
        assert parse["type"] == "error" and codes(parse) == ["GRAPHQL_PARSE_FAILED"]
        validation = await ws.answer(VALIDATION)
        assert validation["type"] == "error" and codes(validation) == ["GRAPHQL_VALIDATION_FAILED"]
        coercion = await ws.answer(COERCION_QUERY, **COERCION_VARIABLES)
        assert codes(coercion) == ["BAD_USER_INPUT"]
        subscription = await ws.answer("subscription($on: Boolean!) { paymentEvents { kind @include(if: $on) } }", on="x")
        assert codes(subscription) == ["BAD_USER_INPUT"], subscription
        # A syntax error is the operation's, not the socket's: the socket still answers.
        assert await ws.answer("{ __typename }") == {"data": {"__typename": "Query"}}


@pytest.fixture
async def two_per_socket(server: Server) -> AsyncIterator[str]:
    """The real app whose sockets hold at most two operations each (Strawberry's own cap)."""
    app = create_app(server.settings, clock=Clock(START))
    [route] = [r for r in app.routes if isinstance(r, WebSocketRoute) and r.path == "/graphql"]
    route.endpoint.max_subscriptions_per_connection = 2  # type: ignore[attr-defined]
    async with served(app, log_level="critical") as url:
        yield url


async def test_the_per_socket_operation_cap_answers_with_a_code(api: Api, two_per_socket: str) -> None:
    consumer = await api.consumer()
    events = "subscription { paymentEvents { kind } }"
    async with TransportWs.connect(two_per_socket, consumer.token) as ws:
        held = [await ws.subscribe(events), await ws.subscribe(events)]
        assert await ws.quiet_for(held[0], 0.3)
        over = await ws.final(await ws.subscribe(events))
    assert over["type"] == "error" and codes(over) == ["TOO_MANY_SUBSCRIPTIONS"], over


DUPLICATES = [
    b'{"query": "{ __typename }", "query": "{ noSuchField }"}',
    b'{"query": "{ __typename }", "\\u0071uery": "{ noSuchField }"}',  # the same key, spelled with an escape
    b'{"query": "query($n: String!) { __typename }", "variables": {"n": "a", "n" : "b"}}',
    b'{"query": "{ __typename }", "variables": {"input": {"amount": "1", "amount": "1000"}}}',
    b'[{"query": "{ __typename }"}, {"query": "{ __typename }", "operationName": null, "operationName": "X"}]',
]


@pytest.mark.parametrize("raw", DUPLICATES)
@pytest.mark.parametrize("accept", [LEGACY, RESPONSE])
async def test_a_body_that_names_a_key_twice_is_refused(door: Api, raw: bytes, accept: str) -> None:
    consumer = await door.consumer()
    response = await door.http.post("/graphql", content=raw, headers={
        "content-type": "application/json", "accept": accept, "Authorization": f"Bearer {consumer.token}"})
    assert response.status_code == 400, response.text
    assert _codes(response.json()) == ["BAD_REQUEST"] and "twice" in response.json()["errors"][0]["message"]


async def test_a_string_holding_quote_colon_is_no_duplicate(door: Api) -> None:
    consumer = await door.consumer()
    raw = b'{"query" : "{ __typename } # a\\": \\"b\\":", "variables": {}}'
    response = await door.http.post("/graphql", content=raw, headers={
        "content-type": "application/json", "Authorization": f"Bearer {consumer.token}"})
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_get_and_websocket_refuse_a_parameter_or_key_named_twice(api: Api, server: Server) -> None:
    get = await api.http.get("/graphql?query=%7B__typename%7D&query=%7BnoSuchField%7D")
    assert get.status_code == 400 and _codes(get.json()) == ["BAD_REQUEST"]
    url = server.url.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
        await socket.send('{"type": "connection_init", "payload": {}}')
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        await socket.send('{"id": "1", "type": "subscribe", "payload": {"query": "{ __typename }"}, "id": "2"}')
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400


async def test_a_key_count_mismatch_without_duplicates_still_runs(http: httpx.AsyncClient) -> None:
    # A spaced colon sends the body to the exact reader; it finds nothing and the request runs.
    response = await http.post("/graphql", content=b'{"query" :"{ __typename }"}',
                               headers={"content-type": "application/json"})
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_refusals_quote_the_client_s_text_short_and_visible(http: httpx.AsyncClient) -> None:
    key = "\u202e" + "k" * 500
    raw = json.dumps({"query": "{ __typename }"})[:-1] + f', "{key}": 1, "{key}": 2}}'
    duplicate = await http.post("/graphql", content=raw.encode(), headers={"content-type": "application/json"})
    message = duplicate.json()["errors"][0]["message"]
    assert "\\u202e" in message and "\u202e" not in message and len(message) < 200, message
    many = " ".join(f"query Q{i} {{ __typename }}" for i in range(300))
    unnamed = await http.post("/graphql", json={"query": many})
    message = unnamed.json()["errors"][0]["message"]
    assert message.startswith("The document holds 300 operations (Q0, Q1, Q2, Q3, Q4, ...)"), message


@pytest.mark.parametrize("name", ["N" * 500, "\u202e" * 100])
async def test_an_unknown_long_operation_name_closes_the_socket_cleanly(server: Server, name: str) -> None:
    url = server.url.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
        await socket.send('{"type": "connection_init", "payload": {}}')
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        payload = {"query": "{ __typename }", "operationName": name}
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), timeout=10)
    # A close frame, not a dropped connection (1006): the reason fits the frame and is ASCII.
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400
    assert closed.value.rcvd.reason.startswith("Unknown operation named") and closed.value.rcvd.reason.isascii()


async def test_an_overlong_operation_id_is_refused_with_a_clean_close(server: Server) -> None:
    url = server.url.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
        await socket.send('{"type": "connection_init", "payload": {}}')
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        subscribe = {"id": "i" * 200, "type": "subscribe", "payload": {"query": "subscription { paymentEvents { kind } }"}}
        await socket.send(json.dumps(subscribe))
        await socket.send(json.dumps(subscribe))  # the same id again: upstream's 4409 quotes it
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(socket.recv(), timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400, closed.value
