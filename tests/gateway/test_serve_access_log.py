"""``fingraph serve`` logs no line per request unless asked (``--access-log``): docs/adr/019.

The server runs as people run it, a subprocess of the CLI on a fresh database of the test
server (it loads the small data set on start), and is read from its own output.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.support import free_port, other_database

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def empty_database(database_url: str) -> AsyncIterator[str]:
    async with other_database(database_url, "fingraph_serve") as dsn:
        yield dsn


def _serve_and_read_health(dsn: str, *flags: str) -> str:
    """Start ``fingraph serve``, GET /healthz twice, stop it; returns everything it printed."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": dsn, "FINGRAPH_JWT_SECRET": "s" * 40}
    command = [sys.executable, "-c", "from gateway.cli import main; main()", "serve", "--port", str(port), *flags]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        answered = 0
        while answered < 2 and time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()[0].decode()
            try:
                answered += httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                time.sleep(0.2)
        assert answered == 2, "fingraph serve did not answer /healthz"
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0].decode()
    return output


async def test_serve_logs_no_line_per_request_unless_asked(empty_database: str) -> None:
    # given fingraph serve started as in production (no flag)
    quiet = _serve_and_read_health(empty_database)

    # then it started and served, but wrote no access line for the requests
    assert "serving http://" in quiet
    assert "GET /healthz" not in quiet

    # and with --access-log, uvicorn's line per request is back
    loud = _serve_and_read_health(empty_database, "--access-log")
    assert loud.count('"GET /healthz HTTP/1.1" 200') == 2, loud[-2000:]
