"""How the batch benchmarks time a nightly batch against one plain UPDATE of the same rows.

Shared by ``bench/credit_accrual.py`` and ``bench/funds_yield.py``: R rounds in
alternating order (floor first in even rounds, the batch first in odd ones), each
operation after a CHECKPOINT, in its own transaction that is rolled back, then a VACUUM
of the tables it wrote so the next starts from the same clean tables. The figures are
the medians, with every sample, in wall time and in the server process's own CPU time.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg

#: One timed operation: runs inside the caller's transaction, returns the rows it changed.
Operation = Callable[[asyncpg.Connection], Awaitable[int]]


def server_cpu_seconds(pid: int) -> float | None:
    """CPU seconds the server process ``pid`` has used, if PostgreSQL runs on this host (else None).

    On a shared machine wall time also counts waiting for a core; the server's own CPU
    time is steadier, so the figures report both.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def timed(conn: asyncpg.Connection, operation: Operation, *, vacuum: str) -> tuple[float, float | None, int]:
    """Seconds, server CPU seconds and rows of one operation in its own transaction, rolled back.

    A CHECKPOINT first, as a nightly batch finds it: its pages were last changed before the
    last checkpoint, so the first change of each page logs the whole page (full_page_writes).
    Without it, the VACUUM of the run before would have paid that for whichever ran next.
    """
    await conn.execute("CHECKPOINT")
    transaction = conn.transaction()
    await transaction.start()
    pid = conn.get_server_pid()
    try:
        cpu_before, started = server_cpu_seconds(pid), time.perf_counter()
        rows = await operation(conn)
        seconds, cpu_after = time.perf_counter() - started, server_cpu_seconds(pid)
    finally:
        await transaction.rollback()
    await conn.execute(f"VACUUM {vacuum}")
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return seconds, cpu, rows


async def floor_and_batch(
    conn: asyncpg.Connection, *, floor: Operation, batch: tuple[str, Operation], rounds: int, vacuum: str, rows: int
) -> dict[str, Any]:
    """The figures of ``rounds`` alternating timings of the plain UPDATE and the batch ``(name, op)``."""
    name = batch[0]
    samples: dict[str, list[float]] = {"floor": [], name: []}
    cpu_samples: dict[str, list[float]] = {"floor": [], name: []}
    counted: dict[str, int] = {}
    order = [("floor", floor), batch]
    for round_ in range(rounds):
        for which, operation in order if round_ % 2 == 0 else reversed(order):
            seconds, cpu, counted[which] = await timed(conn, operation, vacuum=vacuum)
            samples[which].append(round(seconds, 3))
            if cpu is not None:
                cpu_samples[which].append(round(cpu, 2))
    batch_s, floor_s = statistics.median(samples[name]), statistics.median(samples["floor"])
    return {
        "rows": float(rows),
        f"{name}_s": round(batch_s, 3),
        "rows_per_s": round(rows / batch_s, 1),
        "floor_update_s": round(floor_s, 3),
        "ratio": round(batch_s / floor_s, 2),
        f"{name}_runs_s": samples[name],
        "floor_runs_s": samples["floor"],
        "rows_updated": counted,
        **_cpu_figures(cpu_samples, name),
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
