"""Every name and note a person types refuses invisible formatting and control characters (ADR 014).

A refusal is a userError naming the field, and it changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import CONFIRM_RECEIPT, Api, footprint, new_key

OVERRIDE = "Tea Co.\u202eexe"  # shows as "Tea Co.exe" turned around
ZERO_WIDTH = "Hangzhou\u200b Tea Co."

CREATE = {
    "createConsumer": "mutation($n: String!) { createConsumer(input: {name: $n}) "
                      "{ consumer { id } userErrors { code field message } } }",
    "createMerchant": "mutation($n: String!) { createMerchant(input: {name: $n}) "
                      "{ merchant { id } userErrors { code field message } } }",
    "createPartner": "mutation($n: String!) { createPartner(input: {name: $n}) "
                     "{ partner { id } userErrors { code field message } } }",
}
PAY = """mutation($m: ID!, $r: String!, $k: String!) {
  createPayment(input: {merchantId: $m, amount: "1.00", orderRef: $r, idempotencyKey: $k}) {
    payment { id } userErrors { code field message } } }"""
REFUND = """mutation($p: ID!, $r: String!, $k: String!) {
  refundPayment(input: {paymentId: $p, amount: "0.50", reason: $r, idempotencyKey: $k}) {
    payment { id } userErrors { code field message } } }"""
RATE = """mutation($p: ID!, $c: String!) { rateMerchant(input: {paymentId: $p, stars: 5, comment: $c}) {
  userErrors { code field message } } }"""


def _refused(payload: dict[str, Any], field: str) -> None:
    [error] = payload["userErrors"]
    assert error["code"] == "INVALID_INPUT" and error["field"] == field, error
    assert "U+" in error["message"]


@pytest.mark.parametrize("name", [OVERRIDE, ZERO_WIDTH, "Li\u0007Lei", "\ufeffLi Lei", "Li\u2066Lei", "\u3164"])
@pytest.mark.parametrize("mutation", sorted(CREATE))
async def test_names_refuse_hidden_characters(api: Api, db: Any, mutation: str, name: str) -> None:
    async with db.acquire() as conn:
        before = (await conn.fetchval("SELECT count(*) FROM payments.parties"),
                  await conn.fetchval("SELECT count(*) FROM partners.partners"))
    data = await api.gql(CREATE[mutation], api.operator, n=name)
    payload = data[mutation]
    assert next(value for key, value in payload.items() if key != "userErrors") is None
    _refused(payload, "name")
    async with db.acquire() as conn:
        after = (await conn.fetchval("SELECT count(*) FROM payments.parties"),
                 await conn.fetchval("SELECT count(*) FROM partners.partners"))
    assert after == before
    plain = await api.gql(CREATE[mutation], api.operator, n="Hangzhou Tea Co.")
    assert plain[mutation]["userErrors"] == []


async def test_order_refs_reasons_and_comments_refuse_hidden_characters(api: Api, db: Any) -> None:
    buyer, merchant = await api.consumer(balance="100.00"), await api.merchant()
    untouched = await footprint(db, buyer.pk, merchant.pk)
    for order_ref in (OVERRIDE, "A-1\u200d", "A-1\n"):
        refused = await api.gql(PAY, buyer.token, m=merchant.id, r=order_ref, k=new_key())
        assert refused["createPayment"]["payment"] is None
        _refused(refused["createPayment"], "orderRef")
    assert await footprint(db, buyer.pk, merchant.pk) == untouched
    paid = await api.gql(PAY, buyer.token, m=merchant.id, r="A-1", k=new_key())
    payment = paid["createPayment"]["payment"]["id"]
    held = await footprint(db, buyer.pk, merchant.pk)
    refund = await api.gql(REFUND, merchant.token, p=payment, r="damaged \u202egnippihs", k=new_key())
    _refused(refund["refundPayment"], "reason")
    assert await footprint(db, buyer.pk, merchant.pk) == held
    # A reason may have lines.
    lines = await api.gql(REFUND, merchant.token, p=payment, r="damaged\nbox crushed", k=new_key())
    assert lines["refundPayment"]["userErrors"] == []
    await api.gql(CONFIRM_RECEIPT, buyer.token, p=payment, k=new_key())
    rated = await api.gql(RATE, buyer.token, p=payment, c="great\u200bseller")
    _refused(rated["rateMerchant"], "comment")
    assert (await api.gql(RATE, buyer.token, p=payment, c="great\nseller"))["rateMerchant"]["userErrors"] == []
