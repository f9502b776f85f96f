"""A typed id of the wrong kind is NOT_FOUND (null for a nullable root read) everywhere.

Consumers and merchants share one id sequence: ``con_5`` and ``mer_5`` name the same
row number, so every argument that names a party must check the row's kind (ADR 015).
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SECRET, Server
from tests.support import CREATE_PAYMENT, TRANSFER, Api, Party, footprint, new_key

OPEN_LINE = """mutation($p: ID!) { openCreditLine(input: {partyId: $p, limit: "5000.00", dailyRate: "0.0005"}) {
  creditLine { limit { amount } } userErrors { code field message } } }"""
GRANT = """mutation($p: ID!) { grantPartnerAccess(input: {partnerId: $p, scopes: ["payments:read"]}) {
  userErrors { code message } } }"""
REVOKE = """mutation($p: ID!) { revokePartnerAccess(input: {partnerId: $p}) { userErrors { code message } } }"""


def swapped(party: Party) -> str:
    """The same row number under the other kind's prefix: ``con_5`` -> ``mer_5``."""
    prefix = "mer" if party.id.startswith("con_") else "con"
    return f"{prefix}_{party.pk}"


@pytest.fixture
async def pair(api: Api) -> tuple[Party, Party]:
    return await api.consumer("Kind Buyer", balance="50.00"), await api.merchant("Kind Shop")


@pytest.mark.parametrize("path", ["compiled", "standard"])
async def test_root_reads_of_the_wrong_kind_are_null(
    api: Api, standard_api: Api, pair: tuple[Party, Party], path: str
) -> None:
    client = api if path == "compiled" else standard_api
    consumer, merchant = pair
    for document, value in [
        ("query($id: ID!) { consumer(id: $id) { id name } }", swapped(merchant)),
        ("query($id: ID!) { merchant(id: $id) { id name } }", swapped(consumer)),
        ("query($id: ID!) { node(id: $id) { id } }", swapped(merchant)),
        ("query($id: ID!) { node(id: $id) { id } }", swapped(consumer)),
    ]:
        data = await client.gql(document, client.operator, id=value)
        assert next(iter(data.values())) is None, (document, value)
    for type_name, value in [("Consumer", swapped(merchant)), ("Merchant", swapped(consumer))]:
        entities = f'_entities(representations: [{{__typename: "{type_name}", id: $id}}]) {{ ... on {type_name} {{ id }} }}'
        data = await client.gql("query($id: ID!) { " + entities + " }", client.operator, id=value)
        assert data["_entities"] == [None]


async def test_open_credit_line_refuses_a_consumer_id_naming_a_merchant(
    api: Api, db: Any, pair: tuple[Party, Party]
) -> None:
    consumer, merchant = pair
    for party in (merchant, consumer):
        data = await api.gql(OPEN_LINE, api.operator, p=swapped(party))
        assert data["openCreditLine"]["creditLine"] is None
        [error] = data["openCreditLine"]["userErrors"]
        assert (error["code"], error["field"]) == ("NOT_FOUND", "partyId")
    async with db.acquire() as conn:
        lines = await conn.fetchval(
            "SELECT count(*) FROM credit.lines WHERE party_id = ANY($1::bigint[])", [consumer.pk, merchant.pk]
        )
    assert lines == 0
    # The right kind still opens the line.
    data = await api.gql(OPEN_LINE, api.operator, p=merchant.id)
    assert data["openCreditLine"]["userErrors"] == []


async def test_money_inputs_naming_a_party_of_the_wrong_kind_are_not_found(
    api: Api, db: Any, pair: tuple[Party, Party]
) -> None:
    consumer, merchant = pair
    other = await api.consumer("Kind Payee")
    before = await footprint(db, consumer.pk, merchant.pk, other.pk)
    data = await api.gql(CREATE_PAYMENT, consumer.token, m=swapped(other), a="1.00", s="WALLET", k=new_key())
    assert [e["code"] for e in data["createPayment"]["userErrors"]] == ["NOT_FOUND"]
    for target in (swapped(merchant), swapped(other)):
        data = await api.gql(TRANSFER, consumer.token, to=target, a="1.00", k=new_key())
        assert [(e["code"], e["field"]) for e in data["transfer"]["userErrors"]] == [("NOT_FOUND", "toPartyId")]
    assert await footprint(db, consumer.pk, merchant.pk, other.pk) == before


async def test_partner_access_refuses_ids_that_are_not_partners(api: Api, pair: tuple[Party, Party]) -> None:
    consumer, merchant = pair
    for document, name in [(GRANT, "grantPartnerAccess"), (REVOKE, "revokePartnerAccess")]:
        for value in (consumer.id, merchant.id):
            data = await api.gql(document, merchant.token, p=value)
            assert [e["code"] for e in data[name]["userErrors"]] == ["NOT_FOUND"]


@dataclass
class Ran:
    exit_code: int
    stdout: str
    stderr: str


async def fingraph_token(server: Server, *args: str) -> Ran:
    """``fingraph token`` run as from a shell, against the test server's database."""
    env = {**os.environ, "FINGRAPH_JWT_SECRET": SECRET, "FINGRAPH_NOW": server.clock.now().isoformat(),
           "DATABASE_URL": server.settings.database_url or ""}
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "fingraph"), "token", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return Ran(process.returncode, out.decode(), err.decode())


async def test_the_token_command_mints_only_for_a_party_of_the_role_s_kind(
    server: Server, pair: tuple[Party, Party]
) -> None:
    consumer, merchant = pair
    for role, party in [("merchant", swapped(consumer)), ("consumer", swapped(merchant)),
                        ("merchant", "mer_999999999999")]:
        result = await fingraph_token(server, "--role", role, "--party", party)
        assert result.exit_code == 2, result.stderr
        assert result.stdout == ""
        assert f"no {role} {party}" in result.stderr
    for role, party in [("merchant", merchant.id), ("consumer", consumer.id)]:
        result = await fingraph_token(server, "--role", role, "--party", party)
        assert result.exit_code == 0, result.stderr
        assert result.stdout.count(".") == 2 and len(result.stdout.splitlines()) == 1
