"""The escrow payment's life as one table: which party may take which step from which stage.

Taobao's goods flow (物流) in escrow: the merchant ships, the buyer confirms, extends
the window once, cancels an unshipped order or disputes; the merchant answers a
dispute; the operator resolves a rejected one; the scheduler releases what is due.
Every use case asks ``require`` before it changes anything, the GraphQL mutations take
their roles from ``actors_of``, the SQL checks (migrations/007) and the property test
(tests/payments/test_goods_machine.py) read the same table, and
tests/compiled/test_one_rule.py holds the SQL to it. To add a step or a stage, change
this file first (CONTRIBUTING.md, "Add a keyed mutation", step 4).

A stage is derived, never stored: from the payment's money status (``PaymentStatus``),
its shipment and its dispute's status (``stage_of``), so the columns cannot disagree
with it. The money status stays what the contract names (HELD, PARTIALLY_REFUNDED,
RELEASED, REFUNDED); a stage says whose move it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from services.kernel.errors import DomainError, ErrorCode
from services.payments.models import (
    HELD_STATUSES,
    OPEN_DISPUTE_STATUSES,
    Dispute,
    DisputeStatus,
    Payment,
    PaymentStatus,
)


class Actor(str, Enum):
    """Who takes a step: the payment's own buyer or merchant, an operator, or the scheduler."""

    BUYER = "BUYER"
    MERCHANT = "MERCHANT"
    OPERATOR = "OPERATOR"
    SCHEDULER = "SCHEDULER"


class Stage(str, Enum):
    AWAITING_SHIPMENT = "AWAITING_SHIPMENT"  # held, not shipped: no timer runs
    SHIPPED = "SHIPPED"  # held, shipped: the buyer's confirm window runs
    IN_DISPUTE = "IN_DISPUTE"  # held, dispute OPEN: the merchant answers; the timer is stopped
    WITH_OPERATOR = "WITH_OPERATOR"  # held, dispute REJECTED: the operator resolves; the timer is stopped
    RELEASED = "RELEASED"  # the merchant has the money (a refund may still come from its wallet)
    REFUNDED = "REFUNDED"  # everything went back to the buyer: final


class Step(str, Enum):
    SHIP = "SHIP"
    EXTEND = "EXTEND"
    CANCEL_UNSHIPPED = "CANCEL_UNSHIPPED"
    CONFIRM = "CONFIRM"
    REFUND = "REFUND"
    AUTO_RELEASE = "AUTO_RELEASE"
    OPEN_DISPUTE = "OPEN_DISPUTE"
    ACCEPT_DISPUTE = "ACCEPT_DISPUTE"
    REJECT_DISPUTE = "REJECT_DISPUTE"
    RESOLVE_DISPUTE = "RESOLVE_DISPUTE"


@dataclass(frozen=True, slots=True)
class Transition:
    """Who may take a step from a stage, and the stages it may end in (amounts decide which)."""

    actors: frozenset[Actor]
    to: frozenset[Stage]


def _t(actors: set[Actor], *to: Stage) -> Transition:
    return Transition(frozenset(actors), frozenset(to))


_A, _S = Actor, Stage
_HELD_STAGES = (_S.AWAITING_SHIPMENT, _S.SHIPPED)

#: The one table. A (stage, step) pair that is not here is refused with INVALID_STATE.
TRANSITIONS: Mapping[tuple[Stage, Step], Transition] = {
    (_S.AWAITING_SHIPMENT, Step.SHIP): _t({_A.MERCHANT}, _S.SHIPPED),
    (_S.AWAITING_SHIPMENT, Step.CANCEL_UNSHIPPED): _t({_A.BUYER}, _S.REFUNDED),
    (_S.SHIPPED, Step.EXTEND): _t({_A.BUYER}, _S.SHIPPED),
    (_S.SHIPPED, Step.AUTO_RELEASE): _t({_A.SCHEDULER}, _S.RELEASED),
    **{(stage, Step.CONFIRM): _t({_A.BUYER}, _S.RELEASED) for stage in _HELD_STAGES},
    **{(stage, Step.REFUND): _t({_A.MERCHANT, _A.OPERATOR}, stage, _S.REFUNDED) for stage in _HELD_STAGES},
    (_S.RELEASED, Step.REFUND): _t({_A.MERCHANT, _A.OPERATOR}, _S.RELEASED, _S.REFUNDED),
    **{(stage, Step.OPEN_DISPUTE): _t({_A.BUYER}, _S.IN_DISPUTE) for stage in _HELD_STAGES},
    # Accepting refunds the amount asked; the payment goes back to where it was, or is all refunded.
    (_S.IN_DISPUTE, Step.ACCEPT_DISPUTE): _t({_A.MERCHANT}, *_HELD_STAGES, _S.REFUNDED),
    (_S.IN_DISPUTE, Step.REJECT_DISPUTE): _t({_A.MERCHANT}, _S.WITH_OPERATOR),
    # The operator's word is final: a refund of any part, the rest released.
    (_S.WITH_OPERATOR, Step.RESOLVE_DISPUTE): _t({_A.OPERATOR}, _S.RELEASED, _S.REFUNDED),
}

#: The steps a dispute's history records (``payments.dispute_steps.action``).
DISPUTE_STEPS = frozenset({Step.OPEN_DISPUTE, Step.ACCEPT_DISPUTE, Step.REJECT_DISPUTE, Step.RESOLVE_DISPUTE})

#: A dispute's own statuses, moved by the dispute steps of ``TRANSITIONS``.
DISPUTE_TRANSITIONS: Mapping[tuple[DisputeStatus, Step], DisputeStatus] = {
    (DisputeStatus.OPEN, Step.ACCEPT_DISPUTE): DisputeStatus.ACCEPTED,
    (DisputeStatus.OPEN, Step.REJECT_DISPUTE): DisputeStatus.REJECTED,
    (DisputeStatus.REJECTED, Step.RESOLVE_DISPUTE): DisputeStatus.RESOLVED,
}

#: The money statuses a payment may have in each stage.
STAGE_STATUSES: Mapping[Stage, frozenset[PaymentStatus]] = {
    **{stage: HELD_STATUSES for stage in (*_HELD_STAGES, _S.IN_DISPUTE, _S.WITH_OPERATOR)},
    _S.RELEASED: frozenset({PaymentStatus.RELEASED}),
    _S.REFUNDED: frozenset({PaymentStatus.REFUNDED}),
}

#: The stages in which the buyer's confirm window runs (``Payment.confirm_by`` is set).
TIMED_STAGES = frozenset({Stage.SHIPPED})


def stage_of(payment: Payment, dispute: Dispute | None) -> Stage:
    """Where the payment stands: its money status first, then an open dispute, then its shipment."""
    if payment.status is PaymentStatus.RELEASED:
        return Stage.RELEASED
    if payment.status is PaymentStatus.REFUNDED:
        return Stage.REFUNDED
    if dispute is not None and dispute.status is DisputeStatus.OPEN:
        return Stage.IN_DISPUTE
    if dispute is not None and dispute.status is DisputeStatus.REJECTED:
        return Stage.WITH_OPERATOR
    return Stage.SHIPPED if payment.shipped_at is not None else Stage.AWAITING_SHIPMENT


def actors_of(step: Step) -> frozenset[Actor]:
    """Every actor that may take ``step`` from some stage (the mutation's roles)."""
    return frozenset(actor for (_, s), t in TRANSITIONS.items() if s is step for actor in t.actors)


def require(stage: Stage, step: Step, actor: Actor) -> Transition:
    """The transition for ``step`` from ``stage`` by ``actor``, or INVALID_STATE (nothing changed)."""
    transition = TRANSITIONS.get((stage, step))
    if transition is None or actor not in transition.actors:
        raise DomainError(
            ErrorCode.INVALID_STATE, f"a payment {_STANDING[stage]} cannot be {_DONE[step]}", field=_FIELD[step]
        )
    return transition


def landed(transition: Transition, payment: Payment, dispute: Dispute | None) -> Payment:
    """``payment`` after a step: it must stand in one of the transition's stages (a broken
    use case fails loudly, and its transaction rolls back, rather than commit a forbidden move)."""
    stage = stage_of(payment, dispute)
    if stage not in transition.to or payment.status not in STAGE_STATUSES[stage]:
        raise AssertionError(f"payment {payment.id} landed in {stage.value}, outside {sorted(transition.to)}")
    if (payment.confirm_by is not None) != (stage in TIMED_STAGES):
        raise AssertionError(f"payment {payment.id} in {stage.value} with confirm_by {payment.confirm_by}")
    if dispute is not None and (dispute.status in OPEN_DISPUTE_STATUSES) != (dispute.closed_at is None):
        raise AssertionError(f"dispute {dispute.id} is {dispute.status.value} with closed_at {dispute.closed_at}")
    return payment


_STANDING = {
    Stage.AWAITING_SHIPMENT: "awaiting shipment", Stage.SHIPPED: "already shipped", Stage.IN_DISPUTE: "in dispute",
    Stage.WITH_OPERATOR: "whose dispute is with the operator", Stage.RELEASED: "already released",
    Stage.REFUNDED: "fully refunded",
}
_DONE = {
    Step.SHIP: "marked shipped", Step.EXTEND: "given a longer confirm window",
    Step.CANCEL_UNSHIPPED: "cancelled as unshipped", Step.CONFIRM: "confirmed", Step.REFUND: "refunded",
    Step.AUTO_RELEASE: "released automatically", Step.OPEN_DISPUTE: "disputed",
    Step.ACCEPT_DISPUTE: "settled by accepting its dispute", Step.REJECT_DISPUTE: "sent to the operator",
    Step.RESOLVE_DISPUTE: "resolved by the operator",
}
_FIELD = {step: ("disputeId" if step in (Step.ACCEPT_DISPUTE, Step.REJECT_DISPUTE, Step.RESOLVE_DISPUTE)
                 else "paymentId") for step in Step}
