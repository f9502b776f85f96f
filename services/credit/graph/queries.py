"""Queries of the credit slice (profiles and lines hang off Merchant/Consumer)."""

from __future__ import annotations

from datetime import date

import asyncpg
import strawberry

from services.credit import repository
from services.credit.graph.types import AccrualType
from services.credit.models import Accrual
from services.kernel.graph import Info, require_operator
from services.kernel.graph.compiled import standard_only
from services.kernel.money import Money


@strawberry.type
class CreditQuery:
    @strawberry.field(
        description="Operator: the accrual of one business date, if it ran.",
        metadata=standard_only("an operator's occasional check, not a hot read"),
    )
    async def credit_accrual(self, info: Info, date: date) -> AccrualType | None:
        require_operator(info)
        conn: asyncpg.Connection
        async with info.context.pool.acquire() as conn:
            row = await repository.accrual_of(conn, date)
        if row is None:
            return None
        return AccrualType.of(Accrual(date=row["date"], lines=row["lines"], total_interest=Money(row["interest"]),
                                      total_penalty=Money(row["penalty"]), residue=row["residue"],
                                      already_accrued=True))
