"""The engines of a scaled-out deployment, started by the tests themselves on free ports.

Redis (Debian's ``redis-server``), PgBouncer (Debian's ``pgbouncer``), a streaming replica
made with ``pg_basebackup -R`` from the embedded server's own binaries, and ``fingraph
serve`` processes. A missing binary skips the test that needs it, saying which and how
to get it (``make test`` installs them where it can).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.conftest import SECRET, START
from tests.support import free_port, wait_until_up

FINGRAPH = str(Path(sys.executable).parent / "fingraph")


def require_binary(name: str, *, package: str) -> str:
    """The path of ``name``, or a skip that says how to install it."""
    found = shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/usr/bin") / name) if p.exists()), None
    )
    if found is None:
        pytest.skip(f"{name} is not installed (apt-get install {package}; `make test` does it as root)")
    return found


def _wait_for_port(port: int, process: subprocess.Popen[bytes], what: str, *, timeout: float = 20) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout}s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A private ``redis-server`` on a free port, with no persistence: its ``redis://`` URL."""
    binary = require_binary("redis-server", package="redis-server")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(process)


def gateway_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a ``fingraph serve`` process of the test deployment (same secret, same clock)."""
    return {**os.environ, "DATABASE_URL": database_url, "FINGRAPH_JWT_SECRET": SECRET,
            "FINGRAPH_NOW": START.isoformat(), **extra}


@contextlib.asynccontextmanager
async def gateway_processes(env: dict[str, str], count: int, *args: str) -> AsyncIterator[list[str]]:
    """``count`` ``fingraph serve`` processes on free ports with ``env``: their base URLs."""
    processes: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for _ in range(count):
            port = free_port()
            processes.append(subprocess.Popen(
                [FINGRAPH, "serve", "--port", str(port), *args], env=env, stdout=subprocess.DEVNULL,
            ))
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            await wait_until_up(f"{url}/healthz")
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            await asyncio.to_thread(_stop, process)
