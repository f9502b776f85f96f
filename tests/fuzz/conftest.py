"""The fuzz's own app and database: hostile requests must not disturb the rest of the suite.

The app is the real one served by uvicorn over real HTTP, on a database of its own
(``<database>_fuzz``, created for this package and dropped after it) so that whatever
the generated operations do (create parties, release payments, publish yields) stays
out of the other tests' data. Its rate limit is high: the fuzz is about input, and a
429 would only hide a request's answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import httpx
import pytest

from gateway.auth import issue_token
from gateway.settings import Settings
from services.kernel.clock import Clock
from services.kernel.principal import Principal, Role
from tests.conftest import SECRET, START, Server, running_app
from tests.fuzz.volleys import TALLY, Roles
from tests.support import Api, other_database


@pytest.fixture(scope="package")
async def fuzz_server(database_url: str) -> AsyncIterator[Server]:
    async with other_database(database_url, "fingraph_fuzz") as url:
        settings = Settings(database_url=url, jwt_secret=SECRET, pool_min_size=2, pool_max_size=20,
                            rate_limit="1000000/second")
        async with running_app(settings, Clock(START)) as running:
            yield running


@dataclass
class Fuzz:
    http: httpx.AsyncClient
    roles: Roles
    ledger: asyncpg.Pool


@pytest.fixture(scope="package")
async def fuzz(fuzz_server: Server) -> AsyncIterator[Fuzz]:
    limits = httpx.Limits(max_connections=40, max_keepalive_connections=40)
    async with httpx.AsyncClient(base_url=fuzz_server.url, timeout=60, limits=limits) as client:
        roles = await _roles(Api(http=client, server_token=fuzz_server.token), fuzz_server)
        assert fuzz_server.settings.database_url is not None
        pool = await asyncpg.create_pool(fuzz_server.settings.database_url, min_size=1, max_size=2)
        try:
            yield Fuzz(http=client, roles=roles, ledger=pool)
        finally:
            await pool.close()


async def _roles(api: Api, server: Server) -> Roles:
    """A consumer with money, a merchant with a held payment, a partner it granted, an operator."""
    buyer = await api.consumer(balance="1000.00")
    merchant = await api.merchant()
    payment = await api.pay(buyer, merchant, "10.00")
    created = await api.gql('mutation { createPartner(input: {name: "ERP Cloud"}) { partner { id } } }', api.operator)
    partner_id = created["createPartner"]["partner"]["id"]
    scopes = ["payments:read", "credit:read", "funds:read"]
    await api.gql("mutation($p: ID!, $s: [String!]!) { grantPartnerAccess(input: {partnerId: $p, scopes: $s})"
                  " { userErrors { code } } }", merchant.token, p=partner_id, s=scopes)
    partner = Principal(Role.PARTNER, partner_id=int(partner_id.split("_")[1]), scopes=frozenset(scopes))
    return Roles(
        tokens={
            "anonymous": None,
            "consumer": buyer.token,
            "merchant": merchant.token,
            "partner": issue_token(partner, secret=SECRET, now=server.clock.now(), ttl=timedelta(days=1)),
            "operator": api.operator,
        },
        ids=[buyer.id, merchant.id, payment["payment"]["id"], partner_id],
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = TALLY.lines()
    if lines:
        terminalreporter.section("fuzz: requests per role and HTTP status")
        for line in lines:
            terminalreporter.write_line(line)
