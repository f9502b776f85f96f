"""The payment-events outbox: every committed event is read exactly once, none of a rollback, none held back."""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import datetime

import asyncpg

from gateway.events import EventHub
from services.kernel.money import Money
from services.payments import outbox
from services.payments.models import (
    PAYMENT_EVENTS_CHANNEL,
    FundingSource,
    Payment,
    PaymentEventKind,
    PaymentStatus,
)
from tests.conftest import START
from tests.support import Api

#: Payment ids no real payment has: the outbox has no foreign key, the reader ignores unknown ids.
_FAKE_IDS = itertools.count(9_000_000_000_000 + int(datetime.now().timestamp() * 1000) % 1_000_000_000)


def _payment() -> Payment:
    return Payment(
        id=next(_FAKE_IDS), buyer_id=1, merchant_id=2, amount=Money(100), refunded=Money(0), fee=Money(0),
        status=PaymentStatus.HELD, funding_source=FundingSource.WALLET, order_ref="", created_at=START,
        released_at=None,
    )


async def _record(conn: asyncpg.Connection, payment: Payment) -> None:
    await outbox.record_payment_events(conn, [payment], PaymentEventKind.CREATED)


def _ids(payloads: list[str]) -> list[int]:
    return [json.loads(payload)["payment"] for payload in payloads]


async def test_a_long_transaction_holds_back_only_its_own_event(db: asyncpg.Pool) -> None:
    async with db.acquire() as reader, db.acquire() as slow, db.acquire() as quick:
        # given a reader's cursor, and a transaction that wrote an event and stays open
        cursor = await outbox.payment_events_cursor(reader)
        early, late, undone = _payment(), _payment(), _payment()
        slow_tx = slow.transaction()
        await slow_tx.start()
        await _record(slow, early)
        # when another transaction commits its event, and a third rolls its back
        async with quick.transaction():
            await _record(quick, late)
        rolled_back = quick.transaction()
        await rolled_back.start()
        await _record(quick, undone)
        await rolled_back.rollback()
        cursor, payloads = await outbox.payment_events_after(reader, cursor)
        # then the committed one is read at once, the open one is not yet, the rolled back one never
        assert [i for i in _ids(payloads) if i in (early.id, late.id, undone.id)] == [late.id]
        await slow_tx.commit()
        cursor, payloads = await outbox.payment_events_after(reader, cursor)
        assert [i for i in _ids(payloads) if i in (early.id, late.id, undone.id)] == [early.id]
        cursor, payloads = await outbox.payment_events_after(reader, cursor)
        assert not [i for i in _ids(payloads) if i in (early.id, late.id, undone.id)]


async def test_the_hub_delivers_a_committed_payment_and_nothing_of_a_refused_one(
    api: Api, database_url: str
) -> None:
    buyer, merchant = await api.consumer(balance="10.00"), await api.merchant()
    hub = EventHub(database_url, poll_interval=0.01)
    try:
        async with hub.listen(PAYMENT_EVENTS_CHANNEL) as queue:
            # when a payment the wallet cannot cover is refused, then one commits
            refused = await api.pay(buyer, merchant, "20.00")
            assert refused["userErrors"][0]["code"] == "INSUFFICIENT_FUNDS"
            paid = await api.pay(buyer, merchant, "10.00")
            pk = int(paid["payment"]["id"].split("_")[1])
            # then the subscriber hears exactly the committed one
            heard: list[dict[str, object]] = []
            while not any(event["payment"] == pk for event in heard):
                payload = await asyncio.wait_for(queue.get(), timeout=10)
                assert payload is not None
                heard.append(json.loads(payload))
        ours = [event for event in heard if event["merchant"] == merchant.pk]
        assert ours == [{"payment": pk, "buyer": buyer.pk, "merchant": merchant.pk, "kind": "CREATED"}]
    finally:
        await hub.close()
