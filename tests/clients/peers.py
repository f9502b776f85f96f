"""Running the client peers of tests/node/clients (real npm packages, pinned by the lockfile)."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.node_peers import NODE_DIR, require_node_peers

CLIENTS_DIR = NODE_DIR / "clients"
BIN = NODE_DIR / "node_modules" / ".bin"


def require_npm_clients() -> None:
    """Skip (and say why) only where Node.js is missing; a missing package is a failure."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js/npm is not installed: the client peer tests need them")
    require_node_peers()


async def run_node(*args: str | Path, stdin: str = "", cwd: Path = NODE_DIR, timeout: float = 240) -> str:
    """Run a Node program; its stdout, or a failure with its stderr."""
    process = await asyncio.create_subprocess_exec(
        *(str(a) for a in args), cwd=cwd, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), timeout=timeout)
    assert process.returncode == 0, f"{args[0]} {args[1] if len(args) > 1 else ''} failed:\n{err.decode()}\n{out.decode()}"
    return out.decode()


async def run_json(*args: str | Path, stdin: Any = None) -> Any:
    return json.loads(await run_node(*args, stdin=json.dumps(stdin) if stdin is not None else ""))
