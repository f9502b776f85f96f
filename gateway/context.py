"""The per-request context every resolver sees as ``info.context``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import asyncpg
from aiodataloader import DataLoader

from gateway import idempotency, job_runs
from gateway.events import EventHub
from services.kernel.clock import Clock
from services.kernel.graph.context import GraphContext
from services.kernel.job_runs import JobRun
from services.kernel.principal import Principal
from services.kernel.sql_call import SqlCall

Loader = TypeVar("Loader", bound=DataLoader[Any, Any])
Result = TypeVar("Result")


@dataclass
class RequestContext:
    pool: asyncpg.Pool
    clock: Clock
    principal: Principal | None
    request_id: str
    platform_fee_bps: int = 0
    events: EventHub | None = None
    #: The HTTP request or WebSocket (headers for federated tracing: apollo-federation-include-trace).
    request: Any = field(default=None, repr=False)
    #: The graphql-transport-ws connection_init payload (WebSocket only).
    connection_params: dict[str, Any] | None = None
    #: For tokens sent in connection_init; never exposed to resolvers' output.
    token_secret: str = field(default="", repr=False)
    #: (merchant id, scope, field) a partner read in this request; see PartnerAccessLog.
    partner_reads: list[tuple[int, str, str]] = field(default_factory=list)
    #: The partner's grants as read for this request (or WS operation); see gateway/guards.py.
    grants_read: asyncio.Future[frozenset[tuple[int, str]]] | None = field(default=None, repr=False)
    _loaders: dict[Callable[..., Any], Any] = field(default_factory=dict)

    def for_operation(self) -> RequestContext:
        """A context of its own for one operation on a WebSocket: its own loaders (no answer
        cached by an earlier operation), partner reads and grants as of now."""
        return replace(self, partner_reads=[], grants_read=None, _loaders={})

    def record_partner_read(self, party_id: int, scope: str, what: str) -> None:
        self.partner_reads.append((party_id, scope, what))

    def listen(self, channel: str) -> AbstractAsyncContextManager[asyncio.Queue[str | None]]:
        if self.events is None:
            raise RuntimeError("live events are not available in this process")
        return self.events.listen(channel)

    def loader(self, factory: Callable[[GraphContext], Loader]) -> Loader:
        if factory not in self._loaders:
            self._loaders[factory] = factory(self)
        loader: Loader = self._loaders[factory]
        return loader

    async def scheduled_job_runs(self) -> dict[str, JobRun]:
        async with self.pool.acquire() as conn:
            return await job_runs.latest_runs(conn)

    async def idempotent(
        self,
        *,
        operation: str,
        key: str,
        request: Mapping[str, Any],
        effect: Callable[[asyncpg.Connection], Awaitable[Result]],
        result_type: type[Result],
    ) -> Result:
        return await idempotency.run_idempotent(
            self.pool, principal=self._key_owner, operation=operation, key=key, request=request, effect=effect,
            result_type=result_type,
        )

    async def idempotent_call(
        self, *, operation: str, key: str, request: Mapping[str, Any], call: SqlCall[Result]
    ) -> Result:
        return await idempotency.run_idempotent_call(
            self.pool, principal=self._key_owner, operation=operation, key=key, request=request, call=call
        )

    @property
    def _key_owner(self) -> str:
        """Whose idempotency keys these are: the principal's stable key."""
        return self.principal.key if self.principal is not None else "anonymous"
