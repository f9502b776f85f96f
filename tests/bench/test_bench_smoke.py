"""``python -m bench`` in a tiny configuration: it seeds, serves, loads, and reports real figures.

Every server of the comparison is started (the PostGraphile peer only where
``bench/node`` is installed: ``make bench`` runs ``npm ci`` there; otherwise the bench
skips it and says why, and so does this test).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from bench import postgraphile
from bench.report import HTTP_FLOOR

ROOT = Path(__file__).resolve().parents[2]
READS = ("MerchantsPage", "ConsumerHome", "MerchantView")
WRITES = ("createPayment", "createPayment hot merchant", "ledger-floor", HTTP_FLOOR)


def test_the_bench_measures_every_server_and_writes_json(tmp_path: Path) -> None:
    # given a tiny data set and a short load (batch benches are left to `make bench`)
    command = [
        sys.executable, "-m", "bench", "--consumers", "30", "--merchants", "25", "--payments", "150",
        "--duration", "0.8", "--warmup", "0.2", "--concurrency", "4", "--skip-batches", "--write-rounds", "2",
        "--database-name", f"fingraph_bench_smoke_{uuid.uuid4().hex[:8]}", "--results-dir", str(tmp_path),
    ]
    peer_missing = postgraphile.available()

    # when the bench runs
    finished = subprocess.run(command, cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True, timeout=240)

    # then it succeeds and prints one table with every scenario
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    for name in (*READS, *WRITES):
        assert name in finished.stdout

    # and the JSON holds figures from real, error-free requests on the seeded data set
    report = json.loads((tmp_path / "latest.json").read_text())
    assert report["data_set"]["payments"] == 150
    servers = ["ours", "ours-standard", "sql-floor"] + ([] if peer_missing else ["postgraphile"])
    for read in READS:
        for server in servers:
            _assert_measured(report["http"]["reads"][read][server])
        # the default gateway answers the contract reads on the compiled path, the standard one never
        assert report["http"]["reads"][read]["ours"].get("compiled_share", 1.0) > 0.9
        assert report["http"]["reads"][read]["ours-standard"].get("compiled_share", 0.0) == 0.0
    if peer_missing:
        print(f"PostGraphile part skipped: {peer_missing}")
        assert report["http"]["reads"]["MerchantsPage"]["postgraphile"] == {"skipped": peer_missing}
    for write in (*WRITES[:2], HTTP_FLOOR):  # HTTP requests, error-free (the bare /pay endpoint too)
        _assert_measured(report["http"]["writes"][write])
    assert report["http"]["writes"]["ledger-floor"]["transactions_per_second"] > 0
    assert report["http"]["writes"]["ledger-floor, 4 round trips"]["transactions_per_second"] > 0
    # each write scenario ran in both rounds, and its figures are one of them
    for write in (*WRITES, "ledger-floor, 4 round trips"):
        assert len(report["http"]["writes"][write]["rounds_per_second"]) == 2
    # the payments went through the compiled mutation path (docs/adr/012)
    assert report["http"]["writes"]["createPayment"]["compiled_share"] > 0.9

    # and every goal has its ratio (None only for a skipped peer)
    for goal in report["goals"]:
        skipped = peer_missing and goal["goal"] == "ours / postgraphile"
        assert (goal["ratio"] is None) == bool(skipped), goal
    assert all(value is not None for value in report["context_ratios"].values()), report["context_ratios"]
    assert len(list(tmp_path.glob("*.json"))) == 2  # latest.json and the dated copy


def _assert_measured(figures: dict[str, object]) -> None:
    requests = figures.get("requests")
    assert isinstance(requests, int) and requests > 0, figures
    assert figures["errors"] == 0, figures
    p50, p99 = figures["p50_ms"], figures["p99_ms"]
    assert isinstance(p50, float) and isinstance(p99, float) and 0 < p50 <= p99
