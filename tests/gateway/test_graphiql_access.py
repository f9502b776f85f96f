"""GraphiQL and demo mode: a token is rendered into the page only in demo mode, only for loopback clients."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from gateway.app import create_app
from gateway.auth import principal_from_token
from gateway.settings import Settings
from services.kernel.clock import Clock
from services.kernel.principal import Role
from tests.conftest import SECRET, START, Server, running_app
from tests.support import free_port, wait_until_up

ROOT = Path(__file__).resolve().parents[2]
HTML = {"Accept": "text/html"}
#: Three base64url segments: anything that could be a JWT.
JWT = re.compile(r"[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")


def tokens_in(page: str) -> list[str]:
    return JWT.findall(page)


@pytest.fixture
def demo_settings(server: Server) -> Settings:
    """The session server's settings with a demo consumer named (con_1) and demo mode on."""
    return replace(server.settings, demo=True, demo_consumer="con_1", demo_merchant="mer_1")


async def page_from(settings: Settings, headers: dict[str, str] | None = None) -> httpx.Response:
    async with running_app(settings, Clock(START)) as app, httpx.AsyncClient(base_url=app.url) as http:
        return await http.get("/graphql", headers={**HTML, **(headers or {})})


async def test_without_demo_mode_the_page_holds_no_token(demo_settings: Settings) -> None:
    # given a server that knows a demo consumer but is not in demo mode
    settings = replace(demo_settings, demo=False)

    # when a browser on this very machine opens GraphiQL
    response = await page_from(settings)

    # then it gets the page, and no token in it
    assert response.status_code == 200 and "<html" in response.text
    assert tokens_in(response.text) == [] and "Bearer" not in response.text


async def test_demo_mode_prefills_a_token_for_a_loopback_client(demo_settings: Settings) -> None:
    # when a browser on this machine opens GraphiQL of a server in demo mode
    response = await page_from(demo_settings)

    # then the page holds one token, the demo consumer's
    found = tokens_in(response.text)
    assert len(found) == 1 and f"Bearer {found[0]}" in response.text
    principal = principal_from_token(found[0], secret=SECRET, now=START)
    assert (principal.role, principal.party_id) == (Role.CONSUMER, 1)


@pytest.mark.parametrize("header", [
    {"X-Forwarded-For": "203.0.113.7"},
    {"Forwarded": "for=203.0.113.7;proto=https"},
    {"X-Forwarded-For": "127.0.0.1"},  # a proxy on this machine forwards others' requests
    {"X-Real-IP": "203.0.113.7"},
])
async def test_demo_mode_gives_no_token_through_a_proxy(demo_settings: Settings, header: dict[str, str]) -> None:
    # when the request reaches the server in demo mode through a proxy on this machine
    response = await page_from(demo_settings, header)

    # then the page comes without a token
    assert response.status_code == 200 and "<html" in response.text
    assert tokens_in(response.text) == []


@pytest.fixture
async def remote_client(demo_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app in demo mode, called by a client whose address is not loopback."""
    app = create_app(demo_settings, clock=Clock(START))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=("203.0.113.7", 52000))
        async with httpx.AsyncClient(transport=transport, base_url="http://fingraph.example") as http:
            yield http


async def test_demo_mode_gives_no_token_to_another_machine(remote_client: httpx.AsyncClient) -> None:
    response = await remote_client.get("/graphql", headers=HTML)
    assert response.status_code == 200 and "<html" in response.text
    assert tokens_in(response.text) == []


async def test_graphiql_can_be_turned_off(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    # given FINGRAPH_GRAPHIQL=0 (and demo mode on, which must not bring the page back)
    monkeypatch.setenv("FINGRAPH_GRAPHIQL", "0")
    monkeypatch.setenv("FINGRAPH_DEMO", "1")
    settings = Settings.from_env(database_url=server.settings.database_url, jwt_secret=SECRET, demo_consumer="con_1")
    assert (settings.graphiql, settings.demo) == (False, True)

    # when a browser asks for /graphql
    response = await page_from(settings)

    # then it is answered as GraphQL over HTTP answers a GET without a query: no page
    assert response.status_code in (400, 405)
    assert not response.headers["content-type"].startswith("text/html")
    assert "<html" not in response.text and tokens_in(response.text) == []
    # and the static files are not served either
    async with running_app(settings, Clock(START)) as app, httpx.AsyncClient(base_url=app.url) as http:
        assert (await http.get("/graphiql/static/graphiql/graphiql.min.js")).status_code == 404


async def _serve_and_read(server: Server, *args: str) -> tuple[str, str]:
    """Run ``fingraph serve`` on the test database; returns (GraphiQL page, console output)."""
    port = free_port()
    env = dict(os.environ, DATABASE_URL=server.settings.database_url or "", FINGRAPH_JWT_SECRET=SECRET,
               FINGRAPH_NOW=START.isoformat(), PYTHONPATH=str(ROOT))
    env.pop("FINGRAPH_DEMO", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port), *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        await wait_until_up(f"http://127.0.0.1:{port}/healthz")
        async with httpx.AsyncClient() as http:
            page = (await http.get(f"http://127.0.0.1:{port}/graphql", headers=HTML)).text
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = await asyncio.to_thread(proc.communicate, timeout=60)
    return page, output


async def test_plain_serve_prints_no_token_and_serve_demo_does(server: Server) -> None:
    # when `fingraph serve` runs without --demo on a database with the demo parties' names or not
    page, output = await _serve_and_read(server)

    # then neither its console nor its GraphiQL page holds a token
    assert tokens_in(output) == [] and "demo tokens" not in output
    assert tokens_in(page) == []

    # when it runs with --demo
    page, output = await _serve_and_read(server, "--demo")

    # then it says so, prints the demo tokens, and GraphiQL prefills one for this machine
    assert "demo mode" in output and "demo tokens" in output and len(tokens_in(output)) >= 2
    assert len(tokens_in(page)) == 1
