"""The measured writes (``createPayment``) and the contract documents (reads: ``bench/reads.py``).

``createPayment`` pays from the wallets of many distinct buyers (topped up beforehand,
so none runs dry and no two concurrent requests wait on the same wallet), each request
with a fresh idempotency key, to distinct merchants or to one hot merchant.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

import asyncpg

from gateway.auth import issue_token
from services.kernel.money import Money
from services.kernel.principal import Principal, Role
from services.partners import SCOPES, create_partner, grant_access
from services.payments import PartyKind, oldest_parties, top_up

#: As CONTRACT.md writes them (some lines broken to fit).
MERCHANTS_PAGE = """query MerchantsPage($after: String) { merchants(first: 20, after: $after) { edges { node { id name
  receivedPayments(first: 10) { edges { node { id status amount { amount } } } }
  creditLine { limit { amount } outstandingPrincipal { amount } }
  fundHolding(fundCode: "YEB") { units yesterdayIncome { amount } } } } pageInfo { hasNextPage endCursor } } }"""

CONSUMER_HOME = """query ConsumerHome { me { __typename ... on Consumer { id name
  wallet { balance { amount currency } }
  fundHolding(fundCode: "YEB") { units pendingUnits value { amount } yesterdayIncome { amount } totalIncome { amount }
    fund { code name earningsPer10k sevenDayAnnualizedYield } }
  creditLine { limit { amount } available { amount } outstandingPrincipal { amount } accruedInterest { amount }
    dailyRate apr }
  creditProfile { score factors { name points detail } }
  payments(first: 10) { edges { node { id status amount { amount } merchant { id name } } }
    pageInfo { hasNextPage endCursor } }
} } }"""

MERCHANT_VIEW = """query MerchantView($id: ID!) { merchant(id: $id) { id name
  wallet { balance { amount } } escrowHeld { amount }
  receivedPayments(first: 20) { edges { node { id status amount { amount } buyer { id } } }
    pageInfo { hasNextPage endCursor } }
  creditProfile { score } creditLine { limit { amount } available { amount } outstandingPrincipal { amount } }
  fundHolding(fundCode: "YEB") { units yesterdayIncome { amount } } } }"""

#: A federation router's batch of merchants, each with MerchantView's selection.
ENTITIES_BATCH = 20
ENTITIES = ("query Entities($r: [_Any!]!) { _entities(representations: $r) { ... on Merchant {"
            + MERCHANT_VIEW[MERCHANT_VIEW.index("merchant(id: $id) {") + len("merchant(id: $id) {"):-4] + "} } }")

CREATE_PAYMENT = """mutation($m: ID!, $a: Decimal!, $s: FundingSource!, $k: String!) {
  createPayment(input: {merchantId: $m, amount: $a, fundingSource: $s, orderRef: "order-1", idempotencyKey: $k}) {
    payment { id status amount { amount currency } heldAmount { amount } }
    userErrors { code field message } } }"""

_AMOUNTS = ("9.90", "25.80", "128.00", "39.00", "66.60")
#: What each benchmark buyer gets before the run: far more than any run can spend.
BUYER_TOP_UP = Money(100_000_00)


def graphql_problem(status: int, body: Any) -> str | None:
    if status != 200:
        return f"HTTP {status}: {str(body)[:300]}"
    if body.get("errors"):
        return f"errors: {body['errors'][0].get('message')}"
    return None


class CreatePayment:
    """WALLET payments of distinct buyers, to distinct merchants or (one id given) to ONE hot merchant."""

    def __init__(self, *, buyer_tokens: list[str], merchant_ids: list[str], run_id: str,
                 name: str = "createPayment", path: str = "/graphql") -> None:
        self.name = name
        #: ``/pay`` on the sql-floor peer (bench/floor.py) takes the same request.
        self.path = path
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
        problem = graphql_problem(status, body)
        if problem:
            return problem
        payload = body["data"]["createPayment"]
        if payload["userErrors"]:
            return f"userErrors: {payload['userErrors']}"
        if payload["payment"]["status"] != "HELD":
            return f"payment is {payload['payment']['status']}"
        return None


async def prepare_buyers(dsn: str, *, count: int, secret: str, now: datetime) -> list[tuple[int, str]]:
    """Ids and tokens of ``count`` consumers, each topped up with ``BUYER_TOP_UP`` through the ledger."""
    conn: asyncpg.Connection = await asyncpg.connect(dsn)
    try:
        buyers = await oldest_parties(conn, kind=PartyKind.CONSUMER, limit=count)
        for start in range(0, len(buyers), 250):
            async with conn.transaction():
                for buyer in buyers[start:start + 250]:
                    await top_up(conn, party_id=buyer.id, amount=BUYER_TOP_UP, now=now)
    finally:
        await conn.close()
    return [(b.id, issue_token(Principal(Role.CONSUMER, party_id=b.id), secret=secret, now=now)) for b in buyers]


async def merchant_ids(dsn: str, *, limit: int) -> list[int]:
    """The ``limit`` oldest merchants' primary keys."""
    conn: asyncpg.Connection = await asyncpg.connect(dsn)
    try:
        return [m.id for m in await oldest_parties(conn, kind=PartyKind.MERCHANT, limit=limit)]
    finally:
        await conn.close()


async def prepare_partner(dsn: str, *, merchants: list[int], secret: str, now: datetime) -> str:
    """A partner every one of ``merchants`` granted every scope, and its token (with every scope)."""
    conn: asyncpg.Connection = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            partner = await create_partner(conn, name="Bench Analytics", now=now)
            for merchant in merchants:
                await grant_access(conn, merchant_id=merchant, partner_id=partner.id, scopes=SCOPES, now=now)
        # As autovacuum would within the minute: the planner should know the partner holds
        # len(merchants) grants, not guess nine, before the partner's reads are measured.
        await conn.execute("ANALYZE partners.consents")
    finally:
        await conn.close()
    principal = Principal(Role.PARTNER, partner_id=partner.id, scopes=frozenset(SCOPES))
    return issue_token(principal, secret=secret, now=now)
