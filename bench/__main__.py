"""``python -m bench`` (``make bench``): seed a data set, serve it, load it over HTTP, report (issue 7).

1. a fresh database (see ``bench.servers``), migrated, seeded by ``fingraph seed``'s code
   (``--data-set 10x`` for ten times the default; ``--reuse-database`` reads a database
   kept from a reads-only run of the same data set again instead of seeding it anew);
2. the reads ``MerchantsPage``, ``ConsumerHome``, ``MerchantView`` (``bench/reads.py``) on five
   servers started one after another: ``ours-standard`` (the gateway with
   ``FINGRAPH_COMPILED_READS=0``), ``sql-floor`` (``bench/floor.py``), ``postgraphile-4`` and
   ``postgraphile-5`` (``bench/postgraphile.py``) and ``ours`` (the gateway as configured by
   default); the floor and ``ours`` must first answer a sample of requests exactly as
   ``ours-standard`` does, each PostGraphile with the same facts (``bench/peer_answers.py``);
3. on ``ours``, ``createPayment`` to distinct merchants and to one hot merchant, then the
   same ledger writes as bare asyncpg transactions: the service's own one call per
   payment, without HTTP, GraphQL or an idempotency key (``bench/ledger_floor.py``, the
   goal's floor), and the same writes as BEGIN, two statements, COMMIT (for reference), in
   ``--write-rounds`` alternating rounds after a CHECKPOINT each, the median round counting;
   each scenario for ``--duration`` seconds after a warm-up, ``--concurrency`` clients;
4. the batch benchmarks of credit and funds (``bench/credit_accrual.py``,
   ``bench/funds_yield.py``) when present, and the portrait's history growth
   (``bench/portrait_history.py``: MerchantView with the portrait, 1,000,000 payments vs 100);
5. one table with the goals' ratios on the terminal and JSON in ``bench/results/latest.json``
   (plus a dated copy).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from rich.console import Console

from bench import ledger_floor, postgraphile
from bench.http_load import Scenario, drive
from bench.peer_answers import peer_differences
from bench.reads import FINGRAPH_READS, READS, Dialect, DriverCeiling, ReadContext, differences, sample_answers
from bench.report import HTTP_FLOOR, context_ratios, goals, rate, read_context
from bench.report import show as report_table
from bench.scenarios import CreatePayment, merchant_ids, prepare_buyers, prepare_partner
from bench.servers import (
    fresh_database,
    mark_data_set,
    reusable_database,
    reused_database,
    running_floor,
    running_gateway,
    running_postgraphile,
)
from gateway import db, demo
from gateway.auth import issue_token
from services.kernel.clock import Clock
from services.kernel.ids import encode_id
from services.kernel.principal import Principal, Role

RESULTS = Path(__file__).parent / "results"
DEFAULT_NOW = "2026-11-20T10:00:00+08:00"
#: The data sets by name (``--data-set``): consumers, merchants, payments. ``10x`` is issue 14's
#: "ten times the default" (ten times the payments, five times the parties).
DATA_SETS = {"default": (2_000, 200, 20_000), "10x": (10_000, 1_000, 200_000)}
#: Batch benchmarks written with the credit and funds services: module, size argument, flag.
BATCHES = (("credit_accrual", "lines", "credit_lines"), ("funds_yield", "holders", "fund_holders"),
           ("portrait_history", "payments", "portrait_payments"))

#: Wide enough for the table when the output is not a terminal (``make bench | tee``).
console = Console(width=None if sys.stdout.isatty() else 220)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    data = parser.add_argument_group("data set")
    data.add_argument("--data-set", choices=tuple(DATA_SETS), default="default",
                      help="consumers, merchants and payments: " + "; ".join(
                          f"{name} {c:,}, {m:,}, {p:,}" for name, (c, m, p) in DATA_SETS.items()))
    data.add_argument("--consumers", type=int, default=None, help="instead of the data set's")
    data.add_argument("--merchants", type=int, default=None, help="instead of the data set's")
    data.add_argument("--payments", type=int, default=None, help="instead of the data set's")
    data.add_argument("--seed", type=int, default=demo.DEFAULT_SEED, help="random seed of the data set")
    data.add_argument("--seed-workers", type=int, default=None, help="parallel connections while seeding")
    data.add_argument("--now", default=os.environ.get("FINGRAPH_NOW") or DEFAULT_NOW,
                      help="the fixed clock of the data set and the server (FINGRAPH_NOW)")
    load = parser.add_argument_group("HTTP load")
    load.add_argument("--duration", type=float, default=8.0, help="measured seconds per scenario")
    load.add_argument("--warmup", type=float, default=2.0, help="uncounted seconds before each scenario")
    load.add_argument("--concurrency", type=int, default=16, help="concurrent HTTP clients (connections)")
    load.add_argument("--server-workers", type=int, default=1, help="uvicorn worker processes")
    load.add_argument("--write-rounds", type=int, default=3,
                      help="alternating rounds of the write scenarios (their median counts)")
    load.add_argument("--skip-writes", action="store_true",
                      help="measure the reads only (e.g. on ten times the data set, where seeding is the long part)")
    load.add_argument("--buyers", type=int, default=1_000,
                      help="distinct consumers paying in createPayment (and signed in for ConsumerHome)")
    load.add_argument("--skip-servers", nargs="*", default=[],
                      choices=("ours-standard", "sql-floor", *postgraphile.PEERS), help="read peers not to start")
    batches = parser.add_argument_group("batch benchmarks (run if their modules exist)")
    batches.add_argument("--credit-lines", type=int, default=None, help="credit lines for bench.credit_accrual")
    batches.add_argument("--fund-holders", type=int, default=None, help="fund holders for bench.funds_yield")
    batches.add_argument("--portrait-payments", type=int, default=None,
                         help="payments of the long-history merchant for bench.portrait_history (1,000,000)")
    batches.add_argument("--skip-batches", action="store_true")
    where = parser.add_argument_group("where")
    where.add_argument("--database-name", default="fingraph_bench")
    where.add_argument("--keep-database", action="store_true", help="keep it afterwards (DATABASE_URL only)")
    where.add_argument("--reuse-database", action="store_true",
                       help="keep it, and next time read it again without seeding if it holds the same data set and"
                            " no writes were measured on it (DATABASE_URL only; for ten times the data set)")
    where.add_argument("--results-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    for name, size in zip(("consumers", "merchants", "payments"), DATA_SETS[args.data_set], strict=True):
        if getattr(args, name) is None:
            setattr(args, name, size)
    return args


async def run(args: argparse.Namespace) -> dict[str, Any]:
    started = datetime.now(UTC)
    clock = Clock.from_iso(args.now)
    report: dict[str, Any] = {"started_at": started.isoformat(timespec="seconds"), "machine": _machine(),
                              "config": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}}
    wanted = _data_set_label(args)
    reused = args.reuse_database and await reusable_database(args.database_name, wanted)
    database = reused_database(args.database_name) if reused else fresh_database(
        args.database_name, keep=args.keep_database or args.reuse_database)
    async with database as dsn:
        report["machine"]["postgres"] = await _server_version(dsn)
        seeding = time.monotonic()
        if not reused:
            await db.migrate_dsn(dsn)
            await demo.seed(dsn, consumers=args.consumers, merchants=args.merchants, payments=args.payments,
                            random_seed=args.seed, clock=clock, progress=True, workers=args.seed_workers)
        # Written measurements change the data: such a database is not read again as seeded.
        await mark_data_set(dsn, None if not args.skip_writes else wanted)
        report["data_set"] = {"consumers": args.consumers, "merchants": args.merchants, "payments": args.payments,
                              "seed_seconds": round(time.monotonic() - seeding, 1), "reused": reused}
        # Tables as autovacuum keeps them in production, vacuumed and with planner
        # statistics: every server reads the same tables (this machine's PostgreSQL runs with
        # autovacuum off, and seeding leaves dead rows: twice the payments' live ones, and
        # thirty times the fund holdings' after the demo's daily income).
        await _execute(dsn, "VACUUM ANALYZE")
        secret = secrets.token_urlsafe(32)
        buyers = await prepare_buyers(dsn, count=min(args.buyers, args.consumers), secret=secret, now=clock.now())
        operator = issue_token(Principal(Role.OPERATOR), secret=secret, now=clock.now())
        merchants = await merchant_ids(dsn, limit=args.merchants)
        partner = await prepare_partner(dsn, merchants=merchants, secret=secret, now=clock.now())
        context = ReadContext(operator_token=operator, consumers=buyers, merchants=merchants,
                              fund_id=await postgraphile.prepare(dsn), today=clock.today().isoformat(),
                              partner_token=partner)
        report["http"] = await _load(args, dsn, secret, context, buyers)
        report["goals"] = goals(report["http"]["reads"], report["http"]["writes"])
        report["read_context"] = read_context(report["http"]["reads"])
        report["context_ratios"] = context_ratios(report["http"]["writes"])
        report["batches"] = {} if args.skip_batches else await _batches(args, dsn)
    report["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return report


async def _load(
    args: argparse.Namespace, dsn: str, secret: str, context: ReadContext, buyers: list[tuple[int, str]]
) -> dict[str, Any]:
    """Reads on the five servers one after another, then the writes on ``ours`` and the ledger floor."""
    reads: dict[str, dict[str, Any]] = {read.name: {} for read in (*READS, *FINGRAPH_READS)}
    http: dict[str, Any] = {"reads": reads, "writes": {}, "postgraphile_omits": postgraphile.OMITTED}
    with tempfile.TemporaryDirectory() as scratch:
        logs = Path(scratch)
        reference: dict[str, Any] | None = None
        servers = ("ours-standard", "sql-floor", *postgraphile.PEERS, "ours")
        for server in servers:
            skipped = _skip_reason(server, args)
            if skipped:
                for read in READS:
                    reads[read.name][server] = {"skipped": skipped}
                console.print(f"[yellow]{server} skipped: {skipped}[/]")
                continue
            with _serve(server, args, dsn, secret, logs / f"{server}.log") as url:
                dialect = _DIALECTS.get(server, Dialect.GRAPHQL)
                answers = await sample_answers(url, dialect, context)
                if reference is None and dialect is not Dialect.POSTGRAPHILE:
                    reference = answers
                elif reference is not None and (mismatch := _mismatch(reference, answers, dialect)):
                    http[f"{server}_mismatch"] = mismatch
                    console.print(f"[red]{server} does not answer as ours-standard:[/] {mismatch[0]}")
                    for read in READS:
                        reads[read.name][server] = {"error": "answers differ from ours-standard"}
                    continue
                for read in READS:
                    scenario = read(dialect, context, args.concurrency)
                    reads[read.name][server] = await _measure(args, url, scenario, server)
                for read in FINGRAPH_READS if dialect is Dialect.GRAPHQL else ():
                    reads[read.name][server] = await _measure(args, url, read(dialect, context, args.concurrency),
                                                              server)
                if dialect is Dialect.FLOOR:
                    http["driver_ceiling"] = await _measure(args, url, DriverCeiling(), server)
                if server == "ours" and not args.skip_writes:
                    http["writes"] = await _writes(args, url, dsn, buyers, context.merchants, secret=secret,
                                                   log=logs / "sql-floor-writes.log")
        for server in servers:
            log = logs / f"{server}.log"
            if log.exists() and "Traceback" in (text := log.read_text()):
                http.setdefault("server_errors", {})[server] = text[-3000:]
    return http


def _data_set_label(args: argparse.Namespace) -> str:
    """What a kept database must hold to be read again: the data set, and the migrations it
    was seeded under (a new migration means seeding anew)."""
    migrations = ",".join(f"{owner}/{path.name}" for owner, directory in db.migration_dirs()
                          for path in sorted(directory.glob("[0-9][0-9][0-9]_*.sql")))
    return (f"{args.consumers} consumers, {args.merchants} merchants, {args.payments} payments,"
            f" seed {args.seed}, {args.now}, migrations {migrations}")


_DIALECTS = {"sql-floor": Dialect.FLOOR, **{peer: Dialect.POSTGRAPHILE for peer in postgraphile.PEERS}}


def _mismatch(reference: dict[str, Any], answers: dict[str, Any], dialect: Dialect) -> list[str]:
    """The floor and ``ours`` answer byte for byte as ``ours-standard``; a PostGraphile with its facts."""
    if dialect is Dialect.POSTGRAPHILE:
        return peer_differences(reference, answers)
    return differences(reference, answers)


def _skip_reason(server: str, args: argparse.Namespace) -> str | None:
    if server in args.skip_servers:
        return "--skip-servers"
    return postgraphile.available(server) if server in postgraphile.PEERS else None


def _serve(
    server: str, args: argparse.Namespace, dsn: str, secret: str, log: Path
) -> contextlib.AbstractContextManager[str]:
    if server == "sql-floor":
        return running_floor(dsn=dsn, secret=secret, now=args.now, log=log)
    if server in postgraphile.PEERS:
        return running_postgraphile(server, dsn=dsn, log=log)
    env = {"FINGRAPH_COMPILED_READS": "0"} if server == "ours-standard" else None
    return running_gateway(dsn=dsn, secret=secret, now=args.now, workers=args.server_workers, log=log, env=env)


async def _measure(args: argparse.Namespace, url: str, scenario: Scenario, server: str) -> dict[str, Any]:
    console.print(f"[bold]{scenario.name}[/] on {server}: {args.concurrency} clients, {args.warmup:g} s warm-up,"
                  f" {args.duration:g} s measured")
    result = await drive(url, scenario, concurrency=args.concurrency, duration=args.duration, warmup=args.warmup)
    return result.as_json()


async def _writes(
    args: argparse.Namespace, url: str, dsn: str, buyers: list[tuple[int, str]], merchants: list[int], *,
    secret: str, log: Path,
) -> dict[str, Any]:
    """``createPayment`` (distinct merchants, one hot merchant), the two bare-asyncpg floors and the
    same payment on a bare HTTP endpoint (the sql-floor peer's ``/pay``), in rounds.

    Each round runs them one after another, in the opposite order to the round
    before, each after a CHECKPOINT (so none inherits another's dirty pages or pays for
    its full-page writes); a scenario's figures are those of its median round, with
    every round's rate beside them. On a shared machine single runs of these differ by
    a third; the median of alternating rounds is what the ratios use.
    """
    tokens = [token for _, token in buyers]
    ids = [encode_id("Merchant", pk) for pk in merchants]
    run_id = secrets.token_hex(4)
    distinct = CreatePayment(buyer_tokens=tokens, merchant_ids=ids, run_id=run_id)
    hot = CreatePayment(buyer_tokens=tokens, merchant_ids=ids[:1], run_id=f"{run_id}-hot",
                        name="createPayment hot merchant")
    buyer_ids = [pk for pk, _ in buyers]

    def floor(by_statements: bool) -> Callable[[], Awaitable[dict[str, Any]]]:
        async def measure() -> dict[str, Any]:
            return await ledger_floor.run(dsn, connections=args.concurrency, duration=args.duration,
                                          buyer_ids=buyer_ids, merchant_ids=merchants, fund=False,
                                          by_statements=by_statements)
        return measure

    def http(
        scenario: CreatePayment, base_url: str = url, server: str = "ours"
    ) -> Callable[[], Awaitable[dict[str, Any]]]:
        async def measure() -> dict[str, Any]:
            return await _measure(args, base_url, scenario, server)
        return measure

    order: list[tuple[str, Callable[[], Awaitable[dict[str, Any]]]]] = [
        (distinct.name, http(distinct)), ("ledger-floor", floor(False)), (hot.name, http(hot)),
        ("ledger-floor, 4 round trips", floor(True)),
    ]
    with contextlib.ExitStack() as stack:
        if "sql-floor" not in args.skip_servers:
            floor_url = stack.enter_context(running_floor(dsn=dsn, secret=secret, now=args.now, log=log))
            bare = CreatePayment(buyer_tokens=tokens, merchant_ids=ids, run_id=f"{run_id}-bare", name=HTTP_FLOOR,
                                 path="/pay")
            order.append((HTTP_FLOOR, http(bare, floor_url, "sql-floor")))
        rounds: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in order}
        for number in range(args.write_rounds):
            if number > 0:  # every round pays from full wallets (a small data set's buyers would run dry)
                await ledger_floor.fund_buyers(dsn, buyer_ids, now=Clock.from_iso(args.now).now())
            for name, measure in order if number % 2 == 0 else reversed(order):
                await _execute(dsn, "CHECKPOINT")
                if name.startswith("ledger-floor"):
                    console.print(f"[bold]{name}[/] (bare asyncpg): {args.concurrency} connections,"
                                  f" {args.duration:g} s")
                rounds[name].append(await measure())
    return {name: _median_round(figures) for name, figures in rounds.items()}


def _median_round(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    def per_second(figures: dict[str, Any]) -> float:
        return rate(figures) or 0.0

    ordered = sorted(rounds, key=per_second)
    return {**ordered[(len(ordered) - 1) // 2], "rounds_per_second": [per_second(r) for r in rounds]}


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


async def _execute(dsn: str, command: str) -> None:
    """One maintenance command (VACUUM ANALYZE, CHECKPOINT) on a connection of its own."""
    conn: asyncpg.Connection = await asyncpg.connect(dsn)
    try:
        await conn.execute(command)
    finally:
        await conn.close()


async def _server_version(dsn: str) -> str:
    conn: asyncpg.Connection = await asyncpg.connect(dsn)
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


def show(report: dict[str, Any]) -> None:
    report_table(console, report)
    for name, mismatch in report["http"].items():
        if name.endswith("_mismatch"):
            console.print(f"[red]{name}:[/] {mismatch}")
    for scenario, figures in _all_figures(report):
        if figures.get("error_sample"):
            console.print(f"[red]{scenario} error sample:[/] {figures['error_sample']}")
    for name, figures in report.get("batches", {}).items():
        console.print(f"[bold]{name}[/]: {json.dumps(figures, default=str)}")
    console.print(f"total wall time: {report['wall_seconds']:.0f} s")


def _all_figures(report: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    http = report["http"]
    found = [(f"{scenario} on {server}", figures) for scenario, servers in http["reads"].items()
             for server, figures in servers.items()]
    found += list(http["writes"].items())
    return [(name, figures) for name, figures in found if isinstance(figures, dict) and "skipped" not in figures]


def write(report: dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=2, default=str) + "\n"
    stamp = report["started_at"].replace(":", "").replace("-", "").replace("+0000", "Z")
    (directory / f"{stamp}.json").write_text(text)
    latest = directory / "latest.json"
    latest.write_text(text)
    return latest


def failed(report: dict[str, Any]) -> bool:
    """Errors, a scenario without requests, a server traceback or a peer answering differently (goals may miss)."""
    figures = [f for _, f in _all_figures(report)]
    http_errors = any(f.get("errors") or "error" in f for f in figures)
    no_requests = any(not (f.get("requests") or f.get("transactions_per_second")) for f in figures)
    return http_errors or no_requests or "server_errors" in report["http"] or any(
        "error" in figures for figures in report.get("batches", {}).values()
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.monotonic()
    report = asyncio.run(run(args))
    report["wall_seconds"] = round(time.monotonic() - began, 1)
    show(report)
    console.print(f"wrote {write(report, args.results_dir)}")
    return 1 if failed(report) else 0


if __name__ == "__main__":
    sys.exit(main())
