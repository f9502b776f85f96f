"""``paymentEvents``: live payment changes over graphql-transport-ws, resumable after a disconnect.

A merchant hears about payments it receives, a consumer about its own payments, a
partner about payments received by merchants that granted it ``payments:read``, an
operator about all. The transport ends a subscription whose token expires or whose
partner loses a grant (gateway/guards_ws.py). Events come from the payments outbox
(rows written in the payment's transaction, read by every gateway process), so a payment
made through any gateway process reaches subscribers on every process.

Each event carries a ``cursor``. A client that lost its connection subscribes again with
``after: <the last cursor it received>``: the events it missed are replayed from the
outbox (as far back as the outbox keeps them, ``outbox.RETENTION``; an older cursor is a
clear ``EVENTS_EXPIRED`` error), then the subscription goes on live. The subscription
listens before it replays, and a live event whose transaction the replay's snapshot has
read is dropped, so nothing arrives twice and nothing falls between (ADR 024).
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from graphql import GraphQLError

from services.kernel.access import PAYMENTS_SCOPE, may_read_payment
from services.kernel.graph import Info, require_principal
from services.kernel.graph.compiled import standard_only
from services.kernel.ids import encode_id
from services.kernel.principal import Principal
from services.payments import outbox, repository
from services.payments.graph.types import PaymentType
from services.payments.models import PAYMENT_EVENTS_CHANNEL, Payment, PaymentEventKind

PaymentEventKindEnum = strawberry.enum(PaymentEventKind, description="What happened to the payment.")
_EVENT_ONLY = standard_only("subscription payloads are answered by resolvers; no query reaches an event")


@strawberry.type(description="A change to a payment, as it committed.")
class PaymentEvent:
    id: strawberry.ID = strawberry.field(description="The event's own id (`pev_...`), stable across replays.",
                                         metadata=_EVENT_ONLY)
    cursor: str = strawberry.field(
        description="Resume after this event: `paymentEvents(after: cursor)` replays what came after it.",
        metadata=_EVENT_ONLY,
    )
    occurred_at: datetime = strawberry.field(
        description="When the change's transaction began (database clock).", metadata=_EVENT_ONLY
    )
    kind: PaymentEventKindEnum  # type: ignore[valid-type]
    payment: PaymentType


def _concerns(principal: Principal, event: dict[str, object]) -> bool:
    """The payment read rule (ADR 015), as for ``payment(id:)``; the payload's fields apply the rest."""
    buyer, merchant = event.get("buyer"), event.get("merchant")
    return isinstance(buyer, int) and isinstance(merchant, int) and may_read_payment(
        principal, buyer_id=buyer, merchant_id=merchant
    )


def _resume_cursor(after: str) -> outbox.ResumeCursor:
    try:
        return outbox.ResumeCursor.decode(after)
    except ValueError:
        raise GraphQLError(
            "`after` is not a cursor of a payment event: pass a PaymentEvent.cursor as received",
            extensions={"code": "BAD_USER_INPUT"},
        ) from None


@strawberry.type
class PaymentsSubscription:
    @strawberry.subscription(
        description="Payments you receive (merchant), make (consumer) or may read (partner), as they change. "
        "`after`: the cursor of the last event received, to replay what was missed first (ADR 024)."
    )
    async def payment_events(self, info: Info, after: str | None = None) -> AsyncGenerator[PaymentEvent, None]:
        principal = require_principal(info)
        if principal.is_partner and PAYMENTS_SCOPE not in principal.scopes:
            raise GraphQLError("This partner token lacks payments:read", extensions={"code": "FORBIDDEN"})
        resume = _resume_cursor(after) if after is not None else None
        async with info.context.listen(PAYMENT_EVENTS_CHANNEL) as queue:
            replayed: outbox.EventCursor | None = None
            if resume is not None:
                async with info.context.pool.acquire() as conn:
                    try:
                        replayed, missed = await outbox.payment_events_since(conn, resume)
                    except outbox.EventsExpired as expired:
                        raise GraphQLError(str(expired), extensions={"code": "EVENTS_EXPIRED"}) from None
                for missed_payload in missed:
                    if (event := await _event(info, principal, json.loads(missed_payload))) is not None:
                        yield event
            while (payload := await queue.get()) is not None:
                data = json.loads(payload)
                if replayed is not None:
                    if replayed.has_read(data["tx"]):
                        continue  # the replay had it
                    # A cursor handed out from now on has read the replay too.
                    live = outbox.ResumeCursor.decode(data["cursor"])
                    data["cursor"] = live.then(replayed, None, live.at).encode()
                if (event := await _event(info, principal, data)) is not None:
                    yield event


async def _event(info: Info, principal: Principal, data: dict[str, object]) -> PaymentEvent | None:
    if not _concerns(principal, data):
        return None
    # Read the payment as it is now (not from a request-long loader cache).
    async with info.context.pool.acquire() as conn:
        found: list[Payment] = await repository.payments_by_ids(conn, [int(str(data["payment"]))])
    if not found:
        return None
    return PaymentEvent(
        id=strawberry.ID(encode_id("PaymentEvent", int(str(data["id"])))), cursor=str(data["cursor"]),
        occurred_at=datetime.fromisoformat(str(data["at"])),
        kind=PaymentEventKind(data["kind"]), payment=found[0],  # type: ignore[arg-type]
    )
