"""``python -m bench.scaling``: what one gateway core serves, and what PostgreSQL spends per request.

For docs/SCALING.md. One gateway process (one uvicorn worker: a Python process uses one
core) over a seeded database, each contract read and ``createPayment`` driven for
``--duration`` seconds, and around each run the CPU seconds actually spent:

* by the gateway process (``psutil`` on the uvicorn process), so ``req/s per gateway
  core = requests / gateway CPU seconds``: a figure that holds on a machine shared with
  other work, where the wall-clock rate depends on what else runs;
* by the PostgreSQL backends serving this database (processes titled ``postgres: ...
  <database> ...``), so ``PostgreSQL CPU per request``; the WAL writer, checkpointer and
  other shared processes are not in it (they are shared with other databases here).

Whichever of the two is larger per request saturates first on equal cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil  # type: ignore[import-untyped, unused-ignore]

from bench import postgraphile
from bench.http_load import Scenario, drive
from bench.reads import READS, Dialect, ReadContext
from bench.scenarios import CreatePayment, merchant_ids, prepare_buyers, prepare_partner
from bench.servers import fresh_database, running_gateway
from gateway import db, demo
from gateway.auth import issue_token
from services.kernel.clock import Clock
from services.kernel.ids import encode_id
from services.kernel.principal import Principal, Role

RESULTS = Path(__file__).parent / "results"


def _cpu_seconds(processes: list[Any]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def _gateway_processes(port: int) -> list[Any]:
    """The uvicorn process serving ``port`` (and its workers, if any)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info.get("cmdline") or []
        if "gateway.app:app_from_env" in cmdline and str(port) in cmdline:
            found.append(process)
            found.extend(process.children(recursive=True))
    return found


def _backends(database: str) -> list[Any]:
    """PostgreSQL backends connected to ``database`` (their process title names it)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        title = " ".join(process.info.get("cmdline") or [])
        if title.startswith("postgres: ") and f" {database} " in f"{title} ":
            found.append(process)
    return found


async def _measured(url: str, scenario: Scenario, database: str, args: argparse.Namespace) -> dict[str, Any]:
    port = urlsplit(url).port or 80
    gateway = _gateway_processes(port)
    await drive(url, scenario, concurrency=args.concurrency, duration=1.0, warmup=0.0)  # pools warmed up
    backends = _backends(database)
    before_gateway, before_pg, started = _cpu_seconds(gateway), _cpu_seconds(backends), time.monotonic()
    result = await drive(url, scenario, concurrency=args.concurrency, duration=args.duration, warmup=0.0)
    wall = time.monotonic() - started
    gateway_cpu = _cpu_seconds(gateway) - before_gateway
    pg_cpu = _cpu_seconds(backends) - before_pg
    requests = result.requests
    return {
        "requests": requests, "errors": result.errors, "error_sample": result.error_sample,
        "req_per_s_wall": round(requests / wall, 1),
        "gateway_cpu_share": round(gateway_cpu / wall, 2),
        "req_per_s_per_gateway_core": round(requests / gateway_cpu, 1) if gateway_cpu else None,
        "gateway_cpu_ms_per_req": round(1000 * gateway_cpu / requests, 3) if requests else None,
        "postgres_cpu_ms_per_req": round(1000 * pg_cpu / requests, 3) if requests else None,
        "p99_ms": result.percentile(0.99),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    clock = Clock.from_iso(args.now)
    report: dict[str, Any] = {"config": vars(args), "cpus": psutil.cpu_count(),
                              "load_average": list(psutil.getloadavg())}
    async with fresh_database(args.database_name) as dsn:
        database = urlsplit(dsn).path.lstrip("/")
        await db.migrate_dsn(dsn)
        await demo.seed(dsn, consumers=args.consumers, merchants=args.merchants, payments=args.payments,
                        random_seed=7, clock=clock, progress=False)
        secret = secrets.token_urlsafe(32)
        buyers = await prepare_buyers(dsn, count=min(200, args.consumers), secret=secret, now=clock.now())
        merchants = await merchant_ids(dsn, limit=args.merchants)
        context = ReadContext(
            operator_token=issue_token(Principal(Role.OPERATOR), secret=secret, now=clock.now()),
            consumers=buyers, merchants=merchants, fund_id=await postgraphile.prepare(dsn),
            today=clock.today().isoformat(),
            partner_token=await prepare_partner(dsn, merchants=merchants, secret=secret, now=clock.now()),
        )
        scenarios: list[Callable[[], Scenario]] = [
            *(lambda read=read: read(Dialect.GRAPHQL, context, args.concurrency) for read in READS),
            lambda: CreatePayment(buyer_tokens=[t for _, t in buyers],
                                  merchant_ids=[encode_id("Merchant", pk) for pk in merchants],
                                  run_id=secrets.token_hex(4)),
        ]
        with tempfile.TemporaryDirectory() as scratch, running_gateway(
            dsn=dsn, secret=secret, now=args.now, workers=1, log=Path(scratch) / "gateway.log"
        ) as url:
            for make in scenarios:
                scenario = make()
                report[scenario.name] = await _measured(url, scenario, database, args)
                print(scenario.name, json.dumps(report[scenario.name]), flush=True)
    report["load_average_after"] = list(psutil.getloadavg())
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--consumers", type=int, default=2_000)
    parser.add_argument("--merchants", type=int, default=200)
    parser.add_argument("--payments", type=int, default=20_000)
    parser.add_argument("--now", default="2026-11-20T10:00:00+08:00")
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--database-name", default="fingraph_scaling")
    args = parser.parse_args()
    report = asyncio.run(run(args))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scaling.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
