"""Running a batch command (``fingraph publish-yield``, ``fingraph accrue``) as an operator
would: the installed command in a subprocess, on a migrated database of its own."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from pathlib import Path

from tests.conftest import SECRET
from tests.support import other_database

FINGRAPH = Path(sys.executable).parent / "fingraph"


def empty_database(database_url: str) -> contextlib.AbstractAsyncContextManager[str]:
    """A migrated database on the test server with nothing else in it (dropped afterwards): its DSN."""
    return other_database(database_url, "fingraph_batch", migrate=True)


async def fingraph(dsn: str, *args: str, now: str) -> tuple[int, str, str]:
    """``fingraph *args`` on ``dsn`` with its clock at ``now``: (exit status, stdout, stderr)."""
    env = {**os.environ, "DATABASE_URL": dsn, "FINGRAPH_NOW": now, "FINGRAPH_JWT_SECRET": SECRET}
    process = await asyncio.create_subprocess_exec(
        str(FINGRAPH), *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()
