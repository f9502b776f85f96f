"""The generated-request fuzz: 10,000+ hostile requests per run, as every role, over real HTTP.

Three generators, all Hypothesis, derandomised so that CI sends the same corpus every run:

1. operations over the committed schema (``schema/fingraph.graphql``) from
   hypothesis-graphql, valid and with one schema violation each, with hostile
   literals (NUL characters, foreign digits, huge numbers, bad representations);
   each is sent by all five roles;
2. the contract's operations with hostile variables (wrong types, NUL, huge strings);
3. raw malformed bodies and batches (broken JSON, wrong shapes, wrong types).

Every answer must be free of 5xx and internal text, and every volley of refused
requests must leave the ledger exactly as it was (``volleys``). The counts per role
and status are printed at the end of the run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
from graphql import GraphQLSchema, build_ast_schema, parse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, queries

from tests.fuzz.conftest import Fuzz
from tests.fuzz.hostile import custom_scalars, raw_bodies, variable_values
from tests.fuzz.volleys import ROLES, TALLY, Request, volley
from tests.support import CONFIRM_RECEIPT, CREATE_PAYMENT, REFUND_PAYMENT, TOP_UP, TRIAL_BALANCE, WITHDRAW

SDL = (Path(__file__).parents[2] / "schema" / "fingraph.graphql").read_text()
#: The committed SDL carries federation's directives, which graphql-core does not define.
SCHEMA: GraphQLSchema = build_ast_schema(parse(SDL), assume_valid_sdl=True)
#: Ids the generated literals may hit; the real ones are added per run through variables.
IDS = ["con_1", "con_2", "mer_1", "mer_2", "pay_1", "ptn_1", "mer_0", "x"]
RUN: dict[str, Any] = {
    "deadline": None, "derandomize": True, "database": None, "phases": (Phase.explicit, Phase.generate),
    "suppress_health_check": list(HealthCheck),
}
MINIMUM_REQUESTS = 10_000


def _documents(mode: Mode) -> st.SearchStrategy[tuple[str, bool]]:
    scalars = custom_scalars(IDS)
    return st.one_of(
        queries(SCHEMA, custom_scalars=scalars, mode=mode).map(lambda d: (d, False)),
        mutations(SCHEMA, custom_scalars=scalars, mode=mode).map(lambda d: (d, True)),
    )


DOCUMENTS = st.one_of(_documents(Mode.POSITIVE), _documents(Mode.NEGATIVE))


@settings(max_examples=160, **RUN)
@given(documents=st.lists(DOCUMENTS, min_size=5, max_size=5), as_get=st.booleans())
async def test_generated_operations_as_every_role(fuzz: Fuzz, documents: list[tuple[str, bool]], as_get: bool) -> None:
    requests = []
    for document, is_mutation in documents:
        for role in ROLES:
            if as_get and not is_mutation and role == "consumer":
                requests.append(Request(role, None, params={"query": document}, mutation=False))
            else:
                requests.append(Request(role, orjson.dumps({"query": document}), mutation=is_mutation))
    await volley(fuzz.http, fuzz.roles, fuzz.ledger, requests)


#: The contract's operations and the kinds of their variables, with the roles that send them.
OPERATIONS: list[tuple[str, dict[str, str]]] = [
    (TOP_UP, {"a": "Decimal", "k": "String"}),
    (WITHDRAW, {"a": "Decimal", "k": "String"}),
    (CREATE_PAYMENT, {"m": "ID", "a": "Decimal", "s": "FundingSource", "k": "String"}),
    (CONFIRM_RECEIPT, {"p": "ID", "k": "String"}),
    (REFUND_PAYMENT, {"p": "ID", "a": "Decimal", "k": "String"}),
    ("mutation($f: String!, $a: Decimal!, $k: String!) { subscribeFund(input: {fundCode: $f, amount: $a, "
     "idempotencyKey: $k}) { holding { units } userErrors { code message } } }", {"f": "String", "a": "Decimal", "k": "String"}),
    ("mutation($n: String!) { createMerchant(input: {name: $n, certified: true}) { merchant { id } userErrors { code } } }",
     {"n": "String"}),
    ("mutation($t: DateTime!) { releaseDuePayments(input: {asOf: $t}) { releasedCount } }", {"t": "DateTime"}),
    ("mutation($d: Date!) { accrueCreditInterest(input: {date: $d}) { userErrors { code } } }", {"d": "Date"}),
    ("query($id: ID!) { node(id: $id) { id ... on Merchant { name } ... on Payment { status } } }", {"id": "ID"}),
    ("query($n: Int, $c: String) { merchants(first: $n, after: $c) { edges { node { id name } } } }",
     {"n": "Int", "c": "String"}),
    ("query($r: [_Any!]!) { _entities(representations: $r) { ... on Merchant { id } ... on Payment { id } } }",
     {"r": "ID"}),
    ("query($f: String!) { fund(code: $f) { code name } me { __typename } }", {"f": "String"}),
]


@st.composite
def _contract_requests(draw: st.DrawFn, ids: list[str]) -> Request:
    document, kinds = draw(st.sampled_from(OPERATIONS))
    variables = {name: draw(variable_values(kind, ids)) for name, kind in kinds.items()}
    if "_entities" in document:
        variables["r"] = draw(st.lists(st.one_of(
            st.fixed_dictionaries({"__typename": st.sampled_from(["Merchant", "Payment", "Nope"]), "id": variable_values("ID", ids)}),
            variable_values("ID", ids)), max_size=4))
    role = draw(st.sampled_from(ROLES))
    # json, not orjson: integers past 64 bits must reach the server as written.
    body = json.dumps({"query": document, "variables": variables}).encode()
    return Request(role, body, mutation=document.startswith("mutation"))


@settings(max_examples=125, **RUN)
@given(data=st.data())
async def test_contract_operations_with_hostile_variables(fuzz: Fuzz, data: st.DataObject) -> None:
    requests = data.draw(st.lists(_contract_requests(fuzz.roles.ids), min_size=25, max_size=25), label="requests")
    await volley(fuzz.http, fuzz.roles, fuzz.ledger, requests)


_QUERY_PARAMS = st.dictionaries(
    st.sampled_from(["query", "variables", "extensions", "operationName"]),
    st.one_of(st.just("{ __typename }"), st.text(max_size=30), st.sampled_from(['[1]', '"x"', "{", "9" * 5000])),
)


@st.composite
def _raw_requests(draw: st.DrawFn) -> Request:
    role = draw(st.sampled_from(ROLES))
    # Raw bodies hold no valid mutation: whatever they do, the ledger must not move.
    accept = draw(st.sampled_from(["application/json", "application/graphql-response+json"]))
    if draw(st.integers(0, 5)) == 0:
        # (A GET that accepts anything and has no query is a browser's: it gets GraphiQL.)
        return Request(role, None, params=draw(_QUERY_PARAMS), headers={"Accept": accept}, mutation=False)
    accept = draw(st.sampled_from([accept, "*/*"]))
    return Request(role, draw(raw_bodies), headers={"Accept": accept}, mutation=False)


@settings(max_examples=125, **RUN)
@given(requests=st.lists(_raw_requests(), min_size=25, max_size=25))
async def test_raw_malformed_bodies(fuzz: Fuzz, requests: list[Request]) -> None:
    await volley(fuzz.http, fuzz.roles, fuzz.ledger, requests)


async def test_the_run_sent_enough_requests_and_the_books_balance(fuzz: Fuzz) -> None:
    # Runs last in this module: the generated tests above have filled the tally.
    assert TALLY.total() >= MINIMUM_REQUESTS, f"only {TALLY.total()} requests"
    token = fuzz.roles.tokens["operator"]
    response = await fuzz.http.post("/graphql", json={"query": TRIAL_BALANCE}, headers={"Authorization": f"Bearer {token}"})
    assert response.json()["data"]["trialBalance"]["total"]["amount"] == "0.00", response.text
    async with fuzz.ledger.acquire() as conn:
        unbalanced = await conn.fetchval(
            "SELECT count(*) FROM (SELECT entry_id FROM payments.postings GROUP BY entry_id HAVING sum(amount) <> 0) u"
        )
    assert unbalanced == 0
