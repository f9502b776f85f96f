"""SQL of a day's income distribution: one statement credits every holder of a fund.

``base`` is each holder's confirmed units at the end of the day (today's units, minus
subscriptions confirmed after the day, plus units redeemed since the day ended);
income = floor(base x R / 10000) to 0.01, computed as floor(base x R x 0.01) x 0.01 so
that no division can round; a holder whose income rounds to 0.00 is counted (holders,
base units) but not credited.

Why the statement is shaped this way (README "Batch performance"): for almost every
holder the base is today's units, as nothing was ordered since the day ended. Those few
that were (``adjusted``) are found by index on the orders and credited by their own
small UPDATE; every other holder is credited by one UPDATE that scans
``funds.holdings`` in physical order and reads no other table, writing only
unindexed columns (so an update stays on its page, HOT, wherever the page has room). Joining every holder to a
per-holder CTE instead made PostgreSQL hash-join a million rows, spill to disk and
update the table in hash order, reading and writing each page many times.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import asyncpg

# $1 fund id, $2 the day, $3 earnings per 10k (R), $4 the instant the day ended, $5 R x 0.01,
# $6 the least units whose income is at least 0.01 (NULL when R is 0: nobody earns).
_DISTRIBUTE = """
    WITH adj AS MATERIALIZED (
        SELECT party_id, sum(CASE WHEN kind = 'SUBSCRIBE' THEN -units ELSE units END) AS delta
          FROM funds.orders
         WHERE fund_id = $1
           AND ((kind = 'SUBSCRIBE' AND status = 'SETTLED' AND settle_date > $2)
                OR (kind = 'REDEEM' AND placed_at >= $4))
         GROUP BY party_id
    ), base AS (
        -- Holders with units at the end of the day and their units: today's, by one plain
        -- aggregate over the fund's holdings, then corrected for the few with later orders.
        SELECT t.holders + c.holders AS holders, t.base_units + c.base_units AS base_units
          FROM (SELECT count(*) AS holders, coalesce(sum(units), 0) AS base_units
                  FROM funds.holdings WHERE fund_id = $1 AND units > 0) t,
               (SELECT coalesce(sum(CASE WHEN h.units + adj.delta > 0 THEN 1 ELSE 0 END
                                    - CASE WHEN h.units > 0 THEN 1 ELSE 0 END), 0) AS holders,
                       coalesce(sum(CASE WHEN h.units + adj.delta > 0 THEN h.units + adj.delta ELSE 0 END
                                    - CASE WHEN h.units > 0 THEN h.units ELSE 0 END), 0) AS base_units
                  FROM funds.holdings h JOIN adj ON adj.party_id = h.party_id WHERE h.fund_id = $1) c
    ), adjusted AS (
        SELECT h.party_id, (floor((h.units + adj.delta) * $3::numeric * 0.01) * 0.01)::numeric(20, 2) AS income
          FROM funds.holdings h JOIN adj ON adj.party_id = h.party_id
         WHERE h.fund_id = $1 AND h.units + adj.delta > 0
    ), credited_adjusted AS (
        UPDATE funds.holdings h
           SET units = h.units + a.income, total_income = h.total_income + a.income,
               last_income_date = $2, last_income = a.income
          FROM adjusted a WHERE h.fund_id = $1 AND h.party_id = a.party_id AND a.income > 0
        RETURNING h.party_id, a.income
    ), credited_plain AS (
        -- $5 = R x 0.01 and $6 = the least units earning 0.01 (income > 0 <=> units >= $6),
        -- both exact: the same floor(units x R x 0.01) x 0.01, one multiplication fewer.
        -- RETURNING sees the new row: last_income is the income just credited.
        UPDATE funds.holdings h
           SET units = h.units + floor(h.units * $5::numeric) * 0.01,
               total_income = h.total_income + floor(h.units * $5::numeric) * 0.01,
               last_income_date = $2,
               last_income = floor(h.units * $5::numeric) * 0.01
         WHERE h.fund_id = $1 AND h.units >= $6::numeric
           AND NOT EXISTS (SELECT 1 FROM adj WHERE adj.party_id = h.party_id)
        RETURNING h.party_id, h.last_income AS income
    ), recorded AS (
        -- No RETURNING: the INSERT writes every credited row or fails the statement.
        INSERT INTO funds.incomes (fund_id, date, party_id, income)
        SELECT $1, $2, party_id, income FROM credited_adjusted
        UNION ALL
        SELECT $1, $2, party_id, income FROM credited_plain
    )
    SELECT base.holders, base.base_units, c.total_income, c.credited
      FROM base, (SELECT coalesce(sum(income), 0) AS total_income, count(*) AS credited
                    FROM (SELECT income FROM credited_adjusted UNION ALL SELECT income FROM credited_plain) x) c
"""


def least_units_earning(earnings_per_10k: Decimal) -> Decimal | None:
    """The fewest units (a multiple of 0.01) whose income floor(units x R / 10000) is at least 0.01.

    With units = f / 100 and R = r / 10000 (at most 4 decimals), the income is at least
    0.01 exactly when f x r >= 10^8, i.e. f >= ceil(10^8 / r): integers, no rounding.
    """
    r = int(earnings_per_10k * 10_000)
    if r != earnings_per_10k * 10_000:
        raise ValueError(f"earnings per 10k {earnings_per_10k} has more than 4 decimals")
    if r == 0:
        return None
    return Decimal(-(-(10**8) // r)) / 100


async def distribute_daily_income(
    conn: asyncpg.Connection, *, fund_id: int, day: date, earnings_per_10k: Decimal, day_end: datetime
) -> asyncpg.Record:
    """Credit the day's income to every holder and record it; holders, base units and the total paid."""
    row = await conn.fetchrow(
        _DISTRIBUTE, fund_id, day, earnings_per_10k, day_end, earnings_per_10k * Decimal("0.01"),
        least_units_earning(earnings_per_10k),
    )
    assert row is not None
    return row
