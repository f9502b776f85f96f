"""Accruing a day again (ADR 003, "Batches"): the date is the batch's only input, so a
re-run is the first run repeated (``alreadyAccrued``), by the CLI as over HTTP; a day
that has not ended is refused with a non-zero exit."""

from __future__ import annotations

import asyncpg

from tests.funds.batch_cli import empty_database, fingraph


async def test_the_cli_accrues_a_day_once_and_refuses_a_day_not_ended(database_url: str) -> None:
    now = "2026-11-25T08:00:00+08:00"
    async with empty_database(database_url) as dsn:
        first = await fingraph(dsn, "accrue", "--date", "2026-11-24", now=now)
        again = await fingraph(dsn, "accrue", "--date", "2026-11-24", now=now)
        not_ended = await fingraph(dsn, "accrue", "--date", "2026-11-25", now=now)
        conn = await asyncpg.connect(dsn)
        try:
            accruals = await conn.fetchval("SELECT count(*) FROM credit.accruals")
        finally:
            await conn.close()

    assert first[0] == 0 and first[1].startswith("accrued 2026-11-24: 0 lines"), first
    assert again[0] == 0 and "2026-11-24 was already accrued (0 lines): nothing changed" in again[1], again
    assert not_ended[0] == 1 and "INVALID_STATE" in not_ended[2], not_ended
    assert accruals == 1
