"""The ``postgraphile`` peer: npm ``postgraphile@4`` (pinned in ``bench/node``) over the same tables.

PostGraphile reads the schemas ``payments``, ``credit`` and ``funds`` as they are. Two
things are added for it, in the benchmark's own database only (never in migrations):

- the cross-service references the services keep without foreign keys, as smart tags
  (``bench/node/postgraphile.tags.json5``, loaded from its working directory);
- computed columns (``BENCH_ONLY_SQL``) for what fingraph aggregates in SQL before its
  Python computes: the escrow held by a merchant and the facts of a credit score
  (PostGraphile 4 has no aggregates without a plugin).

Each contract query is mapped to PostGraphile's naming with the same data; ``OMITTED``
says, per query, what its document leaves out or approximates (also written in the
JSON report).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import asyncpg

NODE_DIR = Path(__file__).parent / "node"
CLI = NODE_DIR / "node_modules" / ".bin" / "postgraphile"

BENCH_ONLY_SQL = """
CREATE OR REPLACE FUNCTION payments.parties_escrow_held(p payments.parties) RETURNS bigint
LANGUAGE sql STABLE AS $$
  SELECT coalesce(sum(amount - refunded), 0)::bigint FROM payments.payments
   WHERE merchant_id = p.id AND status IN ('HELD', 'PARTIALLY_REFUNDED')
$$;
DROP TYPE IF EXISTS payments.bench_credit_facts CASCADE;
CREATE TYPE payments.bench_credit_facts AS (
  payments bigint, released bigint, refunded bigint, volume bigint,
  ratings bigint, stars bigint, on_time bigint, late bigint, overdue bigint);
CREATE OR REPLACE FUNCTION payments.parties_credit_facts(p payments.parties, today date)
RETURNS payments.bench_credit_facts LANGUAGE sql STABLE AS $$
  SELECT h.payments, h.released, h.refunded, h.volume, r.ratings, r.stars, k.on_time, k.late, k.overdue
    FROM (SELECT count(*) AS payments, count(*) FILTER (WHERE x.status = 'RELEASED') AS released,
                 count(*) FILTER (WHERE x.refunded > 0) AS refunded,
                 coalesce(sum(x.amount - x.refunded) FILTER (WHERE x.status = 'RELEASED'), 0)::bigint AS volume
            FROM (SELECT status, amount, refunded FROM payments.payments WHERE buyer_id = p.id
                  UNION ALL
                  SELECT status, amount, refunded FROM payments.payments WHERE merchant_id = p.id) x) h,
         (SELECT count(*) AS ratings, coalesce(sum(stars), 0) AS stars
            FROM credit.ratings WHERE merchant_id = p.id) r,
         (SELECT count(d.id) FILTER (WHERE d.closed_at IS NOT NULL AND d.closed_at::date <= d.due_date) AS on_time,
                 count(d.id) FILTER (WHERE d.closed_at IS NOT NULL AND d.closed_at::date > d.due_date) AS late,
                 count(d.id) FILTER (WHERE d.closed_at IS NULL AND d.due_date < today) AS overdue
            FROM credit.lines l JOIN credit.drawdowns d ON d.line_id = l.id WHERE l.party_id = p.id) k
$$;
"""

_HOLDING_RAW = """holdingsByPartyId(condition: {fundId: $fund}) { nodes { units pendingUnits totalIncome
    lastIncomeDate lastIncome
    ordersByFundIdAndPartyId(condition: {status: "PENDING"}) { nodes { kind units settleDate } }"""

MERCHANTS_PAGE = """query MerchantsPage($after: Cursor, $fund: Int!) {
  allParties(condition: {kind: "MERCHANT"}, first: 20, orderBy: ID_DESC, after: $after) {
    edges { node { id name
      paymentsByMerchantId(first: 10, orderBy: ID_DESC) { edges { node { id status amount } } }
      lineByPartyId { limitFen outstandingPrincipal }
      """ + _HOLDING_RAW + """ } } } }
    pageInfo { hasNextPage endCursor } } }"""

CONSUMER_HOME = """query ConsumerHome($id: BigInt!, $fund: Int!, $today: Date!) {
  partyById(id: $id) { __typename id name kind
  accountsByPartyId(condition: {kind: "WALLET"}) { nodes { balance currency } }
  """ + _HOLDING_RAW + """
    fundByFundId { code name dailyYieldsByFundId(first: 7, orderBy: DATE_DESC) { nodes { earningsPer10K } } } } }
  lineByPartyId { limitFen outstandingPrincipal accruedInterest accruedPenalty dailyRate }
  certified realNameVerified createdAt
  creditFacts(today: $today) { payments released refunded volume ratings stars onTime late overdue }
  paymentsByBuyerId(first: 10, orderBy: ID_DESC) { edges { node { id status amount
    partyByMerchantId { id name } } } pageInfo { hasNextPage endCursor } }
} }"""

MERCHANT_VIEW = """query MerchantView($id: BigInt!, $fund: Int!, $today: Date!) { partyById(id: $id) { id name kind
  accountsByPartyId(condition: {kind: "WALLET"}) { nodes { balance } }
  escrowHeld
  paymentsByMerchantId(first: 20, orderBy: ID_DESC) { edges { node { id status amount buyerId } }
    pageInfo { hasNextPage endCursor } }
  certified realNameVerified createdAt
  creditFacts(today: $today) { payments released refunded volume ratings stars onTime late overdue }
  lineByPartyId { limitFen outstandingPrincipal }
  """ + _HOLDING_RAW + """ } } } }"""

#: What each PostGraphile document leaves out or approximates, against fingraph's answer.
OMITTED = {
    "MerchantsPage": (
        "money as integer fen strings (no Money objects or decimals), ids are raw bigints (no mer_/pay_ prefix); "
        "the holding is its raw row plus its PENDING orders (the 'as of today' settlement of due orders and "
        "yesterdayIncome are left to the client); no authorisation (PostGraphile runs as the table owner)"
    ),
    "ConsumerHome": (
        "the consumer is chosen by a variable, not by the token (no JWT/RLS); creditProfile: only the raw "
        "facts (a bench-only computed column aggregating payments, ratings, drawdowns) plus certified/"
        "realNameVerified/createdAt, no points or detail strings; sevenDayAnnualizedYield: the last 7 raw "
        "daily yields (the compound annualisation is left out); holding as in MerchantsPage; available "
        "and apr not derived; money in fen"
    ),
    "MerchantView": (
        "escrowHeld through a bench-only computed column; creditProfile.score: the raw facts only "
        "(no points); holding and money as in MerchantsPage; buyer as buyerId (no join)"
    ),
}


def available() -> str | None:
    """None if the pinned PostGraphile is installed, else why the peer is skipped."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not CLI.exists():
        return f"{CLI} is missing: run `npm ci` in bench/node (make bench does)"
    return None


async def prepare(dsn: str) -> int:
    """Create the bench-only computed columns; returns the id of the fund ``YEB``."""
    conn: asyncpg.Connection = await asyncpg.connect(dsn)
    try:
        await conn.execute(BENCH_ONLY_SQL)
        return int(await conn.fetchval("SELECT id FROM funds.funds WHERE code = 'YEB'"))
    finally:
        await conn.close()


def command(*, dsn: str, port: int, pool_max: int) -> list[str]:
    """Production-like flags: no GraphiQL, no watch, no query log."""
    return [
        str(CLI), "--connection", dsn, "--schema", "payments,credit,funds", "--host", "127.0.0.1",
        "--port", str(port), "--disable-graphiql", "--disable-query-log", "--max-pool-size", str(pool_max),
        "--disable-default-mutations",
    ]
