"""Idempotency keys (DESIGN.md "Idempotency"): one effect per (principal, key), the first response replayed."""

from __future__ import annotations

import asyncio
import json

import asyncpg
import pytest

from tests.support import (
    CONFIRM_RECEIPT,
    CREATE_PAYMENT,
    PAYMENT_STATE,
    TOP_UP,
    TRANSFER,
    WITHDRAW,
    Api,
    footprint,
    new_key,
)


async def test_retry_with_the_same_key_and_input_has_one_effect_and_the_same_response(api: Api) -> None:
    buyer = await api.consumer()
    key = new_key()

    first = (await api.post(TOP_UP, buyer.token, a="100.00", k=key)).json()
    second = (await api.post(TOP_UP, buyer.token, a="100.00", k=key)).json()

    assert first == {"data": {"topUp": {"wallet": {"balance": {"amount": "100.00", "currency": "CNY"}}, "userErrors": []}}}
    assert second == first
    assert await api.balance(buyer) == "100.00"


async def test_a_retried_payment_replays_the_first_response_after_the_payment_moved_on(
    api: Api, db: asyncpg.Pool
) -> None:
    buyer = await api.consumer(balance="300.00")
    merchant = await api.merchant()
    key = new_key()
    variables = {"m": merchant.id, "a": "100.00", "s": "WALLET", "k": key}
    first = (await api.post(CREATE_PAYMENT, buyer.token, **variables)).json()
    payment_id = first["data"]["createPayment"]["payment"]["id"]
    await api.gql(CONFIRM_RECEIPT, buyer.token, p=payment_id, k=new_key())

    retry = (await api.post(CREATE_PAYMENT, buyer.token, **variables)).json()

    # The response the client missed, exactly: still HELD as it was when first answered.
    assert retry == first
    assert first["data"]["createPayment"]["payment"]["status"] == "HELD"
    now = (await api.gql(PAYMENT_STATE, buyer.token, id=payment_id))["payment"]
    assert now["status"] == "RELEASED"
    assert await api.balance(buyer) == "200.00"
    assert len((await footprint(db, buyer.pk))["payments"]) == 1


async def test_same_key_with_another_amount_is_refused_and_changes_nothing(api: Api, db: asyncpg.Pool) -> None:
    buyer = await api.consumer(balance="300.00")
    merchant = await api.merchant()
    key = new_key()
    await api.pay(buyer, merchant, "100.00", key=key)
    before = await footprint(db, buyer.pk, merchant.pk)

    data = await api.gql(CREATE_PAYMENT, buyer.token, m=merchant.id, a="150.00", s="WALLET", k=key)

    assert data["createPayment"]["payment"] is None
    [error] = data["createPayment"]["userErrors"]
    assert error["code"] == "IDEMPOTENCY_KEY_REUSED" and error["field"] == "idempotencyKey"
    assert await footprint(db, buyer.pk, merchant.pk) == before


async def test_same_key_for_another_operation_is_refused(api: Api) -> None:
    party = await api.consumer()
    key = new_key()
    await api.gql(TOP_UP, party.token, a="50.00", k=key)
    data = await api.gql(WITHDRAW, party.token, a="50.00", k=key)
    assert data["withdraw"]["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await api.balance(party) == "50.00"


async def test_keys_are_per_principal(api: Api) -> None:
    alice, bob = await api.consumer("Alice"), await api.consumer("Bob")
    key = new_key()
    a = await api.gql(TOP_UP, alice.token, a="10.00", k=key)
    b = await api.gql(TOP_UP, bob.token, a="25.00", k=key)
    assert a["topUp"]["userErrors"] == [] and b["topUp"]["userErrors"] == []
    assert b["topUp"]["wallet"]["balance"]["amount"] == "25.00"
    assert (await api.balance(alice), await api.balance(bob)) == ("10.00", "25.00")


async def test_the_same_key_sent_twenty_times_at_once_has_exactly_one_effect(api: Api, db: asyncpg.Pool) -> None:
    buyer = await api.consumer(balance="1000.00")
    merchant = await api.merchant()
    key = new_key()

    responses = await asyncio.gather(*(
        api.post(CREATE_PAYMENT, buyer.token, m=merchant.id, a="10.00", s="WALLET", k=key) for _ in range(20)
    ))

    assert {r.status_code for r in responses} == {200}
    bodies = [r.json() for r in responses]
    assert all(body == bodies[0] for body in bodies), bodies
    assert bodies[0]["data"]["createPayment"]["userErrors"] == []
    assert await api.balance(buyer) == "990.00"
    assert len((await footprint(db, buyer.pk))["payments"]) == 1


async def test_a_python_effect_sent_twenty_times_at_once_has_exactly_one_effect(api: Api) -> None:
    # topUp runs its effect from Python between claim_key and keep_response (not one statement)
    consumer = await api.consumer()
    key = new_key()

    responses = await asyncio.gather(*(api.post(TOP_UP, consumer.token, a="7.00", k=key) for _ in range(20)))

    bodies = [r.json() for r in responses]
    assert {r.status_code for r in responses} == {200} and all(body == bodies[0] for body in bodies), bodies
    assert bodies[0]["data"]["topUp"]["userErrors"] == []
    assert await api.balance(consumer) == "7.00"


async def test_a_refusal_is_kept_under_its_key(api: Api, db: asyncpg.Pool) -> None:
    # A business refusal is a definitive answer (ADR 003): the key keeps it, and a retry
    # after a top-up replays it instead of paying. tests/e2e/test_kept_refusals.py does
    # this for every keyed mutation.
    buyer = await api.consumer(balance="50.00")
    merchant = await api.merchant()
    key = new_key()
    too_much = await api.post(CREATE_PAYMENT, buyer.token, m=merchant.id, a="80.00", s="WALLET", k=key)
    assert too_much.json()["data"]["createPayment"]["userErrors"][0]["code"] == "INSUFFICIENT_FUNDS"
    async with db.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT response FROM gateway.idempotency_keys WHERE principal = $1 AND key = $2", f"consumer:{buyer.pk}", key
        )
    assert json.loads(stored) == {"refusal": "insufficient_funds"}  # as payments.pay_from_wallet_answer said it

    await api.gql(TOP_UP, buyer.token, a="50.00", k=new_key())
    again = await api.post(CREATE_PAYMENT, buyer.token, m=merchant.id, a="80.00", s="WALLET", k=key)
    assert again.content == too_much.content
    assert await api.balance(buyer) == "100.00"
    assert (await footprint(db, buyer.pk))["payments"] == []


async def test_a_python_effect_keeps_its_refusal_with_code_message_and_field(api: Api, db: asyncpg.Pool) -> None:
    party = await api.consumer(balance="5.00")
    key = new_key()
    refused = await api.post(WITHDRAW, party.token, a="8.00", k=key)
    async with db.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT response FROM gateway.idempotency_keys WHERE principal = $1 AND key = $2", f"consumer:{party.pk}", key
        )
    [error] = refused.json()["data"]["withdraw"]["userErrors"]
    assert json.loads(stored) == {"refusal": error} and error["code"] == "INSUFFICIENT_FUNDS"
    await api.gql(TOP_UP, party.token, a="5.00", k=new_key())
    assert (await api.post(WITHDRAW, party.token, a="8.00", k=key)).content == refused.content
    assert await api.balance(party) == "10.00"


@pytest.mark.parametrize("key", ["", "k" * 256], ids=["empty", "256-chars"])
async def test_keys_outside_one_to_255_characters_are_refused(api: Api, db: asyncpg.Pool, key: str) -> None:
    party = await api.consumer(balance="10.00")
    other = await api.consumer("Other")
    before = await footprint(db, party.pk, other.pk)
    for document, variables in [
        (TOP_UP, {"a": "5.00"}), (WITHDRAW, {"a": "5.00"}), (TRANSFER, {"to": other.id, "a": "5.00"}),
    ]:
        data = await api.gql(document, party.token, k=key, **variables)
        [error] = next(iter(data.values()))["userErrors"]
        assert error["field"] == "idempotencyKey", error
        assert error["code"] == "INVALID_INPUT"
    assert await footprint(db, party.pk, other.pk) == before


async def test_a_key_of_255_characters_is_accepted(api: Api) -> None:
    party = await api.consumer()
    key = new_key()
    key += "k" * (255 - len(key))
    data = await api.gql(TOP_UP, party.token, a="1.00", k=key)
    assert data["topUp"]["userErrors"] == []
