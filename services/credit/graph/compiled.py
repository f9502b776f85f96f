"""The credit slice in SQL for the compiled read path (see services/kernel/graph/compiled.py).

The credit line is plain data. The credit profile is computed in Python
(``scoring.py``): the statement leaves a placeholder per party and the profiles of
all of them are loaded in one batch by the same function the loader uses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from services.credit import service
from services.kernel.graph.compiled import (
    ComputeContext,
    Computed,
    FieldSpecs,
    Guard,
    Leaf,
    Nested,
    Row,
    Scope,
    money,
    normalized_decimal,
    typed_id,
)

_SCOPE = "credit:read"
_OWN = Guard(lambda row: row["id"], _SCOPE)


def _line(row: Row, _args: Mapping[str, Any], scope: Scope) -> tuple[str | None, Row]:
    alias = scope.aliases()
    return f"credit.lines {alias} WHERE {alias}.party_id = {row['id']}", Row(alias)


async def _profiles(conn: asyncpg.Connection, party_ids: Sequence[Any], context: ComputeContext) -> Mapping[Any, Any]:
    return await service.credit_profiles(conn, [int(pk) for pk in party_ids], now=context.now)


def _profile(guard: Guard | None) -> Computed:
    return Computed("credit.profile", lambda row: row["id"], _profiles, guard)


FIELDS: FieldSpecs = {
    # Public to every signed-in principal (partners take the standard path).
    ("Merchant", "creditProfile"): _profile(None),
    ("Merchant", "creditLine"): Nested(_line, _OWN),
    ("Consumer", "creditProfile"): _profile(_OWN),
    ("Consumer", "creditLine"): Nested(_line, _OWN),
    ("CreditLine", "id"): Leaf(lambda row: typed_id("CreditLine", row["id"])),
    ("CreditLine", "limit"): money("{limit_fen}"),
    ("CreditLine", "available"): money("{limit_fen} - {outstanding_principal}"),
    ("CreditLine", "outstandingPrincipal"): money("{outstanding_principal}"),
    ("CreditLine", "accruedInterest"): money("{accrued_interest} + {accrued_penalty}"),
    ("CreditLine", "penaltyInterest"): money("{accrued_penalty}"),
    ("CreditLine", "dailyRate"): Leaf(lambda row: normalized_decimal(row["daily_rate"])),
    ("CreditLine", "apr"): Leaf(lambda row: normalized_decimal(f"{row['daily_rate']} * 365")),
    ("CreditLine", "status"): Leaf(lambda row: row["status"]),
    ("CreditLine", "termDays"): Leaf(lambda row: row["term_days"]),
}
