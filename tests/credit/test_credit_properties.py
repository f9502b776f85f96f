"""Properties of credit lines under random draws, repayments and accrued days (real PostgreSQL).

Each example calls the credit service the way the mutations do (one transaction per
operation) on its own line and its own block of business dates, and keeps a model of
the drawdowns. After every example: principal outstanding == draws - principal repaid;
interest charged == floor(sum of exact daily interest) + floor(sum of exact daily
penalty), i.e. the daily accruals to the fen with the residue carried; the wallet moved
by draws - repayments; the loan book holds every line's principal plus unpaid interest;
the whole ledger sums to zero.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal

import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.credit.service import accrue_daily_interest, draw_credit, open_credit_line, repay_credit
from services.kernel.clock import BUSINESS_TZ
from services.kernel.errors import DomainError
from services.kernel.money import Money
from services.payments import PartyKind, create_party, top_up
from tests.conftest import Server

_RATE = Decimal("0.00037")
_LIMIT = 1_000_000  # fen
_WALLET = 2_000_000

operations = st.lists(
    st.one_of(
        st.tuples(st.just("draw"), st.integers(1, 600_000)),
        st.tuples(st.just("repay"), st.integers(1, 800_000)),
        st.tuples(st.just("days"), st.integers(1, 20)),
    ),
    min_size=1, max_size=14,
)


@dataclass
class _Draw:
    outstanding: int
    due: date


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


async def _run(dsn: str, ops: list[tuple[str, int]]) -> None:
    # Accrual is global per date: each example starts after every date ever accrued from
    # year 3000 on (the end-to-end tests stay below it), so its dates are all its own.
    conn = await asyncpg.connect(dsn)
    try:
        last = await conn.fetchval("SELECT max(date) FROM credit.accruals WHERE date >= '3000-01-01'")
        day = (last or date(3000, 1, 1)) + timedelta(days=2)
        now = datetime.combine(day, time(10), tzinfo=BUSINESS_TZ)
        async with conn.transaction():
            party = await create_party(conn, kind=PartyKind.CONSUMER, name="prop borrower", now=now)
            await top_up(conn, party_id=party.id, amount=Money(_WALLET), now=now)
            await open_credit_line(conn, party_id=party.id, limit=Money(_LIMIT), daily_rate=_RATE, now=now)
        draws: list[_Draw] = []
        drawn = principal_repaid = repaid = 0
        exact_interest = exact_penalty = Decimal(0)
        for op, value in ops:
            try:
                async with conn.transaction():
                    if op == "draw":
                        await draw_credit(conn, party_id=party.id, amount=Money(value), now=now)
                        draws.append(_Draw(value, day + timedelta(days=30)))
                        drawn += value
                    elif op == "repay":
                        repayment, _ = await repay_credit(conn, party_id=party.id, amount=Money(value), now=now)
                        repaid += value
                        principal_repaid += repayment.principal_paid.fen
                        left = repayment.principal_paid.fen
                        for d in draws:
                            share = min(left, d.outstanding)
                            d.outstanding -= share
                            left -= share
                    else:
                        for _ in range(value):
                            current = sum(d.outstanding for d in draws if d.due >= day)
                            overdue = sum(d.outstanding for d in draws if d.due < day)
                            exact_interest += current * _RATE
                            exact_penalty += overdue * _RATE * Decimal("1.5")
                            day += timedelta(days=1)
                            now = datetime.combine(day, time(10), tzinfo=BUSINESS_TZ)
                            accrual = await accrue_daily_interest(conn, day=day - timedelta(days=1), now=now)
                            assert not accrual.already_accrued
            except DomainError:
                pass  # refused: nothing changed (the transaction rolled back)
        line = await conn.fetchrow("SELECT * FROM credit.lines WHERE party_id = $1", party.id)
        assert line["outstanding_principal"] == drawn - principal_repaid == sum(d.outstanding for d in draws)
        assert line["interest_charged"] == _floor(exact_interest) + _floor(exact_penalty)
        assert line["interest_carry"] == exact_interest - _floor(exact_interest)
        paid_interest = repaid - principal_repaid
        assert line["accrued_interest"] + line["accrued_penalty"] == line["interest_charged"] - paid_interest
        balance = await conn.fetchval("SELECT balance FROM payments.accounts WHERE party_id = $1", party.id)
        assert balance == _WALLET + drawn - repaid
        book = await conn.fetchval(
            "SELECT coalesce(sum(p.amount), 0) FROM payments.postings p JOIN payments.accounts a ON a.id = p.account_id"
            " WHERE a.code = 'LOAN_BOOK:CNY'"
        )
        owed = await conn.fetchval(
            "SELECT coalesce(sum(outstanding_principal + accrued_interest + accrued_penalty), 0) FROM credit.lines"
        )
        assert -book == owed
        assert await conn.fetchval("SELECT coalesce(sum(amount), 0) FROM payments.postings") == 0
    finally:
        await conn.close()


async def test_credit_lines_stay_consistent(database_url: str, server: Server) -> None:
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    @given(ops=operations)
    def example(ops: list[tuple[str, int]]) -> None:
        asyncio.run(_run(database_url, ops))

    await asyncio.to_thread(example)
