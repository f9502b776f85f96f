"""``python -m bench`` in a tiny configuration: it seeds, serves, loads, and reports real figures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_bench_measures_both_operations_and_writes_json(tmp_path: Path) -> None:
    # given a tiny data set and a short load (batch benches are left to `make bench`)
    command = [
        sys.executable, "-m", "bench", "--consumers", "30", "--merchants", "25", "--payments", "150",
        "--duration", "1.5", "--warmup", "0.3", "--concurrency", "4", "--skip-batches",
        "--database-name", f"fingraph_bench_smoke_{uuid.uuid4().hex[:8]}", "--results-dir", str(tmp_path),
    ]

    # when the bench runs
    finished = subprocess.run(command, cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True, timeout=240)

    # then it succeeds and prints a table
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    assert "MerchantsPage" in finished.stdout and "createPayment" in finished.stdout

    # and the JSON holds figures from real, error-free requests on the seeded data set
    report = json.loads((tmp_path / "latest.json").read_text())
    assert report["data_set"]["payments"] == 150
    for name in ("MerchantsPage", "createPayment"):
        figures = report["http"][name]
        assert figures["requests"] > 0 and figures["errors"] == 0, figures
        assert 0 < figures["p50_ms"] <= figures["p99_ms"]
        assert figures["requests_per_second"] > 0
    assert len(list(tmp_path.glob("*.json"))) == 2  # latest.json and the dated copy
