"""Paying from the fund: the ``FundingProvider`` payments calls for ``FundingSource.FUND``."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.funds import service
from services.funds.models import DEFAULT_FUND
from services.kernel.money import Money


class FundPaymentProvider:
    """Redeems the buyer's units of the default fund (Yu'e Bao) into their wallet.

    Runs inside the payment's transaction, so the redemption and the escrow hold
    commit together. Not limited by the instant redemption cap: the money does not
    leave the platform, it goes to escrow.
    """

    def __init__(self, fund_code: str = DEFAULT_FUND) -> None:
        self.fund_code = fund_code

    async def fund_payment(
        self, conn: asyncpg.Connection, *, party_id: int, amount: Money, reference: str, now: datetime
    ) -> None:
        await service.redeem_for_payment(
            conn, fund_code=self.fund_code, party_id=party_id, amount=amount, reference=reference, now=now
        )

    async def refund_payment(
        self, conn: asyncpg.Connection, *, party_id: int, amount: Money, reference: str, now: datetime
    ) -> None:
        """A refund goes back to the fund, by the route the payment came (as Alipay refunds to Yu'e Bao).

        The refunded amount, just arrived in the wallet, subscribes the fund again as an
        ordinary subscription in the refund's transaction: pending until confirmed on the
        trading day after T, earning from confirmation (ADR 022).
        """
        await service.subscribe(
            conn, fund_code=self.fund_code, party_id=party_id, amount=amount, now=now, reference=reference
        )
