"""While the database is away: 503 with a GraphQL error and Retry-After, never a 500.

A database restart (or a crash, or a failover) breaks the pool's connections; asyncpg's
pool replaces a closed connection at its next acquire, so the gateway comes back by
itself once the server answers again. Meanwhile a request that needed the database is
answered ``503 {"errors": [{"message": "database unavailable ...", "extensions":
{"code": "SERVICE_UNAVAILABLE"}}]}`` with ``Retry-After``, whichever way it failed:

- raised straight out of the view (the compiled read path, a partner's grants, a
  persisted document): caught by ``DatabaseAvailabilityMiddleware``;
- inside a resolver, where Strawberry turns it into a field error: the
  ``DatabaseAvailability`` extension marks the request, and the middleware answers
  503 in place of the 200 the view was about to send.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import asyncpg
import orjson
from graphql import GraphQLError
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

log = logging.getLogger(__name__)

#: Seconds a client should wait before trying again (a restart takes a few).
RETRY_AFTER_SECONDS = 2
#: Key in the ASGI scope's state (Starlette's ``request.state``) marking the request.
_MARK = "database_unavailable"

_UNAVAILABLE = (
    ConnectionError,  # refused or reset: the server is down or restarting
    asyncpg.PostgresConnectionError,  # the connection broke mid-operation
    asyncpg.CannotConnectNowError,  # starting up or shutting down
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)
BODY = orjson.dumps({"errors": [{
    "message": "database unavailable: try again shortly",
    "extensions": {"code": "SERVICE_UNAVAILABLE"},
}]})


def is_database_unavailable(error: BaseException | None) -> bool:
    """True if ``error`` (or what caused it) says the database cannot be reached now."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, _UNAVAILABLE):
            return True
        # The pool hands out a connection asyncpg has already seen close.
        if isinstance(error, asyncpg.InterfaceError) and "connection is closed" in str(error):
            return True
        if isinstance(error, GraphQLError):
            error = error.original_error
        else:
            error = error.__cause__ or error.__context__
        seen += 1
    return False


class DatabaseAvailability(SchemaExtension):
    """Marks the request when a field failed because the database is away (see the module)."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        if any(is_database_unavailable(error) for error in result.errors):
            request = getattr(self.execution_context.context, "request", None)
            scope_state = getattr(request, "scope", {}).get("state")
            if isinstance(scope_state, dict):
                scope_state[_MARK] = True


class DatabaseAvailabilityMiddleware:
    """Answers 503 (see the module) for HTTP requests that failed for want of the database."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = replaced = False

        async def send_unless_unavailable(message: Message) -> None:
            nonlocal started, replaced
            if message["type"] == "http.response.start":
                started = True
                if scope.get("state", {}).get(_MARK):
                    replaced = True
                    await _send_unavailable(send)
                    return
            if not replaced:
                await send(message)

        try:
            await self.app(scope, receive, send_unless_unavailable)
        except Exception as exc:
            if started or not is_database_unavailable(exc):
                raise
            log.warning("database unavailable for %s: %s", scope.get("path"), exc)
            await _send_unavailable(send)


async def _send_unavailable(send: Send) -> None:
    await send({
        "type": "http.response.start",
        "status": 503,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(BODY)).encode()),
            (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
        ],
    })
    await send({"type": "http.response.body", "body": BODY})
