"""Operations on a running server: CLI commands share its embedded PostgreSQL, and the gateway
comes back by itself when its database restarts (503 with a GraphQL error meanwhile)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from gateway.embedded import EmbeddedPostgres, start_embedded

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="embedded server is POSIX-only")

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-20T10:00:00+08:00"
#: Answered by the compiled read path (one SQL statement) unless a trace is asked for.
HOME = "{ me { ... on Consumer { id name wallet { balance { amount } } } } }"
#: Apollo's trace header sends the same query through Strawberry's standard executor.
STANDARD = {"apollo-federation-include-trace": "ftv1"}


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "FINGRAPH_"))}
    return env | {"FINGRAPH_DATA_DIR": str(data_dir), "FINGRAPH_NOW": NOW, "PYTHONPATH": str(ROOT)}


def fingraph(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway.cli", *args], cwd=ROOT, env=_env(data_dir),
                          capture_output=True, text=True, timeout=180)


@dataclass
class Serving:
    url: str
    data_dir: Path
    process: subprocess.Popen[str]
    token: str

    def postmaster_pid(self) -> int:
        return int((self.data_dir / "pgdata" / "postmaster.pid").read_text().split()[0])

    def home(self, *, standard: bool = False) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}", **(STANDARD if standard else {})}
        return httpx.post(f"{self.url}/graphql", json={"query": HOME}, headers=headers, timeout=30)


def _wait_for(check: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[Serving]:
    """`fingraph serve` on its own embedded PostgreSQL in a fresh data dir."""
    from tests.support import free_port

    data_dir, port = tmp_path / "fingraph", free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)],
        cwd=ROOT, env=_env(data_dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_for(lambda: process.poll() is None and httpx.get(f"{url}/healthz").status_code == 200, timeout=300)  # a fresh data dir: initdb, migrate, seed
        token = fingraph(data_dir, "token", "--role", "consumer", "--party", "con_1").stdout.strip()
        yield Serving(url, data_dir, process, token)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
        EmbeddedPostgres(data_dir=(data_dir / "pgdata").resolve(), dsn="").stop()  # never leak a server


@pytest.mark.timeout(600)
def test_commands_use_the_running_server_and_leave_it_running(serving: Serving) -> None:
    # given a server that answers
    pid = serving.postmaster_pid()
    assert serving.home().status_code == 200
    # The demo data published 2026-11-19 already: the same rate again is an idempotent success.
    fund = httpx.post(f"{serving.url}/graphql", headers={"Authorization": f"Bearer {serving.token}"}, timeout=30,
                      json={"query": '{ me { ... on Consumer { fundHolding { fund { earningsPer10k } } } } }'})
    published = fund.json()["data"]["me"]["fundHolding"]["fund"]["earningsPer10k"]

    # when each command runs against the same data dir while it serves
    commands = [
        ["migrate"],
        ["seed", "--consumers", "3", "--merchants", "2"],
        ["accrue", "--date", "2026-11-19"],
        ["publish-yield", "--date", "2026-11-19", "--earnings-per-10k", published],
    ]
    for command in commands:
        done = fingraph(serving.data_dir, *command)
        assert done.returncode == 0, (command, done.stderr)

        # then the command used the running PostgreSQL and left it running: the server still answers
        response = serving.home()
        assert response.status_code == 200, (command, response.text)
        assert response.json()["data"]["me"]["name"] == "Li Lei"
        assert httpx.get(f"{serving.url}/healthz").status_code == 200
        assert serving.postmaster_pid() == pid, command
        assert "using the running embedded PostgreSQL" in done.stderr, done.stderr


@pytest.mark.timeout(600)
def test_the_gateway_comes_back_when_its_database_restarts(serving: Serving) -> None:
    # given a server that answers on both read paths (the compiled one once the document was validated)
    assert serving.home().status_code == 200
    assert serving.home().headers["Fingraph-Read-Path"] == "compiled"
    assert serving.home(standard=True).headers["Fingraph-Read-Path"] == "standard"
    pgdata = (serving.data_dir / "pgdata").resolve()

    # when its database stops
    EmbeddedPostgres(data_dir=pgdata, dsn="").stop()

    # then every request that needs it gets a 503 with a GraphQL error, never a 500 or plain text
    for standard in (False, True, False, True):
        response = serving.home(standard=standard)
        assert response.status_code == 503, (standard, response.text)
        assert response.headers["content-type"].startswith("application/json")
        assert int(response.headers["Retry-After"]) > 0
        [error] = response.json()["errors"]
        assert error["message"].startswith("database unavailable")
        assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE"}
    health = httpx.get(f"{serving.url}/healthz")
    assert health.status_code == 503 and health.json() == {"status": "unavailable"}

    # when the database starts again
    restarted = start_embedded(pgdata)
    assert restarted.started

    # then the gateway answers again on both paths without being restarted, and /healthz is 200
    _wait_for(lambda: serving.home().status_code == 200, timeout=30)
    _wait_for(lambda: serving.home(standard=True).status_code == 200, timeout=30)
    assert serving.home().json()["data"]["me"]["name"] == "Li Lei"
    assert serving.home().headers["Fingraph-Read-Path"] == "compiled"
    assert serving.home(standard=True).headers["Fingraph-Read-Path"] == "standard"
    assert httpx.get(f"{serving.url}/healthz").status_code == 200
    assert serving.process.poll() is None


def test_a_command_alone_starts_the_server_and_stops_it(tmp_path: Path) -> None:
    # when a command runs with nothing running in its data dir
    data_dir = tmp_path / "fingraph"
    done = fingraph(data_dir, "migrate")

    # then it started PostgreSQL for itself and stopped it when done
    assert done.returncode == 0, done.stderr
    assert "started embedded PostgreSQL" in done.stderr and "embedded PostgreSQL stopped" in done.stderr
    assert not (data_dir / "pgdata" / "postmaster.pid").exists()
