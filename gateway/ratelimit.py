"""Rate limit per principal (or per client address when anonymous), counted per operation.

Every GraphQL operation is one hit, whatever carries it: a single POST or GET, each item
of a batch, each graphql-transport-ws ``subscribe`` (the guard pipeline, gateway/guards.py,
takes the hit). A request to /graphql that never reaches an operation (an unparseable
body, a method we refuse) still costs one hit, taken by ``RateLimitMiddleware`` after it
was answered, so malformed requests cannot flood for free; and a request whose budget is
already spent is answered 429 by the middleware before its body is read. Opening a
WebSocket is one hit too, and a failed sign-in (gateway/middleware.py) one hit of the
client address's budget.

Counters live in a ``limits`` storage. The default is this process's memory (the
embedded, one-process case): with N gateway processes a principal would get N times the
limit. ``FINGRAPH_REDIS_URL`` puts the counters in Redis instead (``limits``' own Redis
storage over the ``redis`` client), shared by every gateway process on every host, at the
price of one Redis round trip per hit (docs/adr/027-scale-out.md).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from services.kernel.principal import Principal

#: Set in the request's scope state once an operation of the request took its hit.
COUNTED = "operations_counted"


class SweepingMemoryStorage(MemoryStorage):
    """``limits``' in-memory storage, sweeping expired counters at most once per ``sweep_every`` seconds.

    Upstream schedules a sweep of every key after each hit, so a request costs O(principals
    seen in the window): 0.15 ms per request with a thousand buyers, measured. Reads expire
    a counter themselves (``get`` drops it once past its expiry), so the sweep only frees
    memory, and once a second is enough for that.
    """

    def __init__(self, sweep_every: float = 1.0) -> None:
        super().__init__()
        self.sweep_every = sweep_every
        self.next_sweep = 0.0

    async def _MemoryStorage__schedule_expiry(self) -> None:  # upstream's private hook, name-mangled
        now = time.monotonic()
        if now >= self.next_sweep:
            self.next_sweep = now + self.sweep_every
            await super()._MemoryStorage__schedule_expiry()  # type: ignore[misc]


def counter_storage(redis_url: str | None) -> Storage:
    """Where the counters live: Redis when a URL is given (shared by every gateway), else this process.

    ``redis_url`` is a plain ``redis://`` (or ``rediss://``, ``redis+unix://``) URL as every
    Redis tool writes it; ``limits`` spells its asyncio flavour ``async+redis://``.
    """
    if redis_url is None:
        return SweepingMemoryStorage()
    uri = redis_url if redis_url.startswith("async+") else f"async+{redis_url}"
    return RedisStorage(uri, implementation="redispy", key_prefix="fingraph")


@dataclass(frozen=True, slots=True)
class OverLimit:
    """A refused hit: the limit it ran into and when to try again."""

    rate: RateLimitItem
    retry_after: int


def client_address(conn: HTTPConnection) -> str | None:
    """The peer's address of a request or socket, whose budget an anonymous operation spends."""
    return conn.client.host if conn.client else None


def client_key(principal: Principal | None, client_address: str | None) -> str:
    """Whose budget an operation spends: the principal's, else the client address's."""
    return principal.key if principal is not None else f"anonymous:{client_address or '-'}"


class OperationRateLimit:
    """One budget of ``rate`` operations per key (``limits`` notation, e.g. ``5/second``)."""

    def __init__(self, rate: str, *, storage: Storage | None = None) -> None:
        self.rate = parse(rate)
        # Sliding-window counter: O(1) per hit (a moving window keeps every hit, costly at 1000/s).
        self.limiter = SlidingWindowCounterRateLimiter(storage if storage is not None else SweepingMemoryStorage())

    async def hit(self, key: str) -> OverLimit | None:
        """Spend one operation of ``key``'s budget; ``OverLimit`` when it is spent already."""
        if await self.limiter.hit(self.rate, key):
            return None
        return await self._over_limit(key)

    async def spent(self, key: str) -> OverLimit | None:
        """``OverLimit`` if ``key`` has no operation left right now; spends nothing."""
        if await self.limiter.test(self.rate, key):
            return None
        return await self._over_limit(key)

    async def _over_limit(self, key: str) -> OverLimit:
        stats = await self.limiter.get_window_stats(self.rate, key)
        return OverLimit(self.rate, retry_after=max(1, math.ceil(stats.reset_time - time.time())))


def too_many_requests(over: OverLimit) -> JSONResponse:
    """The answer to a request whose every operation would be refused by the rate limit."""
    return JSONResponse(
        {"errors": [{"message": f"Rate limit {over.rate} exceeded",
                     "extensions": {"code": "RATE_LIMITED", "retryAfter": over.retry_after}}]},
        status_code=429,
        headers={"Retry-After": str(over.retry_after)},
    )


class RateLimitMiddleware:
    """Refuses a request (any path) whose budget is spent before reading its body (429), and
    counts once a request that reached no operation (the operations count themselves)."""

    def __init__(self, app: ASGIApp, *, limit: OperationRateLimit) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Every path, not only /graphql: /healthz reads the database on each call, and
        # unknown paths are where scanners knock.
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        key = client_key(getattr(scope.get("user"), "principal", None), client_address(HTTPConnection(scope)))
        if scope["type"] == "websocket":
            # Opening a socket is one hit (its subscribes count themselves): sockets that
            # never subscribe cannot be opened for free, by the thousand.
            if (over := await self.limit.hit(key)) is not None:
                await _refuse_socket(scope, receive, send, over)
                return
            await self.app(scope, receive, send)
            return
        # A flood over its budget costs a counter read, not a body parse.
        if (over := await self.limit.spent(key)) is not None:
            await too_many_requests(over)(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        try:
            await self.app(scope, receive, send)
        finally:
            if not state.get(COUNTED):
                await self.limit.hit(key)


async def _refuse_socket(scope: Scope, receive: Receive, send: Send, over: OverLimit) -> None:
    """The handshake refused: a 429 with the GraphQL error where the server can send one, else a close."""
    if "websocket.http.response" in scope.get("extensions", {}):
        await too_many_requests(over)(scope, receive, send)
    else:
        await send({"type": "websocket.close", "code": 1008, "reason": f"Rate limit {over.rate} exceeded"})
