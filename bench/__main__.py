"""``python -m bench`` (``make bench``): seed a data set, serve it, load it over HTTP, report.

1. a fresh database (see ``bench.servers``), migrated, seeded by ``fingraph seed``'s code;
2. the real gateway in a uvicorn subprocess;
3. ``MerchantsPage`` then ``createPayment``, each for ``--duration`` seconds after a warm-up,
   from ``--concurrency`` concurrent HTTP clients;
4. the batch benchmarks of credit and funds (``bench/credit_accrual.py``,
   ``bench/funds_yield.py``) when present;
5. a table on the terminal and JSON in ``bench/results/latest.json`` (plus a dated copy).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from rich.console import Console
from rich.table import Table

from bench.http_load import Scenario, drive
from bench.scenarios import (
    MERCHANTS_PAGE,
    MERCHANTS_PAGE_PAYMENTS,
    CreatePayment,
    MerchantsPage,
    merchant_ids,
    prepare_buyers,
)
from bench.servers import fresh_database, running_gateway
from gateway import db, demo
from gateway.auth import issue_token
from services.kernel.clock import Clock
from services.kernel.principal import Principal, Role

RESULTS = Path(__file__).parent / "results"
DEFAULT_NOW = "2026-11-20T10:00:00+08:00"
#: Batch benchmarks written with the credit and funds services: module, size argument, flag.
BATCHES = (("credit_accrual", "lines", "credit_lines"), ("funds_yield", "holders", "fund_holders"))

console = Console()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    data = parser.add_argument_group("data set")
    data.add_argument("--consumers", type=int, default=2_000)
    data.add_argument("--merchants", type=int, default=200)
    data.add_argument("--payments", type=int, default=20_000)
    data.add_argument("--seed", type=int, default=demo.DEFAULT_SEED, help="random seed of the data set")
    data.add_argument("--seed-workers", type=int, default=None, help="parallel connections while seeding")
    data.add_argument("--now", default=os.environ.get("FINGRAPH_NOW") or DEFAULT_NOW,
                      help="the fixed clock of the data set and the server (FINGRAPH_NOW)")
    load = parser.add_argument_group("HTTP load")
    load.add_argument("--duration", type=float, default=10.0, help="measured seconds per scenario")
    load.add_argument("--warmup", type=float, default=2.0, help="uncounted seconds before each scenario")
    load.add_argument("--concurrency", type=int, default=16, help="concurrent HTTP clients (connections)")
    load.add_argument("--server-workers", type=int, default=1, help="uvicorn worker processes")
    load.add_argument("--buyers", type=int, default=1_000, help="distinct consumers paying in createPayment")
    batches = parser.add_argument_group("batch benchmarks (run if their modules exist)")
    batches.add_argument("--credit-lines", type=int, default=None, help="credit lines for bench.credit_accrual")
    batches.add_argument("--fund-holders", type=int, default=None, help="fund holders for bench.funds_yield")
    batches.add_argument("--skip-batches", action="store_true")
    where = parser.add_argument_group("where")
    where.add_argument("--database-name", default="fingraph_bench")
    where.add_argument("--keep-database", action="store_true", help="keep it afterwards (DATABASE_URL only)")
    where.add_argument("--results-dir", type=Path, default=RESULTS)
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    started = datetime.now(UTC)
    clock = Clock.from_iso(args.now)
    report: dict[str, Any] = {"started_at": started.isoformat(timespec="seconds"), "machine": _machine(),
                              "config": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}}
    async with fresh_database(args.database_name, keep=args.keep_database) as dsn:
        report["machine"]["postgres"] = await _server_version(dsn)
        await db.migrate_dsn(dsn)
        seeding = time.monotonic()
        await demo.seed(dsn, consumers=args.consumers, merchants=args.merchants, payments=args.payments,
                        random_seed=args.seed, clock=clock, progress=True, workers=args.seed_workers)
        report["data_set"] = {"consumers": args.consumers, "merchants": args.merchants, "payments": args.payments,
                              "seed_seconds": round(time.monotonic() - seeding, 1)}
        secret = secrets.token_urlsafe(32)
        buyers = await prepare_buyers(dsn, count=min(args.buyers, args.consumers), secret=secret, now=clock.now())
        operator = issue_token(Principal(Role.OPERATOR), secret=secret, now=clock.now())
        merchants = await merchant_ids(dsn, limit=args.merchants)
        report["http"] = await _load(args, dsn, secret, operator, buyers, merchants)
        report["batches"] = {} if args.skip_batches else await _batches(args, dsn)
    report["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return report


async def _load(
    args: argparse.Namespace, dsn: str, secret: str, operator: str, buyers: list[str], merchants: list[str]
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "gateway.log"
        with running_gateway(dsn=dsn, secret=secret, now=args.now, workers=args.server_workers, log=log) as url:
            document, variant = await _merchants_page_document(url, operator)
            scenarios: list[Scenario] = [
                MerchantsPage(operator_token=operator, document=document, concurrency=args.concurrency),
                CreatePayment(buyer_tokens=buyers, merchant_ids=merchants, run_id=secrets.token_hex(4)),
            ]
            for scenario in scenarios:
                console.print(f"[bold]{scenario.name}[/]: {args.concurrency} clients, {args.warmup:g} s warm-up,"
                              f" {args.duration:g} s measured")
                result = await drive(url, scenario, concurrency=args.concurrency, duration=args.duration,
                                     warmup=args.warmup)
                results[scenario.name] = result.as_json()
            results["MerchantsPage"]["document"] = variant
        server_log = log.read_text()
    if "Traceback" in server_log:
        results["server_errors"] = server_log[-3000:]
    return results


async def _merchants_page_document(url: str, operator: str) -> tuple[str, str]:
    """CONTRACT.md's document, or its payments part while the schema lacks the credit and funds fields."""
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        response = await http.post("/graphql", json={"query": MERCHANTS_PAGE, "variables": {"after": None}},
                                   headers={"Authorization": f"Bearer {operator}"})
    errors = response.json().get("errors") or []
    if any("Cannot query field" in str(error.get("message")) for error in errors):
        return MERCHANTS_PAGE_PAYMENTS, "payments fields only (creditLine/fundHolding not in the schema yet)"
    return MERCHANTS_PAGE, "CONTRACT.md"


async def _batches(args: argparse.Namespace, dsn: str) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for module_name, size_argument, flag in BATCHES:
        if importlib.util.find_spec(f"bench.{module_name}") is None:
            results[module_name] = {"skipped": f"bench/{module_name}.py does not exist yet"}
            continue
        size = getattr(args, flag)
        kwargs = {} if size is None else {size_argument: size}
        console.print(f"[bold]{module_name}[/] {kwargs or '(its default size)'}")
        started = time.monotonic()
        try:
            module = importlib.import_module(f"bench.{module_name}")
            figures = await module.run(dsn, **kwargs)
            results[module_name] = {**figures, "wall_seconds": round(time.monotonic() - started, 2)}
        except Exception as exc:  # one failing batch bench must not hide the others' figures
            results[module_name] = {"error": f"{type(exc).__name__}: {exc}"}
    return results


def _machine() -> dict[str, Any]:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "git_commit": commit.stdout.strip() or None, "load_average": list(os.getloadavg())}


async def _server_version(dsn: str) -> str:
    conn: asyncpg.Connection = await asyncpg.connect(dsn)
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


def show(report: dict[str, Any]) -> None:
    table = Table(title=f"fingraph bench: {report['data_set']}")
    for column in ("scenario", "requests", "req/s", "p50 ms", "p99 ms", "errors"):
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for name, figures in report["http"].items():
        if isinstance(figures, dict):
            table.add_row(name, str(figures["requests"]), f"{figures['requests_per_second']:.1f}",
                          str(figures["p50_ms"]), str(figures["p99_ms"]), str(figures["errors"]))
    console.print(table)
    for name, figures in report["http"].items():
        if isinstance(figures, dict) and figures.get("error_sample"):
            console.print(f"[red]{name} error sample:[/] {figures['error_sample']}")
    for name, figures in report.get("batches", {}).items():
        console.print(f"[bold]{name}[/]: {json.dumps(figures, default=str)}")


def write(report: dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=2, default=str) + "\n"
    stamp = report["started_at"].replace(":", "").replace("-", "").replace("+0000", "Z")
    (directory / f"{stamp}.json").write_text(text)
    latest = directory / "latest.json"
    latest.write_text(text)
    return latest


def failed(report: dict[str, Any]) -> bool:
    http_errors = any(isinstance(f, dict) and f.get("errors") for f in report["http"].values())
    no_requests = any(isinstance(f, dict) and not f.get("requests") for f in report["http"].values())
    return http_errors or no_requests or "server_errors" in report["http"] or any(
        "error" in figures for figures in report.get("batches", {}).values()
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report = asyncio.run(run(args))
    show(report)
    console.print(f"wrote {write(report, args.results_dir)}")
    return 1 if failed(report) else 0


if __name__ == "__main__":
    sys.exit(main())
