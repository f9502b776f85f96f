"""Every response of /graphql names the executor that answered it (``Fingraph-Read-Path``).

The app with the compiled path says ``compiled`` or ``standard``; the app without it
always says ``standard``. Requests refused before any GraphQL runs (a body that is not
JSON, no query, an unknown operation name, a mutation by GET) get ``standard`` from the
request-id middleware: the standard path's refusal.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.compiled.dataset import DataSet
from tests.compiled.differential import READ_PATH, Pair
from tests.support import MERCHANTS_PAGE

_PAGE = {"query": MERCHANTS_PAGE}

#: case -> (method, keyword arguments of httpx's request)
CASES: list[Any] = [
    pytest.param("POST", {"json": _PAGE}, id="a query the compiled path answers"),
    pytest.param("GET", {"params": _PAGE}, id="the same query by GET"),
    pytest.param("POST", {"json": {"query": "{ payment(id: \"pay_1\") { id } }"}}, id="a query it leaves alone"),
    pytest.param("POST", {"json": [_PAGE, _PAGE]}, id="a batch"),
    pytest.param("POST", {"json": {"query": "{ merchants(first: 1) {"}}, id="a syntax error"),
    pytest.param("POST", {"json": {"query": "{ notAField }"}}, id="a validation error"),
    pytest.param("POST", {"json": {"query": 'mutation { createPartner(input: {name: ""}) { userErrors { code } } }'}},
                 id="a mutation"),
    pytest.param("POST", {"json": {"query": "query A { me { __typename } }", "operationName": "B"}},
                 id="an unknown operation name"),
    pytest.param("POST", {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
                 id="a body that is not JSON"),
    pytest.param("POST", {"json": {"variables": {}}}, id="no query"),
    pytest.param("GET", {"params": {"query": "mutation { createPartner(input: {name: \"\"}) { ok: __typename } }"}},
                 id="a mutation by GET"),
]


async def _send(client: httpx.AsyncClient, method: str, options: dict[str, Any], token: str | None) -> httpx.Response:
    headers = dict(options.get("headers", {}))
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return await client.request(method, "/graphql", **{**options, "headers": headers})


@pytest.mark.parametrize(("method", "options"), CASES)
async def test_every_response_names_its_read_path(
    pair: Pair, data_set: DataSet, method: str, options: dict[str, Any]
) -> None:
    token = data_set.tokens["operator"]
    await _send(pair.compiled, method, options, token)  # the compiled path takes documents it has seen
    compiled = await _send(pair.compiled, method, options, token)
    standard = await _send(pair.standard, method, options, token)
    assert (compiled.headers.get(READ_PATH), standard.headers.get(READ_PATH)) in {
        ("compiled", "standard"), ("standard", "standard")
    }


async def test_the_operators_page_is_compiled_and_answered_alike_by_get(pair: Pair, data_set: DataSet) -> None:
    outcome = await pair.compare(_PAGE, data_set.tokens["operator"], kind="MerchantsPage by GET", method="GET")
    assert outcome.read_path == "compiled"
