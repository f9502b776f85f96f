"""Query cost (gateway/cost.py): page sizes multiply, and a remembered cost never outlives its inputs."""

from __future__ import annotations

from graphql import parse

from gateway.cost import DEFAULT_LIST_SIZE, operation_cost
from schema import build_schema

SCHEMA = build_schema()._schema
LITERAL = parse("query { merchants(first: 20) { edges { node { id receivedPayments(first: 10) { edges { node { id } } } } } } }")
BY_VARIABLE = parse("query($n: Int) { merchants(first: $n) { edges { node { id } } } }")


def test_a_literal_page_size_multiplies_and_the_cost_is_the_same_every_time() -> None:
    first = operation_cost(SCHEMA, LITERAL, None, {})
    # merchants(20) x (itself + edges + node + receivedPayments(10) x (itself + edges + node))
    assert first == 20 * (1 + 1 + 1 + 10 * (1 + 1 + 1))
    assert operation_cost(SCHEMA, LITERAL, None, {"unrelated": 5}) == first


def test_a_page_size_from_a_variable_is_read_on_every_request() -> None:
    small = operation_cost(SCHEMA, BY_VARIABLE, None, {"n": 2})
    large = operation_cost(SCHEMA, BY_VARIABLE, None, {"n": 200})
    assert (small, large) == (2 * 3, 200 * 3)
    assert operation_cost(SCHEMA, BY_VARIABLE, None, {"n": 2}) == small


def test_each_document_is_costed_as_itself() -> None:
    operation_cost(SCHEMA, LITERAL, None, {})
    smaller = parse("query { merchants(first: 20) { edges { node { id } } } }")
    assert operation_cost(SCHEMA, smaller, None, {}) == 20 * 3
    listed = parse("query { me { ... on Merchant { receivedPayments { edges { node { id } } } } } }")
    assert operation_cost(SCHEMA, listed, None, {}) == 1 + DEFAULT_LIST_SIZE * 3
