"""Test fixtures: a real PostgreSQL and the real app served over HTTP by uvicorn.

The tests mirror the packages: ``tests/kernel``, ``tests/payments``, ``tests/credit``,
``tests/funds`` and ``tests/partners`` hold the tests of ``services/<name>``, and a
module there either tests pure functions (marked ``pytestmark = pytest.mark.unit``: no
database, no server, ``pytest -m unit`` runs them alone in seconds) or goes through real
PostgreSQL and HTTP. A ``unit`` test that asks, even indirectly, for ``database_url``
is refused at collection (``pytest_collection_modifyitems`` below), so the unit run
never starts the embedded server. The suites about the graph as a whole stay in
``tests/e2e``, ``tests/protocols``, ``tests/gateway``, ``tests/compiled`` and friends.

With ``DATABASE_URL`` set the suite uses that database (CI creates a fresh one per run);
without it, it starts the embedded server in a temporary directory. Session fixtures are
lazy: only a test that asks for one (``server``, ``api``, ``db``...) starts it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import asyncpg
import httpx
import pytest

from gateway.app import create_app
from gateway.auth import issue_token
from gateway.settings import Settings
from services.kernel.clock import Clock
from services.kernel.principal import Principal, Role
from tests.support import Api, served

START = datetime.fromisoformat("2026-11-20T10:00:00+08:00")
SECRET = "test-secret-" + "x" * 40


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    given = os.environ.get("DATABASE_URL")
    if given:
        yield given
        return
    from gateway.embedded import start_embedded

    server = start_embedded(Path(tmp_path_factory.mktemp("pgdata")))
    try:
        yield server.dsn
    finally:
        server.stop()


@pytest.fixture(scope="session")
def gateway_database_url(database_url: str) -> Iterator[str]:
    """Where the served app's pool connects: the test database, or PgBouncer in front of it.

    ``FINGRAPH_TEST_PGBOUNCER=1`` puts a PgBouncer in transaction mode between the
    gateway and the database (with ``FINGRAPH_PGBOUNCER=1``, what the gateway needs
    behind one); the assertions' own pool (``db``) still connects directly.
    ``tests/scale/test_pgbouncer.py`` runs tests/e2e that way.
    """
    if os.environ.get("FINGRAPH_TEST_PGBOUNCER", "") in ("", "0"):
        yield database_url
        return
    from tests.scale.engines import pgbouncer

    with pgbouncer(database_url) as url:
        yield url


@dataclass
class Server:
    url: str
    clock: Clock
    settings: Settings

    def token(self, role: Role, party_id: int | None = None) -> str:
        return issue_token(Principal(role, party_id=party_id), secret=SECRET, now=self.clock.now())


@contextlib.asynccontextmanager
async def running_app(settings: Settings, clock: Clock) -> AsyncIterator[Server]:
    """The real app served by uvicorn on a free port, until the block ends."""
    async with served(create_app(settings, clock=clock)) as url:
        yield Server(url=url, clock=clock, settings=settings)


@pytest.fixture(scope="session")
async def server(gateway_database_url: str) -> AsyncIterator[Server]:
    settings = Settings(database_url=gateway_database_url, jwt_secret=SECRET, pool_max_size=40)
    async with running_app(settings, Clock(START)) as running:
        yield running


@pytest.fixture(scope="session")
async def standard_server(gateway_database_url: str, server: Server) -> AsyncIterator[Server]:
    """The same app over the same database with the compiled read path off (ADR 010)."""
    settings = Settings(database_url=gateway_database_url, jwt_secret=SECRET, pool_max_size=10, compiled_reads=False)
    async with running_app(settings, server.clock) as running:
        yield running


@pytest.fixture
async def standard_api(standard_server: Server) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=standard_server.url, timeout=60) as client:
        yield Api(http=client, server_token=standard_server.token)


@pytest.fixture(scope="session")
async def http(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=250, max_keepalive_connections=50)
    async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as client:
        yield client


@pytest.fixture(scope="session")
async def db(database_url: str, server: Server) -> AsyncIterator[asyncpg.Pool]:
    """A pool for assertions straight on the tables (the server has migrated by now)."""
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=5)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
def api(server: Server, http: httpx.AsyncClient) -> Api:
    return Api(http=http, server_token=server.token)


#: Every fixture that reaches PostgreSQL or the served app depends on this one.
_DATABASE_FIXTURE = "database_url"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Refuse a ``unit`` test that needs the database: the unit run must start no server."""
    for item in items:
        # ``fixturenames`` is the closure: fixtures the test asks for and those they ask for.
        if item.get_closest_marker("unit") and _DATABASE_FIXTURE in getattr(item, "fixturenames", ()):
            raise pytest.UsageError(
                f"{item.nodeid} is marked unit but needs {_DATABASE_FIXTURE}: "
                "a unit test tests pure functions; move it beside the HTTP tests or drop the marker"
            )
