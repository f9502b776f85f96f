"""``bench.portrait_history`` in a tiny configuration: it writes both histories, rebuilds
the aggregates from them, and measures the portrait's MerchantView for both merchants."""

from __future__ import annotations

from bench.portrait_history import run
from tests.support import other_database


async def test_the_history_bench_counts_and_measures(database_url: str) -> None:
    async with other_database(database_url, "fingraph_bench_portrait") as dsn:
        figures = await run(dsn, payments=3_000, duration=0.5, warmup=0.2, concurrency=2, rounds=1)
    # every payment was written by the bulk path, so the rebuild counted all of it
    assert figures["rows_corrected_by_rebuild"] > 0
    for label in ("100 payments", "3,000 payments"):
        read = figures["reads"][label]
        assert read["requests"] > 0 and read["errors"] == 0
        assert read["read_paths"] == {"compiled": read["requests"]}
    assert figures["big_over_small"] is not None
