"""SQL of the goods flow: shipments, the confirm window and disputes (migrations/007_goods_flow.sql).

Lock order, as everywhere in payments: the payment row first, then its dispute, then
the wallets (``payments.post_entry``), so two steps on one payment never deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import asyncpg

from services.kernel.money import Money
from services.payments.models import Dispute, DisputeStatus, DisputeStep, Payment
from services.payments.repository import _PAYMENT_COLUMNS, payment_from_row

_DISPUTE_COLUMNS = (
    "id, payment_id, buyer_id, merchant_id, status, amount, currency, reason, timer_left, opened_at, closed_at"
)


def dispute_from_row(row: asyncpg.Record) -> Dispute:
    return Dispute(
        id=row["id"],
        payment_id=row["payment_id"],
        buyer_id=row["buyer_id"],
        merchant_id=row["merchant_id"],
        status=DisputeStatus(row["status"]),
        amount=Money(row["amount"], row["currency"].strip()),
        reason=row["reason"],
        opened_at=row["opened_at"],
        closed_at=row["closed_at"],
        timer_left=row["timer_left"],
    )


async def record_shipment(
    conn: asyncpg.Connection, *, payment_id: int, carrier: str, tracking_number: str, at: datetime,
    confirm_by: datetime,
) -> Payment:
    row = await conn.fetchrow(
        f"""
        UPDATE payments.payments SET shipped_at = $2, carrier = $3, tracking_number = $4, confirm_by = $5
         WHERE id = $1 RETURNING {_PAYMENT_COLUMNS}
        """,
        payment_id, at, carrier, tracking_number, confirm_by,
    )
    assert row is not None
    return payment_from_row(row)


async def set_confirm_by(
    conn: asyncpg.Connection, *, payment_id: int, confirm_by: datetime | None, extended: bool
) -> Payment:
    row = await conn.fetchrow(
        f"UPDATE payments.payments SET confirm_by = $2, extended = $3 WHERE id = $1 RETURNING {_PAYMENT_COLUMNS}",
        payment_id, confirm_by, extended,
    )
    assert row is not None
    return payment_from_row(row)


async def dispute_of_payment(conn: asyncpg.Connection, payment_id: int) -> Dispute | None:
    """The payment's dispute, locked (the caller holds the payment's lock already)."""
    row = await conn.fetchrow(
        f"SELECT {_DISPUTE_COLUMNS} FROM payments.disputes WHERE payment_id = $1 FOR UPDATE", payment_id
    )
    return None if row is None else dispute_from_row(row)


async def payment_of_dispute(conn: asyncpg.Connection, dispute_id: int) -> int | None:
    """The payment a dispute is about (to lock the payment first)."""
    found: int | None = await conn.fetchval("SELECT payment_id FROM payments.disputes WHERE id = $1", dispute_id)
    return found


async def insert_dispute(
    conn: asyncpg.Connection, *, payment: Payment, amount: Money, reason: str, timer_left: timedelta | None,
    at: datetime,
) -> Dispute:
    row = await conn.fetchrow(
        f"""
        INSERT INTO payments.disputes (payment_id, buyer_id, merchant_id, status, amount, currency, reason,
                                       timer_left, opened_at)
        VALUES ($1, $2, $3, 'OPEN', $4, $5, $6, $7, $8) RETURNING {_DISPUTE_COLUMNS}
        """,
        payment.id, payment.buyer_id, payment.merchant_id, amount.fen, amount.currency, reason, timer_left, at,
    )
    assert row is not None
    return dispute_from_row(row)


async def update_dispute(
    conn: asyncpg.Connection, *, dispute_id: int, status: DisputeStatus, closed_at: datetime | None
) -> Dispute:
    row = await conn.fetchrow(
        f"UPDATE payments.disputes SET status = $2, closed_at = $3 WHERE id = $1 RETURNING {_DISPUTE_COLUMNS}",
        dispute_id, status.value, closed_at,
    )
    assert row is not None
    return dispute_from_row(row)


async def insert_dispute_step(
    conn: asyncpg.Connection, *, dispute_id: int, action: str, actor: str, amount: int | None, note: str,
    at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO payments.dispute_steps (dispute_id, action, actor, amount, note, created_at)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        dispute_id, action, actor, amount, note, at,
    )


async def disputes_by_payment_ids(conn: asyncpg.Connection, payment_ids: Sequence[int]) -> list[Dispute]:
    rows = await conn.fetch(
        f"SELECT {_DISPUTE_COLUMNS} FROM payments.disputes WHERE payment_id = ANY($1::bigint[])", list(payment_ids)
    )
    return [dispute_from_row(row) for row in rows]


async def disputes_by_ids(conn: asyncpg.Connection, ids: Sequence[int]) -> list[Dispute]:
    rows = await conn.fetch(f"SELECT {_DISPUTE_COLUMNS} FROM payments.disputes WHERE id = ANY($1::bigint[])", list(ids))
    return [dispute_from_row(row) for row in rows]


async def dispute_steps_by_dispute_ids(conn: asyncpg.Connection, dispute_ids: Sequence[int]) -> list[DisputeStep]:
    """Every step of these disputes, oldest first."""
    rows = await conn.fetch(
        """
        SELECT s.dispute_id, s.action, s.actor, s.amount, d.currency, s.note, s.created_at
          FROM payments.dispute_steps s JOIN payments.disputes d ON d.id = s.dispute_id
         WHERE s.dispute_id = ANY($1::bigint[]) ORDER BY s.dispute_id, s.id
        """,
        list(dispute_ids),
    )
    return [
        DisputeStep(
            dispute_id=row["dispute_id"], action=row["action"], actor=row["actor"],
            amount=None if row["amount"] is None else Money(row["amount"], row["currency"].strip()),
            note=row["note"], created_at=row["created_at"],
        )
        for row in rows
    ]
