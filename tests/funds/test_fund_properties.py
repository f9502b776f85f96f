"""Properties of the fund under random sequences of orders and published days (real PostgreSQL).

Each example runs in a worker thread with its own event loop and connection, calling
the funds service the way the mutations do (one transaction per operation). After
every example: all fund units x 1.00 == the FUND_CUSTODY balance; for every published
day, income paid + residue == the exact income, and each holder got floor(units x R /
10000) to the fen; the ledger sums to zero.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.funds import publish_fund_yield, settle_fund_orders
from services.funds.models import RedemptionMode
from services.funds.service import redeem, subscribe
from services.kernel.clock import BUSINESS_TZ
from services.kernel.errors import DomainError
from services.kernel.money import Money
from services.payments import PartyKind, create_party, top_up
from tests.conftest import Server

START = datetime(2026, 11, 23, 10, 0, tzinfo=BUSINESS_TZ)

amounts = st.integers(min_value=1, max_value=3_000_000) | st.sampled_from([1_000_000, 2_500_000])  # fen
operations = st.lists(
    st.one_of(
        st.tuples(st.just("subscribe"), st.integers(0, 2), amounts),
        st.tuples(st.just("instant"), st.integers(0, 2), amounts),
        st.tuples(st.just("standard"), st.integers(0, 2), amounts),
        st.tuples(st.just("next_day"), st.sampled_from(["0.0001", "1.6543", "0.4321", "9.9999"]), st.just(0)),
        st.tuples(st.just("hours"), st.integers(1, 20), st.just(0)),
    ),
    min_size=1, max_size=25,
)


async def _run(dsn: str, ops: list[tuple[str, object, int]]) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        code = "P" + uuid.uuid4().hex[:10].upper()
        await conn.execute("INSERT INTO funds.funds (code, name, manager) VALUES ($1, 'Prop MMF', 'Prop AM')", code)
        now = START
        parties = []
        async with conn.transaction():
            for i in range(3):
                party = await create_party(conn, kind=PartyKind.CONSUMER, name=f"prop {i}", now=now)
                await top_up(conn, party_id=party.id, amount=Money(50_000_00), now=now)
                parties.append(party.id)
        for op, arg, fen in ops:
            try:
                async with conn.transaction():
                    if op == "subscribe":
                        await subscribe(conn, fund_code=code, party_id=parties[int(str(arg))], amount=Money(fen), now=now)
                    elif op in ("instant", "standard"):
                        mode = RedemptionMode.INSTANT if op == "instant" else RedemptionMode.STANDARD
                        await redeem(conn, fund_code=code, party_id=parties[int(str(arg))], amount=Money(fen),
                                     mode=mode, now=now)
                    elif op == "next_day":
                        day = now.date()
                        now = datetime.combine(day + timedelta(days=1), now.time(), tzinfo=BUSINESS_TZ)
                        await publish_fund_yield(conn, fund_code=code, day=day, earnings_per_10k=Decimal(str(arg)),
                                                 now=now)
                    else:
                        now += timedelta(hours=int(str(arg)))
                        await settle_fund_orders(conn, as_of=now.date(), now=now)
            except DomainError:
                pass  # refused: nothing changed (the transaction rolled back)
        await _check(conn, code)
    finally:
        await conn.close()


async def _check(conn: asyncpg.Connection, code: str) -> None:
    custody = await conn.fetchval(
        "SELECT coalesce(sum(p.amount), 0) FROM payments.postings p JOIN payments.accounts a ON a.id = p.account_id"
        " WHERE a.code = 'FUND_CUSTODY:CNY'"
    )
    units = await conn.fetchval("SELECT coalesce(sum(units + pending_units + redeeming_units), 0) FROM funds.holdings")
    assert custody == int(units * 100)
    assert await conn.fetchval("SELECT coalesce(sum(amount), 0) FROM payments.postings") == 0
    days = await conn.fetch(
        "SELECT y.* FROM funds.daily_yields y JOIN funds.funds f ON f.id = y.fund_id WHERE f.code = $1", code
    )
    for day in days:
        exact = day["base_units"] * day["earnings_per_10k"] / 10_000
        assert day["gross_income"] == exact
        assert day["total_income"] + day["residue"] == exact
        paid = await conn.fetch(
            "SELECT income FROM funds.incomes WHERE fund_id = $1 AND date = $2", day["fund_id"], day["date"]
        )
        assert sum((r["income"] for r in paid), Decimal(0)) == day["total_income"]
        assert 0 <= day["residue"] < Decimal("0.01") * max(day["holders"], 1)


def _floor_cent(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_FLOOR)


async def test_fund_units_income_and_ledger_stay_consistent(database_url: str, server: Server) -> None:
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(ops=operations)
    def example(ops: list[tuple[str, object, int]]) -> None:
        asyncio.run(_run(database_url, ops))

    await asyncio.to_thread(example)


async def test_each_holder_gets_floor_of_units_times_rate(database_url: str, server: Server) -> None:
    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
    @given(fens=st.lists(st.integers(1, 10**10), min_size=1, max_size=6),
           rate=st.decimals(min_value=Decimal("0"), max_value=Decimal("20"), places=4))
    def example(fens: list[int], rate: Decimal) -> None:
        asyncio.run(_holders(database_url, fens, rate))

    await asyncio.to_thread(example)


async def _holders(dsn: str, fens: list[int], rate: Decimal) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        code = "H" + uuid.uuid4().hex[:10].upper()
        await conn.execute("INSERT INTO funds.funds (code, name, manager) VALUES ($1, 'Prop MMF', 'Prop AM')", code)
        parties = []
        async with conn.transaction():
            for fen in fens:
                party = await create_party(conn, kind=PartyKind.CONSUMER, name="holder", now=START)
                await top_up(conn, party_id=party.id, amount=Money(fen), now=START)
                await subscribe(conn, fund_code=code, party_id=party.id, amount=Money(fen), now=START)
                parties.append(party.id)
        later = START + timedelta(days=3)
        async with conn.transaction():
            await publish_fund_yield(conn, fund_code=code, day=later.date() - timedelta(days=1),
                                     earnings_per_10k=rate, now=later)
        rows = await conn.fetch(
            "SELECT h.party_id, h.units FROM funds.holdings h JOIN funds.funds f ON f.id = h.fund_id WHERE f.code = $1",
            code,
        )
        got = {row["party_id"]: row["units"] for row in rows}
        for party_id, fen in zip(parties, fens, strict=True):
            units = Decimal(fen) / 100
            assert got[party_id] == units + _floor_cent(units * rate / 10_000)
        await _check(conn, code)
    finally:
        await conn.close()
