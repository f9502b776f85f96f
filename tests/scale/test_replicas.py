"""Queries on a streaming replica, mutations on the primary, read-your-writes by WAL position.

A fresh embedded primary and a hot standby made from it with ``pg_basebackup -R``
(tests/scale/engines.py); the gateway is served in process with ``replica_urls``. What
answered is checked from the data itself: with the replica's replay paused, a read that
returns the old balance came from the replica, one that returns the new came from the
primary (and ``Fingraph-Read-From`` must say the same).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from gateway import db
from gateway.app import create_app
from gateway.replicas import LSN_HEADER, READ_FROM_HEADER
from gateway.settings import Settings
from services.kernel.clock import Clock
from tests.conftest import SECRET, START, Server
from tests.scale.engines import Replica, primary_and_replica
from tests.support import TOP_UP, Api, new_key, served

BALANCE = "query Balance { me { ... on Consumer { wallet { balance { amount } } } } }"


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[str, Replica]]:
    # Not under pytest's tmp dir: a pytest starting meanwhile makes its root 0700 again,
    # and the servers run as the embedded system user when we are root.
    folder = Path(tempfile.mkdtemp(prefix="fg-replication-"))
    try:
        with primary_and_replica(folder) as (primary, replica):
            asyncio.run(db.migrate_dsn(primary.dsn))
            yield primary.dsn, replica
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.asynccontextmanager
async def gateway(servers: tuple[str, Replica], **settings: Any) -> AsyncIterator[Api]:
    primary, replica = servers
    app = create_app(Settings(database_url=primary, jwt_secret=SECRET, replica_urls=(replica.dsn,), **settings),
                     clock=Clock(START))
    async with served(app) as url, httpx.AsyncClient(base_url=url, timeout=60) as client:
        yield Api(http=client, server_token=Server(url, Clock(START), Settings()).token)


@contextlib.asynccontextmanager
async def replay_paused(replica: Replica) -> AsyncIterator[None]:
    conn: asyncpg.Connection = await asyncpg.connect(replica.dsn)
    try:
        await conn.execute("SELECT pg_wal_replay_pause()")
        yield
    finally:
        await conn.execute("SELECT pg_wal_replay_resume()")
        await conn.close()


async def _top_up(api: Api, token: str, amount: str) -> str:
    response = await api.http.post("/graphql", json={"query": TOP_UP, "variables": {"a": amount, "k": new_key()}},
                                    headers={"Authorization": f"Bearer {token}"})
    assert not response.json().get("errors"), response.json()
    assert READ_FROM_HEADER not in response.headers  # a mutation is no read: always the primary
    lsn: str = response.headers[LSN_HEADER]
    return lsn


async def _balance(api: Api, token: str, lsn: str | None = None) -> tuple[str, str]:
    headers = {"Authorization": f"Bearer {token}", **({LSN_HEADER: lsn} if lsn else {})}
    response = await api.http.post("/graphql", json={"query": BALANCE}, headers=headers)
    body = response.json()
    assert not body.get("errors"), body
    assert LSN_HEADER not in response.headers  # a query commits nothing
    return body["data"]["me"]["wallet"]["balance"]["amount"], response.headers[READ_FROM_HEADER]


async def test_queries_go_to_the_replica_and_a_read_with_the_commits_position_sees_the_write(
    servers: tuple[str, Replica],
) -> None:
    async with gateway(servers, replica_max_lag_seconds=60, replica_wait_seconds=0.3) as api:
        buyer = await api.consumer()
        lsn = await _top_up(api, buyer.token, "100.00")
        assert await _balance(api, buyer.token, lsn) == ("100.00", "replica-1")
        async with replay_paused(servers[1]):
            lsn = await _top_up(api, buyer.token, "50.00")
            # Without the position: the replica answers, from before the write.
            assert await _balance(api, buyer.token) == ("100.00", "replica-1")
            # With it: the replica cannot reach it within the wait; the primary answers.
            started = time.monotonic()
            assert await _balance(api, buyer.token, lsn) == ("150.00", "primary")
            assert time.monotonic() - started >= 0.3
            # A malformed position is no position we wrote: the primary answers.
            assert await _balance(api, buyer.token, "not-a-position") == ("150.00", "primary")
        assert await _balance(api, buyer.token, lsn) == ("150.00", "replica-1")


async def test_every_principal_reads_its_own_writes_under_load(servers: tuple[str, Replica]) -> None:
    async with gateway(servers, replica_max_lag_seconds=60, replica_wait_seconds=2.0) as api:
        buyers = [await api.consumer(f"Buyer {i}") for i in range(12)]
        answered_by: list[str] = []

        async def pay_in_and_read(token: str) -> None:
            for round_ in range(1, 6):
                lsn = await _top_up(api, token, "1.00")
                balance, server = await _balance(api, token, lsn)
                assert balance == f"{round_}.00"
                answered_by.append(server)

        await asyncio.gather(*(pay_in_and_read(b.token) for b in buyers))
    assert len(answered_by) == 60
    assert answered_by.count("replica-1") > 0, answered_by


async def _answer_within(api: Api, token: str, server: str, seconds: float = 15) -> tuple[str, str]:
    """The first answer ``server`` gives within ``seconds`` (the monitor's rounds are 0.2 s apart)."""
    deadline = time.monotonic() + seconds
    answer = await _balance(api, token)
    while answer[1] != server and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        answer = await _balance(api, token)
    return answer


async def test_a_replica_too_far_behind_is_skipped(servers: tuple[str, Replica]) -> None:
    async with gateway(servers, replica_max_lag_seconds=1.0) as api:
        buyer = await api.consumer()
        await _top_up(api, buyer.token, "10.00")
        async with replay_paused(servers[1]):
            await _top_up(api, buyer.token, "5.00")
            # More than max_lag_seconds after the primary wrote what the replica lacks:
            assert await _answer_within(api, buyer.token, "primary") == ("15.00", "primary")
        assert await _answer_within(api, buyer.token, "replica-1") == ("15.00", "replica-1")


async def test_a_replica_that_is_down_is_skipped(servers: tuple[str, Replica]) -> None:
    """Last in the module: it stops the replica."""
    async with gateway(servers) as api:
        buyer = await api.consumer()
        lsn = await _top_up(api, buyer.token, "7.00")
        assert await _balance(api, buyer.token, lsn) == ("7.00", "replica-1")
        await asyncio.to_thread(servers[1].stop)
        await asyncio.sleep(1.0)  # the monitor's next round (every 0.2 s) finds it gone
        for _ in range(5):
            assert await _balance(api, buyer.token) == ("7.00", "primary")
        assert await _top_up(api, buyer.token, "1.00")
        assert (await api.gql("{ __typename }", buyer.token)) == {"__typename": "Query"}
