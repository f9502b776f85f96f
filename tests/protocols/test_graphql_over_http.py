"""GraphQL over HTTP: graphql-http's own server audit (npm) against the live server."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Server
from tests.node_peers import require_node_peers
from tests.support import Api

NODE_DIR = Path(__file__).parents[1] / "node"


@pytest.fixture(autouse=True)
def _node_peers_installed() -> None:
    require_node_peers()  # a clear failure, not Node's import error, when `make node-peers` has not run


def run_audit(url: str) -> dict[str, object]:
    completed = subprocess.run(
        ["node", str(NODE_DIR / "audit.mjs"), url], capture_output=True, text=True, timeout=120, check=True
    )
    result: dict[str, object] = json.loads(completed.stdout)
    return result


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
async def test_graphql_http_audit_has_no_errors_and_no_warnings(server: Server) -> None:
    import asyncio

    report = await asyncio.to_thread(run_audit, f"{server.url}/graphql")
    results = report["results"]
    assert isinstance(results, list) and len(results) > 50
    failing = [f"{r['status']}: {r['name']}: {r['reason']}" for r in results if r["status"] != "ok"]
    assert failing == [], "\n".join(failing)


async def test_request_errors_are_400_without_data_for_graphql_response_json(api: Api) -> None:
    headers = {"Accept": "application/graphql-response+json"}
    response = await api.http.post("/graphql", json={"query": "{ nope }"}, headers=headers)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/graphql-response+json")
    body = response.json()
    assert "data" not in body and body["errors"]


async def test_legacy_json_clients_get_200_without_data_on_request_errors(api: Api) -> None:
    response = await api.http.post("/graphql", json={"query": "{ nope }"}, headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert "data" not in response.json()


async def test_field_errors_keep_data_and_200(api: Api) -> None:
    headers = {"Accept": "application/graphql-response+json"}
    response = await api.http.post("/graphql", json={"query": "{ me { __typename } }"}, headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"me": None}
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_mutations_are_refused_over_get(api: Api) -> None:
    response = await api.http.get(
        "/graphql", params={"query": "mutation { releaseDuePayments(input: {asOf: \"2026-01-01T00:00:00Z\"}) { releasedCount } }"},
        headers={"Accept": "application/graphql-response+json"},
    )
    assert response.status_code == 405
