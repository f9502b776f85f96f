"""Rebuilding a running aggregate from the raw rows, and saying what it corrected.

Each service keeps its aggregates (docs/adr/026-portrait-aggregates.md) beside a view
that recomputes them from its raw rows (``<table>_from_rows``, in the same migration).
``rebuild`` compares the two and writes the recomputed rows back, in the caller's
transaction, after locking the raw tables against writes so that the comparison is of
one consistent history (a maintenance command: writers wait until it commits).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

#: Differences listed one by one in a report; beyond this only the count is kept.
LISTED_CORRECTIONS = 20


@dataclass(frozen=True, slots=True)
class Aggregate:
    """An aggregate table, its key and value columns, and the raw tables it is counted from."""

    table: str
    keys: tuple[str, ...]
    values: tuple[str, ...]
    sources: tuple[str, ...]

    @property
    def view(self) -> str:
        return f"{self.table}_from_rows"


@dataclass(frozen=True, slots=True)
class Correction:
    """One aggregate row that disagreed with the raw rows: its key, and value -> recomputed value."""

    table: str
    key: dict[str, Any]
    changes: dict[str, tuple[int, int]]

    def describe(self) -> str:
        key = " ".join(f"{k}={v}" for k, v in self.key.items())
        changes = ", ".join(f"{column} {was} -> {now}" for column, (was, now) in self.changes.items())
        return f"{self.table} {key}: {changes}"


@dataclass(frozen=True, slots=True)
class RebuildReport:
    table: str
    rows: int
    corrected: int
    corrections: tuple[Correction, ...]


async def rebuild(conn: asyncpg.Connection, aggregates: Sequence[Aggregate]) -> list[RebuildReport]:
    """Recompute each aggregate from its view; correct and report the rows that differ."""
    if not conn.is_in_transaction():
        raise RuntimeError("rebuild must run inside the caller's transaction")
    sources = sorted({source for a in aggregates for source in a.sources})
    await conn.execute(f"LOCK TABLE {', '.join(sources)} IN SHARE MODE")
    await conn.execute(f"LOCK TABLE {', '.join(a.table for a in aggregates)} IN EXCLUSIVE MODE")
    return [await _rebuild_one(conn, a) for a in aggregates]


async def _rebuild_one(conn: asyncpg.Connection, a: Aggregate) -> RebuildReport:
    expected = "_expected_" + a.table.replace(".", "_")
    await conn.execute(f"CREATE TEMP TABLE {expected} ON COMMIT DROP AS SELECT * FROM {a.view}")
    join = " AND ".join(f"kept.{k} = expected.{k}" for k in a.keys)
    differs = " OR ".join(f"coalesce(kept.{v}, 0) <> coalesce(expected.{v}, 0)" for v in a.values)
    keys = ", ".join(f"coalesce(kept.{k}, expected.{k}) AS {k}" for k in a.keys)
    values = ", ".join(f"coalesce(kept.{v}, 0) AS was_{v}, coalesce(expected.{v}, 0) AS now_{v}" for v in a.values)
    differing = await conn.fetch(
        f"SELECT {keys}, {values} FROM {a.table} kept FULL JOIN {expected} expected ON {join} WHERE {differs}"
        f" ORDER BY {', '.join(a.keys)} LIMIT {LISTED_CORRECTIONS}"
    )
    corrected = await conn.fetchval(
        f"SELECT count(*) FROM {a.table} kept FULL JOIN {expected} expected ON {join} WHERE {differs}"
    )
    if corrected:
        await conn.execute(f"DELETE FROM {a.table}")
        await conn.execute(f"INSERT INTO {a.table} SELECT * FROM {expected}")
    rows = await conn.fetchval(f"SELECT count(*) FROM {expected}")
    corrections = tuple(
        Correction(
            table=a.table,
            key={k: row[k] for k in a.keys},
            changes={v: (int(row[f"was_{v}"]), int(row[f"now_{v}"])) for v in a.values
                     if row[f"was_{v}"] != row[f"now_{v}"]},
        )
        for row in differing
    )
    return RebuildReport(table=a.table, rows=int(rows), corrected=int(corrected), corrections=corrections)
