"""The payments' share of the customer portrait: running aggregates, read and rebuilt.

The triggers of ``migrations/008_portrait_aggregates.sql`` keep the tables in the
transaction of each write, folded at its commit in one lock order (top-ups and
withdrawals are queued by ``service.py`` through ``count_bank_flow``);
this module reads them as SQL fragments (the loaders' statement and the compiled read
path share one spelling, as ``payment_history_sql`` does) and rebuilds them from the
raw rows. A read touches a bounded number of rows: 16 stripes of the lifetime totals,
12 months x 16 stripes of sales, the days of one year, a release-time histogram.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.kernel.aggregates import Aggregate, RebuildReport, rebuild

#: Every payments aggregate, its key, its values and the raw tables it is counted from.
AGGREGATES = (
    Aggregate("payments.party_totals", ("party_id", "stripe"),
              ("payments", "amount", "released", "released_net", "refunded_payments", "refunded", "held",
               "disputed_payments", "buyers", "repeat_buyers"),
              ("payments.payments", "payments.refunds")),
    Aggregate("payments.merchant_months", ("merchant_id", "month", "stripe"), ("payments", "amount", "refunded"),
              ("payments.payments", "payments.refunds")),
    Aggregate("payments.buyer_days", ("party_id", "day"),
              ("payments", "paid", "refunds_in", "top_ups", "withdrawals"),
              ("payments.payments", "payments.refunds", "payments.journal_entries", "payments.postings")),
    Aggregate("payments.merchant_buyers", ("merchant_id", "buyer_id"), ("payments",), ("payments.payments",)),
    Aggregate("payments.release_days", ("merchant_id", "days"), ("payments",), ("payments.payments",)),
)


async def rebuild_payment_aggregates(conn: asyncpg.Connection) -> list[RebuildReport]:
    """Recompute the payments' aggregates from payments, refunds and the ledger; what was corrected."""
    return await rebuild(conn, AGGREGATES)


async def count_bank_flow(conn: asyncpg.Connection, *, party_id: int, top_up: int = 0, withdrawal: int = 0,
                          now: datetime) -> None:
    """A top-up or a withdrawal, queued in the entry's transaction and counted on the
    party's day (Asia/Shanghai) when it commits, with the rest (migrations/008)."""
    await conn.execute(
        "INSERT INTO payments.aggregate_queue (kind, sign, buyer_id, amount, created_at)"
        " VALUES ('BANK', $2, $1, $3, $4)",
        party_id, 1 if top_up else -1, top_up or withdrawal, now,
    )


def first_month_shown(today: str) -> str:
    """SQL: the first day of the 11th month before ``today``'s (12 months with the current one)."""
    return f"(date_trunc('month', {today}) - interval '11 months')::date"


def buyer_portrait_sql(party: str, today: str) -> str:
    """A consumer's wallet balance and its days of the last 12 months (JSON): ``wallet`` (fen),
    ``days`` as [day, payments, paid, refunds in, top-ups, withdrawals]. ``party`` and
    ``today`` are SQL."""
    return (
        f"json_build_object('wallet', (SELECT coalesce(sum(a.balance), 0) FROM payments.accounts a"
        f" WHERE a.kind = 'WALLET' AND a.party_id = {party}),"
        f" 'days', (SELECT coalesce(json_agg(json_build_array(d.day, d.payments, d.paid, d.refunds_in, d.top_ups,"
        f" d.withdrawals) ORDER BY d.day), '[]') FROM payments.buyer_days d"
        f" WHERE d.party_id = {party} AND d.day >= {first_month_shown(today)} AND d.day <= {today}))"
    )


def merchant_portrait_sql(party: str, today: str) -> str:
    """A merchant's lifetime totals, its last 12 months of sales and its release-time
    histogram (JSON): ``totals`` {payments, amount, refunded_payments, refunded,
    disputed_payments, held, buyers, repeat_buyers}, ``months`` as [month, payments,
    amount, refunded], ``release_days`` as [days, payments]."""
    totals = ", ".join(
        f"'{c}', coalesce(sum(t.{c}), 0)"
        for c in ("payments", "amount", "refunded_payments", "refunded", "disputed_payments", "held", "buyers",
                  "repeat_buyers")
    )
    return (
        f"json_build_object('totals', (SELECT json_build_object({totals}) FROM payments.party_totals t"
        f" WHERE t.party_id = {party}),"
        f" 'months', (SELECT coalesce(json_agg(json_build_array(m.month, m.payments, m.amount, m.refunded)"
        f" ORDER BY m.month), '[]') FROM (SELECT month, sum(payments) AS payments, sum(amount) AS amount,"
        f" sum(refunded) AS refunded FROM payments.merchant_months WHERE merchant_id = {party}"
        f" AND month >= {first_month_shown(today)} AND month <= {today} GROUP BY month) m),"
        f" 'release_days', (SELECT coalesce(json_agg(json_build_array(r.days, r.payments) ORDER BY r.days), '[]')"
        f" FROM payments.release_days r WHERE r.merchant_id = {party} AND r.payments > 0))"
    )
