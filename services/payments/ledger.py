"""The double-entry ledger: the only code that moves money.

Other services call ``post_entry`` (through ``services.payments``) with the caller's
connection, inside the caller's transaction, so a business operation and its money
movement commit or roll back together.

Locking: wallets in an entry are locked ``FOR UPDATE`` in ascending id order, so two
entries touching the same wallets can never deadlock. System accounts are never
locked or updated; their balance is the sum of their postings. Locking, checking and
writing are one statement, the function ``payments.post_entry``, so an entry costs one
round trip (docs/adr/011-write-path.md, docs/adr/012-one-call-payment.md); a WALLET
payment calls it from ``payments.pay_from_wallet`` in the same database.
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

#: One round trip: payments.post_entry (migrations/004_ledger_functions.sql) locks the
#: entry's wallets, checks that none goes negative and only then writes the entry, its
#: postings and the new wallet balances; a refused entry writes nothing.
POST_ENTRY = "SELECT * FROM payments.post_entry($1, $2, $3, $4::text[], $5::bigint[], $6)"


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
    missing = set(wallet_codes) - set(row["locked"])
    if missing:
        raise DomainError(ErrorCode.NOT_FOUND, f"no wallet {sorted(missing)[0]}")
    if not row["covered"]:
        raise insufficient or insufficient_funds()
    assert row["postings"] == len(legs), "a ledger account is missing"
    return int(row["entry_id"])


async def move(
    conn: asyncpg.Connection, *, kind: str, reference: str, source: str, target: str, amount: Money,
    now: datetime, insufficient: DomainError | None = None,
) -> int:
    """A two-legged entry moving ``amount`` from the account ``source`` to ``target``."""
    return await post_entry(
        conn, kind=kind, reference=reference, now=now, insufficient=insufficient,
        legs=[Leg(source, -amount.fen), Leg(target, amount.fen)],
    )
