"""The escrow payment flow of the contract, end to end over HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.conftest import Server
from tests.support import (
    CONFIRM_RECEIPT,
    CREATE_PAYMENT,
    MARK_SHIPPED,
    MERCHANT_VIEW,
    REFUND_PAYMENT,
    RELEASE_DUE,
    TOP_UP,
    TRIAL_BALANCE,
    Api,
    new_key,
)


async def test_top_up_pay_hold_confirm_release(api: Api) -> None:
    buyer = await api.consumer()
    merchant = await api.merchant()

    data = await api.gql(TOP_UP, buyer.token, a="1000.00", k=new_key())
    assert data["topUp"] == {"wallet": {"balance": {"amount": "1000.00", "currency": "CNY"}}, "userErrors": []}

    payment = (await api.pay(buyer, merchant, "100.00"))["payment"]
    assert payment["status"] == "HELD"
    assert payment["amount"] == {"amount": "100.00", "currency": "CNY"}
    assert payment["heldAmount"] == {"amount": "100.00"}
    assert await api.balance(buyer) == "900.00"
    view = (await api.gql(MERCHANT_VIEW, merchant.token, id=merchant.id))["merchant"]
    assert view["wallet"]["balance"]["amount"] == "0.00"
    assert view["escrowHeld"]["amount"] == "100.00"
    assert view["receivedPayments"]["edges"][0]["node"]["buyer"]["id"] == buyer.id

    confirmed = await api.gql(CONFIRM_RECEIPT, buyer.token, p=payment["id"], k=new_key())
    assert confirmed["confirmReceipt"] == {"payment": {"id": payment["id"], "status": "RELEASED"}, "userErrors": []}
    view = (await api.gql(MERCHANT_VIEW, merchant.token, id=merchant.id))["merchant"]
    assert view["wallet"]["balance"]["amount"] == "100.00"
    assert view["escrowHeld"]["amount"] == "0.00"

    again = await api.gql(CONFIRM_RECEIPT, buyer.token, p=payment["id"], k=new_key())
    assert again["confirmReceipt"]["userErrors"][0]["code"] == "INVALID_STATE"


async def test_full_refund_before_release(api: Api) -> None:
    buyer = await api.consumer(balance="1000.00")
    merchant = await api.merchant()
    payment = (await api.pay(buyer, merchant, "100.00"))["payment"]

    data = await api.gql(REFUND_PAYMENT, merchant.token, p=payment["id"], a="100.00", k=new_key())
    assert data["refundPayment"]["payment"]["status"] == "REFUNDED"
    assert data["refundPayment"]["payment"]["refundedAmount"] == {"amount": "100.00"}
    assert await api.balance(buyer) == "1000.00"
    confirm = await api.gql(CONFIRM_RECEIPT, buyer.token, p=payment["id"], k=new_key())
    assert confirm["confirmReceipt"]["userErrors"][0]["code"] == "INVALID_STATE"


async def test_partial_refund_then_confirm_releases_the_rest(api: Api) -> None:
    buyer = await api.consumer(balance="1000.00")
    merchant = await api.merchant()
    payment = (await api.pay(buyer, merchant, "100.00"))["payment"]

    data = await api.gql(REFUND_PAYMENT, merchant.token, p=payment["id"], a="30.00", k=new_key())
    assert data["refundPayment"]["payment"]["status"] == "PARTIALLY_REFUNDED"
    view = (await api.gql(MERCHANT_VIEW, merchant.token, id=merchant.id))["merchant"]
    assert view["escrowHeld"]["amount"] == "70.00"
    assert await api.balance(buyer) == "930.00"

    await api.gql(CONFIRM_RECEIPT, buyer.token, p=payment["id"], k=new_key())
    query = "query($id: ID!) { payment(id: $id) { status heldAmount { amount } refundedAmount { amount } } }"
    state = (await api.gql(query, buyer.token, id=payment["id"]))["payment"]
    assert state == {"status": "RELEASED", "heldAmount": {"amount": "0.00"}, "refundedAmount": {"amount": "30.00"}}
    assert await api.balance(merchant) == "70.00"

    too_much = await api.gql(REFUND_PAYMENT, merchant.token, p=payment["id"], a="70.01", k=new_key())
    assert too_much["refundPayment"]["userErrors"][0]["code"] == "INVALID_AMOUNT"


async def test_refund_after_release_debits_the_merchant(api: Api) -> None:
    buyer = await api.consumer(balance="500.00")
    merchant = await api.merchant()
    payment = (await api.pay(buyer, merchant, "200.00"))["payment"]
    await api.gql(CONFIRM_RECEIPT, buyer.token, p=payment["id"], k=new_key())

    part = await api.gql(REFUND_PAYMENT, merchant.token, p=payment["id"], a="50.00", k=new_key())
    assert part["refundPayment"]["payment"] == {
        "id": payment["id"], "status": "RELEASED", "refundedAmount": {"amount": "50.00"}
    }
    assert await api.balance(merchant) == "150.00"
    assert await api.balance(buyer) == "350.00"

    rest = await api.gql(REFUND_PAYMENT, api.operator, p=payment["id"], a="150.00", k=new_key())
    assert rest["refundPayment"]["payment"]["status"] == "REFUNDED"
    assert await api.balance(merchant) == "0.00"
    assert await api.balance(buyer) == "500.00"


async def test_refund_after_release_needs_the_merchant_to_have_the_money(api: Api) -> None:
    buyer = await api.consumer(balance="100.00")
    merchant = await api.merchant()
    payment = (await api.pay(buyer, merchant, "100.00"))["payment"]
    await api.gql(CONFIRM_RECEIPT, buyer.token, p=payment["id"], k=new_key())
    await api.gql("mutation($a: Decimal!, $k: String!) { withdraw(input: {amount: $a, idempotencyKey: $k}) "
                  "{ userErrors { code } } }", merchant.token, a="60.00", k=new_key())

    data = await api.gql(REFUND_PAYMENT, merchant.token, p=payment["id"], a="100.00", k=new_key())
    assert data["refundPayment"]["userErrors"][0]["code"] == "INSUFFICIENT_FUNDS"
    assert data["refundPayment"]["payment"] is None
    assert await api.balance(merchant) == "40.00"
    assert await api.balance(buyer) == "0.00"


async def test_other_merchant_cannot_refund(api: Api) -> None:
    buyer = await api.consumer(balance="100.00")
    merchant, other = await api.merchant(), await api.merchant("Other Shop")
    payment = (await api.pay(buyer, merchant, "10.00"))["payment"]
    data = await api.gql(REFUND_PAYMENT, other.token, p=payment["id"], a="10.00", k=new_key())
    assert data["refundPayment"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_release_due_payments_auto_confirms_ten_days_after_shipment(api: Api, server: Server) -> None:
    buyer = await api.consumer(balance="100.00")
    merchant = await api.merchant()
    payment = (await api.pay(buyer, merchant, "40.00"))["payment"]
    created = server.clock.now()
    assert not (await api.gql(MARK_SHIPPED, merchant.token, p=payment["id"], k=new_key()))["markShipped"]["userErrors"]

    early = await api.gql(RELEASE_DUE, api.operator, t=(created + timedelta(days=9)).isoformat())
    assert early["releaseDuePayments"]["releasedCount"] >= 0
    query = "query($id: ID!) { payment(id: $id) { status } }"
    assert (await api.gql(query, buyer.token, id=payment["id"]))["payment"]["status"] == "HELD"

    server.clock.set(created + timedelta(days=11))
    try:
        due = await api.gql(RELEASE_DUE, api.operator, t=(created + timedelta(days=10)).isoformat())
        assert due["releaseDuePayments"]["releasedCount"] >= 1
        assert (await api.gql(query, buyer.token, id=payment["id"]))["payment"]["status"] == "RELEASED"
        assert await api.balance(merchant) == "40.00"
    finally:
        server.clock.set(created)


async def test_confirm_by_is_the_instant_the_batch_releases_the_payment(api: Api, server: Server) -> None:
    buyer = await api.consumer(balance="100.00")
    merchant = await api.merchant()
    payment = (await api.pay(buyer, merchant, "40.00"))["payment"]
    query = "query($id: ID!) { payment(id: $id) { status createdAt confirmBy shipment { shippedAt } } }"
    assert (await api.gql(query, buyer.token, id=payment["id"]))["payment"]["confirmBy"] is None  # not shipped
    assert not (await api.gql(MARK_SHIPPED, merchant.token, p=payment["id"], k=new_key()))["markShipped"]["userErrors"]
    read = (await api.gql(query, buyer.token, id=payment["id"]))["payment"]
    confirm_by = datetime.fromisoformat(read["confirmBy"])
    assert confirm_by == datetime.fromisoformat(read["shipment"]["shippedAt"]) + timedelta(days=10)

    now = server.clock.now()
    server.clock.set(confirm_by + timedelta(hours=1))
    try:
        await api.gql(RELEASE_DUE, api.operator, t=(confirm_by - timedelta(microseconds=1)).isoformat())
        assert (await api.gql(query, buyer.token, id=payment["id"]))["payment"]["status"] == "HELD"
        await api.gql(RELEASE_DUE, api.operator, t=confirm_by.isoformat())
        released = (await api.gql(query, merchant.token, id=payment["id"]))["payment"]
        assert (released["status"], released["confirmBy"]) == ("RELEASED", None)
    finally:
        server.clock.set(now)


async def test_release_due_refuses_the_future(api: Api, server: Server) -> None:
    future = (server.clock.now() + timedelta(hours=1)).isoformat()
    body = (await api.post(
        "mutation($t: DateTime!) { releaseDuePayments(input: {asOf: $t}) { releasedCount userErrors { code } } }",
        api.operator, t=future,
    )).json()
    assert body["data"]["releaseDuePayments"] == {"releasedCount": 0, "userErrors": [{"code": "INVALID_STATE"}]}


async def test_trial_balance_sums_to_zero(api: Api) -> None:
    buyer = await api.consumer(balance="300.00")
    merchant = await api.merchant()
    await api.pay(buyer, merchant, "120.00")
    data = await api.gql(TRIAL_BALANCE, api.operator)
    balance = data["trialBalance"]
    assert balance["total"] == {"amount": "0.00"}
    codes = {line["code"] for line in balance["accounts"]}
    assert {"WALLETS:CNY", "ESCROW:CNY", "BANK_SETTLEMENT:CNY"} <= codes


@pytest.mark.parametrize("role", ["consumer", "merchant"])
async def test_trial_balance_is_for_operators_only(api: Api, role: str) -> None:
    party = await (api.consumer() if role == "consumer" else api.merchant())
    body = (await api.post(TRIAL_BALANCE, party.token)).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_create_payment_wallet_source_is_the_default_and_listed(api: Api) -> None:
    buyer = await api.consumer(balance="10.00")
    merchant = await api.merchant()
    data = await api.gql(CREATE_PAYMENT, buyer.token, m=merchant.id, a="10.00", s="WALLET", k=new_key())
    assert data["createPayment"]["userErrors"] == []
