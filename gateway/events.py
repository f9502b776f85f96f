"""Live events: one LISTEN connection per gateway process, fanned out to subscribers.

Services publish with ``pg_notify`` inside their transaction, so an event is delivered
only if the change commits, and to every gateway process listening on the database:
a payment made through one process reaches a subscriber connected to another.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

log = logging.getLogger(__name__)

#: Events a slow subscriber may fall behind by before it is dropped (it must resubscribe).
QUEUE_SIZE = 1_000


class EventHub:
    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._conn: Any = None
        self._subscribers: dict[str, set[asyncio.Queue[str | None]]] = defaultdict(set)
        self._lock = asyncio.Lock()

    async def _ensure_listening(self, channel: str) -> None:
        async with self._lock:
            if self._conn is None or self._conn.is_closed():
                self._conn = await asyncpg.connect(self._dsn)
                self._conn.add_termination_listener(self._on_lost)
                for known in self._subscribers:
                    await self._conn.add_listener(known, self._on_notify)
            if channel not in self._conn._listeners:
                await self._conn.add_listener(channel, self._on_notify)

    def _on_notify(self, _conn: object, _pid: int, channel: str, payload: str) -> None:
        for queue in list(self._subscribers.get(channel, ())):
            try:
                queue.put_nowait(payload)
            except asyncio.QueueFull:
                log.warning("subscriber on %s fell %d events behind; closing it", channel, QUEUE_SIZE)
                self._subscribers[channel].discard(queue)
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(None)

    def _on_lost(self, _conn: object) -> None:
        # The database went away: end every subscription so clients reconnect.
        log.warning("LISTEN connection lost; closing %d subscriptions", sum(map(len, self._subscribers.values())))
        for queues in self._subscribers.values():
            for queue in queues:
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(None)
        self._subscribers.clear()

    @contextlib.asynccontextmanager
    async def listen(self, channel: str) -> AsyncIterator[asyncio.Queue[str | None]]:
        """A queue of the channel's payloads; ``None`` means the stream ended."""
        queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._subscribers[channel].add(queue)
        try:
            await self._ensure_listening(channel)
            yield queue
        finally:
            self._subscribers[channel].discard(queue)

    async def close(self) -> None:
        if self._conn is not None and not self._conn.is_closed():
            self._conn.remove_termination_listener(self._on_lost)
            await self._conn.close()
