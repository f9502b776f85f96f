"""Shared helpers of the funds tests: documents, a private test fund, moving the clock."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any

import asyncpg

from tests.conftest import START, Server
from tests.support import Api, Party, new_key

SUBSCRIBE = """mutation($f: String!, $a: Decimal!, $k: String!) { subscribeFund(input: {fundCode: $f, amount: $a, idempotencyKey: $k}) {
  holding { units pendingUnits } userErrors { code message } } }"""
REDEEM = """mutation($f: String!, $a: Decimal!, $m: RedemptionMode!, $k: String!) {
  redeemFund(input: {fundCode: $f, amount: $a, mode: $m, idempotencyKey: $k}) {
  holding { units redeemingUnits } userErrors { code message } } }"""
PUBLISH = """mutation($f: String!, $d: Date!, $e: Decimal!) { publishFundYield(input: {fundCode: $f, date: $d, earningsPer10k: $e}) {
  distribution { date holders totalIncome { amount } residue alreadyPublished } userErrors { code message } } }"""
HOLDING = """query($f: String!) { me { ... on Consumer { wallet { balance { amount } }
  fundHolding(fundCode: $f) { units pendingUnits redeemingUnits value { amount } yesterdayIncome { amount }
    totalIncome { amount } incomeHistory(days: 30) { date income { amount } }
    fund { code name earningsPer10k sevenDayAnnualizedYield } } } } }"""
FUND = """query($f: String!) { fund(code: $f) { code name manager earningsPer10k sevenDayAnnualizedYield
  yieldHistory(days: 7) { date earningsPer10k } } }"""


def at(text: str) -> datetime:
    """An Asia/Shanghai wall-clock instant, e.g. at("2026-11-25 10:00")."""
    return datetime.fromisoformat(text.replace(" ", "T") + ":00+08:00")


@contextlib.contextmanager
def clock_at(server: Server, text: str) -> Iterator[None]:
    """Move the server's clock for the block, then put it back where the suite expects it."""
    server.clock.set(at(text))
    try:
        yield
    finally:
        server.clock.set(START)


async def private_fund(db: asyncpg.Pool) -> str:
    """A private fund per test, so that published dates never collide between tests."""
    code = "T" + uuid.uuid4().hex[:10].upper()
    async with db.acquire() as conn:
        await conn.execute(
            "INSERT INTO funds.funds (code, name, manager) VALUES ($1, 'Test MMF', 'Test AM')", code
        )
    return code


async def subscribe(api: Api, party: Party, fund: str, amount: str, key: str | None = None) -> dict[str, Any]:
    data = await api.gql(SUBSCRIBE, party.token, f=fund, a=amount, k=key or new_key())
    result: dict[str, Any] = data["subscribeFund"]
    return result


async def holding(api: Api, party: Party, fund: str) -> dict[str, Any]:
    data = await api.gql(HOLDING, party.token, f=fund)
    result: dict[str, Any] = data["me"]["fundHolding"]
    return result


def income(units: str, per_10k: str) -> Decimal:
    """The rule under test, stated independently: floor(units x R / 10000) to 0.01."""
    return (Decimal(units) * Decimal(per_10k) / 10_000).quantize(Decimal("0.01"), rounding=ROUND_FLOOR)


async def custody_and_units(db: asyncpg.Pool) -> tuple[int, int]:
    """(FUND_CUSTODY balance from the postings, all fund units x 1.00) in fen."""
    async with db.acquire() as conn:
        row = await conn.fetchrow(
            """SELECT (SELECT coalesce(sum(p.amount), 0) FROM payments.postings p
                         JOIN payments.accounts a ON a.id = p.account_id WHERE a.code = 'FUND_CUSTODY:CNY') AS custody,
                      (SELECT coalesce(sum(units + pending_units + redeeming_units), 0) * 100
                         FROM funds.holdings) AS units"""
        )
    assert row is not None
    return int(row["custody"]), int(row["units"])
