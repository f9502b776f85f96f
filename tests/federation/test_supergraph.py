"""Federation 2: the subgraphs compose (Apollo composition) into the one-process graph,
and a real Apollo gateway over `fingraph serve --subgraph` processes answers the same JSON."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType, GraphQLUnionType

from schema import build_schema
from schema.export import SCHEMA_DIR
from tests.node_peers import require_node_peers
from tests.support import (
    CONSUMER_HOME,
    CREATE_PAYMENT,
    MERCHANT_VIEW,
    MERCHANTS_PAGE,
    Api,
    new_key,
)

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")

NODE_DIR = Path(__file__).parents[1] / "node"


@pytest.fixture(autouse=True)
def _node_peers_installed() -> None:
    require_node_peers()  # a clear failure, not Node's import error, when `make node-peers` has not run


FEDERATION_MACHINERY = {"_Any", "_Entity", "_Service", "_FieldSet", "link__Import", "link__Purpose"}
FEDERATION_FIELDS = {"_entities", "_service"}


def subgraph_files() -> dict[str, Path]:
    return {path.stem: path for path in sorted((SCHEMA_DIR / "subgraphs").glob("*.graphql"))}


def compose() -> dict[str, Any]:
    args = [f"{name}={path}" for name, path in subgraph_files().items()]
    done = subprocess.run(["node", str(NODE_DIR / "compose.mjs"), *args], capture_output=True, text=True, check=True)
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def one_process_api() -> dict[str, list[str]]:
    types: dict[str, list[str]] = {}
    for name, graphql_type in build_schema()._schema.type_map.items():
        if name.startswith("__") or name in FEDERATION_MACHINERY:
            continue
        if isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            types[name] = sorted(f for f in graphql_type.fields if f not in FEDERATION_FIELDS)
        elif isinstance(graphql_type, GraphQLEnumType):
            types[name] = sorted(graphql_type.values)
        elif isinstance(graphql_type, GraphQLUnionType):
            types[name] = sorted(t.name for t in graphql_type.types)
        else:
            types[name] = []
    return types


def test_subgraphs_compose_with_no_errors_and_no_hints() -> None:
    report = compose()
    assert report["errors"] == []
    assert report["hints"] == []


def test_supergraph_is_the_one_process_graph() -> None:
    report = compose()
    assert report["api"] == one_process_api()


async def _both(api: Api, gateway: str, query: str, token: str, **variables: Any) -> tuple[Any, Any]:
    direct = (await api.post(query, token, **variables)).json()
    async with httpx.AsyncClient() as client:
        federated = (await client.post(
            gateway, json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )).json()
    return direct, federated


async def test_contract_reads_are_identical_through_the_federated_gateway(api: Api, federated_gateway: str) -> None:
    buyer = await api.consumer(balance="300.00")
    merchant = await api.merchant()
    for amount in ("10.00", "20.00", "30.00"):
        await api.pay(buyer, merchant, amount)

    for query, token, variables in [
        (MERCHANT_VIEW, merchant.token, {"id": merchant.id}),
        (MERCHANTS_PAGE, api.operator, {}),
        (CONSUMER_HOME, buyer.token, {}),
    ]:
        direct, federated = await _both(api, federated_gateway, query, token, **variables)
        assert "errors" not in direct, direct
        assert federated == direct


async def test_a_payment_through_the_federated_gateway_takes_effect(api: Api, federated_gateway: str) -> None:
    buyer = await api.consumer(balance="100.00")
    merchant = await api.merchant()
    async with httpx.AsyncClient() as client:
        body = (await client.post(
            federated_gateway,
            json={"query": CREATE_PAYMENT, "variables": {"m": merchant.id, "a": "60.00", "s": "WALLET", "k": new_key()}},
            headers={"Authorization": f"Bearer {buyer.token}"},
        )).json()
    assert body["data"]["createPayment"]["payment"]["status"] == "HELD"
    assert await api.balance(buyer) == "40.00"


async def test_ftv1_traces_are_returned_when_a_router_asks(api: Api) -> None:
    buyer = await api.consumer(balance="10.00")
    merchant = await api.merchant()
    await api.pay(buyer, merchant, "3.00")
    headers = {"Authorization": f"Bearer {api.operator}", "apollo-federation-include-trace": "ftv1"}
    query = "query($id: ID!) { merchant(id: $id) { id name receivedPayments(first: 1) { edges { node { id } } } } }"
    body = (await api.http.post("/graphql", json={"query": query, "variables": {"id": merchant.id}}, headers=headers)).json()
    encoded = body["extensions"]["ftv1"]
    decoded = subprocess.run(
        ["node", str(NODE_DIR / "decode_trace.mjs")], input=encoded, capture_output=True, text=True, check=True
    )
    trace = json.loads(decoded.stdout)
    assert int(trace["durationNs"]) > 0
    root_children = trace["root"]["child"]
    assert [child["responseName"] for child in root_children] == ["merchant"]
    assert root_children[0]["parentType"] == "Query" and root_children[0]["type"] == "Merchant"
    names = {child["responseName"] for child in root_children[0]["child"]}
    assert {"id", "name", "receivedPayments"} <= names

    plain = (await api.http.post("/graphql", json={"query": query, "variables": {"id": merchant.id}},
                                 headers={"Authorization": f"Bearer {api.operator}"})).json()
    assert "ftv1" not in plain.get("extensions", {})


def test_the_whole_graph_composes_as_one_partner_subgraph() -> None:
    """What a partner does: compose schema/fingraph.graphql (with its security directives) into a supergraph."""
    done = subprocess.run(
        ["node", str(NODE_DIR / "compose.mjs"), f"fingraph={SCHEMA_DIR / 'fingraph.graphql'}"],
        capture_output=True, text=True, check=True,
    )
    report = json.loads(done.stdout)
    assert report["errors"] == []
    assert "@requiresScopes" in report["supergraphSdl"] and "@authenticated" in report["supergraphSdl"]
    assert report["api"] == one_process_api()
