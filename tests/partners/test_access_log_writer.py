"""The access log's group commit (ADR 028), on the real database.

Each request's rows are committed before ``log_access`` returns; rows of requests that
arrive while a batch is being written go together in one later transaction, in the order
they came; a failed batch fails each of its requests and writes none of their rows, and
the next request is written again.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime

import asyncpg

from services.partners import AccessRow, log_access
from tests.conftest import START

#: Partner ids no real partner has (the log has no foreign key to partners): one per test run.
_PARTNER_IDS = itertools.count(7_000_000 + (int(datetime.now().timestamp()) % 100_000) * 10)


def _rows(partner_id: int, request: int, count: int, *, request_id: str | None = None) -> list[AccessRow]:
    return [AccessRow(partner_id, 900 + request, f"scope:{n}", ("Merchant.wallet", f"Merchant.f{n}"),
                      request_id or f"req-{request}", START) for n in range(count)]


async def _logged(db: asyncpg.Pool, partner_id: int) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await db.fetch(
        "SELECT merchant_id, scope, fields, request_id, xmin::text::bigint AS tx FROM partners.access_log"
        " WHERE partner_id = $1 ORDER BY id", partner_id)
    return rows


async def test_requests_arriving_together_share_one_commit_and_keep_their_order(db: asyncpg.Pool) -> None:
    partner = next(_PARTNER_IDS)
    requests = [_rows(partner, r, 1 + r % 4) for r in range(30)]
    await asyncio.gather(*(log_access(db, rows) for rows in requests))

    logged = await _logged(db, partner)
    assert len(logged) == sum(len(rows) for rows in requests)
    by_request: dict[str, list[asyncpg.Record]] = {}
    for row in logged:
        by_request.setdefault(row["request_id"], []).append(row)
    for r, rows in enumerate(requests):
        got = by_request[f"req-{r}"]
        # Each request's rows are contiguous and in its order (ids ascend as written).
        assert [(g["merchant_id"], g["scope"], tuple(g["fields"])) for g in got] == [
            (row.merchant_id, row.scope, row.fields) for row in rows]
        assert len({g["tx"] for g in got}) == 1, "a request's rows commit together"
    transactions = {row["tx"] for row in logged}
    assert len(transactions) < len(requests), "thirty concurrent requests took thirty commits"
    # Batches follow arrival: the first request's rows come first.
    assert logged[0]["request_id"] == "req-0"


async def test_each_request_s_rows_are_committed_when_it_returns(db: asyncpg.Pool) -> None:
    partner = next(_PARTNER_IDS)
    for r in range(3):
        await log_access(db, _rows(partner, r, 2))
        # Seen from another connection (a new snapshot): committed, not merely sent.
        assert len(await _logged(db, partner)) == 2 * (r + 1)


async def test_a_failed_batch_fails_each_of_its_requests_and_writes_none_of_their_rows(db: asyncpg.Pool) -> None:
    partner = next(_PARTNER_IDS)
    # PostgreSQL refuses a NUL in text: that request's row makes the whole INSERT fail.
    poisoned = _rows(partner, 0, 1, request_id="bad\x00id")
    first = asyncio.ensure_future(log_access(db, _rows(partner, 1, 1)))  # starts a batch at once
    await asyncio.sleep(0)
    together = [asyncio.ensure_future(log_access(db, rows)) for rows in (poisoned, _rows(partner, 2, 2))]
    await first
    outcomes = await asyncio.gather(*together, return_exceptions=True)
    assert all(isinstance(outcome, asyncpg.PostgresError | asyncpg.DataError) for outcome in outcomes), outcomes
    assert [row["request_id"] for row in await _logged(db, partner)] == ["req-1"]

    # The writer carries on: the next request is written.
    await log_access(db, _rows(partner, 3, 1))
    assert [row["request_id"] for row in await _logged(db, partner)] == ["req-1", "req-3"]
