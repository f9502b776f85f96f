"""A refusal under an idempotency key is the key's answer (DESIGN.md "Idempotency", ADR 003).

For every keyed mutation: a request is refused for the ledger's state; the state then
changes so that the same request would now succeed; a retry with the same key replays
the refusal, byte for byte, on the compiled path and the standard path alike, and moves
nothing. A request refused before execution (malformed input, authorisation) keeps
nothing: its key stays free.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import START, Server
from tests.credit.test_credit_flow import DRAW, OPEN_LINE, REPAY, borrower
from tests.funds.support import REDEEM, SUBSCRIBE, at, private_fund, subscribe
from tests.support import (
    CONFIRM_RECEIPT,
    CREATE_PAYMENT,
    REFUND_WITH_FIELD,
    TOP_UP,
    TRANSFER,
    WITHDRAW,
    Api,
    footprint,
    new_key,
)

PAY_WITH_ORDER = """mutation($m: ID!, $a: Decimal!, $o: String!, $k: String!) {
  createPayment(input: {merchantId: $m, amount: $a, orderRef: $o, idempotencyKey: $k}) {
    payment { status } userErrors { code field message } } }"""
#: Root fields the compiled path answers (keyed: their input has an idempotencyKey).
COMPILED = {"createPayment", "withdraw", "transfer", "confirmReceipt", "refundPayment"}


@dataclass
class Refused:
    """A request the ledger refuses now, and what makes the same request succeed later."""

    field: str
    document: str
    token: str
    variables: dict[str, Any]
    code: str
    parties: tuple[int, ...]
    change: Callable[[], Awaitable[None]]


Scenario = Callable[[Api, asyncpg.Pool, Server], Awaitable[Refused]]


async def _top_up(api: Api, token: str, amount: str) -> None:
    data = await api.gql(TOP_UP, token, a=amount, k=new_key())
    assert data["topUp"]["userErrors"] == []


async def pay_from_wallet(api: Api, db: asyncpg.Pool, server: Server) -> Refused:
    buyer, merchant = await api.consumer(balance="50.00"), await api.merchant()
    return Refused("createPayment", CREATE_PAYMENT, buyer.token, {"m": merchant.id, "a": "80.00", "s": "WALLET"},
                   "INSUFFICIENT_FUNDS", (buyer.pk, merchant.pk), lambda: _top_up(api, buyer.token, "50.00"))


async def pay_from_fund(api: Api, db: asyncpg.Pool, server: Server) -> Refused:
    buyer, merchant = await api.consumer(balance="100.00"), await api.merchant()
    server.clock.set(at("2026-11-23 10:00"))
    await subscribe(api, buyer, "YEB", "100.00")  # pending until the next trading day

    async def units_confirmed() -> None:
        server.clock.set(at("2026-11-25 10:00"))

    return Refused("createPayment", CREATE_PAYMENT, buyer.token, {"m": merchant.id, "a": "60.00", "s": "FUND"},
                   "INSUFFICIENT_FUNDS", (buyer.pk, merchant.pk), units_confirmed)


async def pay_on_credit(api: Api, db: asyncpg.Pool, server: Server) -> Refused:
    buyer, merchant = await api.consumer(), await api.merchant()

    async def line_opened() -> None:
        data = await api.gql(OPEN_LINE, api.operator, p=buyer.id, l="500.00", r="0.0005")
        assert data["openCreditLine"]["userErrors"] == []

    return Refused("createPayment", CREATE_PAYMENT, buyer.token, {"m": merchant.id, "a": "60.00", "s": "CREDIT"},
                   "NOT_FOUND", (buyer.pk, merchant.pk), line_opened)


async def withdraw(api: Api, db: asyncpg.Pool, server: Server) -> Refused:
    party = await api.consumer(balance="10.00")
    return Refused("withdraw", WITHDRAW, party.token, {"a": "25.00"}, "INSUFFICIENT_FUNDS", (party.pk,),
                   lambda: _top_up(api, party.token, "15.00"))


async def transfer(api: Api, db: asyncpg.Pool, server: Server) -> Refused:
    party, friend = await api.consumer(balance="10.00"), await api.consumer("Friend")
    return Refused("transfer", TRANSFER, party.token, {"to": friend.id, "a": "25.00"}, "INSUFFICIENT_FUNDS",
                   (party.pk, friend.pk), lambda: _top_up(api, party.token, "15.00"))


async def confirm_receipt(api: Api, db: asyncpg.Pool, server: Server) -> Refused:
    # The payment the buyer confirms does not exist yet: its id is the next one.
    buyer, merchant = await api.consumer(balance="40.00"), await api.merchant()
    async with db.acquire() as conn:
        last = await conn.fetchrow("SELECT last_value, is_called FROM payments.payments_id_seq")
    next_pk = last["last_value"] + 1 if last["is_called"] else last["last_value"]

    async def payment_made() -> None:
        paid = await api.pay(buyer, merchant, "30.00")
        assert paid["payment"]["id"] == f"pay_{next_pk}", "another payment took the id"

    return Refused("confirmReceipt", CONFIRM_RECEIPT, buyer.token, {"p": f"pay_{next_pk}"}, "NOT_FOUND",
                   (buyer.pk, merchant.pk), payment_made)


async def refund_after_release(api: Api, db: asyncpg.Pool, server: Server) -> Refused:
    buyer, merchant = await api.consumer(balance="30.00"), await api.merchant()
    payment = (await api.pay(buyer, merchant, "30.00"))["payment"]["id"]
    await api.gql(CONFIRM_RECEIPT, buyer.token, p=payment, k=new_key())
    balance = await api.balance(merchant)  # the merchant moves the money on: a refund must come from its wallet
    await api.gql(WITHDRAW, merchant.token, a=balance, k=new_key())
    return Refused("refundPayment", REFUND_WITH_FIELD, merchant.token, {"p": payment, "a": "30.00"},
                   "INSUFFICIENT_FUNDS", (buyer.pk, merchant.pk), lambda: _top_up(api, merchant.token, "30.00"))


async def subscribe_fund(api: Api, db: asyncpg.Pool, server: Server) -> Refused:
    fund, saver = await private_fund(db), await api.consumer(balance="10.00")
    return Refused("subscribeFund", SUBSCRIBE, saver.token, {"f": fund, "a": "25.00"}, "INSUFFICIENT_FUNDS",
                   (saver.pk,), lambda: _top_up(api, saver.token, "15.00"))


async def redeem_fund(api: Api, db: asyncpg.Pool, server: Server) -> Refused:
    fund, saver = await private_fund(db), await api.consumer(balance="50.00")
    server.clock.set(at("2026-11-23 10:00"))
    await subscribe(api, saver, fund, "50.00")

    async def units_confirmed() -> None:
        server.clock.set(at("2026-11-25 10:00"))

    return Refused("redeemFund", REDEEM, saver.token, {"f": fund, "a": "20.00", "m": "INSTANT"},
                   "INSUFFICIENT_FUNDS", (saver.pk,), units_confirmed)


async def draw_credit(api: Api, db: asyncpg.Pool, server: Server) -> Refused:
    party = await borrower(api, limit="100.00")
    assert (await api.gql(DRAW, party.token, a="100.00", k=new_key()))["drawCredit"]["userErrors"] == []

    async def repaid() -> None:
        assert (await api.gql(REPAY, party.token, a="100.00", k=new_key()))["repayCredit"]["userErrors"] == []

    return Refused("drawCredit", DRAW, party.token, {"a": "50.00"}, "CREDIT_LIMIT_EXCEEDED", (party.pk,), repaid)


async def repay_credit(api: Api, db: asyncpg.Pool, server: Server) -> Refused:
    party = await borrower(api, limit="100.00")
    await api.gql(DRAW, party.token, a="50.00", k=new_key())
    await api.gql(WITHDRAW, party.token, a="50.00", k=new_key())
    return Refused("repayCredit", REPAY, party.token, {"a": "50.00"}, "INSUFFICIENT_FUNDS", (party.pk,),
                   lambda: _top_up(api, party.token, "50.00"))


SCENARIOS: list[Scenario] = [
    pay_from_wallet, pay_from_fund, pay_on_credit, withdraw, transfer, confirm_receipt, refund_after_release,
    subscribe_fund, redeem_fund, draw_credit, repay_credit,
]


async def ledger_state(db: asyncpg.Pool, parties: tuple[int, ...]) -> dict[str, Any]:
    """Everything a replayed refusal must leave alone: wallets, payments, postings, holdings, credit lines."""
    state = await footprint(db, *parties)
    async with db.acquire() as conn:
        state["entries"] = await conn.fetchval("SELECT count(*) FROM payments.journal_entries")
        state["holdings"] = [tuple(r) for r in await conn.fetch(
            "SELECT fund_id, units, pending_units, redeeming_units FROM funds.holdings"
            " WHERE party_id = ANY($1::bigint[]) ORDER BY fund_id, party_id", list(parties))]
        state["lines"] = [tuple(r) for r in await conn.fetch(
            "SELECT party_id, outstanding_principal, accrued_interest FROM credit.lines"
            " WHERE party_id = ANY($1::bigint[]) ORDER BY party_id", list(parties))]
    return state


async def _post(http: httpx.AsyncClient, refused: Refused, key: str) -> httpx.Response:
    return await http.post("/graphql", json={"query": refused.document, "variables": {**refused.variables, "k": key}},
                           headers={"Authorization": f"Bearer {refused.token}"})


async def _payment_ids_taken(db: asyncpg.Pool) -> int:
    async with db.acquire() as conn:
        row = await conn.fetchrow("SELECT last_value, is_called FROM payments.payments_id_seq")
    return int(row["last_value"]) if row["is_called"] else int(row["last_value"]) - 1


async def stored_keys(db: asyncpg.Pool, key: str) -> list[Any]:
    async with db.acquire() as conn:
        return [r["response"] for r in await conn.fetch("SELECT response FROM gateway.idempotency_keys WHERE key = $1",
                                                        key)]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
async def test_a_refusal_is_replayed_after_the_ledger_changed(
    scenario: Scenario, api: Api, standard_api: Api, db: asyncpg.Pool, server: Server
) -> None:
    try:
        refused = await scenario(api, db, server)
        compiled, standard = api.http, standard_api.http
        await _post(compiled, refused, new_key())  # the compiled app takes a document it has seen once
        key = new_key()

        first = await _post(compiled, refused, key)
        await refused.change()
        before = await ledger_state(db, refused.parties)
        retries = [await _post(standard, refused, key), await _post(compiled, refused, key)]

        answer = first.json()["data"][refused.field]
        assert [e["code"] for e in answer["userErrors"]] == [refused.code], answer
        assert all(r.status_code == 200 and r.content == first.content for r in retries), [r.text for r in retries]
        assert await ledger_state(db, refused.parties) == before
        if refused.field in COMPILED:
            assert [first.headers["Fingraph-Read-Path"], retries[1].headers["Fingraph-Read-Path"]] == ["compiled"] * 2
        # The same request under a new key is a new request: it now succeeds.
        fresh = (await _post(standard, refused, new_key())).json()["data"][refused.field]
        assert fresh["userErrors"] == [], fresh
    finally:
        server.clock.set(START)


async def test_the_same_key_with_other_input_after_a_refusal_is_reused_and_moves_nothing(
    api: Api, db: asyncpg.Pool
) -> None:
    buyer, merchant = await api.consumer(balance="50.00"), await api.merchant()
    key = new_key()
    refused = await api.gql(CREATE_PAYMENT, buyer.token, m=merchant.id, a="80.00", s="WALLET", k=key)
    assert refused["createPayment"]["userErrors"][0]["code"] == "INSUFFICIENT_FUNDS"
    before = await ledger_state(db, (buyer.pk, merchant.pk))

    other = await api.gql(CREATE_PAYMENT, buyer.token, m=merchant.id, a="30.00", s="WALLET", k=key)

    assert [e["code"] for e in other["createPayment"]["userErrors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    assert await ledger_state(db, (buyer.pk, merchant.pk)) == before


@pytest.mark.parametrize("path", ["one statement", "python effect"])
async def test_concurrent_retries_of_a_refusal_all_get_it_and_a_later_retry_too(
    api: Api, standard_api: Api, db: asyncpg.Pool, path: str
) -> None:
    buyer, merchant = await api.consumer(balance="5.00"), await api.merchant()
    if path == "one statement":
        refused = Refused("createPayment", CREATE_PAYMENT, buyer.token, {"m": merchant.id, "a": "9.00", "s": "WALLET"},
                          "INSUFFICIENT_FUNDS", (buyer.pk, merchant.pk), lambda: _top_up(api, buyer.token, "5.00"))
    else:
        refused = Refused("withdraw", WITHDRAW, buyer.token, {"a": "9.00"}, "INSUFFICIENT_FUNDS", (buyer.pk,),
                          lambda: _top_up(api, buyer.token, "5.00"))
    key = new_key()
    ids_before = await _payment_ids_taken(db)

    responses = await asyncio.gather(*(
        _post(api.http if i % 2 else standard_api.http, refused, key) for i in range(20)
    ))
    if path == "one statement":
        # The payment ran once (a refused one still takes an id): the others waited on the
        # key's lock and found the refusal already kept, rather than each paying in turn.
        assert await _payment_ids_taken(db) == ids_before + 1
    await refused.change()
    before = await ledger_state(db, refused.parties)
    later = await _post(api.http, refused, key)

    bodies = {r.content for r in [*responses, later]}
    assert len(bodies) == 1, bodies
    assert responses[0].json()["data"][refused.field]["userErrors"][0]["code"] == "INSUFFICIENT_FUNDS"
    assert await ledger_state(db, refused.parties) == before
    assert len(await stored_keys(db, key)) == 1


async def test_a_refusal_of_the_request_itself_keeps_nothing(api: Api, db: asyncpg.Pool) -> None:
    party, friend = await api.consumer(balance="10.00"), await api.consumer("Friend")
    key = new_key()
    # Malformed input, found before the effect (amount) and by it (transferring to oneself): not kept.
    malformed = await api.gql(TOP_UP, party.token, a="1.001", k=key)
    assert malformed["topUp"]["userErrors"][0]["code"] == "INVALID_AMOUNT"
    to_self = await api.gql(TRANSFER, party.token, to=party.id, a="4.00", k=key)
    assert to_self["transfer"]["userErrors"][0]["code"] == "INVALID_INPUT"
    # Authorisation: a merchant may not pay; the request never reaches the key.
    merchant = await api.merchant()
    forbidden = await api.post(CREATE_PAYMENT, merchant.token, m=merchant.id, a="1.00", s="WALLET", k=key)
    assert forbidden.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await stored_keys(db, key) == []

    corrected = await api.gql(TRANSFER, party.token, to=friend.id, a="4.00", k=key)

    assert corrected["transfer"]["userErrors"] == []
    assert await api.balance(friend) == "4.00"


async def test_an_order_ref_too_long_found_by_the_payment_function_keeps_nothing(api: Api, db: asyncpg.Pool) -> None:
    # payments.pay_from_wallet finds the length with the merchant, inside the keyed statement;
    # it is still the request's own fault, so the corrected request may use the key.
    buyer, merchant = await api.consumer(balance="10.00"), await api.merchant()
    key = new_key()
    too_long = await api.gql(PAY_WITH_ORDER, buyer.token, m=merchant.id, a="3.00", o="x" * 256, k=key)
    assert too_long["createPayment"]["userErrors"][0]["code"] == "INVALID_INPUT"
    assert await stored_keys(db, key) == []

    corrected = await api.gql(PAY_WITH_ORDER, buyer.token, m=merchant.id, a="3.00", o="x" * 255, k=key)

    assert corrected["createPayment"] == {"payment": {"status": "HELD"}, "userErrors": []}
    assert await api.balance(buyer) == "7.00"
