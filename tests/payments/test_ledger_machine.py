"""The ledger under any sequence of operations: a Hypothesis state machine over the real HTTP API.

Hypothesis drives the machine synchronously, so it runs in a worker thread; every
request and database check is a coroutine handed to the session loop, where the server,
the shared HTTP client and the assertion pool live (``asyncio.run_coroutine_threadsafe``).
The model knows what each operation should do to the machine's own parties; the
invariants are checked on the whole ledger in PostgreSQL after every step.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

import asyncpg
import httpx
import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from services.kernel.clock import Clock
from tests.conftest import Server
from tests.payments.machines import run_on_server
from tests.support import (
    CONFIRM_RECEIPT,
    CREATE_PAYMENT,
    MARK_SHIPPED,
    REFUND_WITH_FIELD,
    RELEASE_DUE,
    TOP_UP,
    TRANSFER,
    WITHDRAW,
    Api,
    Party,
    new_key,
)

WINDOW = timedelta(days=10)
HELD = ("HELD", "PARTIALLY_REFUNDED")

_LEDGER_CHECKS = """
    SELECT
      (SELECT count(*) FROM (SELECT 1 FROM payments.postings GROUP BY entry_id, currency
                              HAVING sum(amount) <> 0) AS e) AS unbalanced_entries,
      (SELECT coalesce(sum(amount), 0) FROM payments.postings) AS ledger_total,
      (SELECT count(*) FROM payments.accounts a
         LEFT JOIN (SELECT account_id, sum(amount) AS total FROM payments.postings GROUP BY account_id) p
                ON p.account_id = a.id
        WHERE a.kind = 'WALLET' AND a.balance <> coalesce(p.total, 0)) AS wallets_off_their_postings,
      (SELECT count(*) FROM payments.accounts WHERE kind = 'WALLET' AND balance < 0) AS negative_wallets,
      (SELECT coalesce(sum(p.amount), 0) FROM payments.postings p
         JOIN payments.accounts a ON a.id = p.account_id WHERE a.kind = 'ESCROW') AS escrow_balance,
      (SELECT coalesce(sum(amount - refunded), 0) FROM payments.payments
        WHERE status IN ('HELD', 'PARTIALLY_REFUNDED')) AS held_total,
      (SELECT max(id) FROM payments.postings) AS last_posting
"""


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


@dataclass
class ModelPayment:
    id: str
    buyer: int
    merchant: int
    amount: int
    refunded: int
    status: str
    created_at: datetime

    @property
    def held(self) -> int:
        return self.amount - self.refunded if self.status in HELD else 0


amounts = st.integers(min_value=1, max_value=60_000)
party_index = st.integers(min_value=0, max_value=3)


class LedgerMachine(RuleBasedStateMachine):
    """Two consumers and two merchants; money in, out, across, into escrow and back."""

    api: ClassVar[Api]
    db: ClassVar[asyncpg.Pool]
    clock: ClassVar[Clock]
    run: ClassVar[Callable[[Coroutine[Any, Any, Any]], Any]]

    def __init__(self) -> None:
        super().__init__()
        self.consumers: list[Party] = []
        self.merchants: list[Party] = []
        self.wallets: dict[int, int] = {}
        self.payments: list[ModelPayment] = []
        self.last: tuple[str, str, dict[str, Any], dict[str, Any]] | None = None
        self.advanced = timedelta()

    # -- plumbing ------------------------------------------------------------------

    def call(self, document: str, token: str, **variables: Any) -> dict[str, Any]:
        """The one mutation's payload; remembered for ``retry_last`` when it succeeded."""
        response: httpx.Response = type(self).run(self.api.post(document, token, **variables))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert not body.get("errors"), body
        payload: dict[str, Any] = next(iter(body["data"].values()))
        if "k" in variables and not payload.get("userErrors"):
            self.last = (document, token, variables, body)
        return payload

    @property
    def parties(self) -> list[Party]:
        return self.consumers + self.merchants

    def expect_error(self, payload: dict[str, Any], code: str | None) -> bool:
        """True if the operation succeeded; asserts the expected userError otherwise."""
        codes = [error["code"] for error in payload["userErrors"]]
        assert codes == ([code] if code else []), payload
        return code is None

    def expect_wallet(self, payload: dict[str, Any], party: Party) -> None:
        assert payload["wallet"]["balance"]["amount"] == yuan(self.wallets[party.pk])

    # -- rules ---------------------------------------------------------------------

    @initialize()
    def create_parties(self) -> None:
        async def create() -> tuple[list[Party], list[Party]]:
            consumers = await asyncio.gather(*(self.api.consumer(f"Machine buyer {i}") for i in range(2)))
            merchants = await asyncio.gather(*(self.api.merchant(f"Machine shop {i}") for i in range(2)))
            return list(consumers), list(merchants)

        self.consumers, self.merchants = type(self).run(create())
        self.wallets = {party.pk: 0 for party in self.parties}
        # Money and a payment each from the start, so that every sequence works on escrow.
        for index in range(2):
            self.top_up(index, 200_000)
            self.create_payment(index, index, 10_000)

    @rule(who=party_index, fen=amounts)
    def top_up(self, who: int, fen: int) -> None:
        party = self.parties[who]
        payload = self.call(TOP_UP, party.token, a=yuan(fen), k=new_key())
        self.expect_error(payload, None)
        self.wallets[party.pk] += fen
        self.expect_wallet(payload, party)

    @rule(who=party_index, fen=amounts)
    def withdraw(self, who: int, fen: int) -> None:
        party = self.parties[who]
        payload = self.call(WITHDRAW, party.token, a=yuan(fen), k=new_key())
        if self.expect_error(payload, "INSUFFICIENT_FUNDS" if fen > self.wallets[party.pk] else None):
            self.wallets[party.pk] -= fen
            self.expect_wallet(payload, party)

    @rule(source=party_index, recipient=party_index, fen=amounts)
    def transfer(self, source: int, recipient: int, fen: int) -> None:
        sender, receiver = self.parties[source], self.parties[recipient]
        expected = (
            "INVALID_INPUT" if sender is receiver else "INSUFFICIENT_FUNDS" if fen > self.wallets[sender.pk] else None
        )
        payload = self.call(TRANSFER, sender.token, to=receiver.id, a=yuan(fen), k=new_key())
        if self.expect_error(payload, expected):
            self.wallets[sender.pk] -= fen
            self.wallets[receiver.pk] += fen
            self.expect_wallet(payload, sender)

    @rule(buyer=st.integers(0, 1), merchant=st.integers(0, 1), fen=amounts)
    def create_payment(self, buyer: int, merchant: int, fen: int) -> None:
        consumer, shop = self.consumers[buyer], self.merchants[merchant]
        payload = self.call(CREATE_PAYMENT, consumer.token, m=shop.id, a=yuan(fen), s="WALLET", k=new_key())
        if self.expect_error(payload, "INSUFFICIENT_FUNDS" if fen > self.wallets[consumer.pk] else None):
            self.wallets[consumer.pk] -= fen
            payment = payload["payment"]
            assert (payment["status"], payment["heldAmount"]["amount"]) == ("HELD", yuan(fen))
            # Shipped at once, so the confirm window counts from the payment's instant here
            # (the goods flow's own machine is tests/payments/test_goods_machine.py).
            shipped = self.call(MARK_SHIPPED, shop.token, p=payment["id"], k=new_key())
            self.expect_error(shipped, None)
            self.payments.append(
                ModelPayment(payment["id"], consumer.pk, shop.pk, fen, 0, "HELD", self.clock.now())
            )

    def _buyer(self, payment: ModelPayment) -> Party:
        return next(c for c in self.consumers if c.pk == payment.buyer)

    def _merchant(self, payment: ModelPayment) -> Party:
        return next(m for m in self.merchants if m.pk == payment.merchant)

    def _release(self, payment: ModelPayment) -> None:
        self.wallets[payment.merchant] += payment.held
        payment.status = "RELEASED"

    def _pick(self, which: int, status: str) -> ModelPayment:
        """A payment in ``status`` (any if none is), so that every transition gets exercised."""
        candidates = [p for p in self.payments if status == "any" or p.status == status] or self.payments
        return candidates[which % len(candidates)]

    @precondition(lambda self: self.payments)
    @rule(which=st.integers(0, 1_000), status=st.sampled_from(["HELD", "PARTIALLY_REFUNDED", "any"]))
    def confirm_receipt(self, which: int, status: str) -> None:
        payment = self._pick(which, status)
        payload = self.call(CONFIRM_RECEIPT, self._buyer(payment).token, p=payment.id, k=new_key())
        if self.expect_error(payload, None if payment.status in HELD else "INVALID_STATE"):
            self._release(payment)
            assert payload["payment"]["status"] == "RELEASED"

    @precondition(lambda self: self.payments)
    @rule(
        which=st.integers(0, 1_000), status=st.sampled_from(["HELD", "PARTIALLY_REFUNDED", "RELEASED", "any"]),
        share=st.sampled_from(["all", "half", "one fen", "too much"]),
    )
    def refund_payment(self, which: int, status: str, share: str) -> None:
        payment = self._pick(which, status)
        refundable = payment.amount - payment.refunded
        fen = {"all": refundable, "half": refundable // 2, "one fen": 1, "too much": refundable + 1}[share] or 1
        after_release = payment.status == "RELEASED"
        if payment.status == "REFUNDED" or refundable == 0:
            expected: str | None = "INVALID_STATE"
        elif fen > refundable:
            expected = "INVALID_AMOUNT"
        elif after_release and fen > self.wallets[payment.merchant]:
            expected = "INSUFFICIENT_FUNDS"
        else:
            expected = None
        event(f"refund {share} {'after' if after_release else 'before'} release: {expected or 'done'}")
        payload = self.call(REFUND_WITH_FIELD, self._merchant(payment).token, p=payment.id, a=yuan(fen), k=new_key())
        if not self.expect_error(payload, expected):
            return
        if after_release:
            self.wallets[payment.merchant] -= fen
        self.wallets[payment.buyer] += fen
        payment.refunded += fen
        if payment.refunded == payment.amount:
            payment.status = "REFUNDED"
        elif not after_release:
            payment.status = "PARTIALLY_REFUNDED"
        assert payload["payment"]["status"] == payment.status
        assert payload["payment"]["refundedAmount"]["amount"] == yuan(payment.refunded)

    # Tokens live 30 days from the party's creation: stay well inside that.
    @precondition(lambda self: self.payments and self.advanced < timedelta(days=14))
    @rule(days=st.integers(3, 11))
    def time_passes(self, days: int) -> None:
        self.clock.set(self.clock.now() + timedelta(days=days))
        self.advanced += timedelta(days=days)

    @precondition(lambda self: self.advanced)
    @rule()
    def release_due_payments(self) -> None:
        as_of = self.clock.now()
        due = [p for p in self.payments if p.status in HELD and p.created_at <= as_of - WINDOW]
        body = type(self).run(self.api.gql(RELEASE_DUE, self.api.operator, t=as_of.isoformat()))
        # Leftovers of other tests in the shared database may be released too.
        assert body["releaseDuePayments"]["releasedCount"] >= len(due)
        event(f"releaseDuePayments released {'some' if due else 'none'} of ours")
        for payment in due:
            self._release(payment)

    @precondition(lambda self: self.last is not None)
    @rule()
    def retry_last(self) -> None:
        assert self.last is not None
        document, token, variables, first = self.last
        response: httpx.Response = type(self).run(self.api.post(document, token, **variables))
        assert response.json() == first

    # -- invariants ----------------------------------------------------------------

    @invariant()
    def ledger_is_sound(self) -> None:
        type(self).run(self._check_ledger())

    async def _check_ledger(self) -> None:
        async with self.db.acquire() as conn:
            row = await conn.fetchrow(_LEDGER_CHECKS)
            assert row is not None
            assert row["unbalanced_entries"] == 0
            assert row["ledger_total"] == 0
            assert row["wallets_off_their_postings"] == 0
            assert row["negative_wallets"] == 0
            assert row["escrow_balance"] == row["held_total"]
            if self.parties:
                wallets = await conn.fetch(
                    "SELECT party_id, balance FROM payments.accounts"
                    " WHERE kind = 'WALLET' AND party_id = ANY($1::bigint[])", list(self.wallets),
                )
                assert {r["party_id"]: r["balance"] for r in wallets} == self.wallets
            if self.payments:
                rows = await conn.fetch(
                    "SELECT id, status, refunded FROM payments.payments WHERE id = ANY($1::bigint[])",
                    [int(p.id.split("_")[1]) for p in self.payments],
                )
                actual = {f"pay_{r['id']}": (r["status"], r["refunded"]) for r in rows}
                assert actual == {p.id: (p.status, p.refunded) for p in self.payments}
            if row["last_posting"] is not None:
                await _refuses_to_change_a_posting(conn, row["last_posting"])


async def _refuses_to_change_a_posting(conn: asyncpg.Connection, posting_id: int) -> None:
    for statement in (
        "UPDATE payments.postings SET amount = amount + 1 WHERE id = $1",
        "DELETE FROM payments.postings WHERE id = $1",
        "UPDATE payments.journal_entries SET kind = 'TAMPERED' WHERE id = (SELECT entry_id FROM payments.postings WHERE id = $1)",
    ):
        with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
            async with conn.transaction():
                await conn.execute(statement, posting_id)


async def test_the_ledger_holds_under_any_sequence_of_operations(
    server: Server, http: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    await run_on_server(LedgerMachine, server, http, db, with_settings=settings(
        max_examples=25, stateful_step_count=20, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow],
    ))
