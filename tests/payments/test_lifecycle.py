"""The lifecycle table without a database: where a payment stands, who may move it, where it may land."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from services.kernel.errors import DomainError, ErrorCode
from services.kernel.money import Money
from services.payments import lifecycle
from services.payments.lifecycle import DISPUTE_TRANSITIONS, STAGE_STATUSES, TRANSITIONS, Actor, Stage, Step
from services.payments.models import (
    HELD_STATUSES,
    OPEN_DISPUTE_STATUSES,
    Dispute,
    DisputeStatus,
    FundingSource,
    GoodsFlowTerms,
    Payment,
    PaymentStatus,
)

pytestmark = pytest.mark.unit

AT = datetime(2026, 11, 20, 2, tzinfo=UTC)


def _payment(status: PaymentStatus = PaymentStatus.HELD, *, shipped: bool = False, refunded: int = 0) -> Payment:
    return Payment(
        id=9, buyer_id=5, merchant_id=3, amount=Money(10_000), refunded=Money(refunded), fee=Money(0),
        status=status, funding_source=FundingSource.WALLET, order_ref="", created_at=AT, released_at=None,
        shipped_at=AT if shipped else None, confirm_by=AT + timedelta(days=10) if shipped else None,
    )


def _dispute(status: DisputeStatus) -> Dispute:
    return Dispute(
        id=1, payment_id=9, buyer_id=5, merchant_id=3, status=status, amount=Money(100), reason="broken",
        opened_at=AT, closed_at=None if status in OPEN_DISPUTE_STATUSES else AT, timer_left=None,
    )


@pytest.mark.parametrize(
    ("payment", "dispute", "stage"),
    [
        (_payment(), None, Stage.AWAITING_SHIPMENT),
        (_payment(PaymentStatus.PARTIALLY_REFUNDED, refunded=1), None, Stage.AWAITING_SHIPMENT),
        (_payment(shipped=True), None, Stage.SHIPPED),
        (_payment(shipped=True), _dispute(DisputeStatus.OPEN), Stage.IN_DISPUTE),
        (_payment(), _dispute(DisputeStatus.REJECTED), Stage.WITH_OPERATOR),
        (_payment(shipped=True), _dispute(DisputeStatus.ACCEPTED), Stage.SHIPPED),  # a closed dispute is history
        (_payment(PaymentStatus.RELEASED), _dispute(DisputeStatus.RESOLVED), Stage.RELEASED),
        (_payment(PaymentStatus.REFUNDED, refunded=10_000), None, Stage.REFUNDED),
    ],
)
def test_where_a_payment_stands(payment: Payment, dispute: Dispute | None, stage: Stage) -> None:
    assert lifecycle.stage_of(payment, dispute) is stage


def test_the_table_names_who_may_take_each_step() -> None:
    assert lifecycle.actors_of(Step.SHIP) == {Actor.MERCHANT}
    assert lifecycle.actors_of(Step.OPEN_DISPUTE) == {Actor.BUYER}
    assert lifecycle.actors_of(Step.REFUND) == {Actor.MERCHANT, Actor.OPERATOR}
    assert lifecycle.actors_of(Step.RESOLVE_DISPUTE) == {Actor.OPERATOR}
    assert lifecycle.actors_of(Step.AUTO_RELEASE) == {Actor.SCHEDULER}
    # every step is takeable from somewhere, by someone
    assert all(lifecycle.actors_of(step) for step in Step)


def test_a_step_outside_the_table_is_refused_as_invalid_state() -> None:
    for stage in Stage:
        for step in Step:
            for actor in Actor:
                allowed = (stage, step) in TRANSITIONS and actor in TRANSITIONS[(stage, step)].actors
                if allowed:
                    assert lifecycle.require(stage, step, actor) is TRANSITIONS[(stage, step)]
                    continue
                with pytest.raises(DomainError) as refused:
                    lifecycle.require(stage, step, actor)
                assert refused.value.code is ErrorCode.INVALID_STATE


def test_the_rules_an_escrow_keeps() -> None:
    # nothing leaves a final stage but a refund after release; nothing leaves REFUNDED
    assert not [key for key in TRANSITIONS if key[0] is Stage.REFUNDED]
    assert {step for stage, step in TRANSITIONS if stage is Stage.RELEASED} == {Step.REFUND}
    # while a dispute is open no money moves except through the dispute
    for stage in (Stage.IN_DISPUTE, Stage.WITH_OPERATOR):
        assert {step for s, step in TRANSITIONS if s is stage} <= {
            Step.ACCEPT_DISPUTE, Step.REJECT_DISPUTE, Step.RESOLVE_DISPUTE}
    # the clock releases only a shipped payment, the only stage with a running timer
    assert [stage for stage, step in TRANSITIONS if step is Step.AUTO_RELEASE] == [Stage.SHIPPED]
    assert lifecycle.TIMED_STAGES == {Stage.SHIPPED}
    # "held" is exactly the statuses of the stages where escrow still holds money
    held_stages = (Stage.AWAITING_SHIPMENT, Stage.SHIPPED, Stage.IN_DISPUTE, Stage.WITH_OPERATOR)
    assert set().union(*(STAGE_STATUSES[s] for s in held_stages)) == HELD_STATUSES
    assert set(STAGE_STATUSES) == set(Stage)
    # each dispute step moves the dispute as the stage it starts from says
    dispute_of = {Stage.IN_DISPUTE: DisputeStatus.OPEN, Stage.WITH_OPERATOR: DisputeStatus.REJECTED}
    for (stage, step) in TRANSITIONS:
        if step in (Step.ACCEPT_DISPUTE, Step.REJECT_DISPUTE, Step.RESOLVE_DISPUTE):
            assert (dispute_of[stage], step) in DISPUTE_TRANSITIONS


def test_landing_outside_the_transition_fails_loudly() -> None:
    shipped = lifecycle.require(Stage.AWAITING_SHIPMENT, Step.SHIP, Actor.MERCHANT)
    assert lifecycle.landed(shipped, _payment(shipped=True), None).shipped_at == AT
    with pytest.raises(AssertionError):
        lifecycle.landed(shipped, _payment(), None)  # still awaiting shipment
    with pytest.raises(AssertionError):  # shipped without a deadline
        lifecycle.landed(shipped, dataclasses.replace(_payment(shipped=True), confirm_by=None), None)


def test_the_default_terms() -> None:
    terms = GoodsFlowTerms()
    assert (terms.confirm_window, terms.extension, terms.ship_within) == (
        timedelta(days=10), timedelta(days=3), timedelta(days=3))


def test_the_terms_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from gateway.settings import Settings

    assert (Settings().confirm_window_days, Settings().confirm_extension_days, Settings().ship_within_days) == (10, 3, 3)
    monkeypatch.setenv("FINGRAPH_CONFIRM_WINDOW_DAYS", "15")
    monkeypatch.setenv("FINGRAPH_CONFIRM_EXTENSION_DAYS", "5")
    monkeypatch.setenv("FINGRAPH_SHIP_WITHIN_DAYS", "2")
    settings = Settings.from_env()
    assert (settings.confirm_window_days, settings.confirm_extension_days, settings.ship_within_days) == (15, 5, 2)
