"""A small graphql-transport-ws client over ``websockets``, for tests that need exact control
(many subscribes at once, the ``error`` message's payload) beyond what graphql-ws prints."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

#: Messages that end an operation.
FINAL = frozenset({"complete", "error"})


class TransportWs:
    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._ids = 0

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(cls, base_url: str, token: str | None = None) -> AsyncIterator[TransportWs]:
        url = base_url.replace("http://", "ws://") + "/graphql"
        async with connect(url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
            payload = {"Authorization": f"Bearer {token}"} if token else {}
            await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
            ack = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
            assert ack["type"] == "connection_ack", ack
            yield cls(socket)

    async def subscribe(
        self, query: str | None, *, variables: dict[str, Any] | None = None, extensions: dict[str, Any] | None = None
    ) -> str:
        self._ids += 1
        operation_id = str(self._ids)
        payload: dict[str, Any] = {"variables": variables or {}}
        if query is not None:
            payload["query"] = query
        if extensions is not None:
            payload["extensions"] = extensions
        await self.socket.send(json.dumps({"id": operation_id, "type": "subscribe", "payload": payload}))
        return operation_id

    async def _receive(self, timeout: float) -> bool:
        try:
            raw = await asyncio.wait_for(self.socket.recv(), timeout=timeout)
        except TimeoutError:
            return False
        message = json.loads(raw)
        if message.get("type") == "ping":
            await self.socket.send(json.dumps({"type": "pong"}))
        elif "id" in message:
            self.messages[message["id"]].append(message)
        return True

    async def final(self, operation_id: str, *, timeout: float = 10) -> dict[str, Any]:
        """The message that ended the operation (``complete`` or ``error``)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not any(m["type"] in FINAL for m in self.messages[operation_id]):
            left = deadline - loop.time()
            if left <= 0 or not await self._receive(left):
                raise AssertionError(f"operation {operation_id} did not end in {timeout}s: {self.messages[operation_id]}")
        return next(m for m in self.messages[operation_id] if m["type"] in FINAL)

    async def answer(self, query: str, *, timeout: float = 10, **variables: Any) -> dict[str, Any]:
        """One query or mutation over the socket: its ``next`` payload, or the ``error`` message."""
        operation_id = await self.subscribe(query, variables=variables)
        end = await self.final(operation_id, timeout=timeout)
        nexts = [m for m in self.messages[operation_id] if m["type"] == "next"]
        return nexts[0]["payload"] if end["type"] == "complete" and nexts else end

    async def quiet_for(self, operation_id: str, seconds: float) -> bool:
        """Whether the operation stays open with no message for ``seconds``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (left := deadline - loop.time()) > 0:
            await self._receive(left)
        return not self.messages[operation_id]


def codes(message: dict[str, Any]) -> list[str]:
    """The ``extensions.code`` of each error in a ``next`` payload or an ``error`` message."""
    errors = message.get("payload") if message.get("type") == "error" else message.get("errors")
    return [error.get("extensions", {}).get("code") for error in errors or []]
