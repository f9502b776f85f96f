"""Running a Hypothesis state machine against the real server from an async test.

The machines (the ledger's, the goods flow's) drive real HTTP requests from Hypothesis'
own thread: each step hands its coroutine to the test's event loop and waits for it.
The server's clock is put back afterwards, since the machines move it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import asyncpg
import httpx
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

from tests.conftest import Server
from tests.support import Api

T = TypeVar("T")


async def run_on_server(
    machine: type[RuleBasedStateMachine], server: Server, http: httpx.AsyncClient, db: asyncpg.Pool,
    *, with_settings: settings,
) -> None:
    """Run ``machine`` (its ``api``, ``db``, ``clock`` and ``run`` bound to this server) as a test."""
    loop = asyncio.get_running_loop()

    def run(coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=120)

    bound = type(
        f"{machine.__name__}OnThisServer", (machine,),
        {"api": Api(http=http, server_token=server.token), "db": db, "clock": server.clock, "run": staticmethod(run)},
    )
    started = server.clock.now()
    try:
        await asyncio.to_thread(run_state_machine_as_test, bound, settings=with_settings)
    finally:
        server.clock.set(started)
