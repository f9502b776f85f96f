"""Connections at their edges, as an operator: empty pages, and pages selected without their edges.

A connection is one aggregate over its rows in the compiled SQL only when the selection
aggregates something (edges, a cursor, hasNextPage); these cases select nothing of the
kind. They are what the generated corpus found, kept as plain cases that name the bug.
"""

from __future__ import annotations

import pytest

from services.kernel.graph.pagination import encode_cursor
from tests.compiled.dataset import DataSet
from tests.compiled.differential import Pair

#: case -> document; ``$m`` is a merchant with payments, ``$after`` a cursor before every row.
CASES = {
    "an empty page, only its __typename": "query($after: String) { merchants(after: $after) { __typename } }",
    "an empty page, only pageInfo's __typename":
        "query($after: String) { merchants(first: 3, after: $after) { pageInfo { __typename } } }",
    "an empty page, pageInfo": (
        "query($after: String) { merchants(after: $after) { pageInfo { hasNextPage hasPreviousPage startCursor"
        " endCursor } edges { cursor } } }"
    ),
    "a full page, only its __typename": "{ merchants(first: 3) { __typename } }",
    "a full page, only pageInfo's __typename": "{ merchants(first: 3) { pageInfo { __typename } } }",
    "nested, an empty page, only its __typename":
        "query($m: ID!, $after: String) { merchant(id: $m) { receivedPayments(after: $after) { __typename } } }",
    "nested, a full page, only pageInfo's __typename":
        "query($m: ID!) { merchant(id: $m) { receivedPayments(first: 5) { pageInfo { __typename } } } }",
}


@pytest.mark.parametrize("case", CASES)
async def test_pages_without_edges_answer_alike_and_compiled(pair: Pair, data_set: DataSet, case: str) -> None:
    document = CASES[case]
    variables = {name: value for name, value in (("after", encode_cursor(1)), ("m", data_set.merchant.id))
                 if f"${name}" in document}
    outcome = await pair.compare({"query": document, "variables": variables}, data_set.tokens["operator"],
                                 kind="pages without edges")
    assert outcome.read_path == "compiled"
