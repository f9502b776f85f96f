"""The goods flow in escrow over HTTP: ship, extend, cancel unshipped, dispute, answer, resolve.

Each scenario follows the contract's documents (tests/support.py, "Goods flow and
disputes") and checks the money where it lands, the buyer's deadline, the history, the
events, and that a refused step changes nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest

from tests.conftest import Server
from tests.support import (
    CANCEL_UNSHIPPED,
    CONFIRM_RECEIPT,
    EXTEND_CONFIRM_WINDOW,
    MARK_SHIPPED,
    OPEN_DISPUTE,
    REFUND_PAYMENT,
    RELEASE_DUE,
    RESOLVE_DISPUTE,
    RESPOND_TO_DISPUTE,
    TRIAL_BALANCE,
    Api,
    Party,
    new_key,
)

ACCEPT = """mutation($d: ID!, $k: String!) { respondToDispute(input: {disputeId: $d, accept: true, idempotencyKey: $k}) {
  dispute { id status closedAt } payment { id status refundedAmount { amount } heldAmount { amount } confirmBy }
  userErrors { code message } } }"""
RELEASE_ALL = """mutation($d: ID!, $k: String!) { resolveDispute(input: {disputeId: $d, idempotencyKey: $k}) {
  dispute { id status } payment { id status refundedAmount { amount } } userErrors { code message } } }"""
PAYMENT = """query($id: ID!) { payment(id: $id) { id status confirmBy confirmWindowExtended heldAmount { amount }
  refundedAmount { amount } shipment { carrier trackingNumber shippedAt }
  dispute { id status amount { amount } reason closedAt history { action actor amount { amount } note at } } } }"""
NODE = "query($id: ID!) { node(id: $id) { __typename id ... on Dispute { status payment { id } } } }"


@pytest.fixture
async def clock_back(server: Server) -> AsyncIterator[None]:
    started = server.clock.now()
    try:
        yield
    finally:
        server.clock.set(started)


def _payload(data: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = next(iter(data.values()))
    return payload


async def _step(api: Api, document: str, token: str, **variables: Any) -> dict[str, Any]:
    return _payload(await api.gql(document, token, k=new_key(), **variables))


async def _paid(api: Api, amount: str = "100.00") -> tuple[Party, Party, str]:
    buyer = await api.consumer(balance="500.00")
    merchant = await api.merchant()
    paid = await api.pay(buyer, merchant, amount)
    assert not paid["userErrors"], paid
    return buyer, merchant, paid["payment"]["id"]


async def _state(db: asyncpg.Pool, payment_id: str) -> tuple[Any, ...]:
    """Everything a step may change about one payment: its row, its dispute, history, events, the ledger."""
    pk = int(payment_id.split("_")[1])
    async with db.acquire() as conn:
        payment = await conn.fetchrow("SELECT * FROM payments.payments WHERE id = $1", pk)
        dispute = await conn.fetchrow("SELECT * FROM payments.disputes WHERE payment_id = $1", pk)
        steps = await conn.fetchval(
            "SELECT count(*) FROM payments.dispute_steps s JOIN payments.disputes d ON d.id = s.dispute_id"
            " WHERE d.payment_id = $1", pk)
        events = await conn.fetch("SELECT kind FROM payments.payment_events WHERE payment_id = $1 ORDER BY id", pk)
        postings = await conn.fetchval("SELECT count(*) FROM payments.postings")
    return tuple(payment), None if dispute is None else tuple(dispute), steps, [e["kind"] for e in events], postings


async def test_shipment_starts_the_confirm_window_and_the_batch_respects_it(
    api: Api, server: Server, db: asyncpg.Pool, clock_back: None
) -> None:
    buyer, merchant, payment_id = await _paid(api)
    # given an unshipped payment: no deadline, and the clock never releases it
    assert (await api.gql(PAYMENT, buyer.token, id=payment_id))["payment"]["confirmBy"] is None
    server.clock.set(server.clock.now() + timedelta(days=12))  # (tokens live 30 days)
    await api.gql(RELEASE_DUE, api.operator, t=server.clock.now().isoformat())
    assert (await api.gql(PAYMENT, buyer.token, id=payment_id))["payment"]["status"] == "HELD"
    # when the merchant ships
    shipped = await _step(api, MARK_SHIPPED, merchant.token, p=payment_id)
    assert shipped["userErrors"] == []
    shipment = shipped["payment"]["shipment"]
    assert (shipment["carrier"], shipment["trackingNumber"]) == ("SF Express", "SF1234567890")
    shipped_at = datetime.fromisoformat(shipment["shippedAt"])
    assert shipped_at == server.clock.now()
    # then the buyer has ten days from shipment
    confirm_by = datetime.fromisoformat(shipped["payment"]["confirmBy"])
    assert confirm_by == shipped_at + timedelta(days=10)
    # and an extension adds three days, once
    extended = await _step(api, EXTEND_CONFIRM_WINDOW, buyer.token, p=payment_id)
    assert datetime.fromisoformat(extended["payment"]["confirmBy"]) == confirm_by + timedelta(days=3)
    before = await _state(db, payment_id)
    again = await _step(api, EXTEND_CONFIRM_WINDOW, buyer.token, p=payment_id)
    assert [e["code"] for e in again["userErrors"]] == ["INVALID_STATE"]
    assert await _state(db, payment_id) == before
    # and the batch releases it at the extended deadline, not before
    deadline = confirm_by + timedelta(days=3)
    server.clock.set(deadline + timedelta(hours=1))
    await api.gql(RELEASE_DUE, api.operator, t=(deadline - timedelta(microseconds=1)).isoformat())
    assert (await api.gql(PAYMENT, buyer.token, id=payment_id))["payment"]["status"] == "HELD"
    await api.gql(RELEASE_DUE, api.operator, t=deadline.isoformat())
    released = (await api.gql(PAYMENT, buyer.token, id=payment_id))["payment"]
    assert (released["status"], released["confirmBy"], released["confirmWindowExtended"]) == ("RELEASED", None, True)
    assert await api.balance(merchant) == "100.00"
    assert (await _state(db, payment_id))[3] == ["CREATED", "SHIPPED", "CONFIRM_WINDOW_EXTENDED", "RELEASED"]


async def test_only_the_payments_own_parties_may_take_its_steps(api: Api, db: asyncpg.Pool) -> None:
    buyer, merchant, payment_id = await _paid(api)
    other_merchant, other_buyer = await api.merchant("Other Shop"), await api.consumer("Han Meimei")
    before = await _state(db, payment_id)
    # another merchant cannot see it; a consumer may not ship at all
    refused = await _step(api, MARK_SHIPPED, other_merchant.token, p=payment_id)
    assert [e["code"] for e in refused["userErrors"]] == ["NOT_FOUND"]
    response = await api.post(MARK_SHIPPED, buyer.token, p=payment_id, k=new_key())
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # another buyer cannot dispute it; the merchant may not open a dispute
    refused = await _step(api, OPEN_DISPUTE, other_buyer.token, p=payment_id, a="1.00")
    assert [e["code"] for e in refused["userErrors"]] == ["NOT_FOUND"]
    response = await api.post(OPEN_DISPUTE, merchant.token, p=payment_id, a="1.00", k=new_key())
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # a dispute id where a payment id belongs is nobody's
    refused = await _step(api, MARK_SHIPPED, merchant.token, p="dsp_1")
    assert [e["code"] for e in refused["userErrors"]] == ["NOT_FOUND"]
    assert await _state(db, payment_id) == before


async def test_a_payment_not_shipped_in_three_days_is_cancelled_for_a_full_refund(
    api: Api, server: Server, db: asyncpg.Pool, clock_back: None
) -> None:
    buyer, merchant, payment_id = await _paid(api)
    refunded = await _step(api, REFUND_PAYMENT, merchant.token, p=payment_id, a="30.00")
    assert refunded["payment"]["status"] == "PARTIALLY_REFUNDED"
    # too early: the merchant still has time to ship
    before = await _state(db, payment_id)
    early = await _step(api, CANCEL_UNSHIPPED, buyer.token, p=payment_id)
    assert [e["code"] for e in early["userErrors"]] == ["INVALID_STATE"]
    assert await _state(db, payment_id) == before
    # three days on, the buyer takes back everything escrow still holds
    server.clock.set(server.clock.now() + timedelta(days=3))
    cancelled = await _step(api, CANCEL_UNSHIPPED, buyer.token, p=payment_id)
    assert cancelled == {"payment": {"id": payment_id, "status": "REFUNDED"}, "userErrors": []}
    assert await api.balance(buyer) == "500.00"
    read = (await api.gql(PAYMENT, buyer.token, id=payment_id))["payment"]
    assert (read["refundedAmount"], read["heldAmount"]) == ({"amount": "100.00"}, {"amount": "0.00"})
    # a shipped payment is not the buyer's to cancel
    _, shop, shipped_id = await _paid(api)
    await _step(api, MARK_SHIPPED, shop.token, p=shipped_id)
    server.clock.set(server.clock.now() + timedelta(days=4))
    late = await _step(api, CANCEL_UNSHIPPED, (await _buyer_of(api, db, shipped_id)).token, p=shipped_id)
    assert [e["code"] for e in late["userErrors"]] == ["INVALID_STATE"]


async def _buyer_of(api: Api, db: asyncpg.Pool, payment_id: str) -> Party:
    from services.kernel.principal import Role

    pk = await db.fetchval("SELECT buyer_id FROM payments.payments WHERE id = $1", int(payment_id.split("_")[1]))
    return Party(f"con_{pk}", pk, api.server_token(Role.CONSUMER, pk))


async def test_an_accepted_dispute_refunds_the_amount_and_restarts_the_stopped_timer(
    api: Api, server: Server, db: asyncpg.Pool, clock_back: None
) -> None:
    buyer, merchant, payment_id = await _paid(api)
    shipped = await _step(api, MARK_SHIPPED, merchant.token, p=payment_id)
    confirm_by = datetime.fromisoformat(shipped["payment"]["confirmBy"])
    server.clock.set(server.clock.now() + timedelta(days=4))  # six days left
    # asking back more than is held is refused
    too_much = await _step(api, OPEN_DISPUTE, buyer.token, p=payment_id, a="100.01")
    assert [e["code"] for e in too_much["userErrors"]] == ["INVALID_AMOUNT"]
    opened = await _step(api, OPEN_DISPUTE, buyer.token, p=payment_id, a="25.00")
    assert opened["userErrors"] == [] and opened["dispute"]["status"] == "OPEN"
    assert opened["dispute"]["amount"] == {"amount": "25.00"} and opened["payment"]["status"] == "HELD"
    dispute_id = opened["dispute"]["id"]
    # the timer stops: no deadline, and the batch leaves it alone past the old one
    assert (await api.gql(PAYMENT, buyer.token, id=payment_id))["payment"]["confirmBy"] is None
    server.clock.set(confirm_by + timedelta(days=5))
    await api.gql(RELEASE_DUE, api.operator, t=server.clock.now().isoformat())
    # while open, neither a refund nor a confirmation goes around the dispute
    before = await _state(db, payment_id)
    assert [e["code"] for e in (await _step(api, REFUND_PAYMENT, merchant.token, p=payment_id, a="1.00"))[
        "userErrors"]] == ["INVALID_STATE"]
    assert [e["code"] for e in (await _step(api, CONFIRM_RECEIPT, buyer.token, p=payment_id))[
        "userErrors"]] == ["INVALID_STATE"]
    assert await _state(db, payment_id) == before
    # the merchant accepts: 25.00 back now, the six days left run again from now
    accepted = await _step(api, ACCEPT, merchant.token, d=dispute_id)
    assert accepted["userErrors"] == [] and accepted["dispute"]["status"] == "ACCEPTED"
    assert accepted["payment"]["status"] == "PARTIALLY_REFUNDED"
    assert accepted["payment"]["heldAmount"] == {"amount": "75.00"}
    assert datetime.fromisoformat(accepted["payment"]["confirmBy"]) == server.clock.now() + timedelta(days=6)
    assert await api.balance(buyer) == "425.00"
    read = (await api.gql(PAYMENT, buyer.token, id=payment_id))["payment"]
    assert [(s["action"], s["actor"], s["amount"]) for s in read["dispute"]["history"]] == [
        ("OPEN_DISPUTE", "BUYER", {"amount": "25.00"}), ("ACCEPT_DISPUTE", "MERCHANT", {"amount": "25.00"})]
    assert read["dispute"]["history"][0]["note"] == "not as described"
    # one dispute per payment
    second = await _step(api, OPEN_DISPUTE, buyer.token, p=payment_id, a="1.00")
    assert [e["code"] for e in second["userErrors"]] == ["INVALID_STATE"]
    assert (await _state(db, payment_id))[3] == ["CREATED", "SHIPPED", "DISPUTE_OPENED", "REFUNDED", "DISPUTE_ACCEPTED"]


async def test_a_rejected_dispute_goes_to_the_operator_who_refunds_part_and_releases_the_rest(
    api: Api, db: asyncpg.Pool
) -> None:
    buyer, merchant, payment_id = await _paid(api)
    dispute_id = (await _step(api, OPEN_DISPUTE, buyer.token, p=payment_id, a="60.00"))["dispute"]["id"]
    # the operator waits for the merchant's answer
    early = await _step(api, RESOLVE_DISPUTE, api.operator, d=dispute_id, a="10.00")
    assert [e["code"] for e in early["userErrors"]] == ["INVALID_STATE"]
    rejected = await _step(api, RESPOND_TO_DISPUTE, merchant.token, d=dispute_id)
    assert rejected == {"dispute": {"id": dispute_id, "status": "REJECTED"}, "userErrors": []}
    # the merchant's say is over; the buyer cannot take the money around the operator
    assert [e["code"] for e in (await _step(api, ACCEPT, merchant.token, d=dispute_id))["userErrors"]] == [
        "INVALID_STATE"]
    before = await _state(db, payment_id)
    over = await _step(api, RESOLVE_DISPUTE, api.operator, d=dispute_id, a="100.01")
    assert [e["code"] for e in over["userErrors"]] == ["INVALID_AMOUNT"]
    assert await _state(db, payment_id) == before
    # the operator refunds 40.00 and releases the other 60.00
    resolved = await _step(api, RESOLVE_DISPUTE, api.operator, d=dispute_id, a="40.00")
    assert resolved == {
        "dispute": {"id": dispute_id, "status": "RESOLVED"},
        "payment": {"id": payment_id, "status": "RELEASED", "refundedAmount": {"amount": "40.00"}},
        "userErrors": [],
    }
    assert (await api.balance(buyer), await api.balance(merchant)) == ("440.00", "60.00")
    history = (await api.gql(PAYMENT, merchant.token, id=payment_id))["payment"]["dispute"]["history"]
    assert [(s["action"], s["actor"], s["note"]) for s in history] == [
        ("OPEN_DISPUTE", "BUYER", "not as described"), ("REJECT_DISPUTE", "MERCHANT", "delivered as described"),
        ("RESOLVE_DISPUTE", "OPERATOR", "partial refund")]
    total = (await api.gql(TRIAL_BALANCE, api.operator))["trialBalance"]["total"]
    assert total == {"amount": "0.00"}
    # a rejection needs its note; the operator may also release everything
    buyer2, merchant2, payment2 = await _paid(api, "20.00")
    dispute2 = (await _step(api, OPEN_DISPUTE, buyer2.token, p=payment2, a="20.00"))["dispute"]["id"]
    silent = _payload(await api.gql(
        'mutation($d: ID!, $k: String!) { respondToDispute(input: {disputeId: $d, accept: false, note: " ",'
        " idempotencyKey: $k}) { userErrors { code field } } }", merchant2.token, d=dispute2, k=new_key()))
    assert silent["userErrors"] == [{"code": "INVALID_INPUT", "field": "note"}]
    await _step(api, RESPOND_TO_DISPUTE, merchant2.token, d=dispute2)
    released = await _step(api, RELEASE_ALL, api.operator, d=dispute2)
    assert released["payment"]["status"] == "RELEASED" and released["payment"]["refundedAmount"] == {"amount": "0.00"}
    assert await api.balance(merchant2) == "20.00"


async def test_dispute_steps_are_keyed_and_the_dispute_is_a_node(api: Api) -> None:
    buyer, merchant, payment_id = await _paid(api)
    key = new_key()
    first = await api.gql(OPEN_DISPUTE, buyer.token, p=payment_id, a="5.00", k=key)
    # a retry replays the first answer; the same key for another amount is refused
    assert await api.gql(OPEN_DISPUTE, buyer.token, p=payment_id, a="5.00", k=key) == first
    reused = _payload(await api.gql(OPEN_DISPUTE, buyer.token, p=payment_id, a="6.00", k=key))
    assert [e["code"] for e in reused["userErrors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    dispute_id = first["openDispute"]["dispute"]["id"]
    assert dispute_id.startswith("dsp_")
    # node(id:) refetches it for its parties and the operator, for nobody else
    for token in (buyer.token, merchant.token, api.operator):
        node = (await api.gql(NODE, token, id=dispute_id))["node"]
        assert node == {"__typename": "Dispute", "id": dispute_id, "status": "OPEN", "payment": {"id": payment_id}}
    stranger = await api.consumer("Han Meimei")
    assert (await api.gql(NODE, stranger.token, id=dispute_id))["node"] is None
