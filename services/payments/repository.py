"""SQL of the payments service, parameterised, each function named after what it returns."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.kernel.money import Money
from services.kernel.sql_call import refusals
from services.payments.errors import REFUSALS
from services.payments.models import (
    HELD_STATUSES,
    OPEN_DISPUTE_STATUSES,
    AccountBalance,
    FundingSource,
    Party,
    PartyKind,
    Payment,
    PaymentStatus,
    Wallet,
)

_PAYMENT_COLUMNS = (
    "id, buyer_id, merchant_id, amount, refunded, fee, currency, status, funding_source,"
    " order_ref, created_at, released_at, shipped_at, carrier, tracking_number, confirm_by, extended"
)


#: ``HELD_STATUSES`` spelled for SQL, in the order of the migrations' partial indexes
#: (``payments_held``, ``payments_held_by_merchant``), so PostgreSQL still matches them;
#: a test checks those predicates and the status CHECK against the enum.
HELD_STATUSES_SQL = ", ".join(f"'{status.value}'" for status in sorted(HELD_STATUSES))

def party_from_row(row: asyncpg.Record) -> Party:
    return Party(
        id=row["id"],
        kind=PartyKind(row["kind"]),
        name=row["name"],
        real_name_verified=row["real_name_verified"],
        certified=row["certified"],
        created_at=row["created_at"],
    )


def payment_from_row(row: asyncpg.Record) -> Payment:
    currency = row["currency"]
    return Payment(
        id=row["id"],
        buyer_id=row["buyer_id"],
        merchant_id=row["merchant_id"],
        amount=Money(row["amount"], currency),
        refunded=Money(row["refunded"], currency),
        fee=Money(row["fee"], currency),
        status=PaymentStatus(row["status"]),
        funding_source=FundingSource(row["funding_source"]),
        order_ref=row["order_ref"],
        created_at=row["created_at"],
        released_at=row["released_at"],
        shipped_at=row["shipped_at"],
        carrier=row["carrier"],
        tracking_number=row["tracking_number"],
        confirm_by=row["confirm_by"],
        extended=row["extended"],
    )


# -- parties and wallets -------------------------------------------------------------


async def insert_party(
    conn: asyncpg.Connection,
    *,
    kind: PartyKind,
    name: str,
    real_name_verified: bool,
    certified: bool,
    now: datetime,
) -> Party:
    row = await conn.fetchrow(
        """
        WITH party AS (
            INSERT INTO payments.parties (kind, name, real_name_verified, certified, created_at)
            VALUES ($1, $2, $3, $4, $5) RETURNING *
        ), wallet AS (
            INSERT INTO payments.accounts (code, kind, party_id)
            SELECT 'WALLET:' || party.id || ':CNY', 'WALLET', party.id FROM party
        )
        SELECT * FROM party
        """,
        kind.value,
        name,
        real_name_verified,
        certified,
        now,
    )
    assert row is not None
    return party_from_row(row)


async def parties_by_ids(conn: asyncpg.Connection, ids: Sequence[int]) -> list[Party]:
    rows = await conn.fetch("SELECT * FROM payments.parties WHERE id = ANY($1::bigint[])", list(ids))
    return [party_from_row(row) for row in rows]


async def party_of_kind(conn: asyncpg.Connection, party_id: int, kind: PartyKind) -> Party | None:
    row = await conn.fetchrow("SELECT * FROM payments.parties WHERE id = $1 AND kind = $2", party_id, kind.value)
    return None if row is None else party_from_row(row)


async def counterparties(conn: asyncpg.Connection, pairs: Sequence[tuple[int, int]]) -> set[tuple[int, int]]:
    """The (consumer id, merchant id) pairs among ``pairs`` where the consumer has paid the merchant."""
    rows = await conn.fetch(
        """
        SELECT k.buyer, k.merchant FROM unnest($1::bigint[], $2::bigint[]) AS k(buyer, merchant)
         WHERE EXISTS (SELECT 1 FROM payments.payments p WHERE p.buyer_id = k.buyer AND p.merchant_id = k.merchant)
        """,
        [buyer for buyer, _ in pairs],
        [merchant for _, merchant in pairs],
    )
    return {(row["buyer"], row["merchant"]) for row in rows}


async def oldest_parties(
    conn: asyncpg.Connection, *, kind: PartyKind, limit: int, name: str | None = None
) -> list[Party]:
    """The first ``limit`` parties of one kind ever created (optionally with this exact name), oldest first."""
    rows = await conn.fetch(
        "SELECT * FROM payments.parties WHERE kind = $1 AND ($3::text IS NULL OR name = $3) ORDER BY id LIMIT $2",
        kind.value,
        limit,
        name,
    )
    return [party_from_row(row) for row in rows]


async def parties_page(
    conn: asyncpg.Connection,
    *,
    kind: PartyKind,
    limit: int,
    before_id: int | None,
    only_ids: Sequence[int] | None = None,
) -> list[Party]:
    """Parties of one kind, newest first, ``limit`` rows after the keyset cursor."""
    rows = await conn.fetch(
        """
        SELECT * FROM payments.parties
         WHERE kind = $1 AND ($2::bigint IS NULL OR id < $2)
           AND ($4::bigint[] IS NULL OR id = ANY($4::bigint[]))
         ORDER BY id DESC LIMIT $3
        """,
        kind.value,
        before_id,
        limit,
        None if only_ids is None else list(only_ids),
    )
    return [party_from_row(row) for row in rows]


async def wallets_by_party_ids(conn: asyncpg.Connection, party_ids: Sequence[int]) -> list[Wallet]:
    rows = await conn.fetch(
        "SELECT party_id, balance, currency FROM payments.accounts"
        " WHERE kind = 'WALLET' AND party_id = ANY($1::bigint[])",
        list(party_ids),
    )
    return [Wallet(party_id=row["party_id"], balance=Money(row["balance"], row["currency"])) for row in rows]


async def wallet_of(conn: asyncpg.Connection, party_id: int) -> Wallet:
    wallets = await wallets_by_party_ids(conn, [party_id])
    return wallets[0]


async def escrow_held_by_merchant_ids(conn: asyncpg.Connection, merchant_ids: Sequence[int]) -> dict[int, int]:
    rows = await conn.fetch(
        f"""
        SELECT merchant_id, sum(amount - refunded)::bigint AS held FROM payments.payments
         WHERE merchant_id = ANY($1::bigint[]) AND status IN ({HELD_STATUSES_SQL})
         GROUP BY merchant_id
        """,
        list(merchant_ids),
    )
    return {row["merchant_id"]: row["held"] for row in rows}


# -- payments ------------------------------------------------------------------------


#: Also sent by bench/ledger_floor.py (its statement-by-statement floor).
INSERT_HELD_PAYMENT = "SELECT * FROM payments.insert_held_payment($1, $2, $3, $4, $5, $6, $7)"


async def insert_held_payment(
    conn: asyncpg.Connection,
    *,
    buyer_id: int,
    merchant_id: int,
    amount: Money,
    source: FundingSource,
    order_ref: str,
    now: datetime,
) -> Payment:
    """The new HELD payment, with its CREATED event (payments.insert_held_payment).

    Raises NOT_FOUND if ``merchant_id`` is no merchant, then INVALID_INPUT if ``order_ref`` is too long.
    """
    with refusals(REFUSALS):
        row = await conn.fetchrow(
            INSERT_HELD_PAYMENT, buyer_id, merchant_id, amount.fen, amount.currency, source.value, order_ref, now
        )
    return payment_from_row(row)


async def payment_for_update(conn: asyncpg.Connection, payment_id: int) -> Payment | None:
    row = await conn.fetchrow(f"SELECT {_PAYMENT_COLUMNS} FROM payments.payments WHERE id = $1 FOR UPDATE", payment_id)
    return payment_from_row(row) if row is not None else None


async def update_payment(
    conn: asyncpg.Connection,
    *,
    payment_id: int,
    status: PaymentStatus,
    refunded: int,
    fee: int,
    released_at: datetime | None,
    confirm_by: datetime | None,
) -> Payment:
    row = await conn.fetchrow(
        f"""
        UPDATE payments.payments SET status = $2, refunded = $3, fee = $4, released_at = $5, confirm_by = $6
         WHERE id = $1 RETURNING {_PAYMENT_COLUMNS}
        """,
        payment_id,
        status.value,
        refunded,
        fee,
        released_at,
        confirm_by,
    )
    assert row is not None
    return payment_from_row(row)


async def insert_refund(
    conn: asyncpg.Connection,
    *,
    payment_id: int,
    amount: int,
    reason: str,
    after_release: bool,
    now: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO payments.refunds (payment_id, amount, reason, after_release, created_at)"
        " VALUES ($1, $2, $3, $4, $5)",
        payment_id,
        amount,
        reason,
        after_release,
        now,
    )


async def payments_by_ids(conn: asyncpg.Connection, ids: Sequence[int]) -> list[Payment]:
    rows = await conn.fetch(f"SELECT {_PAYMENT_COLUMNS} FROM payments.payments WHERE id = ANY($1::bigint[])", list(ids))
    return [payment_from_row(row) for row in rows]


async def payments_pages(
    conn: asyncpg.Connection,
    *,
    party_column: str,
    party_ids: Sequence[int],
    limit: int,
    before_id: int | None,
) -> list[Payment]:
    """Up to ``limit`` newest payments per party (buyer or merchant), in one statement."""
    if party_column not in ("buyer_id", "merchant_id"):
        raise ValueError(party_column)
    rows = await conn.fetch(
        f"""
        SELECT p.* FROM unnest($1::bigint[]) AS party(id)
        CROSS JOIN LATERAL (
            SELECT {_PAYMENT_COLUMNS} FROM payments.payments
             WHERE {party_column} = party.id AND ($3::bigint IS NULL OR id < $3)
             ORDER BY id DESC LIMIT $2
        ) AS p
        """,
        list(party_ids),
        limit,
        before_id,
    )
    return [payment_from_row(row) for row in rows]


#: A dispute that stops the timer, spelled for SQL (``models.OPEN_DISPUTE_STATUSES``; test_one_rule checks it).
OPEN_DISPUTE_STATUSES_SQL = ", ".join(f"'{status.value}'" for status in sorted(OPEN_DISPUTE_STATUSES))


async def due_payments_for_update(conn: asyncpg.Connection, *, as_of: datetime) -> list[Payment]:
    """Held payments whose confirm window has run out by ``as_of`` (lifecycle: SHIPPED, AUTO_RELEASE).

    Only a shipped payment has a ``confirm_by``, and a dispute clears it while it stops the
    timer; the dispute test is said again here so that a row written otherwise is still safe.
    """
    rows = await conn.fetch(
        f"""
        SELECT {_PAYMENT_COLUMNS} FROM payments.payments p
         WHERE status IN ({HELD_STATUSES_SQL}) AND confirm_by IS NOT NULL AND confirm_by <= $1
           AND NOT EXISTS (SELECT 1 FROM payments.disputes d
                            WHERE d.payment_id = p.id AND d.status IN ({OPEN_DISPUTE_STATUSES_SQL}))
         ORDER BY id FOR UPDATE SKIP LOCKED
        """,
        as_of,
    )
    return [payment_from_row(row) for row in rows]


async def mark_released(
    conn: asyncpg.Connection, *, payment_ids: Sequence[int], fees: Sequence[int], now: datetime
) -> None:
    await conn.execute(
        """
        UPDATE payments.payments p SET status = 'RELEASED', released_at = $3, fee = f.fee, confirm_by = NULL
          FROM unnest($1::bigint[], $2::bigint[]) AS f(id, fee) WHERE p.id = f.id
        """,
        list(payment_ids),
        list(fees),
        now,
    )


async def trial_balance(conn: asyncpg.Connection) -> list[AccountBalance]:
    """Each system account, and all wallets summed, with the balance from the postings."""
    rows = await conn.fetch(
        """
        SELECT CASE WHEN a.kind = 'WALLET' THEN 'WALLETS:' || a.currency ELSE a.code END AS code,
               a.currency, coalesce(sum(p.amount), 0)::bigint AS balance
          FROM payments.accounts a LEFT JOIN payments.postings p ON p.account_id = a.id
         GROUP BY 1, 2 ORDER BY 1
        """
    )
    return [AccountBalance(code=row["code"], balance=Money(row["balance"], row["currency"].strip())) for row in rows]



@dataclass(frozen=True, slots=True)
class PaymentHistory:
    """A party's payments as buyer or merchant: what the credit service scores (public read).

    ``released_count`` and ``volume_fen`` count a purchase as the buyer completed it: a
    payment released to the merchant stays counted at what was released even if the
    merchant refunds it later (a refund the merchant grants must not lower the buyer's
    score); a merchant's sales count while released, net of refunds. ``refunded_count``
    is the refunds a party granted as merchant (its refund rate), never those it received.
    """

    party_id: int
    count: int
    released_count: int
    refunded_count: int
    volume_fen: int


def payment_history_sql(party: str) -> str:
    """One party's payments as buyer or merchant, summed as a JSON object: ``count``,
    ``released``, ``refunded`` (granted as merchant) and ``volume``, as ``PaymentHistory``
    defines them (each role's contribution is counted so by migrations/008). Read from the
    running totals (``payments.party_totals``, ADR 026): 16 rows whatever the history.
    ``party`` is SQL: the batch read below and the compiled read path
    (``services/credit/graph/compiled.py``) share this one statement."""
    return (
        f"(SELECT json_build_object('count', coalesce(sum(t.payments), 0),"
        f" 'released', coalesce(sum(t.released), 0), 'refunded', coalesce(sum(t.refunded_payments), 0),"
        f" 'volume', coalesce(sum(t.released_net), 0))"
        f" FROM payments.party_totals t WHERE t.party_id = {party})"
    )


async def payment_history_by_party_ids(
    conn: asyncpg.Connection, party_ids: Sequence[int]
) -> dict[int, PaymentHistory]:
    """One query for a page of parties; volume counts released amounts net of refunds."""
    history = payment_history_sql("p.id")
    rows = await conn.fetch(f"SELECT p.id, {history}::text AS history FROM unnest($1::bigint[]) AS p(id)",
                            list(party_ids))
    found = {}
    for row in rows:
        summed = json.loads(row["history"])
        found[row["id"]] = PaymentHistory(
            party_id=row["id"], count=int(summed["count"]), released_count=int(summed["released"]),
            refunded_count=int(summed["refunded"]), volume_fen=int(summed["volume"]),
        )
    return found


async def released_volume_since(conn: asyncpg.Connection, party_id: int, *, since: datetime) -> int:
    """Released amounts net of refunds of the party's payments made since ``since`` (fen).

    Read from the raw rows: only an operator opening a credit line asks, once per line.
    """
    volume = await conn.fetchval(
        """
        SELECT coalesce(sum(q.amount - q.refunded), 0)::bigint FROM (
            SELECT amount, refunded, status, created_at FROM payments.payments WHERE buyer_id = $1
            UNION ALL SELECT amount, refunded, status, created_at FROM payments.payments WHERE merchant_id = $1
        ) q WHERE q.status = 'RELEASED' AND q.created_at >= $2
        """,
        party_id, since,
    )
    return int(volume)
