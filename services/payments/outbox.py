"""Payment events: the outbox of ``migrations/003_payment_events.sql`` (docs/adr/011-write-path.md).

Writers add rows in the transaction that changes the payment; readers (the gateway's
event hub) follow them with a cursor over transaction ids, so an event is read once,
only if its change committed, and never held back by someone else's long transaction.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from services.payments.models import Payment, PaymentEventKind

#: How long events are kept (whichever gateway process polls purges older rows), and so
#: how far back ``paymentEvents(after:)`` can replay.
RETENTION = timedelta(days=1)
#: A resumed cursor must be younger than ``RETENTION - REPLAY_MARGIN``: an event committed
#: after the cursor's may carry an earlier ``created_at`` (its transaction's start), and must
#: not have been purged yet. No transaction lasts an hour (the pool's statement timeout).
REPLAY_MARGIN = timedelta(hours=1)


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


#: How long events are kept: a subscriber may resume (``paymentEvents(after:)``) from a cursor
#: this recent, less ``REPLAY_MARGIN``; whichever gateway process polls purges older rows.
RETENTION = timedelta(days=1)
#: A resumed cursor must be younger than ``RETENTION - REPLAY_MARGIN``: an event committed
#: after the cursor's may have been written (``created_at`` is its transaction's start) a
#: little before it, and must not have been purged yet. No transaction lasts an hour.
REPLAY_MARGIN = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class EventCursor:
    """Where a reader of payment events stands: it has read every transaction below ``xmax``
    except the ``running`` ones, which had not ended yet (their events come when they do)."""

    xmax: int
    running: frozenset[int]

    def has_read(self, tx: int) -> bool:
        """Every event of the (ended) transaction ``tx`` is behind this cursor."""
        return tx < self.xmax and tx not in self.running

    def covers(self, other: EventCursor) -> bool:
        """Everything ``other`` has read, this one has read too (it was taken later)."""
        return other.xmax <= self.xmax and all(t in other.running for t in self.running if t < other.xmax)


#: An event's place in the outbox's order: (transaction, id).
Position = tuple[int, int]


@dataclass(frozen=True, slots=True)
class ResumeCursor:
    """What a subscriber has read, as ``PaymentEvent.cursor`` hands it out: the union of its
    ``clauses``, each a snapshot's ended transactions, and when a position is given only the
    events at or before that position in (transaction, id) order. A live event read between
    snapshots P and N at position p has read "all of P, and of N up to p"; a replay adds its
    own snapshot the same way, so a cursor is never more than a few clauses. ``at`` is the
    instant of the event it was handed out with, to tell a cursor older than ``RETENTION``."""

    clauses: tuple[tuple[EventCursor, Position | None], ...]
    at: datetime | None = None

    def has_read(self, tx: int, id: int) -> bool:
        return any(snapshot.has_read(tx) and (upto is None or (tx, id) <= upto) for snapshot, upto in self.clauses)

    def then(self, snapshot: EventCursor, upto: Position | None, at: datetime | None) -> ResumeCursor:
        """This cursor, having also read ``snapshot`` up to ``upto``; clauses the new one covers are dropped."""
        kept = [
            (s, u) for s, u in self.clauses
            if not (snapshot.covers(s) and (upto is None or (u is not None and u <= upto)))
        ]
        return ResumeCursor(clauses=(*kept, (snapshot, upto)), at=at if at is not None else self.at)

    def encode(self) -> str:
        body = {
            "c": [[s.xmax, sorted(s.running), list(u) if u else None] for s, u in self.clauses],
            "at": self.at.isoformat() if self.at else None,
        }
        return base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).decode()

    @classmethod
    def decode(cls, text: str) -> ResumeCursor:
        """Raises ``ValueError`` for anything ``encode`` did not write."""
        try:
            body = json.loads(base64.urlsafe_b64decode(text.encode()).decode())
            clauses = tuple(
                (EventCursor(xmax=_xid(x), running=frozenset(_xid(t) for t in running)),
                 None if upto is None else (_xid(upto[0]), _xid(upto[1])))
                for x, running, upto in body["c"]
            )
            at = None if body["at"] is None else datetime.fromisoformat(body["at"])
        except (ValueError, TypeError, KeyError, UnicodeError, IndexError) as exc:
            raise ValueError(f"not a payment event cursor: {text[:40]!r}") from exc
        if not clauses or len(clauses) > _MAX_CLAUSES or (at is not None and at.utcoffset() is None):
            raise ValueError(f"not a payment event cursor: {text[:40]!r}")
        return cls(clauses=clauses, at=at)


_MAX_CLAUSES = 8


def _xid(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
        raise ValueError(value)
    return value


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


def _payloads(rows: list[asyncpg.Record], cursor_of: Callable[[Position, datetime], ResumeCursor]) -> list[str]:
    return [
        json.dumps({
            "id": row["id"], "tx": row["t"], "payment": row["payment_id"], "buyer": row["buyer_id"],
            "merchant": row["merchant_id"], "kind": row["kind"], "at": row["created_at"].isoformat(),
            "cursor": cursor_of((row["t"], row["id"]), row["created_at"]).encode(),
        })
        for row in rows
        if row["id"] is not None
    ]


async def payment_events_after(conn: asyncpg.Connection, cursor: EventCursor) -> tuple[EventCursor, list[str]]:
    """The events of the transactions that ended since ``cursor``, as JSON payloads, and the next cursor.

    One statement, so one snapshot: a transaction below its xmax and not running in it
    has ended, and its events are visible now or never will be (rolled back). A long
    transaction stays in ``running`` without holding back the others' events. Events come
    in (transaction, id) order, each with the ``ResumeCursor`` that resumes right after it.
    """
    rows = await conn.fetch(
        """
        WITH snapshot AS (
            SELECT pg_snapshot_xmax(s)::text::bigint AS xmax,
                   ARRAY(SELECT x::text::bigint FROM pg_snapshot_xip(s) AS x) AS running
              FROM pg_current_snapshot() AS s
        )
        SELECT snapshot.xmax, snapshot.running, e.id, e.tx::text::bigint AS t, e.payment_id, e.buyer_id,
               e.merchant_id, e.kind, e.created_at
          FROM snapshot
          LEFT JOIN payments.payment_events e
            ON e.tx >= $1::text::xid8 AND e.tx < snapshot.xmax::text::xid8
               OR e.tx = ANY($2::bigint[]::text[]::xid8[])
         ORDER BY e.tx, e.id
        """,
        str(cursor.xmax),
        sorted(cursor.running),
    )
    # Still running: those of the last cursor, and those started since.
    running = frozenset(x for x in rows[0]["running"] if x in cursor.running or x >= cursor.xmax)
    after = EventCursor(xmax=rows[0]["xmax"], running=running)
    return after, _payloads(list(rows), lambda upto, at: ResumeCursor(((cursor, None), (after, upto)), at))


async def payment_events_since(conn: asyncpg.Connection, cursor: ResumeCursor) -> tuple[EventCursor, list[str]]:
    """A replay: every committed event ``cursor`` has not read, in (transaction, id) order, and
    the snapshot it was read in (every event of a transaction that snapshot has read is here
    or behind ``cursor``). Raises ``EventsExpired`` for a cursor older than the retention."""
    if cursor.at is not None and await conn.fetchval(
        "SELECT $1::timestamptz < now() - $2::interval", cursor.at, RETENTION - REPLAY_MARGIN
    ):
        raise EventsExpired(RETENTION)
    params: list[object] = []

    def param(value: object, sql_type: str) -> str:
        params.append(value)
        return f"${len(params)}::{sql_type}"

    # Below the oldest transaction some clause still waits for, every event is read.
    floor = min(min(snapshot.running, default=snapshot.xmax) for snapshot, upto in cursor.clauses if upto is None) \
        if any(upto is None for _, upto in cursor.clauses) else 0
    unread = []
    for snapshot, upto in cursor.clauses:
        xmax, running = param(snapshot.xmax, "bigint"), param(sorted(snapshot.running), "bigint[]")
        ended = f"(e.t < {xmax} AND NOT e.t = ANY({running}))"
        if upto is None:
            unread.append(f"NOT {ended}")
        else:
            tx, id_ = param(upto[0], "bigint"), param(upto[1], "bigint")
            unread.append(f"NOT ({ended} AND (e.t < {tx} OR (e.t = {tx} AND e.id <= {id_})))")
    # Only placeholders are spliced in (every value is a parameter): one condition per clause.
    statement = _REPLAY.replace("{floor}", param(str(floor), "text")).replace("{unread}", " AND ".join(unread))
    rows = await conn.fetch(statement, *params)
    read = EventCursor(xmax=rows[0]["xmax"], running=frozenset(rows[0]["running"]))
    return read, _payloads(list(rows), lambda at_position, at: cursor.then(read, at_position, at))


_REPLAY = """
    WITH snapshot AS (
        SELECT pg_snapshot_xmax(s)::text::bigint AS xmax,
               ARRAY(SELECT x::text::bigint FROM pg_snapshot_xip(s) AS x) AS running
          FROM pg_current_snapshot() AS s
    )
    SELECT snapshot.xmax, snapshot.running, e.id, e.t, e.payment_id, e.buyer_id, e.merchant_id, e.kind, e.created_at
      FROM snapshot
      LEFT JOIN (SELECT p.*, p.tx::text::bigint AS t FROM payments.payment_events p WHERE p.tx >= {floor}::xid8) e
        ON e.t < snapshot.xmax AND {unread}
     ORDER BY e.t, e.id
"""


class EventsExpired(Exception):
    """A resumed subscription's cursor is older than the events the outbox keeps."""

    def __init__(self, retention: timedelta) -> None:
        hours = int(retention.total_seconds() // 3600)
        super().__init__(
            f"Payment events are kept for {hours} hours and this cursor is older: read the current state "
            "with a query, then subscribe to paymentEvents without `after`."
        )


async def purge_payment_events(conn: asyncpg.Connection, *, older_than: timedelta) -> int:
    """Drop events no reader needs any more (readers are at most a poll behind); returns how many."""
    status = await conn.execute(
        "DELETE FROM payments.payment_events WHERE created_at < now() - $1::interval", older_than
    )
    return int(status.split()[-1])
