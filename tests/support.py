"""Helpers for end-to-end tests: the contract's documents and a small GraphQL client."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import uvicorn
from starlette.types import ASGIApp

from services.kernel.principal import Role


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def served(app: ASGIApp, *, log_level: str = "warning") -> AsyncIterator[str]:
    """``app`` served by uvicorn on a free port of 127.0.0.1 until the block ends: its base URL."""
    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level=log_level, lifespan="on"))
    task = asyncio.create_task(uv.serve())
    while not uv.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        await task


@contextlib.asynccontextmanager
async def other_database(database_url: str, prefix: str, *, migrate: bool = False) -> AsyncIterator[str]:
    """A new database beside the test one (``<prefix>_<random>``), dropped afterwards: its DSN.

    For tests that need a database of their own (an empty one, a CLI's, the fuzz's);
    ``migrate`` applies every service's migrations first.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin: asyncpg.Connection = await asyncpg.connect(database_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        dsn = urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))
        if migrate:
            from gateway import db

            await db.migrate_dsn(dsn)
        yield dsn
    finally:
        admin = await asyncpg.connect(database_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def wait_until_up(url: str, *, attempts: int = 300) -> None:
    """Poll ``url`` until a server answers below 500 (another process starting up)."""
    async with httpx.AsyncClient() as client:
        for _ in range(attempts):
            try:
                if (await client.get(url)).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} never came up")


_keys = itertools.count(1)
# Keys are per principal, and every operator token is the same principal: a database
# reused by a second run must not see the first run's keys again.
_RUN = uuid.uuid4().hex[:8]


def new_key() -> str:
    return f"key-{_RUN}-{next(_keys)}"


CREATE_CONSUMER = (
    'mutation($n: String!) { createConsumer(input: {name: $n, realNameVerified: true}) '
    "{ consumer { id } userErrors { code message } } }"
)
CREATE_MERCHANT = (
    'mutation($n: String!) { createMerchant(input: {name: $n, certified: true}) '
    "{ merchant { id } userErrors { code message } } }"
)
TOP_UP = """mutation($a: Decimal!, $k: String!) { topUp(input: {amount: $a, idempotencyKey: $k}) {
  wallet { balance { amount currency } } userErrors { code field message } } }"""
WITHDRAW = """mutation($a: Decimal!, $k: String!) { withdraw(input: {amount: $a, idempotencyKey: $k}) {
  wallet { balance { amount } } userErrors { code field message } } }"""
CREATE_PAYMENT = """mutation($m: ID!, $a: Decimal!, $s: FundingSource!, $k: String!) {
  createPayment(input: {merchantId: $m, amount: $a, fundingSource: $s, orderRef: "order-1", idempotencyKey: $k}) {
    payment { id status amount { amount currency } heldAmount { amount } }
    userErrors { code field message } } }"""
CONFIRM_RECEIPT = """mutation($p: ID!, $k: String!) { confirmReceipt(input: {paymentId: $p, idempotencyKey: $k}) {
  payment { id status } userErrors { code message } } }"""
REFUND_PAYMENT = """mutation($p: ID!, $a: Decimal!, $k: String!) { refundPayment(input: {paymentId: $p, amount: $a, reason: "not as described", idempotencyKey: $k}) {
  payment { id status refundedAmount { amount } } userErrors { code message } } }"""
# The goods flow's operations exactly as CONTRACT.md writes them ("Goods flow and disputes").
MARK_SHIPPED = """mutation MarkShipped($p: ID!, $k: String!) { markShipped(input: {paymentId: $p, carrier: "SF Express", trackingNumber: "SF1234567890", idempotencyKey: $k}) {
  payment { id status shipment { carrier trackingNumber shippedAt } confirmBy } userErrors { code message } } }"""
EXTEND_CONFIRM_WINDOW = """mutation ExtendConfirmWindow($p: ID!, $k: String!) { extendConfirmWindow(input: {paymentId: $p, idempotencyKey: $k}) {
  payment { id confirmBy } userErrors { code message } } }"""
CANCEL_UNSHIPPED = """mutation CancelUnshippedPayment($p: ID!, $k: String!) { cancelUnshippedPayment(input: {paymentId: $p, idempotencyKey: $k}) {
  payment { id status } userErrors { code message } } }"""
OPEN_DISPUTE = """mutation OpenDispute($p: ID!, $a: Decimal!, $k: String!) { openDispute(input: {paymentId: $p, reason: "not as described", amount: $a, idempotencyKey: $k}) {
  dispute { id status amount { amount } } payment { id status } userErrors { code message } } }"""
RESPOND_TO_DISPUTE = """mutation RespondToDispute($d: ID!, $k: String!) { respondToDispute(input: {disputeId: $d, accept: false, note: "delivered as described", idempotencyKey: $k}) {
  dispute { id status } userErrors { code message } } }"""
RESOLVE_DISPUTE = """mutation ResolveDispute($d: ID!, $a: Decimal!, $k: String!) { resolveDispute(input: {disputeId: $d, refundAmount: $a, note: "partial refund", idempotencyKey: $k}) {
  dispute { id status } payment { id status refundedAmount { amount } } userErrors { code message } } }"""
RELEASE_DUE = """mutation($t: DateTime!) { releaseDuePayments(input: {asOf: $t}) { releasedCount } }"""
TRIAL_BALANCE = """query TrialBalance { trialBalance { accounts { code balance { amount } } total { amount } } }"""
# The cross-service reads exactly as CONTRACT.md writes them.
CONSUMER_HOME = """query ConsumerHome { me { __typename ... on Consumer { id name
  wallet { balance { amount currency } }
  fundHolding(fundCode: "YEB") { units pendingUnits value { amount } yesterdayIncome { amount } totalIncome { amount }
    fund { code name earningsPer10k sevenDayAnnualizedYield } }
  creditLine { limit { amount } available { amount } outstandingPrincipal { amount } accruedInterest { amount } dailyRate apr }
  creditProfile { score factors { name points detail } }
  payments(first: 10) { edges { node { id status amount { amount } merchant { id name } } } pageInfo { hasNextPage endCursor } }
} } }"""
MERCHANT_VIEW = """query MerchantView($id: ID!) { merchant(id: $id) { id name
  wallet { balance { amount } } escrowHeld { amount }
  receivedPayments(first: 20) { edges { node { id status amount { amount } buyer { id } } } pageInfo { hasNextPage endCursor } }
  creditProfile { score } creditLine { limit { amount } available { amount } outstandingPrincipal { amount } }
  fundHolding(fundCode: "YEB") { units yesterdayIncome { amount } } } }"""
MERCHANTS_PAGE = """query MerchantsPage($after: String) { merchants(first: 20, after: $after) { edges { node { id name
  receivedPayments(first: 10) { edges { node { id status amount { amount } } } }
  creditLine { limit { amount } outstandingPrincipal { amount } }
  fundHolding(fundCode: "YEB") { units yesterdayIncome { amount } } } } pageInfo { hasNextPage endCursor } } }"""


@dataclass
class Party:
    id: str
    pk: int
    token: str


@dataclass
class Api:
    http: httpx.AsyncClient
    server_token: Callable[[Role, int | None], str]

    @property
    def operator(self) -> str:
        return self.server_token(Role.OPERATOR, None)

    async def post(self, query: str, token: str | None = None, **variables: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)

    async def gql(self, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        """The ``data`` of a successful response; fails the test on any GraphQL error."""
        response = await self.post(query, token, **variables)
        body: dict[str, Any] = response.json()
        assert response.status_code == 200, body
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def consumer(self, name: str = "Li Lei", *, balance: str | None = None) -> Party:
        data = await self.gql(CREATE_CONSUMER, self.operator, n=name)
        party_id = data["createConsumer"]["consumer"]["id"]
        pk = int(party_id.split("_")[1])
        party = Party(party_id, pk, self.server_token(Role.CONSUMER, pk))
        if balance is not None:
            await self.gql(TOP_UP, party.token, a=balance, k=new_key())
        return party

    async def merchant(self, name: str = "Hangzhou Tea Co.") -> Party:
        data = await self.gql(CREATE_MERCHANT, self.operator, n=name)
        party_id = data["createMerchant"]["merchant"]["id"]
        pk = int(party_id.split("_")[1])
        return Party(party_id, pk, self.server_token(Role.MERCHANT, pk))

    async def pay(self, buyer: Party, merchant: Party, amount: str, key: str | None = None) -> dict[str, Any]:
        data = await self.gql(CREATE_PAYMENT, buyer.token, m=merchant.id, a=amount, s="WALLET", k=key or new_key())
        result: dict[str, Any] = data["createPayment"]
        return result

    async def balance(self, party: Party) -> str:
        query = "{ me { ... on Consumer { wallet { balance { amount } } } ... on Merchant { wallet { balance { amount } } } } }"
        data = await self.gql(query, party.token)
        amount: str = data["me"]["wallet"]["balance"]["amount"]
        return amount


# -- appended for the issue-2 checks (idempotency, amounts, concurrency, reads, auth) --

TRANSFER = """mutation($to: ID!, $a: Decimal!, $k: String!) { transfer(input: {toPartyId: $to, amount: $a, idempotencyKey: $k}) {
  wallet { balance { amount } } userErrors { code field message } } }"""
REFUND_WITH_FIELD = """mutation($p: ID!, $a: Decimal!, $k: String!) { refundPayment(input: {paymentId: $p, amount: $a, reason: "r", idempotencyKey: $k}) {
  payment { id status refundedAmount { amount } } userErrors { code field message } } }"""
PAYMENT_STATE = """query($id: ID!) { payment(id: $id) { id status amount { amount } heldAmount { amount } refundedAmount { amount } } }"""


async def footprint(db: Any, *party_pks: int) -> dict[str, Any]:
    """What a failed operation must leave alone: these parties' wallets, their payments, the ledger's size."""
    async with db.acquire() as conn:
        wallets = await conn.fetch(
            "SELECT party_id, balance FROM payments.accounts WHERE kind = 'WALLET' AND party_id = ANY($1::bigint[])"
            " ORDER BY party_id", list(party_pks),
        )
        payments = await conn.fetch(
            "SELECT id, status, refunded FROM payments.payments"
            " WHERE buyer_id = ANY($1::bigint[]) OR merchant_id = ANY($1::bigint[]) ORDER BY id", list(party_pks),
        )
        postings = await conn.fetchval("SELECT count(*) FROM payments.postings")
        escrow = await conn.fetchval(
            "SELECT coalesce(sum(p.amount), 0) FROM payments.postings p"
            " JOIN payments.accounts a ON a.id = p.account_id WHERE a.code = 'ESCROW:CNY'"
        )
    return {
        "wallets": [tuple(r) for r in wallets], "payments": [tuple(r) for r in payments],
        "postings": postings, "escrow": escrow,
    }
