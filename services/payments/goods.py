"""Goods flow in escrow (物流 beside 资金流): shipment, the buyer's confirm window, disputes.

Each use case locks the payment, asks ``lifecycle.require`` whether its party may take
its step from where the payment stands, moves money only through the ledger (the same
``give_back``/``release_escrow`` as ``refundPayment`` and ``confirmReceipt``), records its
event, and checks where the payment landed. All of it runs in the caller's transaction:
a refusal anywhere changes nothing. Decisions: docs/adr/025-goods-flow-in-escrow.md.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.kernel.errors import DomainError, ErrorCode
from services.kernel.money import Money
from services.payments import goods_repository, lifecycle, outbox, repository
from services.payments.errors import dispute_not_found, invalid_state, payment_not_found
from services.payments.lifecycle import DISPUTE_TRANSITIONS, Actor, Step
from services.payments.models import (
    Dispute,
    DisputeOutcome,
    GoodsFlowTerms,
    Payment,
    PaymentEventKind,
)
from services.payments.service import give_back, release_escrow


async def _payment(conn: asyncpg.Connection, payment_id: int, *, buyer_id: int | None = None,
                   merchant_id: int | None = None) -> tuple[Payment, Dispute | None]:
    """The payment and its dispute, locked; NOT_FOUND unless the acting party is its buyer/merchant."""
    payment = await repository.payment_for_update(conn, payment_id)
    if payment is None or buyer_id not in (None, payment.buyer_id) or merchant_id not in (None, payment.merchant_id):
        raise payment_not_found()
    return payment, await goods_repository.dispute_of_payment(conn, payment.id)


async def _disputed(conn: asyncpg.Connection, dispute_id: int, *,
                    merchant_id: int | None = None) -> tuple[Payment, Dispute]:
    """A dispute and its payment, locked payment first; NOT_FOUND unless the merchant is the payment's."""
    payment_id = await goods_repository.payment_of_dispute(conn, dispute_id)
    payment = None if payment_id is None else await repository.payment_for_update(conn, payment_id)
    if payment is None or merchant_id not in (None, payment.merchant_id):
        raise dispute_not_found()
    dispute = await goods_repository.dispute_of_payment(conn, payment.id)
    assert dispute is not None and dispute.id == dispute_id
    return payment, dispute


def _window_open(payment: Payment, now: datetime) -> None:
    if payment.confirm_by is not None and payment.confirm_by <= now:
        raise invalid_state("the confirm window has closed: escrow releases this payment", field="paymentId")


async def mark_shipped(
    conn: asyncpg.Connection, *, merchant_id: int, payment_id: int, carrier: str, tracking_number: str,
    terms: GoodsFlowTerms, now: datetime,
) -> Payment:
    """The merchant shipped: the buyer's confirm window starts now."""
    payment, dispute = await _payment(conn, payment_id, merchant_id=merchant_id)
    transition = lifecycle.require(lifecycle.stage_of(payment, dispute), Step.SHIP, Actor.MERCHANT)
    shipped = await goods_repository.record_shipment(
        conn, payment_id=payment.id, carrier=carrier, tracking_number=tracking_number, at=now,
        confirm_by=now + terms.confirm_window,
    )
    await outbox.record_payment_events(conn, [shipped], PaymentEventKind.SHIPPED)
    return lifecycle.landed(transition, shipped, dispute)


async def extend_confirm_window(
    conn: asyncpg.Connection, *, buyer_id: int, payment_id: int, terms: GoodsFlowTerms, now: datetime
) -> Payment:
    """The buyer needs longer (the parcel is late): once per payment, while the window is open."""
    payment, dispute = await _payment(conn, payment_id, buyer_id=buyer_id)
    transition = lifecycle.require(lifecycle.stage_of(payment, dispute), Step.EXTEND, Actor.BUYER)
    if payment.extended:
        raise invalid_state("the confirm window was already extended once", field="paymentId")
    _window_open(payment, now)
    assert payment.confirm_by is not None  # SHIPPED
    extended = await goods_repository.set_confirm_by(
        conn, payment_id=payment.id, confirm_by=payment.confirm_by + terms.extension, extended=True
    )
    await outbox.record_payment_events(conn, [extended], PaymentEventKind.CONFIRM_WINDOW_EXTENDED)
    return lifecycle.landed(transition, extended, dispute)


async def cancel_unshipped_payment(
    conn: asyncpg.Connection, *, buyer_id: int, payment_id: int, terms: GoodsFlowTerms, now: datetime
) -> Payment:
    """Not shipped in time: the buyer takes back everything escrow holds."""
    payment, dispute = await _payment(conn, payment_id, buyer_id=buyer_id)
    transition = lifecycle.require(lifecycle.stage_of(payment, dispute), Step.CANCEL_UNSHIPPED, Actor.BUYER)
    ship_by = payment.created_at + terms.ship_within
    if now < ship_by:
        raise invalid_state(f"the merchant has until {ship_by.isoformat()} to ship", field="paymentId")
    cancelled = await give_back(
        conn, payment=payment, amount=payment.held, reason="cancelled: not shipped in time", now=now
    )
    return lifecycle.landed(transition, cancelled, dispute)


async def open_dispute(
    conn: asyncpg.Connection, *, buyer_id: int, payment_id: int, amount: Money, reason: str, now: datetime
) -> DisputeOutcome:
    """The buyer asks ``amount`` back: the confirm window stops until the dispute closes."""
    payment, dispute = await _payment(conn, payment_id, buyer_id=buyer_id)
    transition = lifecycle.require(lifecycle.stage_of(payment, dispute), Step.OPEN_DISPUTE, Actor.BUYER)
    if dispute is not None:
        raise invalid_state("this payment has already had its dispute", field="paymentId")
    if amount.fen > payment.held.fen:
        raise DomainError(ErrorCode.INVALID_AMOUNT, f"at most {payment.held.amount} is held", field="amount")
    _window_open(payment, now)
    timer_left = None if payment.confirm_by is None else payment.confirm_by - now
    opened = await goods_repository.insert_dispute(
        conn, payment=payment, amount=amount, reason=reason, timer_left=timer_left, at=now
    )
    await goods_repository.insert_dispute_step(
        conn, dispute_id=opened.id, action=Step.OPEN_DISPUTE.value, actor=Actor.BUYER.value, amount=amount.fen,
        note=reason, at=now,
    )
    stopped = await goods_repository.set_confirm_by(
        conn, payment_id=payment.id, confirm_by=None, extended=payment.extended
    )
    await outbox.record_payment_events(conn, [stopped], PaymentEventKind.DISPUTE_OPENED)
    return DisputeOutcome(dispute=opened, payment=lifecycle.landed(transition, stopped, opened))


async def respond_to_dispute(
    conn: asyncpg.Connection, *, merchant_id: int, dispute_id: int, accept: bool, note: str, now: datetime
) -> DisputeOutcome:
    """The merchant accepts (the amount asked goes back now; the timer runs again) or rejects
    with a note (the operator decides; the timer stays stopped)."""
    payment, dispute = await _disputed(conn, dispute_id, merchant_id=merchant_id)
    step = Step.ACCEPT_DISPUTE if accept else Step.REJECT_DISPUTE
    transition = lifecycle.require(lifecycle.stage_of(payment, dispute), step, Actor.MERCHANT)
    if not accept and not note.strip():
        raise DomainError(ErrorCode.INVALID_INPUT, "say why the dispute is rejected", field="note")
    status = DISPUTE_TRANSITIONS[(dispute.status, step)]
    if accept:
        resumed = None if dispute.timer_left is None else now + dispute.timer_left
        payment = await give_back(
            conn, payment=payment, amount=dispute.amount, reason=f"dispute accepted: {dispute.reason}", now=now,
            confirm_by=resumed,
        )
    dispute = await goods_repository.update_dispute(
        conn, dispute_id=dispute.id, status=status, closed_at=now if accept else None
    )
    await goods_repository.insert_dispute_step(
        conn, dispute_id=dispute.id, action=step.value, actor=Actor.MERCHANT.value,
        amount=dispute.amount.fen if accept else None, note=note, at=now,
    )
    kind = PaymentEventKind.DISPUTE_ACCEPTED if accept else PaymentEventKind.DISPUTE_REJECTED
    await outbox.record_payment_events(conn, [payment], kind)
    return DisputeOutcome(dispute=dispute, payment=lifecycle.landed(transition, payment, dispute))


async def resolve_dispute(
    conn: asyncpg.Connection, *, dispute_id: int, refund: Money | None, note: str, fee_bps: int, now: datetime
) -> DisputeOutcome:
    """The operator's final word on a rejected dispute: ``refund`` (any part of what is held, or
    nothing) goes back to the buyer, the rest is released to the merchant."""
    payment, dispute = await _disputed(conn, dispute_id)
    transition = lifecycle.require(lifecycle.stage_of(payment, dispute), Step.RESOLVE_DISPUTE, Actor.OPERATOR)
    held = payment.held
    if refund is not None and refund.fen > held.fen:
        raise DomainError(ErrorCode.INVALID_AMOUNT, f"at most {held.amount} is held", field="refundAmount")
    if refund is not None:
        payment = await give_back(
            conn, payment=payment, amount=refund, reason=f"dispute resolved: {dispute.reason}", now=now
        )
    if payment.held.fen:
        payment = await release_escrow(conn, payment=payment, fee_bps=fee_bps, now=now)
    dispute = await goods_repository.update_dispute(
        conn, dispute_id=dispute.id, status=DISPUTE_TRANSITIONS[(dispute.status, Step.RESOLVE_DISPUTE)],
        closed_at=now,
    )
    await goods_repository.insert_dispute_step(
        conn, dispute_id=dispute.id, action=Step.RESOLVE_DISPUTE.value, actor=Actor.OPERATOR.value,
        amount=0 if refund is None else refund.fen, note=note, at=now,
    )
    await outbox.record_payment_events(conn, [payment], PaymentEventKind.DISPUTE_RESOLVED)
    return DisputeOutcome(dispute=dispute, payment=lifecycle.landed(transition, payment, dispute))
