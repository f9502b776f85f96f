"""Funding sources other than the wallet, provided by other services.

Payments cannot import credit or funds (they build on payments), so they plug in
here: the schema join registers the funds service for ``FUND`` and the credit service
for ``CREDIT``. A provider moves the money into the buyer's wallet inside the same
transaction (redeeming units, drawing on the credit line); the payment then holds it
in escrow as usual. On a refund the provider gets the refunded amount back first
(the credit line is repaid before the wallet sees anything).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import asyncpg

from services.kernel.money import Money
from services.payments.models import FundingSource


class FundingProvider(Protocol):
    async def fund_payment(
        self, conn: asyncpg.Connection, *, party_id: int, amount: Money, reference: str, now: datetime
    ) -> None:
        """Put ``amount`` into the party's wallet, or raise a DomainError (nothing changed)."""

    async def refund_payment(
        self, conn: asyncpg.Connection, *, party_id: int, amount: Money, reference: str, now: datetime
    ) -> None:
        """The refunded ``amount`` has reached the party's wallet; take back what is owed."""


_providers: dict[FundingSource, FundingProvider] = {}


def register_funding_source(source: FundingSource, provider: FundingProvider) -> None:
    _providers[source] = provider


def funding_provider(source: FundingSource) -> FundingProvider | None:
    return _providers.get(source)
