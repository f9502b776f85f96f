"""``paymentEvents``: live payment changes over graphql-transport-ws.

A merchant hears about payments it receives, a consumer about its own payments, a
partner about payments received by merchants that granted it ``payments:read``, an
operator about all. The transport ends a subscription whose token expires or whose
partner loses a grant (gateway/guards_ws.py). Events come from the payments outbox
(rows written in the payment's transaction, read by every gateway process), so a payment
made through any gateway process reaches subscribers on every process.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError

from services.kernel.access import PAYMENTS_SCOPE, may_read_payment
from services.kernel.graph import Info, require_principal
from services.kernel.principal import Principal
from services.payments import repository
from services.payments.graph.types import PaymentType
from services.payments.models import PAYMENT_EVENTS_CHANNEL, Payment, PaymentEventKind

PaymentEventKindEnum = strawberry.enum(PaymentEventKind, description="What happened to the payment.")


@strawberry.type(description="A change to a payment, as it committed.")
class PaymentEvent:
    kind: PaymentEventKindEnum  # type: ignore[valid-type]
    payment: PaymentType


def _concerns(principal: Principal, event: dict[str, object]) -> bool:
    """The payment read rule (ADR 015), as for ``payment(id:)``; the payload's fields apply the rest."""
    buyer, merchant = event.get("buyer"), event.get("merchant")
    return isinstance(buyer, int) and isinstance(merchant, int) and may_read_payment(
        principal, buyer_id=buyer, merchant_id=merchant
    )


@strawberry.type
class PaymentsSubscription:
    @strawberry.subscription(
        description="Payments you receive (merchant), make (consumer) or may read (partner), as they change."
    )
    async def payment_events(self, info: Info) -> AsyncGenerator[PaymentEvent, None]:
        principal = require_principal(info)
        if principal.is_partner and PAYMENTS_SCOPE not in principal.scopes:
            raise GraphQLError("This partner token lacks payments:read", extensions={"code": "FORBIDDEN"})
        async with info.context.listen(PAYMENT_EVENTS_CHANNEL) as queue:
            while (payload := await queue.get()) is not None:
                event = json.loads(payload)
                if not _concerns(principal, event):
                    continue
                # Read the payment as it is now (not from a request-long loader cache).
                async with info.context.pool.acquire() as conn:
                    found: list[Payment] = await repository.payments_by_ids(conn, [int(event["payment"])])
                if found:
                    yield PaymentEvent(kind=PaymentEventKind(event["kind"]), payment=found[0])  # type: ignore[arg-type]
