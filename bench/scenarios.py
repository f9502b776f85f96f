"""The measured operations: CONTRACT.md's ``MerchantsPage`` (operator) and ``createPayment`` (consumers).

``MerchantsPage`` walks the merchant list page by page (each client follows its own
cursor and starts over at the end). ``createPayment`` pays from the wallets of many
distinct buyers (topped up beforehand, so none runs dry and no two concurrent
requests wait on the same wallet), each request with a fresh idempotency key.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

import asyncpg

from gateway.auth import issue_token
from services.kernel.ids import encode_id
from services.kernel.money import Money
from services.kernel.principal import Principal, Role
from services.payments import PartyKind, oldest_parties, top_up

#: Exactly as CONTRACT.md writes it.
MERCHANTS_PAGE = """query MerchantsPage($after: String) { merchants(first: 20, after: $after) { edges { node { id name
  receivedPayments(first: 10) { edges { node { id status amount { amount } } } }
  creditLine { limit { amount } outstandingPrincipal { amount } }
  fundHolding(fundCode: "YEB") { units yesterdayIncome { amount } } } } pageInfo { hasNextPage endCursor } } }"""

#: Its payments part, for a schema that has no credit or funds fields yet.
MERCHANTS_PAGE_PAYMENTS = """query MerchantsPage($after: String) { merchants(first: 20, after: $after) { edges {
  node { id name
  receivedPayments(first: 10) { edges { node { id status amount { amount } } } }
} } pageInfo { hasNextPage endCursor } } }"""

CREATE_PAYMENT = """mutation($m: ID!, $a: Decimal!, $s: FundingSource!, $k: String!) {
  createPayment(input: {merchantId: $m, amount: $a, fundingSource: $s, orderRef: "order-1", idempotencyKey: $k}) {
    payment { id status amount { amount currency } heldAmount { amount } }
    userErrors { code field message } } }"""

_AMOUNTS = ("9.90", "25.80", "128.00", "39.00", "66.60")
#: What each benchmark buyer gets before the run: far more than any run can spend.
BUYER_TOP_UP = Money(100_000_00)


def _graphql_problem(status: int, body: Any) -> str | None:
    if status != 200:
        return f"HTTP {status}: {str(body)[:300]}"
    if body.get("errors"):
        return f"errors: {body['errors'][0].get('message')}"
    return None


class MerchantsPage:
    name = "MerchantsPage"

    def __init__(self, *, operator_token: str, document: str, concurrency: int) -> None:
        self.headers = {"Authorization": f"Bearer {operator_token}"}
        self.document = document
        self.cursors: list[str | None] = [None] * concurrency

    def next_request(self, client: int) -> tuple[dict[str, Any], dict[str, str]]:
        body = {"query": self.document, "operationName": "MerchantsPage", "variables": {"after": self.cursors[client]}}
        return body, self.headers

    def check(self, client: int, status: int, body: Any) -> str | None:
        problem = _graphql_problem(status, body)
        if problem:
            return problem
        page = body["data"]["merchants"]
        if not page["edges"]:
            return "an empty page of merchants"
        self.cursors[client] = page["pageInfo"]["endCursor"] if page["pageInfo"]["hasNextPage"] else None
        return None


class CreatePayment:
    name = "createPayment"

    def __init__(self, *, buyer_tokens: list[str], merchant_ids: list[str], run_id: str) -> None:
        self.buyer_tokens = buyer_tokens
        self.merchant_ids = merchant_ids
        self.run_id = run_id
        self.sequence = itertools.count()

    def next_request(self, client: int) -> tuple[dict[str, Any], dict[str, str]]:
        n = next(self.sequence)
        variables = {
            "m": self.merchant_ids[(n * 7) % len(self.merchant_ids)],
            "a": _AMOUNTS[n % len(_AMOUNTS)],
            "s": "WALLET",
            "k": f"bench-{self.run_id}-{n}",
        }
        token = self.buyer_tokens[n % len(self.buyer_tokens)]
        return {"query": CREATE_PAYMENT, "variables": variables}, {"Authorization": f"Bearer {token}"}

    def check(self, client: int, status: int, body: Any) -> str | None:
        problem = _graphql_problem(status, body)
        if problem:
            return problem
        payload = body["data"]["createPayment"]
        if payload["userErrors"]:
            return f"userErrors: {payload['userErrors']}"
        if payload["payment"]["status"] != "HELD":
            return f"payment is {payload['payment']['status']}"
        return None


async def prepare_buyers(dsn: str, *, count: int, secret: str, now: datetime) -> list[str]:
    """Tokens of ``count`` consumers, each topped up with ``BUYER_TOP_UP`` through the ledger."""
    conn: asyncpg.Connection = await asyncpg.connect(dsn)
    try:
        buyers = await oldest_parties(conn, kind=PartyKind.CONSUMER, limit=count)
        for start in range(0, len(buyers), 250):
            async with conn.transaction():
                for buyer in buyers[start:start + 250]:
                    await top_up(conn, party_id=buyer.id, amount=BUYER_TOP_UP, now=now)
    finally:
        await conn.close()
    return [issue_token(Principal(Role.CONSUMER, party_id=b.id), secret=secret, now=now) for b in buyers]


async def merchant_ids(dsn: str, *, limit: int) -> list[str]:
    conn: asyncpg.Connection = await asyncpg.connect(dsn)
    try:
        return [encode_id("Merchant", m.id) for m in await oldest_parties(conn, kind=PartyKind.MERCHANT, limit=limit)]
    finally:
        await conn.close()
