"""Benchmark: ``accrueCreditInterest`` over many credit lines, against one plain UPDATE of the same rows.

Issue 7, goal 4: the daily accrual over N lines must cost at most 2x one plain
``UPDATE`` over the same rows. ``run(dsn, lines=N, rounds=R)``:

1. migrates the database and removes bench lines an interrupted run may have left;
2. seeds N credit lines, each with one open drawdown, set-based (``INSERT ... SELECT
   generate_series``), with the matching loan-book entry (LOAN_BOOK -> bank settlement,
   so the loan book equals what borrowers owe at every moment), and **commits** them,
   then ``VACUUM ANALYZE``: the rows are what a real night finds (committed, hint bits
   set, statistics known), not rows the timed statement's own transaction just wrote;
3. times, R rounds, in alternating order (floor first in even rounds, accrual first in
   odd ones), each in its own transaction that is rolled back, with ``VACUUM
   credit.lines`` after every one so that each starts from the same clean table:
   - the floor: ``UPDATE credit.lines SET accrued_interest = accrued_interest +
     floor(outstanding_principal * daily_rate)``, every line of the table, one statement;
   - the accrual: ``accrue_daily_interest``, the production code path (the claim of the
     date, the set-based statement, the day's totals, the ledger entry);
4. deletes the bench lines and posts the reverse loan-book entry.

Both run on the same table, indexes, WAL settings and ``synchronous_commit``; the
figures are the medians over the rounds, with every sample in ``*_runs_s``. Commit
time is not measured for either (both roll back). The business date is picked at
random far in the future of any real data, so it has never been accrued.

Standalone: ``.venv/bin/python -m bench.credit_accrual --lines 100000`` (``DATABASE_URL``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from datetime import time as wall
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg

from gateway.db import migrate_dsn
from services.credit import accrue_daily_interest
from services.kernel.clock import BUSINESS_TZ
from services.kernel.money import Money
from services.payments import SystemAccount, move

RATE = Decimal("0.0005")
#: Bench lines get party ids from here on: far above any real party (no FK across schemas).
_PARTY_BASE = 9_000_000_000_000

#: Lines as a night finds them after earlier nights: interest charged and unpaid, a sub-fen carry.
_SEED_LINES = """
    INSERT INTO credit.lines (party_id, limit_fen, daily_rate, outstanding_principal, accrued_interest,
                              interest_carry, interest_charged, opened_at)
    SELECT $1 + g, 10000000, $3, (g * 7919) % 5000000 + 100, g % 5000,
           ((g * 104729) % 1000000000000)::numeric / 1000000000000, g % 5000, $4
      FROM generate_series(1, $2::bigint) AS g
"""
_SEED_DRAWDOWNS = """
    INSERT INTO credit.drawdowns (line_id, amount, outstanding, drawn_at, due_date, reference)
    SELECT id, outstanding_principal, outstanding_principal, $2, $3, 'bench' FROM credit.lines WHERE party_id > $1
"""
#: The floor: one plain UPDATE over every line, charging floor(principal x rate).
FLOOR_UPDATE = (
    "UPDATE credit.lines SET accrued_interest = accrued_interest + floor(outstanding_principal * daily_rate)"
)

Operation = Callable[[asyncpg.Connection], Awaitable[int]]


async def _seed(conn: asyncpg.Connection, *, lines: int, drawn: datetime, due: date) -> None:
    async with conn.transaction():
        await conn.execute(_SEED_LINES, _PARTY_BASE, lines, RATE, drawn)
        await conn.execute(_SEED_DRAWDOWNS, _PARTY_BASE, drawn, due)
        total = await conn.fetchval(
            "SELECT sum(outstanding_principal) FROM credit.lines WHERE party_id > $1", _PARTY_BASE
        )
        await move(
            conn, kind="BENCH_SEED", reference="bench:credit", source=SystemAccount.LOAN_BOOK.code(),
            target=SystemAccount.BANK_SETTLEMENT.code(), amount=Money(int(total)), now=drawn,
        )
    await conn.execute("VACUUM ANALYZE credit.lines")
    await conn.execute("VACUUM ANALYZE credit.drawdowns")


async def _remove_bench_lines(conn: asyncpg.Connection, now: datetime) -> None:
    """Delete the bench lines and give the loan book back what they owed (also after a crash)."""
    async with conn.transaction():
        left = await conn.fetchrow(
            "SELECT count(*) AS lines, coalesce(sum(outstanding_principal + accrued_interest + accrued_penalty), 0)"
            " AS owed FROM credit.lines WHERE party_id > $1", _PARTY_BASE,
        )
        if not left["lines"]:
            return
        await conn.execute(
            "DELETE FROM credit.drawdowns d USING credit.lines l WHERE d.line_id = l.id AND l.party_id > $1",
            _PARTY_BASE,
        )
        await conn.execute("DELETE FROM credit.lines WHERE party_id > $1", _PARTY_BASE)
        if left["owed"]:
            await move(
                conn, kind="BENCH_UNSEED", reference="bench:credit", source=SystemAccount.BANK_SETTLEMENT.code(),
                target=SystemAccount.LOAN_BOOK.code(), amount=Money(int(left["owed"])), now=now,
            )



def _server_cpu_seconds(pid: int) -> float | None:
    """CPU seconds the server process ``pid`` has used, if PostgreSQL runs on this host (else None).

    On a shared machine wall time also counts waiting for a core; the server's own CPU
    time is steadier, so the figures report both.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

async def _timed(conn: asyncpg.Connection, operation: Operation) -> tuple[float, float | None, int]:
    """Seconds and rows of one operation in its own transaction, rolled back; then a clean table again.

    A CHECKPOINT first, as a nightly batch finds it: its pages were last changed before the
    last checkpoint, so the first change of each page logs the whole page (full_page_writes).
    Without it, the VACUUM just before would have paid that for whichever operation ran next.
    """
    await conn.execute("CHECKPOINT")
    transaction = conn.transaction()
    await transaction.start()
    pid = conn.get_server_pid()
    try:
        cpu_before, started = _server_cpu_seconds(pid), time.perf_counter()
        rows = await operation(conn)
        seconds, cpu_after = time.perf_counter() - started, _server_cpu_seconds(pid)
    finally:
        await transaction.rollback()
    await conn.execute("VACUUM credit.lines")
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return seconds, cpu, rows


async def run(dsn: str, *, lines: int = 1_000_000, rounds: int = 3) -> dict[str, Any]:
    await migrate_dsn(dsn)
    day = date(5000, 1, 1) + timedelta(days=random.SystemRandom().randrange(1_000_000))
    drawn = datetime.combine(day, wall(9, 0), tzinfo=BUSINESS_TZ)
    now = datetime.combine(day + timedelta(days=1), wall(9, 0), tzinfo=BUSINESS_TZ)

    async def floor(conn: asyncpg.Connection) -> int:
        status = await conn.execute(FLOOR_UPDATE)
        return int(status.split()[-1])

    async def accrual(conn: asyncpg.Connection) -> int:
        result = await accrue_daily_interest(conn, day=day, now=now)
        assert not result.already_accrued, result
        return result.lines

    samples: dict[str, list[float]] = {"floor": [], "accrual": []}
    cpu_samples: dict[str, list[float]] = {"floor": [], "accrual": []}
    counted: dict[str, int] = {}
    conn = await asyncpg.connect(dsn, server_settings={"statement_timeout": "0"})
    try:
        await _remove_bench_lines(conn, now)
        await _seed(conn, lines=lines, drawn=drawn, due=day + timedelta(days=30))
        for round_ in range(rounds):
            order = [("floor", floor), ("accrual", accrual)]
            for name, operation in order if round_ % 2 == 0 else reversed(order):
                seconds, cpu, counted[name] = await _timed(conn, operation)
                samples[name].append(round(seconds, 3))
                if cpu is not None:
                    cpu_samples[name].append(round(cpu, 2))
    finally:
        try:
            await _remove_bench_lines(conn, now)
        finally:
            await conn.close()
    assert counted["accrual"] >= lines, counted
    accrual_s, floor_s = statistics.median(samples["accrual"]), statistics.median(samples["floor"])
    return {
        "rows": float(lines),
        "accrual_s": round(accrual_s, 3),
        "rows_per_s": round(lines / accrual_s, 1),
        "floor_update_s": round(floor_s, 3),
        "ratio": round(accrual_s / floor_s, 2),
        "accrual_runs_s": samples["accrual"],
        "floor_runs_s": samples["floor"],
        "rows_updated": counted,
        **_cpu_figures(cpu_samples, "accrual"),
    }


def _cpu_figures(cpu_samples: dict[str, list[float]], batch: str) -> dict[str, Any]:
    if not cpu_samples["floor"] or not cpu_samples[batch]:
        return {}
    batch_cpu, floor_cpu = statistics.median(cpu_samples[batch]), statistics.median(cpu_samples["floor"])
    return {
        f"{batch}_server_cpu_s": batch_cpu, "floor_server_cpu_s": floor_cpu,
        "server_cpu_ratio": round(batch_cpu / floor_cpu, 2) if floor_cpu else None,
        f"{batch}_server_cpu_runs_s": cpu_samples[batch], "floor_server_cpu_runs_s": cpu_samples["floor"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds; the order alternates each round")
    parser.add_argument("--dsn", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    if not args.dsn:
        parser.error("set DATABASE_URL or pass --dsn")
    print(json.dumps(asyncio.run(run(args.dsn, lines=args.lines, rounds=args.rounds)), indent=2))


if __name__ == "__main__":
    main()
