"""Subscription payloads apply the read rule of ADR 015 like every other path to a party.

A merchant hears its payments with the buyer's personal fields (it is the buyer's
counterparty); a consumer hears its own; a partner hears the payments of merchants that
granted it ``payments:read`` (docs/adr/014-guard-pipeline.md) but never a consumer's personal
fields, and a partner token without that scope cannot subscribe at all.
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from typing import Any

import pytest

from gateway.auth import issue_token
from services.kernel.principal import Principal, Role
from tests.conftest import SECRET, Server
from tests.protocols.test_subscriptions import NODE_DIR, _next_event, _next_line, _rest, second_process
from tests.support import Api

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")

__all__ = ["second_process"]  # the fixture, shared with the transport's own tests

EVENTS = ("subscription { paymentEvents { payment { id buyer { id name realNameVerified }"
          " merchant { id name } } } }")


async def _subscribe(url: str, token: str, count: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        "node", str(NODE_DIR / "subscribe.mjs"), url.replace("http", "ws") + "/graphql", token, str(count), EVENTS,
        stdout=asyncio.subprocess.PIPE,
    )


async def _first_event(url: str, token: str, pay: Any) -> dict[str, Any]:
    client = await _subscribe(url, token, 1)
    assert await _next_line(client, 20) == {"type": "connected"}
    for _ in range(40):
        await pay()
        if (event := await _next_event(client, 0.5)) is not None:
            await _rest(client)
            return event
    raise AssertionError("no event within 40 payments")


@pytest.mark.parametrize("listener", ["merchant", "buyer"])
async def test_payment_events_carry_the_buyer_to_its_counterparty_and_itself(
    api: Api, second_process: str, listener: str
) -> None:
    buyer, merchant = await api.consumer("Wei Event", balance="90.00"), await api.merchant("Event Shop")
    token = merchant.token if listener == "merchant" else buyer.token

    event = await _first_event(second_process, token, lambda: api.pay(buyer, merchant, "1.00"))

    assert event["payment"]["buyer"] == {"id": buyer.id, "name": "Wei Event", "realNameVerified": True}
    assert event["payment"]["merchant"] == {"id": merchant.id, "name": "Event Shop"}


async def test_a_partner_without_payments_read_cannot_subscribe(api: Api, server: Server, second_process: str) -> None:
    # A partner that exists (a token naming no partner is refused before any scope check).
    created = await api.gql('mutation { createPartner(input: {name: "Credit Only"}) { partner { id } } }', api.operator)
    partner_pk = int(created["createPartner"]["partner"]["id"].split("_")[1])
    partner = Principal(Role.PARTNER, partner_id=partner_pk, scopes=frozenset({"credit:read"}))
    token = issue_token(partner, secret=SECRET, now=server.clock.now(), ttl=timedelta(days=1))
    lines = await _rest(await _subscribe(second_process, token, 1))
    errors = [line for line in lines if line["type"] == "next"]
    assert errors and errors[0]["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_consenting_partner_hears_the_payment_but_not_the_buyer_s_personal_fields(
    api: Api, server: Server, second_process: str
) -> None:
    buyer, merchant = await api.consumer("Wei Private", balance="90.00"), await api.merchant("Partner Shop")
    created = await api.gql('mutation { createPartner(input: {name: "ERP Cloud"}) { partner { id } } }', api.operator)
    partner_id = created["createPartner"]["partner"]["id"]
    granted = await api.gql(
        'mutation($p: ID!) { grantPartnerAccess(input: {partnerId: $p, scopes: ["payments:read"]}) '
        "{ userErrors { code } } }", merchant.token, p=partner_id,
    )
    assert granted["grantPartnerAccess"]["userErrors"] == []
    partner = Principal(Role.PARTNER, partner_id=int(partner_id.split("_")[1]), scopes=frozenset({"payments:read"}))
    token = issue_token(partner, secret=SECRET, now=server.clock.now(), ttl=timedelta(days=1))

    client = await _subscribe(second_process, token, 1)
    assert await _next_line(client, 20) == {"type": "connected"}
    payload: dict[str, Any] | None = None
    for _ in range(40):
        await api.pay(buyer, merchant, "1.00")
        line = await _next_line(client, 0.5)
        if line is not None and line["type"] == "next":
            payload = line["payload"]
            break
    await _rest(client)

    # The partner heard the payment (a consenting merchant's), and the buyer's name was refused.
    assert payload is not None, "no event within 40 payments"
    assert "Wei Private" not in str(payload)
    assert payload.get("errors") and {e["extensions"]["code"] for e in payload["errors"]} == {"FORBIDDEN"}
