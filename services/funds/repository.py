"""SQL of the funds service (schema ``funds``); every statement parameterised."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

import asyncpg

from services.funds.models import DailyYield, Fund, Holding


def _fund(row: asyncpg.Record) -> Fund:
    return Fund(id=row["id"], code=row["code"], name=row["name"], manager=row["manager"], currency=row["currency"])


async def funds_by_codes(conn: asyncpg.Connection, codes: Sequence[str]) -> list[Fund]:
    rows = await conn.fetch(
        "SELECT id, code, name, manager, currency FROM funds.funds WHERE code = ANY($1::text[])", list(codes)
    )
    return [_fund(row) for row in rows]


async def all_funds(conn: asyncpg.Connection) -> list[Fund]:
    rows = await conn.fetch("SELECT id, code, name, manager, currency FROM funds.funds ORDER BY code")
    return [_fund(row) for row in rows]


async def fund_for_share(conn: asyncpg.Connection, code: str) -> Fund | None:
    """Investor operations share the fund row; publishing a yield takes it exclusively."""
    row = await conn.fetchrow(
        "SELECT id, code, name, manager, currency FROM funds.funds WHERE code = $1 FOR SHARE", code
    )
    return _fund(row) if row else None


async def fund_for_update(conn: asyncpg.Connection, code: str) -> Fund | None:
    row = await conn.fetchrow(
        "SELECT id, code, name, manager, currency FROM funds.funds WHERE code = $1 FOR UPDATE", code
    )
    return _fund(row) if row else None


_SETTLE_DUE = """
    WITH due AS (
        UPDATE funds.orders o SET status = 'SETTLED', settled_at = $2
         WHERE o.status = 'PENDING' AND o.settle_date <= $1 AND ($3::bigint IS NULL OR o.party_id = $3)
        RETURNING o.fund_id, o.party_id, o.kind, o.units
    ), per AS (
        SELECT fund_id, party_id,
               coalesce(sum(units) FILTER (WHERE kind = 'SUBSCRIBE'), 0) AS subscribed,
               coalesce(sum(units) FILTER (WHERE kind = 'REDEEM'), 0) AS redeemed,
               count(*) AS orders
          FROM due GROUP BY fund_id, party_id
    ), moved AS (
        UPDATE funds.holdings h
           SET units = h.units + per.subscribed,
               pending_units = h.pending_units - per.subscribed,
               redeeming_units = h.redeeming_units - per.redeemed
          FROM per WHERE h.fund_id = per.fund_id AND h.party_id = per.party_id
        RETURNING 1
    )
    SELECT per.party_id, per.redeemed, per.orders, f.currency
      FROM per JOIN funds.funds f ON f.id = per.fund_id
     ORDER BY per.party_id
"""


async def settle_due_orders(
    conn: asyncpg.Connection, *, as_of: date, now: datetime, party_id: int | None = None
) -> list[asyncpg.Record]:
    """Confirm due subscriptions and release due standard redemptions; rows per party to pay out."""
    rows: list[asyncpg.Record] = await conn.fetch(_SETTLE_DUE, as_of, now, party_id)
    return rows


async def holding_for_update(conn: asyncpg.Connection, *, fund_id: int, party_id: int, as_of: date) -> Holding:
    await conn.execute(
        "INSERT INTO funds.holdings (fund_id, party_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", fund_id, party_id
    )
    row = await conn.fetchrow(
        "SELECT * FROM funds.holdings WHERE fund_id = $1 AND party_id = $2 FOR UPDATE", fund_id, party_id
    )
    assert row is not None
    return _holding(row, as_of)


def _holding(row: asyncpg.Record, as_of: date, due_subscribed: Decimal = Decimal(0)) -> Holding:
    return Holding(
        fund_id=row["fund_id"], party_id=row["party_id"], units=row["units"] + due_subscribed,
        pending_units=row["pending_units"] - due_subscribed, redeeming_units=row["redeeming_units"],
        total_income=row["total_income"], last_income_date=row["last_income_date"], last_income=row["last_income"],
        as_of=as_of,
    )


async def change_holding(
    conn: asyncpg.Connection, *, fund_id: int, party_id: int, units: Decimal = Decimal(0),
    pending: Decimal = Decimal(0), redeeming: Decimal = Decimal(0), as_of: date,
) -> Holding:
    row = await conn.fetchrow(
        """UPDATE funds.holdings SET units = units + $3, pending_units = pending_units + $4,
                  redeeming_units = redeeming_units + $5
            WHERE fund_id = $1 AND party_id = $2 RETURNING *""",
        fund_id, party_id, units, pending, redeeming,
    )
    assert row is not None
    return _holding(row, as_of)


# A read moves nothing (ADR 022). A subscription due by ``as_of`` reads as confirmed: its
# money is in custody already and confirming it moves none. A standard redemption stays
# ``redeeming`` until its payout is posted to the wallet (settle_fund_orders, run by the
# scheduler at the start of each business day): the units never vanish from the holding
# before the money reaches the wallet; ``pendingRedemptions`` shows each payout's date.
_HOLDINGS_VIEW = """
    SELECT h.*, coalesce(d.subscribed, 0) AS due_subscribed
      FROM funds.holdings h
      JOIN unnest($1::int[], $2::bigint[]) AS k(fund_id, party_id)
        ON h.fund_id = k.fund_id AND h.party_id = k.party_id
      LEFT JOIN LATERAL (
          SELECT sum(o.units) AS subscribed
            FROM funds.orders o
           WHERE o.fund_id = h.fund_id AND o.party_id = h.party_id AND o.status = 'PENDING'
             AND o.kind = 'SUBSCRIBE' AND o.settle_date <= $3
      ) d ON true
"""


async def holdings_view(conn: asyncpg.Connection, keys: Sequence[tuple[int, int]], *, as_of: date) -> list[Holding]:
    rows = await conn.fetch(_HOLDINGS_VIEW, [k[0] for k in keys], [k[1] for k in keys], as_of)
    return [_holding(row, as_of, row["due_subscribed"]) for row in rows]


async def pending_redemptions(conn: asyncpg.Connection, keys: Sequence[tuple[int, int]]) -> list[asyncpg.Record]:
    """Standard redemptions not paid out yet, per (fund, party), by payout date."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT o.fund_id, o.party_id, o.settle_date, sum(o.units) AS units
             FROM funds.orders o JOIN unnest($1::int[], $2::bigint[]) AS k(fund_id, party_id)
               ON o.fund_id = k.fund_id AND o.party_id = k.party_id
            WHERE o.status = 'PENDING' AND o.kind = 'REDEEM'
            GROUP BY o.fund_id, o.party_id, o.settle_date ORDER BY o.settle_date""",
        [k[0] for k in keys], [k[1] for k in keys],
    )
    return rows


async def insert_order(
    conn: asyncpg.Connection, *, fund_id: int, party_id: int, kind: str, mode: str | None, units: Decimal,
    placed_at: datetime, placed_day: date, trade_date: date, settle_date: date, settled: bool,
    reference: str | None = None,
) -> None:
    await conn.execute(
        """INSERT INTO funds.orders (fund_id, party_id, kind, mode, units, placed_at, placed_day, trade_date,
                                     settle_date, status, settled_at, reference)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)""",
        fund_id, party_id, kind, mode, units, placed_at, placed_day, trade_date, settle_date,
        "SETTLED" if settled else "PENDING", placed_at if settled else None, reference,
    )


async def instant_redeemed_on(conn: asyncpg.Connection, *, fund_id: int, party_id: int, day: date) -> Decimal:
    value = await conn.fetchval(
        """SELECT coalesce(sum(units), 0) FROM funds.orders
            WHERE fund_id = $1 AND party_id = $2 AND placed_day = $3 AND kind = 'REDEEM' AND mode = 'INSTANT'""",
        fund_id, party_id, day,
    )
    return Decimal(value)


async def daily_yield_row(conn: asyncpg.Connection, *, fund_id: int, day: date) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM funds.daily_yields WHERE fund_id = $1 AND date = $2", fund_id, day)


async def latest_published_date(conn: asyncpg.Connection, fund_id: int) -> date | None:
    value: date | None = await conn.fetchval("SELECT max(date) FROM funds.daily_yields WHERE fund_id = $1", fund_id)
    return value


async def insert_daily_yield(
    conn: asyncpg.Connection, *, fund_id: int, day: date, earnings_per_10k: Decimal, holders: int,
    base_units: Decimal, gross_income: Decimal, total_income: Decimal, now: datetime,
) -> None:
    await conn.execute(
        """INSERT INTO funds.daily_yields (fund_id, date, earnings_per_10k, holders, base_units, gross_income,
                                           total_income, residue, published_at)
           VALUES ($1, $2, $3, $4, $5, $6::numeric, $7::numeric, $6::numeric - $7::numeric, $8)""",
        fund_id, day, earnings_per_10k, holders, base_units, gross_income, total_income, now,
    )


async def recent_yields(conn: asyncpg.Connection, fund_ids: Sequence[int], *, limit: int) -> list[asyncpg.Record]:
    """The last ``limit`` published days of each fund, newest first."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT f.id AS fund_id, y.date, y.earnings_per_10k
             FROM unnest($1::int[]) AS f(id)
             CROSS JOIN LATERAL (
                 SELECT date, earnings_per_10k FROM funds.daily_yields
                  WHERE fund_id = f.id ORDER BY date DESC LIMIT $2) y
            ORDER BY f.id, y.date DESC""",
        list(fund_ids), limit,
    )
    return rows


async def income_history(
    conn: asyncpg.Connection, keys: Sequence[tuple[int, int]], *, since: date
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT i.fund_id, i.party_id, i.date, i.income FROM funds.incomes i
             JOIN unnest($1::int[], $2::bigint[]) AS k(fund_id, party_id)
               ON i.fund_id = k.fund_id AND i.party_id = k.party_id
            WHERE i.date >= $3 ORDER BY i.date DESC""",
        [k[0] for k in keys], [k[1] for k in keys], since,
    )
    return rows


def daily_yields(rows: Sequence[asyncpg.Record]) -> list[DailyYield]:
    return [DailyYield(date=row["date"], earnings_per_10k=row["earnings_per_10k"]) for row in rows]


async def funds_without_yield(conn: asyncpg.Connection, *, day: date) -> list[str]:
    """Codes of the funds that have published before ``day`` but not ``day`` itself."""
    rows = await conn.fetch(
        """
        SELECT f.code FROM funds.funds f
         WHERE EXISTS (SELECT 1 FROM funds.daily_yields y WHERE y.fund_id = f.id AND y.date < $1)
           AND NOT EXISTS (SELECT 1 FROM funds.daily_yields y WHERE y.fund_id = f.id AND y.date = $1)
         ORDER BY f.code
        """,
        day,
    )
    return [row["code"] for row in rows]
