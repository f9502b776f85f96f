"""Accruing a day again (ADR 003, "Batches"): the date is the batch's only input, so a
re-run is the first run repeated (``alreadyAccrued``), by the CLI as over HTTP; a day
that has not ended is refused with a non-zero exit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg

from tests.funds.test_yield_reruns import _fingraph
from tests.gateway.test_demo import fresh_database

__all__ = ["fresh_database"]  # the fixture, used here as the demo tests use it


async def test_the_cli_accrues_a_day_once_and_refuses_a_day_not_ended(
    fresh_database: Callable[[], Awaitable[str]],
) -> None:
    dsn = await fresh_database()
    now = "2026-11-25T08:00:00+08:00"

    first = await _fingraph(dsn, "accrue", "--date", "2026-11-24", now=now)
    again = await _fingraph(dsn, "accrue", "--date", "2026-11-24", now=now)
    not_ended = await _fingraph(dsn, "accrue", "--date", "2026-11-25", now=now)

    assert first[0] == 0 and first[1].startswith("accrued 2026-11-24: 0 lines"), first
    assert again[0] == 0 and "2026-11-24 was already accrued (0 lines): nothing changed" in again[1], again
    assert not_ended[0] == 1 and "INVALID_STATE" in not_ended[2], not_ended
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM credit.accruals") == 1
    finally:
        await conn.close()
