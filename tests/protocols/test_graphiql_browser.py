"""GraphiQL in a real browser: preloaded contract operations, the demo token prefilled, ConsumerHome runs."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from services.kernel.clock import Clock
from tests.conftest import START, Server, running_app
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


async def test_graphiql_runs_consumer_home_for_the_demo_consumer(api: Api, server: Server) -> None:
    consumer = await api.consumer("Li Lei", balance="1234.56")
    merchant = await api.merchant()
    await api.pay(consumer, merchant, "34.56")
    settings = replace(
        server.settings, demo_consumer=consumer.id, demo_merchant=merchant.id,
        graphiql_assets=NODE_DIR / "node_modules",
    )
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
    assert any("ConsumerHome" in tab for tab in report["tabs"]), report["tabs"]
    assert any("MerchantsPage" in tab for tab in report["tabs"]), report["tabs"]
    assert "Authorization" in report["headersText"] and "Bearer " in report["headersText"]
    result = json.loads(report["result"])
    home = result["data"]["me"]
    assert home["id"] == consumer.id and home["name"] == "Li Lei"
    assert home["wallet"]["balance"] == {"amount": "1200.00", "currency": "CNY"}
    assert home["payments"]["edges"][0]["node"]["merchant"]["id"] == merchant.id
    assert screenshot.stat().st_size > 10_000
