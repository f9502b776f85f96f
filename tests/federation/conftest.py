"""The federated deployment the federation tests share: each service alone, behind @apollo/gateway.

``fingraph serve --subgraph payments|credit|funds``, each a process with its own pool on
the test database, composed by a real ``@apollo/gateway`` (tests/node/federation_gateway.mjs)
that forwards the caller's Authorization header. Started once for the package.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from schema.export import SCHEMA_DIR
from tests.conftest import SECRET, START, Server
from tests.support import free_port, wait_until_up

NODE_DIR = Path(__file__).parents[1] / "node"


@pytest.fixture(scope="package")
async def federated_gateway(database_url: str, server: Server) -> AsyncIterator[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "FINGRAPH_JWT_SECRET": SECRET, "FINGRAPH_NOW": START.isoformat()}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        urls = {}
        for path in sorted((SCHEMA_DIR / "subgraphs").glob("*.graphql")):
            port = free_port()
            processes.append(subprocess.Popen(
                [str(Path(sys.executable).parent / "fingraph"), "serve", "--subgraph", path.stem, "--port", str(port)],
                env=env, stdout=subprocess.DEVNULL,
            ))
            urls[path.stem] = f"http://127.0.0.1:{port}/graphql"
            await wait_until_up(f"http://127.0.0.1:{port}/healthz")
        port = free_port()
        processes.append(subprocess.Popen(
            ["node", str(NODE_DIR / "federation_gateway.mjs"), str(port), *(f"{n}={u}" for n, u in urls.items())],
            stdout=subprocess.DEVNULL,
        ))
        gateway = f"http://127.0.0.1:{port}/"
        await wait_until_up(gateway + "?query=%7B__typename%7D")
        yield gateway
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)
