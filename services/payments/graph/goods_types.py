"""GraphQL types of the goods flow: a payment's shipment, its dispute and the dispute's history.

None of them is on a contract read, so their fields stay on the standard path (each says
why); a ``Dispute`` is read through its payment's rule, whichever path reaches it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from services.kernel.graph import Info, MoneyType, Node
from services.kernel.graph.compiled import standard_only
from services.kernel.ids import decode_id, encode_id
from services.payments.graph.access import may_read_payment
from services.payments.graph.loaders import DisputeByIdLoader, DisputeStepsByDisputeIdLoader, PaymentByIdLoader
from services.payments.models import Dispute, DisputeStatus, DisputeStep, Payment

if TYPE_CHECKING:
    from services.payments.graph.types import PaymentType

DisputeStatusEnum = strawberry.enum(DisputeStatus, description="Where a buyer's dispute stands.")

_GOODS = standard_only("goods-flow detail of one payment, read per payment; on no contract read")


@strawberry.type(name="Shipment", description="How the merchant sent the goods (markShipped).")
class ShipmentType:
    @strawberry.field(
        description="Null for payments shipped before carriers were recorded.", metadata=_GOODS
    )
    def carrier(self, root: Payment) -> str | None:
        return root.carrier

    @strawberry.field(description="As `carrier`.", metadata=_GOODS)
    def tracking_number(self, root: Payment) -> str | None:
        return root.tracking_number

    @strawberry.field(description="When the buyer's confirm window started.", metadata=_GOODS)
    def shipped_at(self, root: Payment) -> datetime:
        assert root.shipped_at is not None  # only shipped payments have a Shipment
        return root.shipped_at


@strawberry.type(name="DisputeStep", description="One step of a dispute: who did what, when.")
class DisputeStepType:
    @strawberry.field(
        description="OPEN_DISPUTE, ACCEPT_DISPUTE, REJECT_DISPUTE or RESOLVE_DISPUTE "
        "(services/payments/lifecycle.py).",
        metadata=_GOODS,
    )
    def action(self, root: DisputeStep) -> str:
        return root.action

    @strawberry.field(description="BUYER, MERCHANT or OPERATOR.", metadata=_GOODS)
    def actor(self, root: DisputeStep) -> str:
        return root.actor

    @strawberry.field(
        description="Asked (open), refunded (accept, resolve); null for a rejection.", metadata=_GOODS
    )
    def amount(self, root: DisputeStep) -> MoneyType | None:
        return root.amount  # type: ignore[return-value]  # Money resolves as Money type

    @strawberry.field(description="The buyer's reason, or the merchant's or operator's note.", metadata=_GOODS)
    def note(self, root: DisputeStep) -> str:
        return root.note

    @strawberry.field(metadata=_GOODS)
    def at(self, root: DisputeStep) -> datetime:
        return root.created_at


@strawberry.type(name="Dispute", description="A buyer's claim on a held payment; the confirm window stops while open.")
class DisputeType(Node):
    @classmethod
    def is_type_of(cls, obj: object, _info: object) -> bool:
        return isinstance(obj, Dispute)

    @strawberry.field(metadata=_GOODS)  # type: ignore[misc]  # Node's id
    def id(self, root: Dispute) -> strawberry.ID:
        return strawberry.ID(encode_id("Dispute", root.id))

    @strawberry.field(metadata=_GOODS)
    def status(self, root: Dispute) -> DisputeStatusEnum:  # type: ignore[valid-type]
        return root.status

    @strawberry.field(description="What the buyer asked back.", metadata=_GOODS)
    def amount(self, root: Dispute) -> MoneyType:
        return root.amount  # type: ignore[return-value]

    @strawberry.field(metadata=_GOODS)
    def reason(self, root: Dispute) -> str:
        return root.reason

    @strawberry.field(metadata=_GOODS)
    def opened_at(self, root: Dispute) -> datetime:
        return root.opened_at

    @strawberry.field(description="Null while the merchant or the operator still has to act.", metadata=_GOODS)
    def closed_at(self, root: Dispute) -> datetime | None:
        return root.closed_at

    @strawberry.field(description="Every step, oldest first.", metadata=_GOODS)
    async def history(self, root: Dispute, info: Info) -> list[DisputeStepType]:
        steps: list[DisputeStepType] = await info.context.loader(DisputeStepsByDisputeIdLoader).load(root.id)
        return steps

    @strawberry.field(metadata=_GOODS)
    async def payment(
        self, root: Dispute, info: Info
    ) -> Annotated[PaymentType, strawberry.lazy("services.payments.graph.types")]:
        payment: PaymentType = await info.context.loader(PaymentByIdLoader).load(root.payment_id)
        return payment


async def readable_dispute(info: Info, id: str) -> Dispute | None:
    """``node(id:)`` for a dispute: readable by whoever may read its payment, else null."""
    decoded = decode_id(id, "Dispute")
    if decoded is None:
        return None
    dispute: Dispute | None = await info.context.loader(DisputeByIdLoader).load(decoded[1])
    if dispute is None:
        return None
    payment: Payment | None = await info.context.loader(PaymentByIdLoader).load(dispute.payment_id)
    return dispute if payment is not None and may_read_payment(info, payment) else None
