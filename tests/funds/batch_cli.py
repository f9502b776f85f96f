"""Running a batch command (``fingraph publish-yield``, ``fingraph accrue``) as an operator
would: the installed command in a subprocess, on a migrated database of its own."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from gateway import db
from tests.conftest import SECRET

FINGRAPH = Path(sys.executable).parent / "fingraph"


@contextlib.asynccontextmanager
async def empty_database(database_url: str) -> AsyncIterator[str]:
    """A migrated database on the test server with nothing else in it (dropped afterwards): its DSN."""
    name = f"fingraph_batch_{uuid.uuid4().hex[:12]}"
    admin: asyncpg.Connection = await asyncpg.connect(database_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        dsn = urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))
        await db.migrate_dsn(dsn)
        yield dsn
    finally:
        admin = await asyncpg.connect(database_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def fingraph(dsn: str, *args: str, now: str) -> tuple[int, str, str]:
    """``fingraph *args`` on ``dsn`` with its clock at ``now``: (exit status, stdout, stderr)."""
    env = {**os.environ, "DATABASE_URL": dsn, "FINGRAPH_NOW": now, "FINGRAPH_JWT_SECRET": SECRET}
    process = await asyncio.create_subprocess_exec(
        str(FINGRAPH), *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()
