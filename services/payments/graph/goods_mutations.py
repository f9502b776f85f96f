"""Mutations of the goods flow: ship, extend, cancel unshipped, open/answer/resolve a dispute.

Each reads as the others in payments: the roles that may take the step (from the
lifecycle table, ``_roles``), parse ids, amounts and text (the domain refuses rather than
rounds or trims), then one idempotent transaction around one use case of
``services/payments/goods.py``. Every one is keyed, moving money or not: a retried
"shipped" or "rejected" must not be recorded twice.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

import asyncpg
import strawberry

from services.kernel.errors import DomainError, ErrorCode
from services.kernel.graph import Info, UserError, require_operator, require_party, run_idempotent, user_error
from services.kernel.ids import decode_id
from services.kernel.money import Money, parse_amount
from services.kernel.principal import Role
from services.kernel.text import check_visible
from services.payments import goods
from services.payments.errors import dispute_not_found, payment_not_found
from services.payments.graph.goods_types import DisputeType
from services.payments.graph.types import PaymentType
from services.payments.lifecycle import Actor, Step, actors_of
from services.payments.models import DisputeOutcome, GoodsFlowTerms, Payment


@strawberry.input
class MarkShippedInput:
    payment_id: strawberry.ID
    carrier: str
    tracking_number: str
    idempotency_key: str


@strawberry.input
class PaymentStepInput:
    payment_id: strawberry.ID
    idempotency_key: str


@strawberry.input
class OpenDisputeInput:
    payment_id: strawberry.ID
    reason: str
    amount: Decimal
    idempotency_key: str


@strawberry.input
class RespondToDisputeInput:
    dispute_id: strawberry.ID
    accept: bool
    note: str = ""
    idempotency_key: str


@strawberry.input
class ResolveDisputeInput:
    dispute_id: strawberry.ID
    refund_amount: Decimal | None = strawberry.field(
        default=None, description="Given back to the buyer (at most what is held); the rest is released. "
        "Omit it to release everything to the merchant."
    )
    note: str = ""
    idempotency_key: str


@strawberry.type
class GoodsPaymentPayload:
    payment: PaymentType | None
    user_errors: list[UserError]


@strawberry.type
class DisputePayload:
    dispute: DisputeType | None
    payment: PaymentType | None
    user_errors: list[UserError]


_ROLES = {Actor.BUYER: Role.CONSUMER, Actor.MERCHANT: Role.MERCHANT}


def _party(info: Info, step: Step) -> int:
    """The acting party's id, if the lifecycle lets its role take ``step`` at all (else FORBIDDEN)."""
    return require_party(info, *(_ROLES[actor] for actor in actors_of(step) if actor in _ROLES))


def _terms(info: Info) -> GoodsFlowTerms:
    context = info.context
    return GoodsFlowTerms(
        confirm_window=timedelta(days=context.confirm_window_days),
        extension=timedelta(days=context.confirm_extension_days),
        ship_within=timedelta(days=context.ship_within_days),
    )


def _pk(value: str, type_name: str) -> int:
    decoded = decode_id(value, type_name)
    if decoded is None:
        raise payment_not_found() if type_name == "Payment" else dispute_not_found()
    return decoded[1]


def _text(value: str, field: str, *, required: bool, multiline: bool = False, limit: int) -> str:
    if required and not value.strip():
        raise DomainError(ErrorCode.INVALID_INPUT, f"{field} must not be empty", field=field)
    if len(value) > limit:
        raise DomainError(ErrorCode.INVALID_INPUT, f"{field} must be at most {limit} characters", field=field)
    check_visible(value, field=field, multiline=multiline)
    return value


def _payment_payload(result: tuple[Payment | None, list[UserError]]) -> GoodsPaymentPayload:
    return GoodsPaymentPayload(payment=result[0], user_errors=result[1])  # type: ignore[arg-type]


def _dispute_payload(result: tuple[DisputeOutcome | None, list[UserError]]) -> DisputePayload:
    outcome, errors = result
    if outcome is None:
        return DisputePayload(dispute=None, payment=None, user_errors=errors)
    return DisputePayload(dispute=outcome.dispute, payment=outcome.payment, user_errors=errors)  # type: ignore[arg-type]


def _refused(error: DomainError, dispute: bool = False) -> GoodsPaymentPayload | DisputePayload:
    if dispute:
        return DisputePayload(dispute=None, payment=None, user_errors=[user_error(error)])
    return GoodsPaymentPayload(payment=None, user_errors=[user_error(error)])


class _BuyerStep(Protocol):
    def __call__(self, conn: asyncpg.Connection, *, buyer_id: int, payment_id: int, terms: GoodsFlowTerms,
                 now: datetime) -> Awaitable[Payment]: ...


async def _buyer_step(
    info: Info, input: PaymentStepInput, step: Step, operation: str, effect: _BuyerStep
) -> GoodsPaymentPayload:
    """A buyer's keyed step on one payment (extend the window, cancel an unshipped one)."""
    buyer_id = _party(info, step)
    try:
        payment_id = _pk(input.payment_id, "Payment")
    except DomainError as error:
        return _refused(error)  # type: ignore[return-value]
    terms, now = _terms(info), info.context.clock.now()
    return _payment_payload(await run_idempotent(
        info, operation=operation, key=input.idempotency_key, request={"payment": payment_id},
        effect=lambda conn: effect(conn, buyer_id=buyer_id, payment_id=payment_id, terms=terms, now=now),
        result_type=Payment,
    ))


@strawberry.type
class GoodsMutation:
    @strawberry.mutation(description="Merchant: the goods are on their way; the buyer's confirm window starts now.")
    async def mark_shipped(self, info: Info, input: MarkShippedInput) -> GoodsPaymentPayload:
        merchant_id = _party(info, Step.SHIP)
        try:
            payment_id = _pk(input.payment_id, "Payment")
            carrier = _text(input.carrier, "carrier", required=True, limit=100)
            tracking = _text(input.tracking_number, "trackingNumber", required=True, limit=100)
        except DomainError as error:
            return _refused(error)  # type: ignore[return-value]
        terms, now = _terms(info), info.context.clock.now()
        return _payment_payload(await run_idempotent(
            info, operation="markShipped", key=input.idempotency_key,
            request={"payment": payment_id, "carrier": carrier, "tracking": tracking},
            effect=lambda conn: goods.mark_shipped(
                conn, merchant_id=merchant_id, payment_id=payment_id, carrier=carrier, tracking_number=tracking,
                terms=terms, now=now,
            ),
            result_type=Payment,
        ))

    @strawberry.mutation(description="Buyer: once per payment, add the set number of days to the confirm window.")
    async def extend_confirm_window(self, info: Info, input: PaymentStepInput) -> GoodsPaymentPayload:
        return await _buyer_step(info, input, Step.EXTEND, "extendConfirmWindow", goods.extend_confirm_window)

    @strawberry.mutation(description="Buyer: a payment not shipped in the set number of days, refunded in full.")
    async def cancel_unshipped_payment(self, info: Info, input: PaymentStepInput) -> GoodsPaymentPayload:
        return await _buyer_step(
            info, input, Step.CANCEL_UNSHIPPED, "cancelUnshippedPayment", goods.cancel_unshipped_payment
        )

    @strawberry.mutation(description="Buyer: ask for money back on a held payment; the confirm window stops.")
    async def open_dispute(self, info: Info, input: OpenDisputeInput) -> DisputePayload:
        buyer_id = _party(info, Step.OPEN_DISPUTE)
        try:
            payment_id = _pk(input.payment_id, "Payment")
            amount = parse_amount(input.amount)
            reason = _text(input.reason, "reason", required=True, multiline=True, limit=500)
        except DomainError as error:
            return _refused(error, dispute=True)  # type: ignore[return-value]
        now = info.context.clock.now()
        return _dispute_payload(await run_idempotent(
            info, operation="openDispute", key=input.idempotency_key,
            request={"payment": payment_id, "amount": amount.fen, "reason": reason},
            effect=lambda conn: goods.open_dispute(
                conn, buyer_id=buyer_id, payment_id=payment_id, amount=amount, reason=reason, now=now
            ),
            result_type=DisputeOutcome,
        ))

    @strawberry.mutation(description="Merchant: accept a dispute (the amount asked is refunded now) or reject it "
                         "with a note (the operator decides).")
    async def respond_to_dispute(self, info: Info, input: RespondToDisputeInput) -> DisputePayload:
        merchant_id = _party(info, Step.ACCEPT_DISPUTE if input.accept else Step.REJECT_DISPUTE)
        try:
            dispute_id = _pk(input.dispute_id, "Dispute")
            note = _text(input.note, "note", required=False, multiline=True, limit=500)
        except DomainError as error:
            return _refused(error, dispute=True)  # type: ignore[return-value]
        now = info.context.clock.now()
        return _dispute_payload(await run_idempotent(
            info, operation="respondToDispute", key=input.idempotency_key,
            request={"dispute": dispute_id, "accept": input.accept, "note": note},
            effect=lambda conn: goods.respond_to_dispute(
                conn, merchant_id=merchant_id, dispute_id=dispute_id, accept=input.accept, note=note, now=now
            ),
            result_type=DisputeOutcome,
        ))

    @strawberry.mutation(description="Operator: settle a rejected dispute: refund any part of what is held, "
                         "release the rest.")
    async def resolve_dispute(self, info: Info, input: ResolveDisputeInput) -> DisputePayload:
        require_operator(info)
        try:
            dispute_id = _pk(input.dispute_id, "Dispute")
            refund: Money | None = None if input.refund_amount is None else parse_amount(input.refund_amount)
            note = _text(input.note, "note", required=False, multiline=True, limit=500)
        except DomainError as error:
            return _refused(error, dispute=True)  # type: ignore[return-value]
        fee_bps, now = info.context.platform_fee_bps, info.context.clock.now()
        return _dispute_payload(await run_idempotent(
            info, operation="resolveDispute", key=input.idempotency_key,
            request={"dispute": dispute_id, "refund": None if refund is None else refund.fen, "note": note},
            effect=lambda conn: goods.resolve_dispute(
                conn, dispute_id=dispute_id, refund=refund, note=note, fee_bps=fee_bps, now=now
            ),
            result_type=DisputeOutcome,
        ))
