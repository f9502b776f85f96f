"""Two apps over the same database and the same fixed clock, one with the compiled read path.

Both are the real app served by uvicorn over real HTTP, once for this package (they are
gone when its last test is done, so their connections do not count against the
server's limit for the rest of the suite); the data set is written once, through the
app without the compiled path.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import httpx
import pytest

from gateway.settings import Settings
from services.kernel.clock import Clock
from tests.compiled.dataset import DataSet, build_data_set
from tests.compiled.differential import TALLY, Pair
from tests.conftest import SECRET, START, Server, running_app
from tests.support import Api


@pytest.fixture(scope="package")
async def apps(database_url: str) -> AsyncIterator[tuple[Server, Server]]:
    """(compiled, standard): the same settings but ``compiled_reads``, and one shared clock."""
    clock = Clock(START)
    # Comparisons are sequential: a few connections each are plenty.
    settings = Settings(database_url=database_url, jwt_secret=SECRET, pool_min_size=1, pool_max_size=4)
    async with (
        running_app(replace(settings, compiled_reads=True), clock) as compiled,
        running_app(replace(settings, compiled_reads=False), clock) as standard,
    ):
        yield compiled, standard


@pytest.fixture(scope="package")
async def pair(apps: tuple[Server, Server]) -> AsyncIterator[Pair]:
    compiled, standard = apps
    async with (
        httpx.AsyncClient(base_url=compiled.url, timeout=60) as compiled_client,
        httpx.AsyncClient(base_url=standard.url, timeout=60) as standard_client,
    ):
        yield Pair(compiled=compiled_client, standard=standard_client)


@pytest.fixture(scope="package")
async def data_set(apps: tuple[Server, Server], pair: Pair, database_url: str) -> DataSet:
    _, standard = apps
    return await build_data_set(Api(http=pair.standard, server_token=standard.token), standard.clock, database_url)


@pytest.fixture(autouse=True)
def no_statement_fails(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """A statement PostgreSQL refuses is logged and the standard path answers instead, so the
    answers still match and a planner bug would pass unseen: here none may fail (ADR 021)."""
    with caplog.at_level(logging.ERROR, logger=EXECUTOR_LOG):
        yield
    failed = [record for record in caplog.get_records("call") if record.name == EXECUTOR_LOG]
    assert not failed, f"{failed[0].getMessage()}: {failed[0].exc_info[1] if failed[0].exc_info else ''}"


EXECUTOR_LOG = "schema.compiled.executor"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = TALLY.lines()
    if lines:
        terminalreporter.section("compiled read path: share of requests the compiled app answered compiled")
        for line in lines:
            terminalreporter.write_line(line)
