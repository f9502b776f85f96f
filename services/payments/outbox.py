"""Payment events: the outbox of ``migrations/003_payment_events.sql`` (docs/adr/011-write-path.md).

Writers add rows in the transaction that changes the payment; readers (the gateway's
event hub) follow them with a cursor over transaction ids, so an event is read once,
only if its change committed, and never held back by someone else's long transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import asyncpg

from services.payments.models import Payment, PaymentEventKind


async def record_payment_events(conn: asyncpg.Connection, payments: Sequence[Payment], kind: PaymentEventKind) -> None:
    """Events for these payments, published when (and only if) the caller's transaction commits."""
    await conn.execute(
        """
        INSERT INTO payments.payment_events (payment_id, buyer_id, merchant_id, kind)
        SELECT p.id, p.buyer, p.merchant, $4::text
          FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS p(id, buyer, merchant)
        """,
        [p.id for p in payments],
        [p.buyer_id for p in payments],
        [p.merchant_id for p in payments],
        kind.value,
    )


@dataclass(frozen=True, slots=True)
class EventCursor:
    """Where a reader of payment events stands: it has read every transaction below ``xmax``
    except the ``running`` ones, which had not ended yet (their events come when they do)."""

    xmax: int
    running: frozenset[int]


_SNAPSHOT = """
    SELECT pg_snapshot_xmax(s)::text::bigint AS xmax,
           ARRAY(SELECT x::text::bigint FROM pg_snapshot_xip(s) AS x) AS running
      FROM pg_current_snapshot() AS s
"""


async def payment_events_cursor(conn: asyncpg.Connection) -> EventCursor:
    """Where a new reader starts: after every transaction that has already ended."""
    row = await conn.fetchrow(_SNAPSHOT)
    assert row is not None
    return EventCursor(xmax=row["xmax"], running=frozenset(row["running"]))


async def payment_events_after(conn: asyncpg.Connection, cursor: EventCursor) -> tuple[EventCursor, list[str]]:
    """The events of the transactions that ended since ``cursor``, as JSON payloads, and the next cursor.

    One statement, so one snapshot: a transaction below its xmax and not running in it
    has ended, and its events are visible now or never will be (rolled back). A long
    transaction stays in ``running`` without holding back the others' events.
    """
    row = await conn.fetchrow(
        """
        WITH snapshot AS (
            SELECT pg_snapshot_xmax(s)::text::bigint AS xmax,
                   ARRAY(SELECT x::text::bigint FROM pg_snapshot_xip(s) AS x) AS running
              FROM pg_current_snapshot() AS s
        )
        SELECT snapshot.xmax, snapshot.running,
               ARRAY(SELECT json_build_object('payment', e.payment_id, 'buyer', e.buyer_id,
                                              'merchant', e.merchant_id, 'kind', e.kind)::text
                       FROM payments.payment_events e
                      WHERE e.tx >= $1::text::xid8 AND e.tx < snapshot.xmax::text::xid8
                         OR e.tx = ANY($2::bigint[]::text[]::xid8[])
                      ORDER BY e.tx, e.id) AS payloads
          FROM snapshot
        """,
        str(cursor.xmax),
        sorted(cursor.running),
    )
    assert row is not None
    # Still running: those of the last cursor, and those started since.
    running = frozenset(x for x in row["running"] if x in cursor.running or x >= cursor.xmax)
    return EventCursor(xmax=row["xmax"], running=running), list(row["payloads"])


async def purge_payment_events(conn: asyncpg.Connection, *, older_than: timedelta) -> int:
    """Drop events no reader needs any more (readers are at most a poll behind); returns how many."""
    status = await conn.execute(
        "DELETE FROM payments.payment_events WHERE created_at < now() - $1::interval", older_than
    )
    return int(status.split()[-1])
