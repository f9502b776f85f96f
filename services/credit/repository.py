"""SQL of the credit service, parameterised, each function named after what it returns."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from services.credit.models import CreditLine, Drawdown, LineStatus
from services.kernel.money import Money

_LINE_COLUMNS = (
    "id, party_id, limit_fen, daily_rate, term_days, status, outstanding_principal, accrued_interest,"
    " accrued_penalty, opened_at"
)


def line_from_row(row: asyncpg.Record) -> CreditLine:
    return CreditLine(
        id=row["id"], party_id=row["party_id"], limit=Money(row["limit_fen"]), daily_rate=row["daily_rate"],
        term_days=row["term_days"], status=LineStatus(row["status"]),
        outstanding_principal=Money(row["outstanding_principal"]), accrued_interest=Money(row["accrued_interest"]),
        accrued_penalty=Money(row["accrued_penalty"]), opened_at=row["opened_at"],
    )


def drawdown_from_row(row: asyncpg.Record) -> Drawdown:
    return Drawdown(
        id=row["id"], line_id=row["line_id"], amount=Money(row["amount"]), outstanding=Money(row["outstanding"]),
        drawn_at=row["drawn_at"], due_date=row["due_date"], closed_at=row["closed_at"],
    )


async def insert_rating(
    conn: asyncpg.Connection, *, payment_id: int, merchant_id: int, buyer_id: int, stars: int, comment: str,
    now: datetime,
) -> bool:
    """False if this payment was rated before (nothing written)."""
    row = await conn.fetchrow(
        "INSERT INTO credit.ratings (payment_id, merchant_id, buyer_id, stars, comment, created_at)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (payment_id) DO NOTHING RETURNING 1",
        payment_id, merchant_id, buyer_id, stars, comment, now,
    )
    return row is not None


async def insert_line(
    conn: asyncpg.Connection, *, party_id: int, limit_fen: int, daily_rate: Decimal, term_days: int, now: datetime
) -> CreditLine | None:
    """None if the party already has a line."""
    row = await conn.fetchrow(
        f"INSERT INTO credit.lines (party_id, limit_fen, daily_rate, term_days, opened_at)"
        f" VALUES ($1, $2, $3, $4, $5) ON CONFLICT (party_id) DO NOTHING RETURNING {_LINE_COLUMNS}",
        party_id, limit_fen, daily_rate, term_days, now,
    )
    return line_from_row(row) if row else None


async def lines_by_party_ids(conn: asyncpg.Connection, party_ids: Sequence[int]) -> list[CreditLine]:
    rows = await conn.fetch(
        f"SELECT {_LINE_COLUMNS} FROM credit.lines WHERE party_id = ANY($1::bigint[])", list(party_ids)
    )
    return [line_from_row(row) for row in rows]


async def line_for_update(conn: asyncpg.Connection, party_id: int) -> CreditLine | None:
    """The party's line, locked: draws and repayments on one line queue here, so the limit holds."""
    row = await conn.fetchrow(f"SELECT {_LINE_COLUMNS} FROM credit.lines WHERE party_id = $1 FOR UPDATE", party_id)
    return line_from_row(row) if row else None


async def insert_drawdown(
    conn: asyncpg.Connection, *, line_id: int, amount: int, due_date: date, reference: str, now: datetime
) -> None:
    await conn.execute(
        "WITH d AS (INSERT INTO credit.drawdowns (line_id, amount, outstanding, drawn_at, due_date, reference)"
        "           VALUES ($1, $2, $2, $3, $4, $5))"
        " UPDATE credit.lines SET outstanding_principal = outstanding_principal + $2 WHERE id = $1",
        line_id, amount, now, due_date, reference,
    )


async def open_drawdowns_for_update(conn: asyncpg.Connection, line_id: int) -> list[Drawdown]:
    rows = await conn.fetch(
        "SELECT * FROM credit.drawdowns WHERE line_id = $1 AND closed_at IS NULL ORDER BY id FOR UPDATE", line_id
    )
    return [drawdown_from_row(row) for row in rows]


async def record_repayment(
    conn: asyncpg.Connection, *, line_id: int, penalty: int, interest: int, principal: int,
    allocations: Sequence[tuple[int, int]], now: datetime,
) -> int:
    """The repayment, its per-drawdown principal, and the line's and drawdowns' new balances; its id."""
    row = await conn.fetchrow(
        """
        WITH r AS (
            INSERT INTO credit.repayments (line_id, amount, penalty, interest, principal, repaid_at)
            VALUES ($1, $2::bigint + $3::bigint + $4::bigint, $2, $3, $4, $7) RETURNING id
        ), a AS (
            INSERT INTO credit.principal_allocations (repayment_id, drawdown_id, principal, repaid_at)
            SELECT r.id, x.drawdown_id, x.principal, $7
              FROM r, unnest($5::bigint[], $6::bigint[]) x(drawdown_id, principal)
        ), d AS (
            UPDATE credit.drawdowns d SET outstanding = d.outstanding - x.principal,
                   closed_at = CASE WHEN d.outstanding = x.principal THEN $7 END
              FROM unnest($5::bigint[], $6::bigint[]) x(drawdown_id, principal) WHERE d.id = x.drawdown_id
        ), l AS (
            UPDATE credit.lines SET accrued_penalty = accrued_penalty - $2, accrued_interest = accrued_interest - $3,
                   outstanding_principal = outstanding_principal - $4 WHERE id = $1
        )
        SELECT id FROM r
        """,
        line_id, penalty, interest, principal, [a[0] for a in allocations], [a[1] for a in allocations], now,
    )
    assert row is not None
    return int(row["id"])


async def drawdowns_pages(
    conn: asyncpg.Connection, *, line_ids: Sequence[int], limit: int, before_id: int | None
) -> list[Drawdown]:
    """Up to ``limit`` drawdowns per line, newest first, in one query for a page of lines."""
    rows = await conn.fetch(
        """
        SELECT * FROM (
            SELECT d.*, row_number() OVER (PARTITION BY d.line_id ORDER BY d.id DESC) AS n
              FROM credit.drawdowns d
             WHERE d.line_id = ANY($1::bigint[]) AND ($3::bigint IS NULL OR d.id < $3)
        ) ranked WHERE n <= $2 ORDER BY line_id, id DESC
        """,
        list(line_ids), limit, before_id,
    )
    return [drawdown_from_row(row) for row in rows]


def credit_record_sql(party: str, today: str) -> str:
    """One party's ratings received and repayment record as a JSON object (``ratings``,
    ``stars``, ``on_time``, ``overdue_now``, ``repaid_late``). ``party`` and ``today`` are SQL:
    the batch read below and the compiled read path share this one statement. A drawdown
    closed on its due date (Asia/Shanghai, ``credit.business_date``) or before is on time."""
    closed_on = "credit.business_date(d.closed_at)"
    return (
        f"(SELECT json_build_object("
        f"'ratings', (SELECT count(*) FROM credit.ratings r WHERE r.merchant_id = {party}),"
        f" 'stars', (SELECT coalesce(sum(r.stars), 0) FROM credit.ratings r WHERE r.merchant_id = {party}),"
        f" 'on_time', count(d.id) FILTER (WHERE d.closed_at IS NOT NULL AND {closed_on} <= d.due_date),"
        f" 'overdue_now', count(d.id) FILTER (WHERE d.closed_at IS NULL AND d.due_date < {today}),"
        f" 'repaid_late', count(d.id) FILTER (WHERE d.closed_at IS NOT NULL AND {closed_on} > d.due_date))"
        f" FROM credit.lines l JOIN credit.drawdowns d ON d.line_id = l.id WHERE l.party_id = {party})"
    )


async def credit_records_by_party_ids(
    conn: asyncpg.Connection, party_ids: Sequence[int], *, today: date
) -> dict[int, dict[str, Any]]:
    """Ratings received and repayment behaviour per party, in one query."""
    record = credit_record_sql("p.id", "$2::date")
    rows = await conn.fetch(
        f"SELECT p.id, {record}::text AS record FROM unnest($1::bigint[]) AS p(id)", list(party_ids), today
    )
    return {row["id"]: json.loads(row["record"]) for row in rows}


async def accrual_of(conn: asyncpg.Connection, day: date) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM credit.accruals WHERE date = $1", day)


async def lines_by_ids(conn: asyncpg.Connection, line_ids: Sequence[int]) -> list[CreditLine]:
    rows = await conn.fetch(f"SELECT {_LINE_COLUMNS} FROM credit.lines WHERE id = ANY($1::bigint[])", list(line_ids))
    return [line_from_row(row) for row in rows]


async def drawdowns_by_ids(conn: asyncpg.Connection, drawdown_ids: Sequence[int]) -> list[Drawdown]:
    rows = await conn.fetch("SELECT * FROM credit.drawdowns WHERE id = ANY($1::bigint[])", list(drawdown_ids))
    return [drawdown_from_row(row) for row in rows]


async def last_accrued_date(conn: asyncpg.Connection) -> date | None:
    value: date | None = await conn.fetchval("SELECT max(date) FROM credit.accruals")
    return value


async def first_drawdown_day(conn: asyncpg.Connection) -> date | None:
    """The business date (Asia/Shanghai) of the first drawdown: no day before it owes interest."""
    value: date | None = await conn.fetchval(
        "SELECT (min(drawn_at) AT TIME ZONE 'Asia/Shanghai')::date FROM credit.drawdowns"
    )
    return value
