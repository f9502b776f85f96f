"""GraphiQL in a real browser without internet: the default settings load the local copy of its files,
the contract operations are preloaded, demo mode prefills the token, ConsumerHome runs."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from gateway import graphiql_assets
from services.kernel.clock import Clock
from tests.conftest import START, Server, running_app
from tests.node_peers import require_node_peers
from tests.support import Api

NODE_DIR = Path(__file__).parents[1] / "node"
ARTIFACTS = Path(__file__).parents[1] / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

pytestmark = [
    pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed"),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"Chromium is not installed at {CHROMIUM} (make test installs Debian's chromium where apt-get works)",
    ),
]


async def test_graphiql_runs_consumer_home_offline_with_the_default_settings(api: Api, server: Server) -> None:
    require_node_peers()
    if not graphiql_assets.complete(graphiql_assets.STATIC_DIR):
        pytest.fail(f"GraphiQL's files are not in {graphiql_assets.STATIC_DIR}: run make install", pytrace=False)
    consumer = await api.consumer("Li Lei", balance="1234.56")
    merchant = await api.merchant()
    await api.pay(consumer, merchant, "34.56")
    # The default asset settings (no FINGRAPH_GRAPHIQL_ASSETS), in demo mode.
    assert server.settings.graphiql_assets is None
    settings = replace(server.settings, demo=True, demo_consumer=consumer.id, demo_merchant=merchant.id)
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "graphiql-consumer-home.png"
    async with running_app(settings, Clock(START)) as browser_server:
        process = await asyncio.create_subprocess_exec(
            "node", str(NODE_DIR / "graphiql.mjs"), f"{browser_server.url}/graphql", str(screenshot),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    report = json.loads(out)
    assert report["problems"] == []
    assert report["offsite"] == []  # nothing asked of the CDN (which this browser cannot reach anyway)
    assert any("ConsumerHome" in tab for tab in report["tabs"]), report["tabs"]
    assert any("MerchantsPage" in tab for tab in report["tabs"]), report["tabs"]
    assert "Authorization" in report["headersText"] and "Bearer " in report["headersText"]
    result = json.loads(report["result"])
    home = result["data"]["me"]
    assert home["id"] == consumer.id and home["name"] == "Li Lei"
    assert home["wallet"]["balance"] == {"amount": "1200.00", "currency": "CNY"}
    assert home["payments"]["edges"][0]["node"]["merchant"]["id"] == merchant.id
    assert screenshot.stat().st_size > 10_000
