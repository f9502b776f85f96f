"""Queries to streaming replicas, with read-your-writes by WAL position (``FINGRAPH_REPLICA_URLS``).

Routing, decided per HTTP operation once the guards admitted it (gateway/graphql_view.py):

* a mutation, anything inside it (its payload's fields), a batch, a WebSocket operation
  (subscriptions catch up from the primary's outbox) run on the primary;
* a query runs on a replica that is up and not too far behind, round-robin;
* after a mutation the response carries ``X-Fingraph-LSN``: the primary's WAL insert
  position once the mutation committed, at or past the commit record. A client sends it
  back on its next reads; such a read waits (at most ``wait_seconds``) for a replica whose
  ``pg_last_wal_replay_lsn()`` has reached it, and else runs on the primary. The client
  holds the token, so every gateway process honours it without shared state.

A monitor samples the primary's ``pg_current_wal_lsn()`` and each replica's replay
position every ``check_every`` seconds. "Too far behind" is time, not bytes: a replica
is skipped while it has not replayed what the primary had written ``max_lag_seconds``
ago (a byte threshold would mean nothing on a quiet primary and too much on a busy one).
A replica that does not answer the check is skipped until it answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import re
import time
from collections import deque
from dataclasses import dataclass, field

import asyncpg
from graphql import GraphQLError, OperationType, get_operation_ast, parse

from gateway import db

log = logging.getLogger(__name__)

#: The response header with the commit's WAL position, and the request header that sends it back.
LSN_HEADER = "X-Fingraph-LSN"
#: Which server answered a query: ``primary`` or ``replica-N`` (N from 1, in FINGRAPH_REPLICA_URLS' order).
READ_FROM_HEADER = "Fingraph-Read-From"
_LSN = re.compile(r"^([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})$")


def parse_lsn(text: str) -> int | None:
    """A ``pg_lsn`` in its text form (``16/B374D848``) as a number; None when malformed."""
    match = _LSN.match(text.strip())
    return (int(match[1], 16) << 32) + int(match[2], 16) if match else None


@functools.lru_cache(maxsize=1_000)
def is_query(document: str, operation_name: str | None) -> bool:
    """Whether the operation a request runs is a query (a replica may answer it)."""
    try:
        operation = get_operation_ast(parse(document), operation_name)
    except GraphQLError:
        return False
    return operation is not None and operation.operation == OperationType.QUERY


def format_lsn(position: int) -> str:
    return f"{position >> 32:X}/{position & 0xFFFFFFFF:X}"


@dataclass(eq=False)
class Replica:
    name: str
    pool: asyncpg.Pool
    #: The last replay position the monitor read; None while the replica does not answer.
    replayed: int | None = None
    fresh: bool = False


@dataclass(eq=False)
class ReadRouting:
    """The primary's pool and the replicas' pools, and which one a query takes."""

    primary: asyncpg.Pool
    replicas: list[Replica]
    max_lag_seconds: float = 5.0
    wait_seconds: float = 0.5
    check_every: float = 0.2
    _samples: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=1_000))
    _turn: itertools.count[int] = field(default_factory=itertools.count)
    _monitor: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls, primary: asyncpg.Pool, urls: tuple[str, ...], *, pool_max_size: int, statement_timeout_ms: int,
        max_lag_seconds: float, wait_seconds: float,
    ) -> ReadRouting:
        replicas = []
        for number, url in enumerate(urls, start=1):
            # min_size=0: a replica that is down when the gateway starts does not stop it.
            pool = await db.create_pool(url, min_size=0, max_size=pool_max_size,
                                        statement_timeout_ms=statement_timeout_ms,
                                        application_name=f"fingraph-replica-{number}", connect_timeout=2)
            replicas.append(Replica(name=f"replica-{number}", pool=pool))
        routing = cls(primary, replicas, max_lag_seconds=max_lag_seconds, wait_seconds=wait_seconds)
        await routing.check()
        routing._monitor = asyncio.create_task(routing._watch(), name="replica-monitor")
        return routing

    async def close(self) -> None:
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monitor
        for replica in self.replicas:
            await replica.pool.close()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.check_every)
            try:
                await self.check()
            except Exception:  # the monitor must outlive any one failed round
                log.exception("checking the replicas failed")

    async def check(self) -> None:
        """One round: the primary's position now, each replica's replay position and freshness."""
        now = time.monotonic()
        with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            written = await self.primary.fetchval("SELECT pg_current_wal_lsn()::text", timeout=2)
            self._samples.append((now, parse_lsn(written) or 0))
        # What the primary had written max_lag_seconds ago: a fresh replica has replayed it.
        due = max((lsn for at, lsn in self._samples if at <= now - self.max_lag_seconds), default=0)
        for replica in self.replicas:
            replica.replayed = await _replayed(replica.pool)
            replica.fresh = replica.replayed is not None and replica.replayed >= due
            if not replica.fresh:
                log.info("%s skipped: replayed %s, due %s", replica.name,
                         None if replica.replayed is None else format_lsn(replica.replayed), format_lsn(due))

    async def for_query(self, seen: str | None) -> tuple[str, asyncpg.Pool]:
        """The server a query runs on: a fresh replica that replayed ``seen`` (waiting a bounded
        time for one), else the primary. ``seen`` is a client's ``X-Fingraph-LSN``."""
        candidates = [r for r in self.replicas if r.fresh]
        if not candidates:
            return "primary", self.primary
        start = next(self._turn)
        ordered = [candidates[(start + i) % len(candidates)] for i in range(len(candidates))]
        if seen is None:
            return ordered[0].name, ordered[0].pool
        position = parse_lsn(seen)
        if position is None:  # not a position we wrote: the primary is always up to date
            return "primary", self.primary
        deadline = time.monotonic() + self.wait_seconds
        while True:
            for replica in ordered:
                if replica.replayed is not None and replica.replayed >= position:
                    return replica.name, replica.pool
            if time.monotonic() >= deadline:
                return "primary", self.primary
            await asyncio.sleep(0.01)
            for replica in ordered:
                replica.replayed = await _replayed(replica.pool)

    async def commit_position(self) -> str:
        """The primary's WAL insert position: at or past every commit that finished before this call."""
        position: str = await self.primary.fetchval("SELECT pg_current_wal_insert_lsn()::text")
        return position


async def _replayed(pool: asyncpg.Pool) -> int | None:
    try:
        text = await pool.fetchval("SELECT pg_last_wal_replay_lsn()::text", timeout=1)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
        return None
    return parse_lsn(text) if text else None
