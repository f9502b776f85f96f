"""Publishing a day's yield again (ADR 003, "Batches"): the same rate is an idempotent
success, another rate is refused with the stored one named, over HTTP and by the CLI."""

from __future__ import annotations

from typing import Any

import asyncpg

from tests.conftest import Server
from tests.funds.batch_cli import empty_database, fingraph
from tests.funds.support import PUBLISH, clock_at, custody_and_units, holding, private_fund, subscribe
from tests.support import Api


async def _published(db: asyncpg.Pool, fund: str) -> list[tuple[Any, ...]]:
    async with db.acquire() as conn:
        rows = await conn.fetch(
            "SELECT y.date, y.earnings_per_10k, y.total_income FROM funds.daily_yields y"
            " JOIN funds.funds f ON f.id = y.fund_id WHERE f.code = $1 ORDER BY y.date", fund)
        postings = await conn.fetchval("SELECT count(*) FROM payments.postings")
    return [tuple(r) for r in rows] + [("postings", postings)]


async def test_publishing_a_day_again_at_another_rate_is_refused_and_changes_nothing(
    api: Api, server: Server, db: asyncpg.Pool
) -> None:
    fund = await private_fund(db)
    saver = await api.consumer(balance="10000.00")
    with clock_at(server, "2026-11-23 10:00"):
        await subscribe(api, saver, fund, "10000.00")
    with clock_at(server, "2026-11-25 08:00"):
        first = (await api.gql(PUBLISH, api.operator, f=fund, d="2026-11-24", e="1.6500"))["publishFundYield"]
        assert first["userErrors"] == [] and first["distribution"]["alreadyPublished"] is False
        units = (await holding(api, saver, fund))["units"]
        before = await _published(db, fund)

        other = (await api.gql(PUBLISH, api.operator, f=fund, d="2026-11-24", e="2.0000"))["publishFundYield"]
        same = (await api.gql(PUBLISH, api.operator, f=fund, d="2026-11-24", e="1.65"))["publishFundYield"]

        assert other["distribution"] is None
        [error] = other["userErrors"]
        assert error["code"] == "INVALID_STATE"
        assert "1.6500" in error["message"] and "2.0000" in error["message"], error
        # The same rate (written another way) is the first run, repeated.
        assert same["userErrors"] == [] and same["distribution"]["alreadyPublished"] is True
        assert {k: v for k, v in same["distribution"].items() if k != "alreadyPublished"} == {
            k: v for k, v in first["distribution"].items() if k != "alreadyPublished"}
        assert await _published(db, fund) == before
        assert (await holding(api, saver, fund))["units"] == units
    custody, all_units = await custody_and_units(db)
    assert custody == all_units


async def test_the_cli_publishes_once_and_refuses_another_rate_for_that_day(database_url: str) -> None:
    now = "2026-11-25T08:00:00+08:00"
    publish = ("publish-yield", "--fund", "YEB", "--date", "2026-11-24")
    async with empty_database(database_url) as dsn:
        first = await fingraph(dsn, *publish, "--earnings-per-10k", "1.6500", now=now)
        same = await fingraph(dsn, *publish, "--earnings-per-10k", "1.65", now=now)
        other = await fingraph(dsn, *publish, "--earnings-per-10k", "2.0000", now=now)
        conn = await asyncpg.connect(dsn)
        try:
            rates = await conn.fetch("SELECT date::text, earnings_per_10k::text FROM funds.daily_yields")
        finally:
            await conn.close()

    assert first[0] == 0 and "published YEB 2026-11-24 at 1.6500 per 10k" in first[1], first
    assert same[0] == 0 and "was already published (1.6500 per 10k): nothing changed" in same[1], same
    assert other[0] == 1, other
    assert "INVALID_STATE" in other[2] and "already published at 1.6500 per 10k, not 2.0000" in other[2], other
    assert [tuple(r) for r in rates] == [("2026-11-24", "1.6500")]
