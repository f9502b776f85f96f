"""``paymentEvents`` over graphql-transport-ws with the real graphql-ws client, across two processes."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SECRET, START, Server
from tests.node_peers import require_node_peers
from tests.support import CONFIRM_RECEIPT, Api, free_port, new_key, wait_until_up

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")

NODE_DIR = Path(__file__).parents[1] / "node"


@pytest.fixture(autouse=True)
def _node_peers_installed() -> None:
    require_node_peers()  # a clear failure, not Node's import error, when `make node-peers` has not run


EVENTS = "subscription { paymentEvents { kind payment { id status amount { amount } } } }"


@pytest.fixture(scope="module")
async def second_process(database_url: str, server: Server) -> AsyncIterator[str]:
    """Another gateway process on the same database (uvicorn in a subprocess)."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "FINGRAPH_JWT_SECRET": SECRET, "FINGRAPH_NOW": START.isoformat()}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "gateway.app:app_from_env", "--factory", "--port", str(port),
         "--log-level", "warning"],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_until_up(f"{url}/healthz")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


async def _subscribe(url: str, token: str, count: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        "node", str(NODE_DIR / "subscribe.mjs"), url.replace("http", "ws") + "/graphql", token, str(count), EVENTS,
        stdout=asyncio.subprocess.PIPE,
    )


async def _next_line(client: asyncio.subprocess.Process, timeout: float) -> dict[str, Any] | None:
    assert client.stdout is not None
    try:
        line = await asyncio.wait_for(client.stdout.readline(), timeout=timeout)
    except TimeoutError:
        return None
    return json.loads(line) if line.strip() else None


async def _next_event(client: asyncio.subprocess.Process, timeout: float) -> dict[str, Any] | None:
    """The next ``paymentEvents`` payload, skipping protocol lines; None if nothing came in time."""
    while (line := await _next_line(client, timeout)) is not None:
        if line["type"] == "next":
            event: dict[str, Any] = line["payload"]["data"]["paymentEvents"]
            return event
    return None


async def _rest(client: asyncio.subprocess.Process) -> list[dict[str, Any]]:
    out, _ = await asyncio.wait_for(client.communicate(), timeout=40)
    return [json.loads(line) for line in out.decode().splitlines() if line.strip()]


async def test_merchant_hears_its_payments_made_through_another_process(api: Api, second_process: str) -> None:
    buyer = await api.consumer(balance="900.00")
    merchant, other = await api.merchant(), await api.merchant("Other Shop")
    client = await _subscribe(second_process, merchant.token, 2)
    assert await _next_line(client, 20) == {"type": "connected"}

    # The subscription starts listening a moment after the connection: pay until it hears.
    ours: list[str] = []
    first = None
    for _ in range(40):
        await api.pay(buyer, other, "1.00")  # not this merchant's: must never arrive
        ours.append((await api.pay(buyer, merchant, "10.00"))["payment"]["id"])
        if (first := await _next_event(client, 0.5)) is not None:
            break
    assert first is not None, "no event within 40 payments"
    assert first["kind"] == "CREATED" and first["payment"]["id"] in ours
    assert first["payment"]["status"] == "HELD" and first["payment"]["amount"] == {"amount": "10.00"}

    await api.gql(CONFIRM_RECEIPT, buyer.token, p=first["payment"]["id"], k=new_key())
    second = await _next_event(client, 20)
    while second is not None and second["kind"] == "CREATED":  # later payments of the loop may still arrive
        assert second["payment"]["id"] in ours
        second = await _next_event(client, 20)
    assert second == {
        "kind": "RELEASED", "payment": {"id": first["payment"]["id"], "status": "RELEASED", "amount": {"amount": "10.00"}}
    }
    rest = await _rest(client)
    assert {"type": "complete"} in rest
    assert client.returncode == 0


async def test_consumer_hears_only_its_own_payments(api: Api, second_process: str) -> None:
    buyer, stranger = await api.consumer(balance="90.00"), await api.consumer("Han Meimei", balance="90.00")
    merchant = await api.merchant()
    client = await _subscribe(second_process, buyer.token, 3)
    assert await _next_line(client, 20) == {"type": "connected"}
    mine: list[str] = []
    heard: list[dict[str, Any]] = []
    for _ in range(40):
        await api.pay(stranger, merchant, "1.00")
        mine.append((await api.pay(buyer, merchant, "1.00"))["payment"]["id"])
        while (event := await _next_event(client, 0.3)) is not None:
            heard.append(event)
        if len(heard) >= 3:
            break
    assert len(heard) == 3
    assert all(event["payment"]["id"] in mine for event in heard)
    await _rest(client)


async def test_subscription_without_a_token_is_unauthenticated(second_process: str) -> None:
    client = await _subscribe(second_process, "", 1)
    lines = await _rest(client)
    errors = [line for line in lines if line["type"] == "next"]
    assert errors and errors[0]["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_bad_token_is_rejected_at_connection_init(second_process: str) -> None:
    client = await _subscribe(second_process, "not-a-token", 1)
    lines = await _rest(client)
    assert {"type": "closed", "code": 4403, "reason": "Forbidden"} in lines
