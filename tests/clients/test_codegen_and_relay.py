"""GraphQL Code Generator and relay-compiler over the client SDL (issue 16, items 1, 3 and 5):
the contract's operations generate and compile, amounts and dates are strings, and Relay's
compiled text (with a @refetchable fragment on every Node type) runs on the server."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from schema.export import SCHEMA_DIR
from tests.clients.contract import CONTRACT_GRAPHQL, committed
from tests.clients.peers import BIN, CLIENTS_DIR, require_npm_clients, run_json, run_node
from tests.support import Api, new_key

#: One field of each Node type beside its id, so a refetch shows it read the object.
REFETCHED = {
    "Consumer": "name", "Merchant": "name", "Payment": "status", "Wallet": "balance { amount }",
    "FundHolding": "units", "Fund": "code", "CreditLine": "limit { amount }", "Drawdown": "amount { amount }",
    "Partner": "name",
}


@pytest.fixture(autouse=True)
def _clients() -> None:
    require_npm_clients()


async def test_codegen_types_amounts_and_dates_as_strings_and_tsc_strict_compiles(tmp_path: Path) -> None:
    # when GraphQL Code Generator runs the committed config over the client SDL and the operations
    env_out = {"CODEGEN_OUT": str(tmp_path)}
    os.environ.update(env_out)
    try:
        await run_node(BIN / "graphql-codegen", "--config", "codegen.yml", cwd=CLIENTS_DIR)
    finally:
        os.environ.pop("CODEGEN_OUT", None)
    generated = (tmp_path / "operations.ts").read_text()
    # then every contract operation has its types, amounts and dates typed as strings
    for name, text in committed().items():
        kind = "Query" if text.startswith("query") else "Mutation"
        assert f"export type {name}{kind} = " in generated, name
    home = re.search(r"export type ConsumerHomeQuery = (.*?);\n", generated, re.DOTALL)
    assert home is not None and "amount: string" in home.group(1) and "dailyRate: string" in home.group(1)
    assert "date: string" in generated and "code: UserErrorCode" in generated
    assert re.search(r"\b(unknown|any)\b", generated.split("\n", 3)[3]) is None  # past the Exact<> helper
    # and tsc --strict accepts the generated types and an app's use of them
    shutil.copy(CLIENTS_DIR / "usage.ts", tmp_path / "usage.ts")
    await run_node(BIN / "tsc", "--strict", "--noEmit", "--target", "es2022", "--module", "esnext",
                   "--moduleResolution", "bundler", tmp_path / "operations.ts", tmp_path / "usage.ts")


def _relay_sources(directory: Path) -> None:
    src = directory / "src"
    (src / "__generated__").mkdir(parents=True)
    shutil.copy(SCHEMA_DIR / "client.graphql", directory / "schema.graphql")
    shutil.copy(CLIENTS_DIR / "relay.config.json", directory / "relay.config.json")
    queries = [text for text in committed().values() if text.startswith("query")]
    (src / "Contract.js").write_text("".join(f"graphql`{text}`;\n" for text in queries))
    possible = json.loads((SCHEMA_DIR / "possible-types.json").read_text())
    assert set(possible["Node"]) == set(REFETCHED)
    (src / "Refetch.js").write_text("".join(
        f'graphql`fragment Refetch_{name[0].lower()}{name[1:]} on {name} @refetchable(queryName: "{name}RefetchQuery")'
        f" {{ id {field} }}`;\n"
        for name, field in REFETCHED.items()
    ))


async def _node_ids(api: Api) -> tuple[dict[str, str], str, str]:
    """An id of each Node type its reader may refetch, the consumer's token and the merchant's."""
    buyer, merchant = await api.consumer(balance="300.00"), await api.merchant()
    await api.gql('mutation($p: ID!) { openCreditLine(input: {partyId: $p, limit: "1000.00", dailyRate: "0.0005"}) '
                  "{ userErrors { code } } }", api.operator, p=buyer.id)
    await api.gql('mutation($k: String!) { drawCredit(input: {amount: "10.00", idempotencyKey: $k}) '
                  "{ userErrors { code } } }", buyer.token, k=new_key())
    payment = (await api.pay(buyer, merchant, "5.00"))["payment"]["id"]
    partner = (await api.gql('mutation { createPartner(input: {name: "ERP"}) { partner { id } } }',
                             api.operator))["createPartner"]["partner"]["id"]
    me = (await api.gql("""{ fund(code: "YEB") { id } me { ... on Consumer { wallet { id } fundHolding { id }
        creditLine { id drawdowns(first: 1) { edges { node { id } } } } } } }""", buyer.token))
    line = me["me"]["creditLine"]
    ids = {
        "Consumer": buyer.id, "Merchant": merchant.id, "Payment": payment, "Wallet": me["me"]["wallet"]["id"],
        "FundHolding": me["me"]["fundHolding"]["id"], "Fund": me["fund"]["id"], "CreditLine": line["id"],
        "Drawdown": line["drawdowns"]["edges"][0]["node"]["id"], "Partner": partner,
    }
    return ids, buyer.token, merchant.token


async def test_relay_compiles_the_contract_queries_and_a_refetchable_fragment_on_every_node(
    api: Api, tmp_path: Path
) -> None:
    # when relay-compiler compiles the contract's queries and a @refetchable fragment per Node type
    _relay_sources(tmp_path)
    await run_node(BIN / "relay-compiler", cwd=tmp_path)
    texts: dict[str, str] = await run_json("node", CLIENTS_DIR / "relay_texts.mjs", tmp_path / "src" / "__generated__")
    assert {f"{name}RefetchQuery" for name in REFETCHED} <= set(texts)
    # then each compiled refetch query, as Relay sends it, refetches its object through node(id:)
    ids, consumer, merchant = await _node_ids(api)
    for name in REFETCHED:
        token = merchant if name == "Partner" else consumer  # a partner's card is for merchants (access.py)
        body = await api.post(texts[f"{name}RefetchQuery"], token, id=ids[name])
        answer: dict[str, Any] = body.json()
        assert "errors" not in answer, (name, answer)
        assert answer["data"]["node"]["__typename"] == name and answer["data"]["node"]["id"] == ids[name], answer
    # and each compiled contract query runs as Relay sends it
    variables = {"MerchantView": {"id": ids["Merchant"]}}
    tokens = {"TrialBalance": api.operator, "MerchantsPage": api.operator, "ScheduledJobs": api.operator,
              "MerchantView": merchant}
    for name, text in committed().items():
        if not text.startswith("query"):
            continue
        answer = (await api.post(texts[name], tokens.get(name, consumer), **variables.get(name, {}))).json()
        assert "errors" not in answer and answer["data"], (name, answer)


def test_the_committed_contract_operations_are_the_contract_s(tmp_path: Path) -> None:
    """tests/node/clients/contract.graphql holds CONTRACT.md's operations this schema answers."""
    from tests.clients.contract import CONTRACT_MD, answered, contract_operations, render

    if not CONTRACT_MD.is_file():
        pytest.skip(f"{CONTRACT_MD} is not reachable from this checkout: nothing to compare with")
    valid, missing = answered(contract_operations(CONTRACT_MD.read_text()))
    print(f"contract operations this schema does not answer yet: {', '.join(missing) or 'none'}")
    assert CONTRACT_GRAPHQL.read_text() == render(valid), "run `python -m tests.clients.contract` and commit"
