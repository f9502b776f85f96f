"""A phone that loses its connection loses no payment event (issue 16, item 4): the real
graphql-ws client subscribes, disconnects, misses payments, resumes with ``after`` and
receives each missed event exactly once, in order, then the live ones."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.clients.peers import require_npm_clients
from tests.conftest import Server
from tests.node_peers import NODE_DIR
from tests.support import Api

#: As an app resumes (README): the cursor of the last event it received, or null the first time.
EVENTS = """subscription PaymentEvents($after: String) { paymentEvents(after: $after) {
  id cursor occurredAt kind payment { id status amount { amount } } } }"""


@pytest.fixture(autouse=True)
def _clients() -> None:
    require_npm_clients()


async def _subscribe(server: Server, token: str, count: int, after: str | None = None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        "node", str(NODE_DIR / "subscribe.mjs"), server.url.replace("http", "ws") + "/graphql", token, str(count),
        EVENTS, json.dumps({"after": after}), stdout=asyncio.subprocess.PIPE,
    )


async def _line(client: asyncio.subprocess.Process, timeout: float) -> dict[str, Any] | None:
    assert client.stdout is not None
    try:
        line = await asyncio.wait_for(client.stdout.readline(), timeout=timeout)
    except TimeoutError:
        return None
    return json.loads(line) if line.strip() else None


async def _event(client: asyncio.subprocess.Process, timeout: float) -> dict[str, Any] | None:
    while (line := await _line(client, timeout)) is not None:
        assert line["type"] != "error", line
        if line["type"] == "next":
            assert "errors" not in line["payload"], line
            event: dict[str, Any] = line["payload"]["data"]["paymentEvents"]
            return event
    return None


async def _finish(client: asyncio.subprocess.Process) -> None:
    await asyncio.wait_for(client.communicate(), timeout=40)
    assert client.returncode == 0


async def test_a_subscriber_that_reconnects_with_after_gets_each_missed_event_once_in_order(
    api: Api, server: Server
) -> None:
    buyer = await api.consumer(balance="900.00")
    merchant, other = await api.merchant(), await api.merchant("Other Shop")
    # given a merchant's app listening; it starts a moment after connecting: pay until it hears
    online = await _subscribe(server, merchant.token, 2)
    assert await _line(online, 20) == {"type": "connected"}
    ours: list[str] = []
    heard: list[dict[str, Any]] = []
    for _ in range(40):
        ours.append((await api.pay(buyer, merchant, "1.00"))["payment"]["id"])
        if (event := await _event(online, 0.5)) is not None:
            heard.append(event)
            break
    assert heard, "no event within 40 payments"
    ours.append((await api.pay(buyer, merchant, "2.00"))["payment"]["id"])
    second = await _event(online, 20)
    assert second is not None
    heard.append(second)
    await _finish(online)  # the app goes offline after two events
    last = heard[-1]
    assert last["id"].startswith("pev_") and last["occurredAt"]
    # when payments are made while it is away (and one to another merchant)
    for amount in ("3.00", "4.00", "5.00"):
        ours.append((await api.pay(buyer, merchant, amount))["payment"]["id"])
        await api.pay(buyer, other, "1.00")
    missed = ours[ours.index(last["payment"]["id"]) + 1:]
    assert len(missed) >= 3
    # and it reconnects with the cursor of the last event it received
    resumed = await _subscribe(server, merchant.token, len(missed) + 1, after=last["cursor"])
    assert await _line(resumed, 20) == {"type": "connected"}
    replayed = [await _event(resumed, 20) for _ in missed]
    # then it receives each missed event once, in order, then the live ones, none twice
    assert [e["payment"]["id"] if e else None for e in replayed] == missed
    assert all(e is not None and e["kind"] == "CREATED" for e in replayed)
    live = (await api.pay(buyer, merchant, "6.00"))["payment"]["id"]
    after_replay = await _event(resumed, 20)
    assert after_replay is not None and after_replay["payment"]["id"] == live
    ids = [e["id"] for e in [*heard, *replayed, after_replay] if e is not None]
    assert len(set(ids)) == len(ids)
    await _finish(resumed)
    # and resuming from a replayed event's cursor gives exactly what followed it
    middle = replayed[0]
    assert middle is not None
    again = await _subscribe(server, merchant.token, len(missed), after=middle["cursor"])
    assert await _line(again, 20) == {"type": "connected"}
    rest = [await _event(again, 20) for _ in range(len(missed))]
    assert [e["payment"]["id"] if e else None for e in rest] == [*missed[1:], live]
    await _finish(again)


async def test_a_cursor_that_is_not_one_is_a_clear_error(api: Api, server: Server) -> None:
    merchant = await api.merchant()
    client = await _subscribe(server, merchant.token, 1, after="not-a-cursor")
    lines = []
    while (line := await _line(client, 20)) is not None:
        lines.append(line)
    errors = [line for line in lines if line["type"] in ("next", "error")]
    assert errors, lines
    text = json.dumps(errors)
    assert "is not a cursor of a payment event" in text
