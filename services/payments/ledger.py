"""The double-entry ledger: the only code that moves money.

Other services call ``post_entry`` (through ``services.payments``) with the caller's
connection, inside the caller's transaction, so a business operation and its money
movement commit or roll back together.

Locking: wallets in an entry are locked ``FOR UPDATE`` in ascending id order, so two
entries touching the same wallets can never deadlock. System accounts are never
locked or updated; their balance is the sum of their postings. Locking, checking and
writing are one statement, so an entry costs one round trip (docs/adr/011-write-path.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from services.kernel.errors import DomainError, ErrorCode
from services.kernel.money import Money
from services.payments.errors import insufficient_funds
from services.payments.models import Leg, SystemAccount, wallet_code

# One round trip: lock the entry's wallets (ascending id), check that none goes negative,
# and only then write the entry, its postings and the new wallet balances. The writes
# are gated on the verdict, so a refused entry writes nothing. The UPDATE reads the
# wallet rows this statement locked: PostgreSQL's READ COMMITTED re-check (EvalPlanQual)
# applies it to their latest committed version, the one whose balance was checked.
#: Also sent as is by bench/ledger_floor.py, so the floor measures exactly these writes.
POST_ENTRY = """
    WITH locked AS MATERIALIZED (
        SELECT id, code, balance FROM payments.accounts
         WHERE code = ANY($4::text[]) AND kind = 'WALLET'
         ORDER BY id FOR UPDATE
    ), legs AS (
        SELECT a.id AS account_id, a.kind, a.currency, l.fen
          FROM unnest($4::text[], $5::bigint[]) AS l(code, fen)
          JOIN payments.accounts a ON a.code = l.code
    ), verdict AS (
        SELECT coalesce(array_agg(locked.code), '{}') AS wallets,
               coalesce(bool_and(locked.balance + legs.fen >= 0), true) AS covered
          FROM locked JOIN legs ON legs.account_id = locked.id
    ), entry AS (
        INSERT INTO payments.journal_entries (kind, reference, created_at)
        SELECT $1, $2, $3 FROM verdict WHERE verdict.covered AND cardinality(verdict.wallets) = $6
        RETURNING id
    ), posted AS (
        INSERT INTO payments.postings (entry_id, account_id, amount, currency)
        SELECT entry.id, legs.account_id, legs.fen, legs.currency FROM entry, legs
        RETURNING 1
    ), wallets AS (
        UPDATE payments.accounts a SET balance = a.balance + legs.fen
          FROM legs, entry
         WHERE a.id = legs.account_id AND legs.kind = 'WALLET'
        RETURNING 1
    )
    SELECT entry.id, (SELECT count(*) FROM posted) AS postings, verdict.wallets, verdict.covered
      FROM verdict LEFT JOIN entry ON true
"""


def wallet(party_id: int, fen: int, currency: str = "CNY") -> Leg:
    return Leg(wallet_code(party_id, currency), fen)


def system(account: SystemAccount, fen: int, currency: str = "CNY") -> Leg:
    return Leg(account.code(currency), fen)


async def post_entry(
    conn: asyncpg.Connection, *, kind: str, reference: str, legs: Sequence[Leg], now: datetime,
    insufficient: DomainError | None = None,
) -> int:
    """Post one balanced journal entry and return its id.

    Raises ``INSUFFICIENT_FUNDS`` (or ``insufficient``) if a wallet would go negative;
    then nothing has been written. Must run inside a transaction.
    """
    if not conn.is_in_transaction():
        raise RuntimeError("post_entry must run inside the caller's transaction")
    by_code: dict[str, int] = defaultdict(int)
    for leg in legs:
        by_code[leg.code] += leg.fen
    if sum(by_code.values()) != 0:
        raise ValueError(f"unbalanced entry {kind}: {dict(by_code)}")
    legs = [Leg(code, fen) for code, fen in by_code.items() if fen != 0]
    wallet_codes = [leg.code for leg in legs if leg.code.startswith("WALLET:")]
    row = await conn.fetchrow(
        POST_ENTRY, kind, reference, now, [leg.code for leg in legs], [leg.fen for leg in legs], len(wallet_codes)
    )
    assert row is not None
    missing = set(wallet_codes) - set(row["wallets"])
    if missing:
        raise DomainError(ErrorCode.NOT_FOUND, f"no wallet {sorted(missing)[0]}")
    if not row["covered"]:
        raise insufficient or insufficient_funds()
    assert row["postings"] == len(legs), "a ledger account is missing"
    return int(row["id"])


async def move(
    conn: asyncpg.Connection, *, kind: str, reference: str, source: str, target: str, amount: Money,
    now: datetime, insufficient: DomainError | None = None,
) -> int:
    """A two-legged entry moving ``amount`` from the account ``source`` to ``target``."""
    return await post_entry(
        conn, kind=kind, reference=reference, now=now, insufficient=insufficient,
        legs=[Leg(source, -amount.fen), Leg(target, amount.fen)],
    )
