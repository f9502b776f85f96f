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
    " order_ref, created_at, released_at"
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
) -> Payment:
    row = await conn.fetchrow(
        f"""
        UPDATE payments.payments SET status = $2, refunded = $3, fee = $4, released_at = $5
         WHERE id = $1 RETURNING {_PAYMENT_COLUMNS}
        """,
        payment_id,
        status.value,
        refunded,
        fee,
        released_at,
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


async def due_payments_for_update(conn: asyncpg.Connection, *, created_before: datetime) -> list[Payment]:
    rows = await conn.fetch(
        f"""
        SELECT {_PAYMENT_COLUMNS} FROM payments.payments
         WHERE status IN ({HELD_STATUSES_SQL}) AND created_at <= $1
         ORDER BY id FOR UPDATE SKIP LOCKED
        """,
        created_before,
    )
    return [payment_from_row(row) for row in rows]


async def mark_released(
    conn: asyncpg.Connection, *, payment_ids: Sequence[int], fees: Sequence[int], now: datetime
) -> None:
    await conn.execute(
        """
        UPDATE payments.payments p SET status = 'RELEASED', released_at = $3, fee = f.fee
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
    volume_90d_fen: int


def payment_history_sql(party: str, since: str | None = None) -> str:
    """One party's payments as buyer or merchant, summed as a JSON object: ``count``,
    ``released``, ``refunded`` (granted as merchant), ``volume`` and, given ``since``,
    ``volume_90d`` (released sales and purchases net of refunds, for a line's limit).
    ``party`` and ``since`` are SQL: the batch read below and the compiled read path
    (``services/credit/graph/compiled.py``) share this one statement. See
    ``PaymentHistory`` for why buyer and merchant rows count differently."""
    recent = (
        f", 'volume_90d', coalesce(sum(q.amount - q.refunded) FILTER (WHERE q.status = 'RELEASED'"
        f" AND q.created_at >= {since}), 0)"
        if since is not None else ""
    )
    # A buyer's purchase counts once released (released_at stays set through later refunds),
    # at the amount released: the amount less what was refunded before release.
    refunded_before_release = (
        "(SELECT coalesce(sum(r.amount), 0) FROM payments.refunds r WHERE r.payment_id = b.id AND NOT r.after_release)"
    )
    return (
        f"(SELECT json_build_object('count', count(*), 'released', count(*) FILTER (WHERE q.counted),"
        f" 'refunded', count(*) FILTER (WHERE q.granted_refund),"
        f" 'volume', coalesce(sum(q.settled) FILTER (WHERE q.counted), 0){recent})"
        f" FROM (SELECT b.status, b.amount, b.refunded, b.created_at, b.released_at IS NOT NULL AS counted,"
        f" false AS granted_refund,"
        f" CASE WHEN b.refunded = 0 THEN b.amount ELSE b.amount - {refunded_before_release} END AS settled"
        f" FROM payments.payments b WHERE b.buyer_id = {party}"
        f" UNION ALL SELECT m.status, m.amount, m.refunded, m.created_at, m.status = 'RELEASED',"
        f" m.refunded > 0, m.amount - m.refunded FROM payments.payments m WHERE m.merchant_id = {party}) q)"
    )


async def payment_history_by_party_ids(
    conn: asyncpg.Connection, party_ids: Sequence[int], *, now: datetime
) -> dict[int, PaymentHistory]:
    """One query for a page of parties; volume counts released amounts net of refunds."""
    history = payment_history_sql("p.id", "$2::timestamptz - interval '90 days'")
    rows = await conn.fetch(
        f"SELECT p.id, {history}::text AS history FROM unnest($1::bigint[]) AS p(id)", list(party_ids), now
    )
    found = {}
    for row in rows:
        summed = json.loads(row["history"])
        found[row["id"]] = PaymentHistory(
            party_id=row["id"], count=summed["count"], released_count=summed["released"],
            refunded_count=summed["refunded"], volume_fen=int(summed["volume"]),
            volume_90d_fen=int(summed["volume_90d"]),
        )
    return found
