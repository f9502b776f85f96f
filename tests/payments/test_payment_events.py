"""The payment-events outbox: every committed event is read exactly once, none of a rollback, none held back."""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

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
        ours = [{k: event[k] for k in ("payment", "buyer", "merchant", "kind")}
                for event in heard if event["merchant"] == merchant.pk]
        assert ours == [{"payment": pk, "buyer": buyer.pk, "merchant": merchant.pk, "kind": "CREATED"}]
    finally:
        await hub.close()


def _positions(payloads: list[str], mine: set[int]) -> list[int]:
    return [p for p in _ids(payloads) if p in mine]


async def test_a_cursor_resumes_after_its_event_with_each_later_one_once(db: asyncpg.Pool) -> None:
    """Every event's cursor replays exactly what came after it, a long transaction included."""
    async with db.acquire() as reader, db.acquire() as slow, db.acquire() as quick:
        start = await outbox.payment_events_cursor(reader)
        early, a, b, c, d = (_payment() for _ in range(5))
        mine = {p.id for p in (early, a, b, c, d)}
        # given a transaction that started first and stays open, and two that commit
        slow_tx = slow.transaction()
        await slow_tx.start()
        await _record(slow, early)
        for payment in (a, b):
            async with quick.transaction():
                await _record(quick, payment)
        # when a reader reads them live (the open one is not there yet)
        cursor, payloads = await outbox.payment_events_after(reader, start)
        assert _positions(payloads, mine) == [a.id, b.id]
        after_a = json.loads(next(p for p in payloads if json.loads(p)["payment"] == a.id))["cursor"]
        # and, while its subscriber is away, the long one commits and another follows
        await slow_tx.commit()
        async with quick.transaction():
            await _record(quick, c)
        # then resuming after a replays b, the long one and c, each once
        read, missed = await outbox.payment_events_since(reader, outbox.ResumeCursor.decode(after_a))
        assert sorted(_positions(missed, mine)) == sorted([b.id, early.id, c.id])
        assert len(_positions(missed, mine)) == 3
        # and resuming after any replayed event gives exactly the ones after it
        replayed = [json.loads(p) for p in missed if json.loads(p)["payment"] in mine]
        for index, event in enumerate(replayed):
            _, rest = await outbox.payment_events_since(reader, outbox.ResumeCursor.decode(event["cursor"]))
            assert _positions(rest, mine) == [e["payment"] for e in replayed[index + 1:]]
        # and an event committed after the replay is not one the replay read
        async with quick.transaction():
            await _record(quick, d)
        _, live = await outbox.payment_events_after(reader, cursor)
        fresh = [json.loads(p) for p in live if json.loads(p)["payment"] in mine]
        assert [e["payment"] for e in fresh if not read.has_read(e["tx"])] == [d.id]


async def test_a_cursor_older_than_the_retention_is_refused(db: asyncpg.Pool) -> None:
    async with db.acquire() as conn:
        snapshot = await outbox.payment_events_cursor(conn)
        old = datetime.now(UTC) - outbox.RETENTION
        cursor = outbox.ResumeCursor(((snapshot, None),), at=old)
        with pytest.raises(outbox.EventsExpired, match="kept for 24 hours"):
            await outbox.payment_events_since(conn, outbox.ResumeCursor.decode(cursor.encode()))
        recent = outbox.ResumeCursor(((snapshot, None),), at=datetime.now(UTC) - timedelta(hours=1))
        await outbox.payment_events_since(conn, recent)


@pytest.mark.parametrize("text", ["", "bm90IGpzb24", "W10=", "eyJjIjpbXSwiYXQiOm51bGx9"])
def test_a_cursor_the_outbox_did_not_write_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a payment event cursor"):
        outbox.ResumeCursor.decode(text)
