"""What a resolver may rely on in ``info.context``; the gateway provides it per request."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, TypeVar

import asyncpg
from aiodataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from services.kernel.clock import Clock
from services.kernel.job_runs import JobRun
from services.kernel.principal import Principal
from services.kernel.sql_call import SqlCall

Loader = TypeVar("Loader", bound=DataLoader[Any, Any])
Result = TypeVar("Result")


class GraphContext(Protocol):
    pool: asyncpg.Pool
    clock: Clock
    principal: Principal | None
    request_id: str
    #: The platform fee on escrow releases, in basis points (default 0).
    platform_fee_bps: int

    def record_partner_read(self, party_id: int, scope: str, what: str) -> None:
        """Note that a partner read ``what`` of this merchant (flushed to the access log)."""

    def listen(self, channel: str) -> AbstractAsyncContextManager[asyncio.Queue[str | None]]:
        """Payloads published on ``channel`` (written to the service's outbox) from now on; ``None`` ends the stream."""

    def loader(self, factory: Callable[[GraphContext], Loader]) -> Loader:
        """The request's one instance of a loader (built on first use)."""

    async def scheduled_job_runs(self) -> Mapping[str, JobRun]:
        """The latest recorded run of each scheduled job, by job name (the gateway keeps them)."""

    async def idempotent(
        self,
        *,
        operation: str,
        key: str,
        request: Mapping[str, Any],
        effect: Callable[[asyncpg.Connection], Awaitable[Result]],
        result_type: type[Result],
    ) -> Result:
        """Run ``effect`` in one transaction, at most once per (principal, key).

        The first call's result is stored with the key in the same transaction; a
        retry with the same request returns it, another request with the same key
        raises ``IDEMPOTENCY_KEY_REUSED``. A ``DomainError`` rolls everything back.
        """

    async def idempotent_call(
        self, *, operation: str, key: str, request: Mapping[str, Any], call: SqlCall[Result]
    ) -> Result:
        """``idempotent`` for an effect that is one SQL function call: key and effect in one statement."""


Info = StrawberryInfo[GraphContext, None]
