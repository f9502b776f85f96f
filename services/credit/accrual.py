"""SQL of the daily interest accrual: one statement over every credit line, at most once per date.

What a calendar day charges (README "Daily accrual"): per line, on the principal
outstanding at the end of that day (each drawdown drawn before midnight Asia/Shanghai,
at its outstanding now plus what was repaid after midnight), ``carry + principal x rate``
in NUMERIC, the whole fen charged and the sub-fen part carried; principal past its due
date is charged 1.5x the rate as penalty instead.

Why the statement has two branches (README "Batch performance"): for almost every line
that principal is simply ``lines.outstanding_principal`` (kept equal to the sum of its
drawdowns' outstanding by every draw and repayment, in the same statement), with nothing
overdue. Only lines with a drawdown drawn after the day ended, principal repaid after it
ended, or an overdue open drawdown need their drawdowns; those few are found by index
(``affected``) and charged from their drawdowns exactly as before. Every other line is
charged by one sequential pass over ``credit.lines`` that reads no other table, so the
accrual costs little more than one plain ``UPDATE`` of the same rows. Both branches use
the same NUMERIC arithmetic.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import asyncpg

# $1 the day, $2 the instant it ended, $3 now, $4 the penalty multiplier. The accruals
# row claims the date first: a second run finds it and neither UPDATE touches anything.
_ACCRUE = """
WITH claimed AS (
    INSERT INTO credit.accruals (date, created_at) VALUES ($1, $3) ON CONFLICT (date) DO NOTHING RETURNING date
), affected AS MATERIALIZED (
    -- Lines whose principal that night is not just outstanding_principal, or has an overdue
    -- part. A repayment closes a drawdown in the statement that allocates its principal,
    -- so a drawdown closed after the day ended also has an allocation after it.
    SELECT line_id FROM credit.drawdowns WHERE drawn_at >= $2
    UNION
    SELECT d.line_id FROM credit.principal_allocations a JOIN credit.drawdowns d ON d.id = a.drawdown_id
     WHERE a.repaid_at >= $2
    UNION
    SELECT line_id FROM credit.drawdowns WHERE closed_at IS NULL AND due_date < $1
), repaid_later AS (
    SELECT a.drawdown_id, sum(a.principal) AS principal FROM credit.principal_allocations a
     WHERE a.repaid_at >= $2 GROUP BY a.drawdown_id
), owed AS (
    SELECT d.line_id,
           sum(d.outstanding + coalesce(r.principal, 0)) FILTER (WHERE d.due_date >= $1) AS current,
           sum(d.outstanding + coalesce(r.principal, 0)) FILTER (WHERE d.due_date < $1) AS overdue
      FROM credit.drawdowns d LEFT JOIN repaid_later r ON r.drawdown_id = d.id
     WHERE d.line_id IN (SELECT line_id FROM affected)
       AND d.drawn_at < $2 AND (d.closed_at IS NULL OR d.closed_at >= $2)
     GROUP BY d.line_id
), exact AS (
    SELECT l.id,
           l.interest_carry + coalesce(o.current, 0) * l.daily_rate AS interest,
           l.penalty_carry + coalesce(o.overdue, 0) * l.daily_rate * $4::numeric AS penalty
      FROM credit.lines l JOIN owed o ON o.line_id = l.id
     WHERE EXISTS (SELECT 1 FROM claimed)
), charged_from_drawdowns AS (
    UPDATE credit.lines l
       SET accrued_interest = l.accrued_interest + floor(e.interest)::bigint,
           interest_carry = e.interest - floor(e.interest),
           accrued_penalty = l.accrued_penalty + floor(e.penalty)::bigint,
           penalty_carry = e.penalty - floor(e.penalty),
           interest_charged = l.interest_charged + floor(e.interest)::bigint + floor(e.penalty)::bigint
      FROM exact e WHERE l.id = e.id
    RETURNING floor(e.interest)::bigint AS interest, floor(e.penalty)::bigint AS penalty,
              (e.interest - floor(e.interest)) + (e.penalty - floor(e.penalty)) AS residue
), charged_from_line AS (
    -- Principal = outstanding_principal, nothing overdue. The penalty is then the carry
    -- alone (carry + 0 x rate), whose floor is 0 (a carry is below one fen): the penalty
    -- columns stay as they are and the carry counts in the residue.
    UPDATE credit.lines l
       SET accrued_interest = l.accrued_interest
                              + floor(l.interest_carry + l.outstanding_principal * l.daily_rate)::bigint,
           interest_carry = (l.interest_carry + l.outstanding_principal * l.daily_rate)
                            - floor(l.interest_carry + l.outstanding_principal * l.daily_rate),
           interest_charged = l.interest_charged
                              + floor(l.interest_carry + l.outstanding_principal * l.daily_rate)::bigint
     WHERE l.outstanding_principal > 0 AND EXISTS (SELECT 1 FROM claimed)
       AND NOT EXISTS (SELECT 1 FROM affected a WHERE a.line_id = l.id)
    -- RETURNING sees the new row. The fen charged, floor(old carry + p x r), is the one whole
    -- number in [p x r - new carry, p x r - new carry + 1) because 0 <= old carry < 1
    -- (CHECK carry_below_one_fen): ceil(p x r - new carry), exact in NUMERIC.
    RETURNING ceil(l.outstanding_principal * l.daily_rate - l.interest_carry)::bigint AS interest,
              0::bigint AS penalty, l.interest_carry + l.penalty_carry AS residue
)
SELECT (SELECT count(*) FROM claimed) AS claimed, count(*) AS lines,
       coalesce(sum(interest), 0)::bigint AS interest, coalesce(sum(penalty), 0)::bigint AS penalty,
       coalesce(sum(residue), 0) AS residue
  FROM (SELECT * FROM charged_from_drawdowns UNION ALL SELECT * FROM charged_from_line) charged
"""


async def accrue_day(
    conn: asyncpg.Connection, *, day: date, day_ends: datetime, now: datetime, penalty_multiplier: Decimal
) -> asyncpg.Record:
    """Charge ``day`` on every line and record the day's totals; ``claimed`` is false if it was accrued before.

    The lines table is locked (EXCLUSIVE: plain reads go on, draws and repayments wait)
    before the statement takes its snapshot. ``charged_from_line`` reads the principal
    from the row it updates: a draw committed during the UPDATE would otherwise be seen
    by PostgreSQL's re-check of a concurrently updated row and charged for a night
    before it was drawn. Draws and repayments would wait on the rows anyway.
    """
    await conn.execute("LOCK TABLE credit.lines IN EXCLUSIVE MODE")
    row = await conn.fetchrow(_ACCRUE, day, day_ends, now, penalty_multiplier)
    assert row is not None
    if row["claimed"]:
        await conn.execute(
            "UPDATE credit.accruals SET lines = $2, interest = $3, penalty = $4, residue = $5 WHERE date = $1",
            day, row["lines"], row["interest"], row["penalty"], row["residue"],
        )
    return row

