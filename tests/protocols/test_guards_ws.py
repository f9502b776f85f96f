"""The guard pipeline over graphql-transport-ws: each subscribe is held to what HTTP applies."""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import shutil
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from gateway.auth import issue_token
from services.kernel.clock import Clock
from services.kernel.principal import Principal, Role
from tests.conftest import SECRET, START, Server, running_app
from tests.protocols.ws_client import TransportWs, codes
from tests.support import Api, new_key

NODE_DIR = Path(__file__).parents[1] / "node"
EVENTS = "subscription { paymentEvents { kind payment { id status } } }"
TYPENAME = "query { __typename }"
ME = "query { me { __typename } }"
ESCROW = "query($id: ID!) { merchant(id: $id) { id escrowHeld { amount } } }"
CREATE_PARTNER = "mutation($n: String!) { createPartner(input: {name: $n}) { partner { id } } }"
GRANT = ('mutation($p: ID!) { grantPartnerAccess(input: {partnerId: $p, scopes: ["payments:read"]}) '
         "{ userErrors { code message } } }")
REVOKE = "mutation($p: ID!) { revokePartnerAccess(input: {partnerId: $p}) { userErrors { code message } } }"


@pytest.fixture(scope="module")
async def guarded(server: Server) -> AsyncIterator[Server]:
    """The app with its own movable clock and a short recheck of open subscriptions."""
    settings = replace(server.settings, subscription_recheck_seconds=0.2)
    async with running_app(settings, Clock(START)) as running:
        yield running


def _token(server: Server, principal: Principal, ttl: timedelta = timedelta(days=1)) -> str:
    return issue_token(principal, secret=SECRET, now=server.clock.now(), ttl=ttl)


async def test_persisted_only_refuses_an_unknown_document_over_ws(api: Api, server: Server) -> None:
    known = f"query Known{uuid.uuid4().hex} {{ __typename }}"
    digest = hashlib.sha256(known.encode()).hexdigest()
    registered = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    await api.http.post("/graphql", json={"query": known, "extensions": registered})
    consumer = await api.consumer()
    async with running_app(replace(server.settings, persisted_only=True), Clock(START)) as strict:
        async with TransportWs.connect(strict.url, consumer.token) as ws:
            unknown = await ws.answer(TYPENAME)
            mutation = await ws.answer("mutation($a: Decimal!, $k: String!) { topUp(input: {amount: $a, "
                                       "idempotencyKey: $k}) { userErrors { code } } }", a="5.00", k=new_key())
            by_hash = await ws.final(await ws.subscribe(None, extensions=registered))
            stored = ws.messages[by_hash["id"]][0]
    assert unknown["type"] == "error" and codes(unknown) == ["PERSISTED_QUERY_REQUIRED"]
    assert mutation["type"] == "error" and codes(mutation) == ["PERSISTED_QUERY_REQUIRED"]
    assert await api.balance(consumer) == "0.00"
    assert stored == {"id": by_hash["id"], "type": "next", "payload": {"data": {"__typename": "Query"}}}


async def test_rate_limit_counts_each_subscribe(api: Api, server: Server) -> None:
    consumer = await api.consumer()
    async with running_app(replace(server.settings, rate_limit="5/second"), Clock(START)) as limited:
        async with TransportWs.connect(limited.url, consumer.token) as ws:
            started = time.monotonic()
            ids = [await ws.subscribe(TYPENAME) for _ in range(50)]
            ends = [await ws.final(operation_id) for operation_id in ids]
            seconds = time.monotonic() - started
    accepted = [end for end in ends if end["type"] == "complete"]
    refused = [end for end in ends if end["type"] == "error"]
    # Five per second begun (a sliding window may admit one more at a window's edge): about
    # five when the machine keeps up, never the fifty that ran before.
    assert len(accepted) <= 5 * math.ceil(seconds) + 1 and len(accepted) + len(refused) == 50
    assert len(refused) >= 30
    assert all(codes(end) == ["RATE_LIMITED"] for end in refused)


async def test_an_expired_token_is_refused_per_operation_and_ends_its_subscription(
    api: Api, guarded: Server
) -> None:
    consumer = await api.consumer()
    token = _token(guarded, Principal(Role.CONSUMER, party_id=consumer.pk), ttl=timedelta(hours=1))
    try:
        async with TransportWs.connect(guarded.url, token) as ws:
            assert (await ws.answer(ME))["data"] == {"me": {"__typename": "Consumer"}}
            live = await ws.subscribe(EVENTS)
            assert await ws.quiet_for(live, 0.6), ws.messages[live]

            guarded.clock.set(START + timedelta(hours=1, seconds=1))
            ended = await ws.final(live, timeout=5)
            later = await ws.answer(ME)
    finally:
        guarded.clock.set(START)
    assert ended["type"] == "error" and codes(ended) == ["UNAUTHENTICATED"]
    assert later["type"] == "error" and codes(later) == ["UNAUTHENTICATED"]


async def _partner_granted_by(api: Api, server: Server, merchant_token: str) -> tuple[str, str]:
    partner_id = (await api.gql(CREATE_PARTNER, api.operator, n="ERP Cloud"))["createPartner"]["partner"]["id"]
    principal = Principal(Role.PARTNER, partner_id=int(partner_id.split("_")[1]), scopes=frozenset({"payments:read"}))
    assert (await api.gql(GRANT, merchant_token, p=partner_id))["grantPartnerAccess"]["userErrors"] == []
    return partner_id, _token(server, principal)


async def test_a_revoked_grant_holds_from_the_next_ws_operation(api: Api, guarded: Server) -> None:
    merchant = await api.merchant("Consenting Co.")
    partner_id, token = await _partner_granted_by(api, guarded, merchant.token)
    async with TransportWs.connect(guarded.url, token) as ws:
        before = await ws.answer(ESCROW, id=merchant.id)
        assert (await api.gql(REVOKE, merchant.token, p=partner_id))["revokePartnerAccess"]["userErrors"] == []
        after = await ws.answer(ESCROW, id=merchant.id)
    assert before == {"data": {"merchant": {"id": merchant.id, "escrowHeld": {"amount": "0.00"}}}}
    assert after["data"] == {"merchant": None} and codes(after) == ["FORBIDDEN"]


async def test_a_revoked_grant_ends_the_partners_live_subscriptions(api: Api, guarded: Server) -> None:
    merchant = await api.merchant("Consenting Co.")
    partner_id, token = await _partner_granted_by(api, guarded, merchant.token)
    async with TransportWs.connect(guarded.url, token) as ws:
        live = await ws.subscribe(EVENTS)
        assert await ws.quiet_for(live, 0.6), ws.messages[live]
        assert (await api.gql(REVOKE, merchant.token, p=partner_id))["revokePartnerAccess"]["userErrors"] == []
        ended = await ws.final(live, timeout=5)
    assert ended["type"] == "error" and codes(ended) == ["FORBIDDEN"]


async def test_a_partner_hears_the_payments_of_merchants_that_granted_it(api: Api, guarded: Server) -> None:
    merchant, other = await api.merchant("Consenting Co."), await api.merchant("Silent Co.")
    buyer = await api.consumer(balance="100.00")
    _, token = await _partner_granted_by(api, guarded, merchant.token)
    async with TransportWs.connect(guarded.url, token) as ws:
        live = await ws.subscribe(EVENTS)
        heard: list[dict[str, Any]] = []
        ours: list[str] = []
        for _ in range(40):  # the subscription starts listening a moment after subscribe
            await api.pay(buyer, other, "1.00")
            ours.append((await api.pay(buyer, merchant, "1.00"))["payment"]["id"])
            await ws.quiet_for(live, 0.3)
            heard = [m["payload"]["data"]["paymentEvents"] for m in ws.messages[live] if m["type"] == "next"]
            if heard:
                break
    assert heard and all(event["payment"]["id"] in ours for event in heard)


@pytest.mark.parametrize("who", ["wrong kind", "no such party"])
async def test_a_token_naming_no_party_of_its_kind_is_unauthenticated_over_ws(
    api: Api, server: Server, who: str
) -> None:
    consumer = await api.consumer()
    principal = (Principal(Role.MERCHANT, party_id=consumer.pk) if who == "wrong kind"
                 else Principal(Role.CONSUMER, party_id=10**15))
    async with TransportWs.connect(server.url, _token(server, principal)) as ws:
        answer = await ws.answer(ME)
        live = await ws.final(await ws.subscribe(EVENTS))
    assert answer["type"] == "error" and codes(answer) == ["UNAUTHENTICATED"]
    assert live["type"] == "error" and codes(live) == ["UNAUTHENTICATED"]
    assert "no such" in answer["payload"][0]["message"]


async def test_query_limits_apply_over_ws(api: Api, server: Server) -> None:
    costly = ("{ merchants(first: 100) { edges { node { receivedPayments(first: 100) "
              "{ edges { node { id amount { amount } } } } } } } }")
    entities = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Merchant { id } } }"
    many = [{"__typename": "Merchant", "id": "mer_1"}] * 20_000
    async with TransportWs.connect(server.url, api.operator) as ws:
        too_costly = await ws.answer(costly)
        too_many = await ws.answer(entities, r=many, timeout=30)
    assert codes(too_costly) == ["QUERY_TOO_COMPLEX"]
    assert codes(too_many) == ["QUERY_TOO_COMPLEX"]


#: The real graphql-ws client: one JSON line per event, the `error` sink's GraphQL errors as they came.
GRAPHQL_WS_CLIENT = """
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
const [url, token, query] = process.argv.slice(1);
const print = (obj) => process.stdout.write(JSON.stringify(obj) + '\\n');
const client = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0,
  connectionParams: { Authorization: `Bearer ${token}` }, on: { connected: () => print({ type: 'connected' }) } });
client.subscribe({ query }, {
  next: (payload) => print({ type: 'next', payload }),
  error: (error) => { print({ type: 'error', payload: Array.isArray(error) ? error : [String(error)] }); client.dispose(); },
  complete: () => { print({ type: 'complete' }); client.dispose(); },
});
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
async def test_the_graphql_ws_client_sees_its_subscription_end_when_the_token_expires(
    api: Api, guarded: Server
) -> None:
    consumer = await api.consumer()
    token = _token(guarded, Principal(Role.CONSUMER, party_id=consumer.pk), ttl=timedelta(hours=1))
    client = await asyncio.create_subprocess_exec(
        "node", "--input-type=module", "-e", GRAPHQL_WS_CLIENT, guarded.url.replace("http", "ws") + "/graphql",
        token, EVENTS, cwd=NODE_DIR, stdout=asyncio.subprocess.PIPE,
    )
    assert client.stdout is not None
    try:
        connected = json.loads(await asyncio.wait_for(client.stdout.readline(), timeout=20))
        await asyncio.sleep(0.6)
        guarded.clock.set(START + timedelta(hours=2))
        out, _ = await asyncio.wait_for(client.communicate(), timeout=20)
    finally:
        guarded.clock.set(START)
        if client.returncode is None:
            client.kill()
            await client.wait()
    lines = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    assert connected == {"type": "connected"}
    assert [line["type"] for line in lines] == ["error"]
    assert codes(lines[0]) == ["UNAUTHENTICATED"]
