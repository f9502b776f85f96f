"""The demo data set: deterministic, every payment status, nothing after "now", a balanced ledger.

Each test seeds fresh databases created on the test server, so nothing else is in them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from gateway import demo
from gateway.demo_plan import plan_demo
from gateway.settings import Settings
from services.kernel.clock import Clock
from services.kernel.principal import Role
from tests.conftest import SECRET, running_app
from tests.support import CONSUMER_HOME, other_database

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.fromisoformat("2026-11-20T10:00:00+08:00")
#: Midnight starting 2026-11-20 in Asia/Shanghai: the demo's history ends before it.
CUTOFF = datetime.fromisoformat("2026-11-20T00:00:00+08:00")
#: The last day whose history the demo holds, and whose end-of-day batches have run.
LAST_DAY = date(2026, 11, 19)
SIZE: dict[str, int] = {"consumers": 30, "merchants": 10, "payments": 400}

PAYMENTS = """
    SELECT p.order_ref, p.buyer_id, p.merchant_id, p.amount, p.refunded, p.status, p.created_at, p.released_at,
           array(SELECT (r.amount, r.after_release, r.created_at)::text FROM payments.refunds r
                  WHERE r.payment_id = p.id ORDER BY r.id) AS refunds
      FROM payments.payments p ORDER BY p.order_ref
"""


@pytest.fixture
async def fresh_database(database_url: str) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """Makes migrated, empty databases on the test server; drops them afterwards."""
    async with contextlib.AsyncExitStack() as made:

        async def make() -> str:
            return await made.enter_async_context(other_database(database_url, "fingraph_demo", migrate=True))

        yield make


async def _summary(dsn: str) -> dict[str, Any]:
    """Everything the seed wrote, except payment ids (which parallel seeding may order differently)."""
    conn: asyncpg.Connection = await asyncpg.connect(dsn)
    try:
        return {
            "parties": [tuple(r) for r in await conn.fetch("SELECT * FROM payments.parties ORDER BY id")],
            "wallets": [tuple(r) for r in await conn.fetch(
                "SELECT party_id, balance FROM payments.accounts WHERE kind = 'WALLET' ORDER BY party_id")],
            "payments": [tuple(r) for r in await conn.fetch(PAYMENTS)],
            "entries": [tuple(r) for r in await conn.fetch(
                "SELECT kind, created_at, count(*) FROM payments.journal_entries GROUP BY 1, 2 ORDER BY 1, 2")],
            "lines": [tuple(r) for r in await conn.fetch(
                "SELECT party_id, limit_fen, daily_rate, outstanding_principal, accrued_interest FROM credit.lines"
                " ORDER BY party_id")],
            "holdings": [tuple(r) for r in await conn.fetch(
                "SELECT party_id, units, total_income FROM funds.holdings ORDER BY party_id")],
            "ratings": [tuple(r) for r in await conn.fetch(
                "SELECT merchant_id, stars, created_at FROM credit.ratings ORDER BY created_at, merchant_id")],
        }
    finally:
        await conn.close()


async def test_the_same_seed_and_clock_give_the_same_data_set(fresh_database: Callable[[], Awaitable[str]]) -> None:
    # given two empty databases
    one, other = await fresh_database(), await fresh_database()

    # when both are seeded alike, one on a single connection and one on three in parallel
    await demo.seed(one, random_seed=7, clock=Clock(NOW), progress=False, workers=1, **SIZE)
    await demo.seed(other, random_seed=7, clock=Clock(NOW), progress=False, workers=3, **SIZE)

    # then they hold the same parties, wallets, payments, refunds and ledger entries
    first, second = await _summary(one), await _summary(other)
    assert len(first["parties"]) == 40 and len(first["payments"]) == 400
    assert first == second


def test_another_seed_gives_another_plan() -> None:
    plans = [plan_demo(random_seed=seed, cutoff=CUTOFF, **SIZE) for seed in (1, 2)]
    assert plans[0].payments != plans[1].payments
    assert plan_demo(random_seed=1, cutoff=CUTOFF, **SIZE) == plans[0]


async def test_the_data_set_is_realistic_and_the_ledger_balanced(fresh_database: Callable[[], Awaitable[str]]) -> None:
    # given a database seeded with a fixed clock
    dsn = await fresh_database()
    await demo.seed(dsn, random_seed=2026, clock=Clock(NOW), progress=False, **SIZE)
    conn: asyncpg.Connection = await asyncpg.connect(dsn)
    try:
        # then the demo parties come first, with their names and checks
        first = await conn.fetch("SELECT kind, name, real_name_verified, certified FROM payments.parties ORDER BY id")
        consumers = [r for r in first if r["kind"] == "CONSUMER"]
        merchants = [r for r in first if r["kind"] == "MERCHANT"]
        assert (consumers[0]["name"], consumers[0]["real_name_verified"]) == ("Li Lei", True)
        assert (merchants[0]["name"], merchants[0]["certified"]) == ("Hangzhou Tea Co.", True)
        assert len({r["name"] for r in merchants}) == len(merchants)

        # and payments exist in every status, including released then partly refunded
        statuses = {r["status"]: r["n"] for r in await conn.fetch(
            "SELECT status, count(*) AS n FROM payments.payments GROUP BY status")}
        assert set(statuses) == {"HELD", "PARTIALLY_REFUNDED", "RELEASED", "REFUNDED"}
        assert await conn.fetchval(
            "SELECT count(*) FROM payments.payments p WHERE status = 'RELEASED' AND refunded > 0"
            " AND EXISTS (SELECT 1 FROM payments.refunds r WHERE r.payment_id = p.id AND r.after_release)")
        assert statuses["RELEASED"] > len(consumers)  # most payments complete

        # and months of history, all of it before the clock's business day started
        latest = await conn.fetchval(
            """SELECT max(t) FROM (SELECT max(created_at) FROM payments.payments
                UNION ALL SELECT max(released_at) FROM payments.payments
                UNION ALL SELECT max(created_at) FROM payments.refunds
                UNION ALL SELECT max(created_at) FROM payments.journal_entries
                 WHERE kind NOT IN ('FUND_DAILY_INCOME', 'CREDIT_INTEREST_ACCRUAL')
                UNION ALL SELECT max(created_at) FROM payments.parties
                UNION ALL SELECT max(created_at) FROM credit.ratings
                UNION ALL SELECT max(drawn_at) FROM credit.drawdowns
                UNION ALL SELECT max(placed_at) FROM funds.orders) AS times(t)""")
        earliest = await conn.fetchval("SELECT min(created_at) FROM payments.payments")
        assert latest < CUTOFF
        # and the end-of-day batches of the day before ran when it ended, not later
        batches = await conn.fetch(
            "SELECT kind, max(created_at) AS at FROM payments.journal_entries"
            " WHERE kind IN ('FUND_DAILY_INCOME', 'CREDIT_INTEREST_ACCRUAL') GROUP BY kind ORDER BY kind")
        assert [(r["kind"], r["at"]) for r in batches] == [
            ("CREDIT_INTEREST_ACCRUAL", CUTOFF), ("FUND_DAILY_INCOME", CUTOFF)]
        assert await conn.fetchval("SELECT max(date) FROM funds.daily_yields") == LAST_DAY
        assert await conn.fetchval("SELECT max(date) FROM credit.accruals") == LAST_DAY
        assert (CUTOFF - earliest).days >= 150

        # and the ledger balances: every entry sums to zero, wallets equal their postings
        assert await conn.fetchval(
            "SELECT count(*) FROM (SELECT entry_id FROM payments.postings GROUP BY 1 HAVING sum(amount) <> 0) e") == 0
        assert await conn.fetchval("SELECT sum(amount) FROM payments.postings") == 0
        assert await conn.fetchval(
            """SELECT count(*) FROM payments.accounts a WHERE a.kind = 'WALLET'
                AND a.balance <> (SELECT coalesce(sum(amount), 0) FROM payments.postings p WHERE p.account_id = a.id)""") == 0
        escrow = await conn.fetchval(
            "SELECT sum(p.amount) FROM payments.postings p JOIN payments.accounts a ON a.id = p.account_id"
            " WHERE a.code = 'ESCROW:CNY'")
        held = await conn.fetchval(
            "SELECT sum(amount - refunded) FROM payments.payments WHERE status IN ('HELD', 'PARTIALLY_REFUNDED')")
        assert escrow == held > 0
    finally:
        await conn.close()


async def test_serve_loads_the_small_set_once_and_names_the_demo_parties(
    fresh_database: Callable[[], Awaitable[str]],
) -> None:
    # given an empty database
    dsn = await fresh_database()

    # when the server's start-up seeds it twice
    started = time.monotonic()
    await demo.seed_if_empty(dsn, clock=Clock(NOW))
    elapsed = time.monotonic() - started
    await demo.seed_if_empty(dsn, clock=Clock(NOW))

    # then the small set was loaded once, quickly
    conn: asyncpg.Connection = await asyncpg.connect(dsn)
    try:
        parties = await conn.fetchval("SELECT count(*) FROM payments.parties")
        payments = await conn.fetchval("SELECT count(*) FROM payments.payments")
    finally:
        await conn.close()
    small = demo.SMALL_SET
    assert (parties, payments) == (small["consumers"] + small["merchants"], small["payments"])
    assert elapsed < 10

    # and the demo parties are Li Lei and Hangzhou Tea Co.
    assert await demo.demo_parties(dsn) == [
        ("demo consumer Li Lei (con_1)", "consumer", "con_1"),
        ("demo merchant Hangzhou Tea Co. (mer_2)", "merchant", "mer_2"),
    ]


async def test_the_demo_parties_have_credit_and_fund_data(fresh_database: Callable[[], Awaitable[str]]) -> None:
    # given the small set, loaded the way the server loads it
    dsn = await fresh_database()
    await demo.seed_if_empty(dsn, clock=Clock(NOW))
    conn: asyncpg.Connection = await asyncpg.connect(dsn)
    try:
        # then Li Lei (con_1) has a drawn credit line with interest accrued for the last days
        line = await conn.fetchrow("SELECT * FROM credit.lines WHERE party_id = 1")
        assert line is not None and line["outstanding_principal"] > 0 and line["accrued_interest"] > 0
        # and a confirmed Yu'e Bao holding that has earned income, up to the day before "now"
        holding = await conn.fetchrow("SELECT * FROM funds.holdings WHERE party_id = 1")
        assert holding is not None and holding["units"] > 0 and holding["pending_units"] == 0
        assert holding["total_income"] > 0 and holding["last_income_date"] == LAST_DAY
        # and other parties have lines, holdings, and merchants have ratings
        assert await conn.fetchval("SELECT count(*) FROM credit.lines") > 2
        assert await conn.fetchval("SELECT count(*) FROM funds.holdings WHERE total_income > 0") > 2
        assert await conn.fetchval("SELECT count(DISTINCT merchant_id) FROM credit.ratings") > 1
        # and the fund's custody holds exactly the units it owes, the loan book what borrowers owe
        system = ("SELECT sum(p.amount) FROM payments.postings p JOIN payments.accounts a ON a.id = p.account_id"
                  " WHERE a.code = $1")  # a system account's balance is the sum of its postings
        custody = await conn.fetchval(system, "FUND_CUSTODY:CNY")
        assert custody == await conn.fetchval("SELECT sum(units + pending_units) * 100 FROM funds.holdings")
        owed = await conn.fetchval(
            "SELECT sum(outstanding_principal + accrued_interest + accrued_penalty) FROM credit.lines")
        assert await conn.fetchval(system, "LOAN_BOOK:CNY") == -owed
    finally:
        await conn.close()

    # when Li Lei opens the app over HTTP
    settings = Settings(database_url=dsn, jwt_secret=SECRET, pool_max_size=4)
    async with running_app(settings, Clock(NOW)) as server, httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post("/graphql", json={"query": CONSUMER_HOME},
                                   headers={"Authorization": f"Bearer {server.token(Role.CONSUMER, 1)}"})

    # then ConsumerHome shows the credit line, the holding and the credit profile
    body = response.json()
    assert "errors" not in body, body
    me = body["data"]["me"]
    assert me["name"] == "Li Lei"
    assert Decimal(me["creditLine"]["outstandingPrincipal"]["amount"]) > 0
    assert Decimal(me["fundHolding"]["totalIncome"]["amount"]) > 0
    assert me["fundHolding"]["fund"]["code"] == "YEB"
    assert me["creditProfile"]["score"] > 0 and me["creditProfile"]["factors"]


async def test_seed_run_three_times_loads_the_data_set_once(fresh_database: Callable[[], Awaitable[str]]) -> None:
    # given an empty database
    dsn = await fresh_database()
    env = dict(os.environ, DATABASE_URL=dsn, FINGRAPH_NOW=NOW.isoformat(), PYTHONPATH=str(ROOT))
    seed = [sys.executable, "-m", "gateway.cli", "seed", "--consumers", "6", "--merchants", "3"]

    # when `fingraph seed` runs three times
    runs = [await asyncio.to_thread(subprocess.run, seed, cwd=ROOT, env=env, capture_output=True, text=True,
                                    timeout=180) for _ in range(3)]

    # then every run succeeds, the later ones say the database already holds the data and change nothing
    assert [run.returncode for run in runs] == [0, 0, 0], [run.stderr for run in runs]
    assert "already holds" not in runs[0].stderr
    assert all("already holds parties" in run.stderr and "nothing loaded" in run.stderr for run in runs[1:])
    conn: asyncpg.Connection = await asyncpg.connect(dsn)
    try:
        names = [r["name"] for r in await conn.fetch("SELECT name FROM payments.parties ORDER BY id")]
        assert names.count("Hangzhou Tea Co.") == 1 and names.count("Li Lei") == 1
        assert len(names) == 9
    finally:
        await conn.close()

    # when it runs with --force, it loads another data set beside the first (documented, on purpose)
    forced = await asyncio.to_thread(subprocess.run, [*seed, "--force"], cwd=ROOT, env=env, capture_output=True,
                                     text=True, timeout=180)
    assert forced.returncode == 0, forced.stderr
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM payments.parties WHERE name = 'Hangzhou Tea Co.'") == 2
    finally:
        await conn.close()
