"""graphql-transport-ws messages held to the protocol's shapes before Strawberry reads them (ADR 016).

A message that is not what the protocol says (``[1]``, a null or string ``payload``,
numeric ``query``, array ``variables``) closes the socket with 4400 and a reason, as
the protocol asks, instead of crashing the handler with a ``TypeError``. The checks
are ``gateway.request_body``'s, the same as for an HTTP request.
"""

from __future__ import annotations

from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler

from gateway.request_body import message_problem


class StrictTransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    async def handle_message(self, message: Any) -> None:
        problem = message_problem(message)
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)


__all__ = ["StrictTransportWSHandler"]
