"""Malformed requests get a 4xx (or a request error) with a clear GraphQL error, never a 5xx or internal text.

Each case was a 500, a leaked Python message or an INTERNAL_SERVER_ERROR before the
strict request reader (``gateway.request_body``), the input rules
(``gateway.input_rules``) and the checked ``_entities`` representations (ADR 016).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from tests.conftest import Server
from tests.fuzz.judge import verdict
from tests.support import Api, Party, footprint, new_key

GRAPHQL_RESPONSE = "application/graphql-response+json"
TYPENAME = {"query": "{ __typename }"}


def _refused_as_bad_request(response: httpx.Response, *, status: int = 400, code: str = "BAD_REQUEST") -> str:
    assert response.status_code == status, response.text
    assert verdict(response) is None, verdict(response)
    body = response.json()
    assert set(body) == {"errors"}, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == code, error
    message: str = error["message"]
    return message


POST_BODIES = [
    pytest.param(b"[1,2]", "Batch item 0 must be a JSON object", id="a batch of numbers"),
    pytest.param(b'"x"', "must be a JSON object", id="a string"),
    pytest.param(b"null", "must be a JSON object", id="null"),
    pytest.param(b"5", "must be a JSON object", id="a number"),
    pytest.param(b'{"query": "{ __typename }", "x": "\xff\xfe"}', "Unable to parse", id="invalid UTF-8 in a string"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, "depth limit", id="an array 100,000 deep"),
    pytest.param(b'{"query": "{ __typename }", "variables": {"a": ' + b"9" * 5000 + b"}}", "Unable to parse",
                 id="a 5,000-digit number"),
    pytest.param(b'{"query": 5}', "`query` must be a string", id="a numeric query"),
    pytest.param(b'{"query": "{ __typename }", "operationName": 5}', "`operationName` must be a string",
                 id="a numeric operation name"),
    pytest.param(b'[{"query": "{ __typename }", "variables": "x"}]', "`variables` must be an object",
                 id="string variables in a batch item"),
    pytest.param(b'[{"query": "{ __typename }", "variables": [1]}]', "`variables` must be an object",
                 id="array variables in a batch item"),
    pytest.param(b'[{"query": "{ __typename }", "extensions": "x"}]', "`extensions` must be an object",
                 id="string extensions in a batch item"),
    pytest.param(b'[{"query": "{ __typename }", "extensions": [1]}]', "`extensions` must be an object",
                 id="array extensions in a batch item"),
    pytest.param(b'[{"query": 5}]', "`query` must be a string", id="a numeric query in a batch item"),
    pytest.param(b"[null]", "Batch item 0 must be a JSON object", id="a null batch item"),
    pytest.param(b"[]", "at least one operation", id="an empty batch"),
    pytest.param(b"", "Unable to parse", id="no body"),
    pytest.param(b'{"query": "{ __typename }", "variables": NaN}', "Unable to parse", id="NaN"),
]


@pytest.mark.parametrize("accept", [None, GRAPHQL_RESPONSE])
@pytest.mark.parametrize(("body", "says"), POST_BODIES)
async def test_malformed_post_bodies_are_400_with_a_graphql_error(
    http: httpx.AsyncClient, body: bytes, says: str, accept: str | None
) -> None:
    headers = {"Content-Type": "application/json", **({"Accept": accept} if accept else {})}
    response = await http.post("/graphql", content=body, headers=headers)
    assert says in _refused_as_bad_request(response)
    assert response.headers["content-type"].startswith(accept or "application/json")


GET_PARAMS = [
    pytest.param({**TYPENAME, "variables": "[1]"}, "`variables` must be an object", id="array variables"),
    pytest.param({**TYPENAME, "variables": '"x"'}, "`variables` must be an object", id="string variables"),
    pytest.param({**TYPENAME, "variables": "{"}, "Unable to parse", id="variables that are not JSON"),
    pytest.param({**TYPENAME, "variables": '{"a": ' + "[" * 5000 + "]" * 5000 + "}"}, "depth limit",
                 id="deeply nested variables"),
    pytest.param({**TYPENAME, "variables": '{"a": ' + "9" * 5000 + "}"}, "Unable to parse", id="a 5,000-digit number"),
    pytest.param({**TYPENAME, "extensions": "[1]"}, "`extensions` must be an object", id="array extensions"),
]


@pytest.mark.parametrize(("params", "says"), GET_PARAMS)
async def test_malformed_get_parameters_are_400_with_a_graphql_error(
    http: httpx.AsyncClient, params: dict[str, str], says: str
) -> None:
    response = await http.get("/graphql", params=params)
    assert says in _refused_as_bad_request(response)


async def test_nul_in_extensions_is_400_before_any_persisted_query_lookup(http: httpx.AsyncClient) -> None:
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": "\x00" * 64}}
    response = await http.post("/graphql", json={"extensions": extensions})
    assert "NUL" in _refused_as_bad_request(response)


async def test_a_subscription_over_http_is_400_not_a_crash(api: Api, http: httpx.AsyncClient) -> None:
    for accept in ("application/json", "text/event-stream"):
        response = await http.post("/graphql", json={"query": "subscription { paymentEvents { kind } }"},
                                   headers={"Authorization": f"Bearer {api.operator}", "Accept": accept})
        assert "WebSocket" in _refused_as_bad_request(response)


async def test_a_body_that_is_not_json_is_415(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", content=b"{ __typename }", headers={"Content-Type": "text/plain"})
    _refused_as_bad_request(response, status=415, code="UNSUPPORTED_MEDIA_TYPE")


async def test_a_mutation_over_get_is_405_with_a_graphql_error(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", params={"query": "mutation { __typename }"})
    _refused_as_bad_request(response, status=405, code="METHOD_NOT_ALLOWED")


# --- NUL characters in string input -------------------------------------------------------------


@dataclass
class Scene:
    buyer: Party
    merchant: Party
    payment_id: str


@pytest.fixture(scope="module")
async def scene(server: Server, http: httpx.AsyncClient) -> Scene:
    api = Api(http=http, server_token=server.token)
    buyer = await api.consumer(balance="100.00")
    merchant = await api.merchant()
    payment = await api.pay(buyer, merchant, "10.00")
    return Scene(buyer, merchant, payment["payment"]["id"])


@dataclass(frozen=True)
class StringInput:
    """A mutation whose one string input ``$s`` (or the literal in its place) is under test."""

    name: str
    template: str  # with STRING where the string goes
    acting: str

    def document(self, literal: str | None) -> str:
        body = self.template.replace("STRING", "$s" if literal is None else json.dumps(literal))
        kinds = {"$k": "String!", "$p": "ID!", "$m": "ID!", "$s": "String!"}
        definitions = ", ".join(f"{name}: {kind}" for name, kind in kinds.items() if name in body)
        return f"mutation({definitions}) {{ {body} }}" if definitions else f"mutation {{ {body} }}"

    def variables(self, scene: Scene, value: str | None) -> dict[str, Any]:
        given = {"k": new_key(), "p": scene.payment_id, "m": scene.merchant.id, "s": value}
        return {name: v for name, v in given.items() if f"${name}" in self.document(None if value else "x")}


_ERR = "userErrors { code message }"
STRING_INPUTS = [
    StringInput("idempotency key", f"topUp(input: {{amount: \"1.00\", idempotencyKey: STRING}}) {{ {_ERR} }}", "buyer"),
    StringInput("order reference", "createPayment(input: {merchantId: $m, amount: \"1.00\", fundingSource: WALLET, "
                f"orderRef: STRING, idempotencyKey: $k}}) {{ {_ERR} }}", "buyer"),
    StringInput("refund reason", "refundPayment(input: {paymentId: $p, amount: \"1.00\", reason: STRING, "
                f"idempotencyKey: $k}}) {{ {_ERR} }}", "merchant"),
    StringInput("fund code", f"subscribeFund(input: {{fundCode: STRING, amount: \"1.00\", idempotencyKey: $k}}) {{ {_ERR} }}",
                "buyer"),
    StringInput("merchant name", f"createMerchant(input: {{name: STRING, certified: true}}) {{ {_ERR} }}", "operator"),
    StringInput("consumer name", f"createConsumer(input: {{name: STRING, realNameVerified: true}}) {{ {_ERR} }}", "operator"),
]


def _token(api: Api, scene: Scene, acting: str) -> str:
    return api.operator if acting == "operator" else getattr(scene, acting).token


async def _ledger(db: asyncpg.Pool, scene: Scene) -> dict[str, Any]:
    return await footprint(db, scene.buyer.pk, scene.merchant.pk)


@pytest.mark.parametrize("as_variable", [True, False], ids=["variable", "literal"])
@pytest.mark.parametrize("string_input", STRING_INPUTS, ids=[s.name for s in STRING_INPUTS])
async def test_a_nul_character_in_any_string_input_is_bad_user_input(
    api: Api, db: asyncpg.Pool, scene: Scene, string_input: StringInput, as_variable: bool
) -> None:
    before = await _ledger(db, scene)
    value = "order\x00-1"
    variables = string_input.variables(scene, value if as_variable else None)
    document = string_input.document(None if as_variable else value)

    response = await api.post(document, _token(api, scene, string_input.acting), **variables)

    assert response.status_code == 200 and verdict(response) is None, response.text
    body = response.json()
    assert "data" not in body, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "NUL" in error["message"], error
    assert await _ledger(db, scene) == before


async def test_a_nul_character_is_refused_in_batches_and_over_get(api: Api, scene: Scene, http: httpx.AsyncClient) -> None:
    headers = {"Authorization": f"Bearer {scene.buyer.token}", "Accept": GRAPHQL_RESPONSE}
    topup = STRING_INPUTS[0].document(None)
    batch = [TYPENAME, {"query": topup, "variables": {"s": "a\x00"}}]
    response = await http.post("/graphql", json=batch, headers=headers)
    assert _refused_as_bad_request(response, code="BAD_USER_INPUT").startswith("Variable '$s'")

    query = "query($c: String!) { fund(code: $c) { code } }"
    response = await http.get("/graphql", params={"query": query, "variables": '{"c": "Y\\u0000"}'}, headers=headers)
    assert _refused_as_bad_request(response, code="BAD_USER_INPUT").startswith("Variable '$c'")


# --- Literals no resolver should read ----------------------------------------------------------


@pytest.mark.parametrize(
    "document",
    [
        pytest.param("{ merchants(first: %s) { edges { node { id } } } }" % ("9" * 5000), id="a 5,000-digit Int"),
        pytest.param("{ __typename @include(if: %s) }" % ("1" * 5000), id="a 5,000-digit Boolean"),
        pytest.param('mutation { topUp(input: {amount: %s, idempotencyKey: "k"}) { userErrors { code } } }'
                     % ("9" * 5000), id="a 5,000-digit Decimal"),
    ],
)
async def test_oversized_number_literals_are_bad_user_input(api: Api, scene: Scene, document: str) -> None:
    response = await api.post(document, scene.buyer.token)
    assert response.status_code == 200 and verdict(response) is None, response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "5000 characters" in error["message"], error


@pytest.mark.parametrize(
    "as_of", ["2026-01-01T00:00:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "\uff12\uff10\uff12\uff16-01-01T00:00:00Z"]
)
async def test_instants_without_an_offset_or_out_of_range_are_validation_errors(api: Api, as_of: str) -> None:
    document = "mutation($t: DateTime!) { releaseDuePayments(input: {asOf: $t}) { releasedCount } }"
    response = await api.post(document, api.operator, t=as_of)
    assert response.status_code == 200 and verdict(response) is None, response.text
    body = response.json()
    assert "data" not in body and "DateTime" in body["errors"][0]["message"], body


# --- _entities -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "representation",
    [1, "x", [1], None, {"__typename": 5, "id": "mer_1"}, {"__typename": "Nope", "id": "x"},
     {"__typename": "Merchant"}, {"__typename": "Merchant", "id": 5}, {"__typename": "Merchant", "id": "mer_1", "x": 1},
     {"__typename": "Merchant", "id": "9" * 5000}],
    ids=["number", "string", "array", "null in a list", "numeric type", "unknown type", "no id", "numeric id",
         "an extra key", "a 5,000-character id"],
)
async def test_a_malformed_entity_representation_is_an_error_at_its_index(
    api: Api, scene: Scene, representation: object
) -> None:
    document = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Merchant { id } } }"
    good = {"__typename": "Merchant", "id": scene.merchant.id}
    response = await api.post(document, api.operator, r=[good, [representation]] if representation is None else
                              [good, representation])
    assert response.status_code == 200 and verdict(response) is None, response.text
    body = response.json()
    [error] = body["errors"]
    assert error["extensions"].get("code") in ("BAD_USER_INPUT", None), error
    if "data" in body:  # a bad representation does not cost the good one its answer
        assert body["data"]["_entities"][0] == {"id": scene.merchant.id}
        assert body["data"]["_entities"][1] is None and error["path"] == ["_entities", 1]


async def test_a_literal_non_object_representation_is_an_error_not_a_crash(api: Api) -> None:
    response = await api.post("{ _entities(representations: [1]) { __typename } }", api.operator)
    assert response.status_code == 200 and verdict(response) is None, response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["message"].startswith("Representation 0")


# --- graphql-transport-ws ------------------------------------------------------------------------


def _subscribe(payload: object, *, id: object = "1") -> str:
    return json.dumps({"type": "subscribe", "id": id, "payload": payload})


WS_MESSAGES = [
    pytest.param("[1]", id="an array"),
    pytest.param('{"type": 5}', id="a numeric type"),
    pytest.param(_subscribe(None), id="a null payload"),
    pytest.param(_subscribe("x"), id="a string payload"),
    pytest.param(_subscribe({"query": 5}), id="a numeric query"),
    pytest.param(_subscribe({"query": "{ __typename }", "variables": "x"}), id="string variables"),
    pytest.param(_subscribe({"query": "{ __typename }", "variables": [1]}), id="array variables"),
    pytest.param(_subscribe({"query": "{ __typename }", "extensions": [1]}), id="array extensions"),
    pytest.param(_subscribe({"query": "{ __typename }", "operationName": 5}), id="a numeric operation name"),
    pytest.param(_subscribe({"query": "{ __typename }"}, id=1), id="a numeric id"),
    pytest.param('{"type": "subscribe", "id": "1", "payload": {"query": "{ __typename }", "variables": {"a": '
                 + "9" * 5000 + "}}}", id="a 5,000-digit number"),
    pytest.param("[" * 100_000 + "]" * 100_000, id="an array 100,000 deep"),
]


async def _socket(server: Server, token: str) -> Any:
    socket = await connect(server.url.replace("http", "ws") + "/graphql", subprotocols=[Subprotocol("graphql-transport-ws")],
                           max_size=None)
    await socket.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    return socket


@pytest.mark.parametrize("message", WS_MESSAGES)
async def test_a_malformed_websocket_message_closes_with_4400(api: Api, server: Server, message: str) -> None:
    socket = await _socket(server, api.operator)
    try:
        await socket.send(message)
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()
    finally:
        await socket.close()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400, closed.value
    assert closed.value.rcvd.reason and "Error" not in closed.value.rcvd.reason


@pytest.mark.parametrize("as_variable", [True, False], ids=["variable", "literal"])
async def test_a_nul_character_over_websocket_is_bad_user_input(
    api: Api, server: Server, db: asyncpg.Pool, scene: Scene, as_variable: bool
) -> None:
    before = await _ledger(db, scene)
    document = STRING_INPUTS[0].document(None if as_variable else "k\x00")
    socket = await _socket(server, scene.buyer.token)
    try:
        variables = {"s": "k\x00"} if as_variable else {}
        await socket.send(_subscribe({"query": document, "variables": variables}))
        answer = json.loads(await socket.recv())
    finally:
        await socket.close()
    assert answer["type"] == "error", answer
    assert answer["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT", answer
    assert await _ledger(db, scene) == before
