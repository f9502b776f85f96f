"""The benchmark's own PostgreSQL database and its own gateway process.

The database is fresh each run: ``fingraph_bench`` (or ``--database-name``) on the
server of ``DATABASE_URL`` if set, else an embedded server in a temporary directory.
The gateway is the real app served by uvicorn in a subprocess, as in production; the
peers it is compared with (``bench/floor.py``, PostGraphile) run the same way, one after
another, never at the same time.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx


@contextlib.asynccontextmanager
async def fresh_database(name: str, *, keep: bool = False) -> AsyncIterator[str]:
    """Yields the DSN of an empty database ``name``; drops it (or the embedded server) afterwards."""
    server = os.environ.get("DATABASE_URL")
    if not server:
        from gateway.embedded import start_embedded

        directory = Path(tempfile.mkdtemp(prefix="fingraph-bench-"))
        embedded = start_embedded(directory / "pgdata")
        try:
            await _recreate(embedded.dsn, name)
            yield _on_database(embedded.dsn, name)
        finally:
            embedded.stop()
            shutil.rmtree(directory, ignore_errors=True)
        return
    await _recreate(server, name)
    try:
        yield _on_database(server, name)
    finally:
        if not keep:
            await _drop(server, name)


async def reusable_database(name: str, data_set: str) -> bool:
    """``--reuse-database``: the database ``name`` on ``DATABASE_URL``'s server holds exactly
    ``data_set`` as seeded (``mark_data_set``), so a run may read it without seeding again."""
    server = os.environ.get("DATABASE_URL")
    if not server:
        return False
    try:
        conn: asyncpg.Connection = await asyncpg.connect(_on_database(server, name))
    except (OSError, asyncpg.PostgresError):
        return False
    try:
        marked = await conn.fetchval("SELECT to_regclass('public.bench_data_set') IS NOT NULL")
        return bool(marked) and await conn.fetchval("SELECT label FROM public.bench_data_set") == data_set
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def reused_database(name: str) -> AsyncIterator[str]:
    """The DSN of the kept database ``name`` (``reusable_database``), left as it is afterwards."""
    yield _on_database(os.environ["DATABASE_URL"], name)


async def mark_data_set(dsn: str, data_set: str | None) -> None:
    """Record which data set the database holds as seeded (None: it no longer does)."""
    conn: asyncpg.Connection = await asyncpg.connect(dsn)
    try:
        await conn.execute("DROP TABLE IF EXISTS public.bench_data_set")
        if data_set is not None:
            await conn.execute("CREATE TABLE public.bench_data_set (label text NOT NULL)")
            await conn.execute("INSERT INTO public.bench_data_set VALUES ($1)", data_set)
    finally:
        await conn.close()


def _on_database(dsn: str, name: str) -> str:
    return urlunsplit(urlsplit(dsn)._replace(path=f"/{name}"))


async def _recreate(server_dsn: str, name: str) -> None:
    await _drop(server_dsn, name)
    admin: asyncpg.Connection = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def _drop(server_dsn: str, name: str) -> None:
    admin: asyncpg.Connection = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_env(*, dsn: str, secret: str, now: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": dsn,
        "FINGRAPH_JWT_SECRET": secret,
        "FINGRAPH_NOW": now,
        # One operator principal sends every MerchantsPage: measure the app, not the limiter.
        "FINGRAPH_RATE_LIMIT": "1000000/second",
        "FINGRAPH_POOL_MAX": pool_max(),
        **(extra or {}),
    }


def pool_max() -> str:
    """The same pool size for every server compared (``FINGRAPH_POOL_MAX``, default 20)."""
    return os.environ.get("FINGRAPH_POOL_MAX", "20")


def _uvicorn(factory: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", factory, "--factory", "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log",
    ]


@contextlib.contextmanager
def running_gateway(
    *, dsn: str, secret: str, now: str, workers: int, log: Path, env: dict[str, str] | None = None
) -> Iterator[str]:
    """``uvicorn gateway.app:app_from_env --factory`` on a free port; yields its base URL.

    ``env`` adds settings, e.g. ``FINGRAPH_COMPILED_READS=0`` for the standard executor.
    """
    port = _free_port()
    environment = _server_env(dsn=dsn, secret=secret, now=now, extra=env)
    with _running(_uvicorn("gateway.app:app_from_env", port, workers), environment, log, port, "/healthz") as url:
        yield url


@contextlib.contextmanager
def running_floor(*, dsn: str, secret: str, now: str, log: Path) -> Iterator[str]:
    """The ``sql-floor`` peer (``bench/floor.py``) under uvicorn, one worker, same pool size."""
    port = _free_port()
    environment = _server_env(dsn=dsn, secret=secret, now=now)
    with _running(_uvicorn("bench.floor:app_from_env", port, 1), environment, log, port, "/healthz") as url:
        yield url


@contextlib.contextmanager
def running_postgraphile(peer: str, *, dsn: str, log: Path) -> Iterator[str]:
    """PostGraphile ``peer`` (``postgraphile-4`` or ``-5``, from ``bench/node``) on a free port, same pool size."""
    from bench import postgraphile

    port = _free_port()
    command, settings = postgraphile.command(peer, dsn=dsn, port=port, pool_max=int(pool_max()))
    environment = {**os.environ, "NODE_ENV": "production", **settings}
    with _running(command, environment, log, port, None, cwd=postgraphile.NODE_DIR) as url:
        yield url


@contextlib.contextmanager
def _running(
    command: list[str], env: dict[str, str], log: Path, port: int, health: str | None, cwd: Path | None = None
) -> Iterator[str]:
    with log.open("w") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=cwd)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_until_healthy(url, health, process, log)
            yield url
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _healthy(url: str, health: str | None) -> bool:
    """``GET health`` answers 200, or (no health path) a GraphQL ``{ __typename }`` does."""
    if health is not None:
        return httpx.get(f"{url}{health}", timeout=2).status_code == 200
    return httpx.post(f"{url}/graphql", json={"query": "{ __typename }"}, timeout=2).status_code == 200


def _wait_until_healthy(
    url: str, health: str | None, process: subprocess.Popen[bytes], log: Path, timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}:\n{log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if _healthy(url, health):
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not become healthy in {timeout:.0f} s:\n{log.read_text()[-2000:]}")
