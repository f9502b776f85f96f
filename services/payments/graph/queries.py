"""Queries of the payments slice that are not fields of an entity."""

from __future__ import annotations

import strawberry

from services.kernel.graph import Info, require_operator
from services.kernel.graph.compiled import standard_only
from services.kernel.graph.directives import costly, signed_in
from services.kernel.money import Money
from services.payments import repository
from services.payments.graph.types import AccountBalanceType, TrialBalance


@strawberry.type
class PaymentsQuery:
    @strawberry.field(
        description="Operator: every ledger account group with its balance from the postings.",
        directives=[*signed_in(), *costly(100)],
        metadata=standard_only("an operator's audit over every posting: correctness over speed"),
    )
    async def trial_balance(self, info: Info) -> TrialBalance:
        require_operator(info)
        async with info.context.pool.acquire() as conn:
            lines = await repository.trial_balance(conn)
        total = Money(sum(line.balance.fen for line in lines))
        return TrialBalance(accounts=[AccountBalanceType.of(line) for line in lines], total=total)  # type: ignore[arg-type]
