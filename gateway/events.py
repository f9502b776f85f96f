"""Live events: one poller per gateway process reads the services' outboxes, fanned out to subscribers.

Services write an event row in the transaction that makes the change (for payments,
``payments.payment_events``), so an event exists exactly when the change committed,
and every gateway process on the database reads it: a payment made through one
process reaches a subscriber connected to another. There is no NOTIFY: it serialised
the commits of every payment (docs/adr/011-write-path.md). The poller runs only while
someone subscribes, every ``poll_interval`` seconds, on its own connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from gateway import db
from schema.operations import payments

log = logging.getLogger(__name__)

#: Events a slow subscriber may fall behind by before it is dropped (it must resubscribe).
QUEUE_SIZE = 1_000
#: How often a process with subscribers looks for new events (the delivery delay, at most).
POLL_INTERVAL = 0.05
#: Events are kept this long (the outbox's rule: ``paymentEvents(after:)`` replays as far back),
#: then purged by whichever process polls.
RETENTION = payments.PAYMENT_EVENTS_RETENTION
_PURGE_EVERY = 600.0


@dataclass(frozen=True, slots=True)
class Outbox:
    """How to read one channel's events: where a new reader starts (a cursor), and what came after one."""

    start: Callable[[asyncpg.Connection], Awaitable[Any]]
    after: Callable[[asyncpg.Connection, Any], Awaitable[tuple[Any, list[str]]]]
    purge: Callable[[asyncpg.Connection], Awaitable[int]]


#: Every channel a subscription may listen on.
OUTBOXES: Mapping[str, Outbox] = {
    payments.PAYMENT_EVENTS_CHANNEL: Outbox(
        start=payments.payment_events_cursor,
        after=payments.payment_events_after,
        purge=functools.partial(payments.purge_payment_events, older_than=RETENTION),
    ),
}


class EventHub:
    def __init__(
        self, dsn: str, *, poll_interval: float = POLL_INTERVAL, outboxes: Mapping[str, Outbox] = OUTBOXES
    ) -> None:
        self._dsn = dsn
        self._poll_interval = poll_interval
        self._outboxes = outboxes
        self._conn: Any = None
        self._subscribers: dict[str, set[asyncio.Queue[str | None]]] = defaultdict(set)
        #: Per channel with subscribers: the outbox's cursor, up to which every event has been delivered.
        self._cursors: dict[str, Any] = {}
        self._lock = asyncio.Lock()
        self._poller: asyncio.Task[None] | None = None
        self._next_purge = 0.0

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            self._conn = await db.connect(self._dsn)
        conn: asyncpg.Connection = self._conn
        return conn

    async def _start(self, channel: str) -> None:
        async with self._lock:
            if channel not in self._cursors:
                self._cursors[channel] = await self._outboxes[channel].start(await self._connection())
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll(), name="event-hub-poller")

    async def _poll(self) -> None:
        try:
            while any(self._subscribers.values()):
                await self._deliver()
                await asyncio.sleep(self._poll_interval)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("reading events failed (%s); closing every subscription", exc)
            self._end_all()

    async def _deliver(self) -> None:
        async with self._lock:
            conn = await self._connection()
            for channel, cursor in list(self._cursors.items()):
                next_cursor, payloads = await self._outboxes[channel].after(conn, cursor)
                if channel in self._cursors:  # its last subscriber may have left meanwhile
                    self._cursors[channel] = next_cursor
                    for payload in payloads:
                        self._fan_out(channel, payload)
            if time.monotonic() >= self._next_purge:
                self._next_purge = time.monotonic() + _PURGE_EVERY
                for outbox in self._outboxes.values():
                    await outbox.purge(conn)

    def _fan_out(self, channel: str, payload: str) -> None:
        for queue in list(self._subscribers.get(channel, ())):
            try:
                queue.put_nowait(payload)
            except asyncio.QueueFull:
                log.warning("subscriber on %s fell %d events behind; closing it", channel, QUEUE_SIZE)
                self._subscribers[channel].discard(queue)
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(None)

    def _end_all(self) -> None:
        # The database went away: end every subscription so clients reconnect.
        for queues in self._subscribers.values():
            for queue in queues:
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(None)
        self._subscribers.clear()
        self._cursors.clear()
        if self._conn is not None:
            self._conn.terminate()
            self._conn = None

    @contextlib.asynccontextmanager
    async def listen(self, channel: str) -> AsyncIterator[asyncio.Queue[str | None]]:
        """A queue of the channel's events from now on; ``None`` means the stream ended."""
        if channel not in self._outboxes:
            raise LookupError(f"no outbox feeds the channel {channel!r}")
        queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._subscribers[channel].add(queue)
        try:
            await self._start(channel)
            yield queue
        finally:
            self._subscribers[channel].discard(queue)
            if not self._subscribers[channel]:
                self._cursors.pop(channel, None)  # a later subscriber starts from its own "now"

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()
