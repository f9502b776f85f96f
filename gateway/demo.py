"""The demo data set: ``fingraph seed``, and the small set ``fingraph serve`` loads when empty.

The plan (``gateway.demo_plan``) says what happens; this module makes it happen through
the payments service's own use cases (``create_party``, ``top_up``, ``create_payment``,
``refund_payment``, ``confirm_receipt``), so every fen goes through the ledger and its
checks. Speed comes from many operations per transaction and from parallel
connections that never wait on each other's locks:

1. parties, in creation order (one connection, so ids follow the plan);
2. top-ups, payments and refunds while held, split by buyer (they lock only the
   buyer's wallet; escrow is a system account and is never locked);
3. releases, split by merchant (they lock only the merchant's wallet);
4. refunds after release, on one connection (they lock a merchant and a buyer);
5. the other services (``gateway.demo_plan.plan_services``): ratings of released
   payments, credit lines with drawdowns and repayments, Yu'e Bao subscriptions, then
   the yield history (incomes paid from each confirmation on) and the last days'
   interest accruals, on one connection in time order.

Each phase respects the order of time within what it locks, so no wallet ever goes
negative. With one connection (the default for small sets) even the payment ids are
the same on every run; with more, only the order of payment ids may differ.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gateway import db
from gateway.demo_names import DEMO_CONSUMER, DEMO_MERCHANT
from gateway.demo_plan import DemoPlan, PlannedParty, PlannedPayment, PlannedRefund, plan_demo, plan_services
from schema.operations import FundingSource, Party, PartyKind, credit, funds, oldest_parties, payments
from services.kernel.clock import BUSINESS_TZ, Clock
from services.kernel.errors import DomainError
from services.kernel.ids import encode_id
from services.kernel.money import Money

#: The small set ``fingraph serve`` loads into an empty database.
SMALL_SET = {"consumers": 20, "merchants": 8, "payments": 300}
DEFAULT_SEED = 2026
#: Operations per transaction: large enough to save commits, small enough to keep locks short.
CHUNK = 250
#: pg_advisory_lock key ("demo" as a number): two servers starting at once seed once.
_SEED_LOCK = 0x64656D6F
#: Interest is accrued for the last few days before "now" (each day once it has ended).
ACCRUAL_DAYS = 5
#: A line for a party whose score band gets no default line.
FALLBACK_LIMIT_FEN = 500_000
FALLBACK_DAILY_RATE = Decimal("0.0005")

_console = Console(stderr=True)


@dataclass(frozen=True, slots=True)
class _Op:
    at: datetime
    #: ties at the same instant: money in before money out
    order: int
    seq: int
    run: Callable[[asyncpg.Connection], Awaitable[object]]


async def seed(
    dsn: str, *, consumers: int, merchants: int, random_seed: int, clock: Clock, progress: bool,
    payments: int | None = None, workers: int | None = None,
) -> None:
    """Load the demo data set: named parties and ~6 months of payments (10 per consumer unless told)."""
    plan = plan_demo(
        consumers=consumers, merchants=merchants, payments=consumers * 10 if payments is None else payments,
        random_seed=random_seed, cutoff=business_day_start(clock.today()),
    )
    workers = workers or _default_workers(len(plan.payments))
    started = time.monotonic()
    pool: asyncpg.Pool = await asyncpg.create_pool(dsn, min_size=1, max_size=workers, **db.connect_options())
    try:
        with _progress(progress, _operations(plan) + consumers + merchants) as advance:
            await _Seeding(pool, plan, workers, advance).run()
    finally:
        await pool.close()
    if progress:
        _console.print(
            f"seeded {consumers} consumers, {merchants} merchants, {len(plan.payments)} payments"
            f" in {time.monotonic() - started:.1f} s"
        )


async def seed_if_empty(dsn: str, *, clock: Clock) -> None:
    """Load the small demo set when the database has no parties yet (fast: a few seconds)."""
    conn: asyncpg.Connection = await db.connect(dsn)
    try:
        # A transaction-scoped lock, held while the seeding's own pool loads: the one kind
        # a transaction pooler keeps on one server connection (gateway/db.py).
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _SEED_LOCK)
            if any([await oldest_parties(conn, kind=kind, limit=1) for kind in PartyKind]):
                return
            _console.print("empty database: loading the demo data set", style="dim")
            await seed(dsn, random_seed=DEFAULT_SEED, clock=clock, progress=False, **SMALL_SET)
    finally:
        await conn.close()


async def seed_unless_seeded(
    dsn: str, *, consumers: int, merchants: int, random_seed: int, clock: Clock, progress: bool, force: bool = False,
) -> str | None:
    """``fingraph seed``: load the data set into a database without parties; else say what it holds.

    Idempotent: a second run finds the parties of the first and changes nothing (None
    means it loaded). ``force`` loads another data set beside what is there.
    """
    conn: asyncpg.Connection = await db.connect(dsn)
    try:
        # The lock of ``seed_if_empty``: a server starting meanwhile does not load a set too.
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _SEED_LOCK)
            first = [party for kind in PartyKind for party in await oldest_parties(conn, kind=kind, limit=1)]
            if first and not force:
                return "parties (" + ", ".join(f"{p.kind.value.lower()} {p.name}" for p in first) + ")"
            await seed(dsn, consumers=consumers, merchants=merchants, random_seed=random_seed, clock=clock,
                       progress=progress)
            return None
    finally:
        await conn.close()


async def demo_parties(dsn: str) -> list[tuple[str, str, str]]:
    """``[(label, role, party id)]`` of the demo consumer and merchant (the oldest, by their demo names)."""
    conn: asyncpg.Connection = await db.connect(dsn)
    try:
        found = []
        for kind, name, role, type_name in [(PartyKind.CONSUMER, DEMO_CONSUMER, "consumer", "Consumer"),
                                            (PartyKind.MERCHANT, DEMO_MERCHANT, "merchant", "Merchant")]:
            party = await oldest_parties(conn, kind=kind, limit=1, name=name) or await oldest_parties(
                conn, kind=kind, limit=1
            )
            if party:
                party_id = encode_id(type_name, party[0].id)
                found.append((f"demo {role} {party[0].name} ({party_id})", role, party_id))
        return found
    finally:
        await conn.close()


def business_day_start(day: date) -> datetime:
    """Midnight starting ``day`` in Asia/Shanghai: the demo's history ends just before it."""
    return datetime(day.year, day.month, day.day, tzinfo=BUSINESS_TZ)


def _default_workers(payments: int) -> int:
    # One connection keeps small sets identical to the last id; big sets need the speed.
    return 1 if payments <= 5_000 else min(4, 2 * (os.cpu_count() or 1))


def _operations(plan: DemoPlan) -> int:
    events = [(p.refund_while_held, p.released_at, p.refund_after_release) for p in plan.payments]
    return len(plan.top_ups) + len(events) + sum(event is not None for story in events for event in story)


class _Seeding:
    def __init__(self, pool: asyncpg.Pool, plan: DemoPlan, workers: int, advance: Callable[[int], None]) -> None:
        self.pool, self.plan, self.workers, self.advance = pool, plan, workers, advance
        self.consumer_ids: list[int] = []
        self.merchant_ids: list[int] = []
        self.payment_ids: dict[int, int] = {}

    async def run(self) -> None:
        plan = self.plan
        await self._create_parties()
        escrow_ops: list[list[_Op]] = [[] for _ in range(self.workers)]
        for top_up in plan.top_ups:
            escrow_ops[top_up.consumer % self.workers].append(self._top_up(top_up.consumer, top_up.fen, top_up.at))
        for p in plan.payments:
            escrow_ops[p.buyer % self.workers].append(_Op(p.created_at, 1, p.seq, self._pay(p)))
            if p.refund_while_held is not None:
                escrow_ops[p.buyer % self.workers].append(self._refund(p, p.refund_while_held))
        await self._in_parallel(escrow_ops)
        releases: list[list[_Op]] = [[] for _ in range(self.workers)]
        for p in plan.payments:
            if p.released_at is not None:
                releases[p.merchant % self.workers].append(_Op(p.released_at, 3, p.seq, self._release(p)))
        await self._in_parallel(releases)
        await self._in_parallel([[self._refund(p, p.refund_after_release) for p in plan.payments
                                  if p.refund_after_release is not None]])
        async with self.pool.acquire() as conn:
            await _seed_other_services(conn, self, until=plan.cutoff.date() - timedelta(days=1))

    async def _create_parties(self) -> None:
        parties = [(p.created_at, PartyKind.CONSUMER, i, p) for i, p in enumerate(self.plan.consumers)]
        parties += [(p.created_at, PartyKind.MERCHANT, i, p) for i, p in enumerate(self.plan.merchants)]
        parties.sort(key=lambda item: (item[0], item[1] is PartyKind.MERCHANT, item[2]))
        ids: dict[tuple[PartyKind, int], int] = {}
        async with self.pool.acquire() as conn:
            for chunk in _chunks(parties, 1_000):
                async with conn.transaction():
                    for _at, kind, index, party in chunk:
                        ids[kind, index] = (await _create_party(conn, kind, party)).id
                self.advance(len(chunk))
        self.consumer_ids = [ids[PartyKind.CONSUMER, i] for i in range(len(self.plan.consumers))]
        self.merchant_ids = [ids[PartyKind.MERCHANT, i] for i in range(len(self.plan.merchants))]

    async def _in_parallel(self, partitions: Sequence[list[_Op]]) -> None:
        async with asyncio.TaskGroup() as group:
            for ops in partitions:
                if ops:
                    group.create_task(self._in_order(sorted(ops, key=lambda op: (op.at, op.order, op.seq))))

    async def _in_order(self, ops: list[_Op]) -> None:
        async with self.pool.acquire() as conn:
            for chunk in _chunks(ops, CHUNK):
                async with conn.transaction():
                    for op in chunk:
                        await op.run(conn)
                self.advance(len(chunk))

    def _top_up(self, consumer: int, fen: int, at: datetime) -> _Op:
        async def run(conn: asyncpg.Connection) -> object:
            return await payments.top_up(conn, party_id=self.consumer_ids[consumer], amount=Money(fen), now=at)

        return _Op(at, 0, 0, run)

    def _pay(self, p: PlannedPayment) -> Callable[[asyncpg.Connection], Awaitable[object]]:
        async def run(conn: asyncpg.Connection) -> object:
            payment = await payments.create_payment(
                conn, buyer_id=self.consumer_ids[p.buyer], merchant_id=self.merchant_ids[p.merchant],
                amount=Money(p.fen), source=FundingSource.WALLET, order_ref=p.order_ref, now=p.created_at,
            )
            self.payment_ids[p.seq] = payment.id
            return payment

        return run

    def _refund(self, p: PlannedPayment, refund: PlannedRefund | None) -> _Op:
        assert refund is not None

        async def run(conn: asyncpg.Connection) -> object:
            return await payments.refund_payment(
                conn, payment_id=self.payment_ids[p.seq], amount=Money(refund.fen), reason=refund.reason,
                merchant_id=self.merchant_ids[p.merchant], now=refund.at,
            )

        return _Op(refund.at, 2, p.seq, run)

    def _release(self, p: PlannedPayment) -> Callable[[asyncpg.Connection], Awaitable[object]]:
        assert p.released_at is not None
        released_at = p.released_at

        async def run(conn: asyncpg.Connection) -> object:
            # Confirmed by the buyer or by the auto-release batch: the same escrow release.
            return await payments.confirm_receipt(
                conn, buyer_id=self.consumer_ids[p.buyer], payment_id=self.payment_ids[p.seq], now=released_at
            )

        return run


async def _create_party(conn: asyncpg.Connection, kind: PartyKind, party: PlannedParty) -> Party:
    return await payments.create_party(
        conn, kind=kind, name=party.name, now=party.created_at,
        real_name_verified=party.verified and kind is PartyKind.CONSUMER,
        certified=party.verified and kind is PartyKind.MERCHANT,
    )


async def _seed_other_services(conn: asyncpg.Connection, seeding: _Seeding, *, until: date) -> None:
    """Ratings, credit lines and Yu'e Bao holdings through the credit and funds services' public names.

    Order matters: ratings and payment history first (they feed the credit profiles that
    size the default lines), then lines with their drawdowns and repayments, then the
    backdated subscriptions, and only then the yield history, published day by day in
    date order so that each holding earns from its confirmation date on. The end-of-day
    batches (the last day's income, interest accruals) run at the instant their day
    ended, never later than the clock's "now".
    """
    services_plan = plan_services(seeding.plan)
    consumers, merchants = seeding.consumer_ids, seeding.merchant_ids

    def party(merchant: bool, index: int) -> int:
        return merchants[index] if merchant else consumers[index]

    async with conn.transaction():
        for rating in services_plan.ratings:
            p = seeding.plan.payments[rating.payment_seq - 1]
            await credit.rate_merchant(conn, buyer_id=consumers[p.buyer], payment_id=seeding.payment_ids[p.seq],
                                       stars=rating.stars, comment="", now=rating.at)
    async with conn.transaction():
        for line in services_plan.credit_lines:
            await _open_line(conn, party(line.merchant, line.index), line.opened_at)
        moves = sorted((at, fen, party(line.merchant, line.index))
                       for line in services_plan.credit_lines for fen, at in line.moves)
        for at, fen, party_id in moves:
            if fen > 0:
                await credit.draw_credit(conn, party_id=party_id, amount=Money(fen), now=at)
            else:
                await credit.repay_credit(conn, party_id=party_id, amount=Money(-fen), now=at)
    async with conn.transaction():
        for holding in sorted(services_plan.holdings, key=lambda h: (h.at, h.merchant, h.index)):
            party_id = party(holding.merchant, holding.index)
            # Money from the bank straight into the fund: no earlier wallet balance relied on.
            await payments.top_up(conn, party_id=party_id, amount=Money(holding.fen), now=holding.at)
            await funds.subscribe(conn, fund_code=funds.DEFAULT_FUND, party_id=party_id,
                                  amount=Money(holding.fen), now=holding.at)
    # Up to the day before ``until``: seed_yield_history publishes each day at 09:00 the
    # next morning, which for ``until`` itself would be after the cut-off.
    await funds.seed_yield_history(conn, until=until - timedelta(days=1))
    async with conn.transaction():
        await funds.publish_fund_yield(conn, fund_code=funds.DEFAULT_FUND, day=until,
                                       earnings_per_10k=funds.demo_earnings_per_10k(until),
                                       now=business_day_start(until + timedelta(days=1)))
        for back in range(ACCRUAL_DAYS - 1, -1, -1):
            day = until - timedelta(days=back)
            await credit.accrue_daily_interest(conn, day=day, now=business_day_start(day + timedelta(days=1)))


async def _open_line(conn: asyncpg.Connection, party_id: int, at: datetime) -> None:
    """The default line for the party's score band, or a small explicit one when the band gets none."""
    try:
        async with conn.transaction():  # a savepoint: a refused default leaves nothing behind
            await credit.open_credit_line(conn, party_id=party_id, limit=None, daily_rate=None, now=at)
    except DomainError:
        await credit.open_credit_line(conn, party_id=party_id, limit=Money(FALLBACK_LIMIT_FEN),
                                      daily_rate=FALLBACK_DAILY_RATE, now=at)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


@contextmanager
def _progress(show: bool, total: int) -> Iterator[Callable[[int], None]]:
    if not show:
        yield lambda _n: None
        return
    columns = (TextColumn("seeding"), BarColumn(), MofNCompleteColumn(), TextColumn("operations"),
               TimeElapsedColumn())
    with Progress(*columns, console=_console) as bar:
        task = bar.add_task("seed", total=total)
        yield lambda n: bar.advance(task, n)
