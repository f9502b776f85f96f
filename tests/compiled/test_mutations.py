"""Keyed mutations on the compiled path (schema/compiled/mutations.py) answer as the standard path does.

A comparison (``Pair.compare``) sends the request to the compiled app, then to the
standard app, then to the compiled app again, all with the same idempotency key. So a
success is executed once, by whichever app sees it first, and replayed twice: each
case below first warms its document in the compiled app with another key, so that the
one execution is the compiled path's and the standard app's answer is its replay.
A refusal for the ledger's state (userErrors) is kept under its key as a success is, and
replayed alike; a refusal of malformed input keeps nothing, so each app runs it for itself.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.compiled.differential import Pair
from tests.support import (
    CANCEL_UNSHIPPED,
    CONFIRM_RECEIPT,
    CREATE_PAYMENT,
    EXTEND_CONFIRM_WINDOW,
    MARK_SHIPPED,
    OPEN_DISPUTE,
    REFUND_PAYMENT,
    RESOLVE_DISPUTE,
    RESPOND_TO_DISPUTE,
    TOP_UP,
    TRANSFER,
    WITHDRAW,
    Api,
    new_key,
)

PAYMENT_FIELDS = """id status amount { amount currency } heldAmount { amount } refundedAmount { amount }
  fee { amount } fundingSource orderRef createdAt releasedAt confirmBy confirmWindowExtended"""
#: Every plain field of the payload, aliases, a fragment, __typename.
CREATE_PAYMENT_FULL = f"""mutation Pay($m: ID!, $a: Decimal!, $k: String!, $o: String! = "order-9") {{
  paid: createPayment(input: {{merchantId: $m, amount: $a, orderRef: $o, idempotencyKey: $k}}) {{
    __typename payment {{ ...PaymentParts held: heldAmount {{ amount }} }} userErrors {{ code field message }} }} }}
fragment PaymentParts on Payment {{ __typename {PAYMENT_FIELDS} }}"""
CREATE_PAYMENT_CONDITIONAL = """mutation($m: ID!, $a: Decimal!, $k: String!, $full: Boolean!) {
  createPayment(input: {merchantId: $m, amount: $a, idempotencyKey: $k}) {
    payment { id status @include(if: $full) amount @skip(if: $full) { amount } } userErrors { code } } }"""
#: ``merchant`` is resolved through a loader: not a plain completion, so the standard path answers.
CREATE_PAYMENT_WITH_MERCHANT = """mutation($m: ID!, $a: Decimal!, $k: String!) {
  createPayment(input: {merchantId: $m, amount: $a, idempotencyKey: $k}) {
    payment { id merchant { id name } } userErrors { code } } }"""
TWO_ROOTS = """mutation($m: ID!, $k: String!, $j: String!) {
  a: createPayment(input: {merchantId: $m, amount: "1.00", idempotencyKey: $k}) { payment { id } }
  b: createPayment(input: {merchantId: $m, amount: "2.00", idempotencyKey: $j}) { payment { id } } }"""
PAYMENT = f"query($id: ID!) {{ payment(id: $id) {{ __typename {PAYMENT_FIELDS} }} }}"
OPEN_LINE = """mutation($p: ID!, $l: Decimal, $r: Decimal) {
  openCreditLine(input: {partyId: $p, limit: $l, dailyRate: $r}) { userErrors { code } } }"""
DRAW = """mutation($a: Decimal!, $k: String!) { drawCredit(input: {amount: $a, idempotencyKey: $k}) {
  __typename creditLine { id available { amount currency } outstandingPrincipal { amount } dailyRate apr status }
  userErrors { code field message } } }"""
REPAY = """mutation($a: Decimal!, $k: String!) { repayCredit(input: {amount: $a, idempotencyKey: $k}) {
  repayment { amount { amount } interestPaid { amount } principalPaid { amount } penaltyPaid { amount } }
  creditLine { outstandingPrincipal { amount } accruedInterest { amount } } userErrors { code field message } } }"""
SUBSCRIBE = """mutation($a: Decimal!, $k: String!) { subscribeFund(input: {fundCode: "YEB", amount: $a, idempotencyKey: $k}) {
  holding { units pendingUnits redeemingUnits value { amount } } userErrors { code field message } } }"""
REDEEM = """mutation($a: Decimal!, $k: String!) {
  redeemFund(input: {fundCode: "YEB", amount: $a, mode: STANDARD, idempotencyKey: $k}) {
  holding { units redeemingUnits } userErrors { code field message } } }"""


async def _compare(pair: Pair, query: str, token: str | None, variables: dict[str, Any], *, kind: str,
                   path: str | None = "compiled", warm: dict[str, Any] | None = None) -> Any:
    """Warm ``query`` in the compiled app (with ``warm`` variables), then compare one request; its JSON."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if warm is not None:
        await pair.compiled.post("/graphql", json={"query": query, "variables": warm}, headers=headers)
    outcome = await pair.compare({"query": query, "variables": variables}, token, kind=f"mutation: {kind}")
    if path is not None:
        assert outcome.read_path == path, f"{kind}: the {outcome.read_path} path answered"
    return outcome.json()


@pytest.fixture
async def api(pair: Pair, apps: Any) -> Api:
    _, standard = apps
    return Api(http=pair.standard, server_token=standard.token)


async def test_create_payment_every_field(pair: Pair, api: Api) -> None:
    buyer, merchant = await api.consumer(balance="500.00"), await api.merchant()
    variables = {"m": merchant.id, "a": "12.34", "k": new_key()}
    body = await _compare(pair, CREATE_PAYMENT_FULL, buyer.token, variables, kind="createPayment, every field",
                          warm={**variables, "k": new_key(), "a": "0.01"})
    paid = body["data"]["paid"]
    assert paid["userErrors"] == [] and paid["payment"]["amount"] == {"amount": "12.34", "currency": "CNY"}
    # The compiled path's answer (the JSON the payment's function returned) is the payment as read back.
    read = await api.gql(PAYMENT, buyer.token, id=paid["payment"]["id"])
    assert {k: v for k, v in paid["payment"].items() if k != "held"} == read["payment"]
    # And a replay by the compiled app itself is the same answer.
    again = await _compare(pair, CREATE_PAYMENT_FULL, buyer.token, variables, kind="createPayment, replayed")
    assert again == body


@pytest.mark.parametrize(("case", "amount", "merchant", "order"), [
    ("insufficient funds", "900.00", "own", "o"),
    ("unknown merchant", "1.00", "mer_99999999999", "o"),
    ("a consumer as merchant", "1.00", "consumer", "o"),
    ("malformed merchant id", "1.00", "merchant-1", "o"),
    ("three decimals", "1.005", "own", "o"),
    ("zero", "0", "own", "o"),
    ("orderRef too long", "1.00", "own", "x" * 256),
    ("orderRef too long, no merchant", "1.00", "mer_99999999999", "x" * 256),
])
async def test_create_payment_refusals(pair: Pair, api: Api, case: str, amount: str, merchant: str,
                                       order: str) -> None:
    buyer, own = await api.consumer(balance="100.00"), await api.merchant()
    merchant_id = {"own": own.id, "consumer": buyer.id}.get(merchant, merchant)
    variables = {"m": merchant_id, "a": amount, "k": new_key(), "o": order}
    body = await _compare(pair, CREATE_PAYMENT_FULL, buyer.token, variables, kind=f"createPayment, {case}",
                          warm={"m": own.id, "a": "0.01", "k": new_key()})
    assert body["data"]["paid"]["payment"] is None and body["data"]["paid"]["userErrors"], body
    assert await api.balance(buyer) == "99.99"  # only the warm-up's 0.01 was paid


async def test_create_payment_key_reused_for_another_request(pair: Pair, api: Api) -> None:
    buyer, merchant = await api.consumer(balance="100.00"), await api.merchant()
    key = new_key()
    await api.pay(buyer, merchant, "5.00", key=key)
    body = await _compare(pair, CREATE_PAYMENT, buyer.token, {"m": merchant.id, "a": "6.00", "s": "WALLET", "k": key},
                          kind="createPayment, key reused", warm={"m": merchant.id, "a": "0.01", "s": "WALLET",
                                                                  "k": new_key()})
    assert body["data"]["createPayment"]["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"


@pytest.mark.parametrize("full", [True, False])
async def test_create_payment_skip_and_include(pair: Pair, api: Api, full: bool) -> None:
    buyer, merchant = await api.consumer(balance="100.00"), await api.merchant()
    variables = {"m": merchant.id, "a": "3.00", "k": new_key(), "full": full}
    body = await _compare(pair, CREATE_PAYMENT_CONDITIONAL, buyer.token, variables, kind="createPayment, @skip/@include",
                          warm={**variables, "k": new_key(), "full": not full})
    assert ("status" in body["data"]["createPayment"]["payment"]) is full


@pytest.mark.parametrize(("case", "query", "viewer"), [
    ("a field resolved by a loader", CREATE_PAYMENT_WITH_MERCHANT, "buyer"),
    ("as a merchant (not allowed)", CREATE_PAYMENT_WITH_MERCHANT, "merchant"),
    ("anonymous", CREATE_PAYMENT_WITH_MERCHANT, None),
])
async def test_create_payment_the_standard_path_answers(pair: Pair, api: Api, case: str, query: str,
                                                        viewer: str | None) -> None:
    buyer, merchant = await api.consumer(balance="100.00"), await api.merchant()
    token = {"buyer": buyer.token, "merchant": merchant.token, None: None}[viewer]
    variables = {"m": merchant.id, "a": "2.00", "k": new_key()}
    await _compare(pair, query, token, variables, kind=f"createPayment, {case}", path="standard",
                   warm={**variables, "k": new_key()})


async def test_two_root_fields_take_the_standard_path(pair: Pair, api: Api) -> None:
    buyer, merchant = await api.consumer(balance="100.00"), await api.merchant()
    body = await _compare(pair, TWO_ROOTS, buyer.token, {"m": merchant.id, "k": new_key(), "j": new_key()},
                          kind="two createPayments in one operation", path="standard",
                          warm={"m": merchant.id, "k": new_key(), "j": new_key()})
    assert body["data"]["a"]["payment"] and body["data"]["b"]["payment"]
    assert await api.balance(buyer) == "94.00"


async def test_mutation_over_get_is_refused_alike(pair: Pair, api: Api) -> None:
    buyer, merchant = await api.consumer(balance="10.00"), await api.merchant()
    variables = {"m": merchant.id, "a": "1.00", "s": "WALLET", "k": new_key()}
    await pair.compiled.post("/graphql", json={"query": CREATE_PAYMENT, "variables": {**variables, "k": new_key()}},
                             headers={"Authorization": f"Bearer {buyer.token}"})
    outcome = await pair.compare({"query": CREATE_PAYMENT, "variables": variables}, buyer.token,
                                 kind="mutation: createPayment over GET", method="GET")
    assert outcome.status == 405
    assert await api.balance(buyer) == "9.00"


async def test_the_other_keyed_mutations(pair: Pair, api: Api) -> None:
    buyer, merchant = await api.consumer(balance="100.00"), await api.merchant()
    friend = await api.consumer()
    cases: list[tuple[str, str, str, dict[str, Any], dict[str, Any]]] = [
        ("topUp", TOP_UP, buyer.token, {"a": "20.00"}, {"a": "0.01"}),
        ("topUp, bad amount", TOP_UP, buyer.token, {"a": "-1"}, {"a": "0.01"}),
        ("withdraw", WITHDRAW, buyer.token, {"a": "5.00"}, {"a": "0.01"}),
        ("withdraw, too much", WITHDRAW, buyer.token, {"a": "5000.00"}, {"a": "0.01"}),
        ("transfer", TRANSFER, buyer.token, {"to": friend.id, "a": "4.00"}, {"to": friend.id, "a": "0.01"}),
        ("transfer to oneself", TRANSFER, buyer.token, {"to": buyer.id, "a": "4.00"}, {"to": friend.id, "a": "0.01"}),
    ]
    for kind, query, token, variables, warm in cases:
        await _compare(pair, query, token, {**variables, "k": new_key()}, kind=kind, warm={**warm, "k": new_key()})
    payments = [(await api.pay(buyer, merchant, "10.00"))["payment"]["id"] for _ in range(3)]
    await _compare(pair, CONFIRM_RECEIPT, buyer.token, {"p": payments[0], "k": new_key()}, kind="confirmReceipt",
                   warm={"p": payments[1], "k": new_key()})
    await _compare(pair, CONFIRM_RECEIPT, buyer.token, {"p": payments[0], "k": new_key()},
                   kind="confirmReceipt, already released")
    await _compare(pair, REFUND_PAYMENT, merchant.token, {"p": payments[2], "a": "3.00", "k": new_key()},
                   kind="refundPayment", warm={"p": payments[2], "a": "0.01", "k": new_key()})
    await _compare(pair, REFUND_PAYMENT, merchant.token, {"p": payments[2], "a": "30.00", "k": new_key()},
                   kind="refundPayment, more than paid")


async def test_the_goods_flow_keyed_mutations(pair: Pair, api: Api) -> None:
    buyer, merchant = await api.consumer(balance="100.00"), await api.merchant()
    p = [(await api.pay(buyer, merchant, "10.00"))["payment"]["id"] for _ in range(5)]
    # shipment's fields stay on the standard path (standard_only); the answers must still agree
    await _compare(pair, MARK_SHIPPED, merchant.token, {"p": p[0], "k": new_key()}, kind="markShipped", path=None,
                   warm={"p": p[1], "k": new_key()})
    await _compare(pair, MARK_SHIPPED, merchant.token, {"p": p[0], "k": new_key()}, kind="markShipped, again",
                   path=None)
    await _compare(pair, EXTEND_CONFIRM_WINDOW, buyer.token, {"p": p[0], "k": new_key()}, kind="extendConfirmWindow",
                   warm={"p": p[1], "k": new_key()})
    await _compare(pair, CANCEL_UNSHIPPED, buyer.token, {"p": p[2], "k": new_key()},
                   kind="cancelUnshippedPayment, too early", warm={"p": p[3], "k": new_key()})
    opened = await _compare(pair, OPEN_DISPUTE, buyer.token, {"p": p[2], "a": "4.00", "k": new_key()},
                            kind="openDispute", path=None, warm={"p": p[3], "a": "1.00", "k": new_key()})
    dispute = opened["data"]["openDispute"]["dispute"]["id"]
    await _compare(pair, RESPOND_TO_DISPUTE, merchant.token, {"d": dispute, "k": new_key()}, kind="respondToDispute",
                   path=None)
    resolved = await _compare(pair, RESOLVE_DISPUTE, api.operator, {"d": dispute, "a": "4.00", "k": new_key()},
                              kind="resolveDispute", path=None)
    assert resolved["data"]["resolveDispute"]["payment"]["refundedAmount"] == {"amount": "4.00"}


async def test_the_credit_and_funds_keyed_mutations(pair: Pair, api: Api) -> None:
    # Keyed because their input has an idempotencyKey (schema/compiled/registry.py), so
    # the compiled path runs them too, and must answer as the standard path does.
    buyer = await api.consumer(balance="100.00")
    assert not (await api.gql(OPEN_LINE, api.operator, p=buyer.id, l="500.00", r="0.0005"))["openCreditLine"]["userErrors"]
    cases: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
        ("drawCredit", DRAW, {"a": "100.00"}, {"a": "0.01"}),
        ("drawCredit, over the limit", DRAW, {"a": "5000.00"}, {"a": "0.01"}),
        ("repayCredit", REPAY, {"a": "10.00"}, {"a": "0.01"}),
        ("repayCredit, more than owed", REPAY, {"a": "900.00"}, {"a": "0.01"}),
        ("subscribeFund", SUBSCRIBE, {"a": "20.00"}, {"a": "0.01"}),
        ("subscribeFund, more than the wallet", SUBSCRIBE, {"a": "9000.00"}, {"a": "0.01"}),
        ("redeemFund, no confirmed units", REDEEM, {"a": "5.00"}, {"a": "0.01"}),
    ]
    for kind, query, variables, warm in cases:
        await _compare(pair, query, buyer.token, {**variables, "k": new_key()}, kind=kind,
                       warm={**warm, "k": new_key()})


async def test_concurrent_payments_on_the_compiled_path(pair: Pair, api: Api) -> None:
    # given a buyer who can pay 25 of 60 concurrent 4.00 payments, and a warm document
    buyer, merchant = await api.consumer(balance="100.00"), await api.merchant()
    headers = {"Authorization": f"Bearer {buyer.token}"}
    warm = {"m": merchant.id, "a": "0.01", "s": "WALLET", "k": new_key()}
    await pair.compiled.post("/graphql", json={"query": CREATE_PAYMENT, "variables": warm}, headers=headers)
    await api.gql(TOP_UP, buyer.token, a="0.01", k=new_key())

    async def pay() -> httpx.Response:
        variables = {"m": merchant.id, "a": "4.00", "s": "WALLET", "k": new_key()}
        return await pair.compiled.post("/graphql", json={"query": CREATE_PAYMENT, "variables": variables},
                                        headers=headers)

    # when all 60 are sent at once to the compiled app
    responses = await asyncio.gather(*(pay() for _ in range(60)))
    # then exactly 25 were paid and 35 refused for funds, all by the compiled path, and the wallet is empty
    assert {r.status_code for r in responses} == {200}
    assert {r.headers["Fingraph-Read-Path"] for r in responses} == {"compiled"}
    outcomes = [r.json()["data"]["createPayment"] for r in responses]
    assert sum(o["payment"] is not None for o in outcomes) == 25
    assert [o["userErrors"][0]["code"] for o in outcomes if o["payment"] is None] == ["INSUFFICIENT_FUNDS"] * 35
    assert await api.balance(buyer) == "0.00"
