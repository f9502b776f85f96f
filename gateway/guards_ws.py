"""graphql-transport-ws with the guard pipeline: each ``subscribe`` is admitted like an HTTP operation.

Strawberry's handler runs every operation of a socket with the connection's context. Here
each operation gets its own context (``RequestContext.for_operation``), passes
``GuardPipeline.admit`` before it runs (a refusal is the protocol's ``error`` message with
the GraphQL error and its ``extensions.code``), and, while it streams, is held to the
pipeline's ``recheck`` before each event and every ``subscription_recheck_seconds``: a
subscription whose token expired or whose partner lost a grant ends with an ``error``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from typing import Any

# _OperationStreamClosed: upstream's signal that an operation closed the socket (strawberry pinned).
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import Operation, _OperationStreamClosed
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.utils.aio import aclosing

from gateway.context import RequestContext
from gateway.guards import GuardPipeline, Refused
from gateway.ratelimit import client_address, client_key
from gateway.request_errors import BAD_USER_INPUT, PARSE_FAILED, code_errors
from gateway.ws_input import StrictTransportWSHandler

log = logging.getLogger(__name__)
#: Bytes of a WebSocket close frame's reason (RFC 6455: 125 in the frame, 2 for the code).
MAX_CLOSE_REASON = 123


class OpenOperations:
    """Live WebSocket operations per principal in this process, capped across its sockets.

    A socket holds at most 100 (Strawberry's cap) and opening sockets is rate limited, but
    nothing bounded what one principal held open across sockets: each is a queue and a
    recheck task for as long as the client likes.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: Counter[str] = Counter()

    def take(self, key: str) -> None:
        if self._open[key] >= self.limit:
            raise Refused(f"At most {self.limit} open subscriptions at a time: complete one first",
                          "TOO_MANY_SUBSCRIPTIONS")
        self._open[key] += 1

    def give_back(self, key: str) -> None:
        self._open[key] -= 1
        if self._open[key] <= 0:
            del self._open[key]


class GuardedTransportWSHandler(StrictTransportWSHandler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: ``extensions`` of each pending subscribe (persisted queries), which Operation does not keep.
        self._extensions: dict[str, dict[str, Any] | None] = {}

    @property
    def _app_state(self) -> Any:
        return self.context.request.app.state

    @property
    def _guards(self) -> GuardPipeline:
        guards: GuardPipeline = self._app_state.guards
        return guards

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        # Upstream's per-socket cap answers with a bare message; the same refusal, with a code.
        limit = self.max_subscriptions_per_connection
        if (self.connection_acknowledged and message["id"] not in self.operations and limit is not None
                and len(self.operations) >= limit):
            error = GraphQLError(f"At most {limit} operations at a time on one socket: complete one first",
                                 extensions={"code": "TOO_MANY_SUBSCRIPTIONS"})
            await self.send_message({"id": message["id"], "type": "error", "payload": [error.formatted]})
            return
        payload: Any = message.get("payload")
        if isinstance(payload, dict):
            extensions = payload.get("extensions")
            self._extensions[message["id"]] = extensions if isinstance(extensions, dict) else None
            if "query" not in payload and self._extensions[message["id"]]:
                payload["query"] = None  # a persisted query sent by its hash alone
        await super().handle_subscribe(message)
        if message.get("id") not in self.operations:  # refused by the protocol (duplicate id, too many)
            self._extensions.pop(message.get("id"), None)

    async def run_operation(self, operation: Operation[RequestContext, None]) -> None:
        context = self.context.for_operation()
        extensions = self._extensions.pop(operation.id, None)
        # A malformed subscribe still spends its hit: it is admitted without a document, then refused.
        well_formed = isinstance(operation.variables, dict | None) and isinstance(operation.operation_name, str | None)
        given = operation.query if isinstance(operation.query, str) and well_formed else None
        address = client_address(self.context.request)
        holder = client_key(context.principal, address)
        open_operations: OpenOperations = self._app_state.open_operations
        try:
            query = await self._guards.admit(context, query=given, extensions=extensions, client_address=address)
            if query is None:
                raise Refused(
                    "subscribe needs a `query` string, `variables` an object and `operationName` a string",
                    "BAD_REQUEST",
                )
            open_operations.take(holder)
        except Refused as refused:
            await self._end(operation, refused)
            return
        try:
            await self._run_admitted(operation, context, query)
        finally:
            open_operations.give_back(holder)

    async def _run_admitted(
        self, operation: Operation[RequestContext, None], context: RequestContext, query: str
    ) -> None:
        watchdog = asyncio.create_task(self._watch(operation, context))
        try:
            result_source = await self.schema.stream(
                query,
                variable_values=operation.variables,
                context_value=context,
                root_value=self.root_value,
                operation_name=operation.operation_name,
            )
            async with aclosing(result_source):
                await self._send_guarded(operation, context, result_source)
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except _OperationStreamClosed:
            return
        except Refused as refused:
            await self._end(operation, refused)
        except Exception as error:
            await self.handle_task_exception(error)
            with contextlib.suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)
            raise
        finally:
            watchdog.cancel()

    async def _send_guarded(
        self, operation: Operation[RequestContext, None], context: RequestContext, results: Any
    ) -> None:
        """Upstream's ``_send_result_stream``, with the pipeline's recheck before every later event."""
        first = True
        async for result in results:
            if first and isinstance(result, PreExecutionError):
                # graphql-core's own refusals of a subscription (variable coercion) carry no code.
                code_errors(result.errors or [], syntax=PARSE_FAILED, variables=BAD_USER_INPUT)
                await self._handle_pre_execution_error(operation, result)
                return
            if not isinstance(result, ExecutionResult):
                await self._reject_incremental_delivery(operation)
                return
            if not first:
                await self._guards.recheck(context)
            await operation.send_next(result)
            first = False

    async def _watch(self, operation: Operation[RequestContext, None], context: RequestContext) -> None:
        """Ends the operation once it fails the recheck, even when no event comes."""
        interval = max(self._app_state.settings.subscription_recheck_seconds, 0.05)  # never a busy loop
        while True:
            # On the real clock, wake at the token's expiry rather than up to an interval after it.
            expires_at = context.principal.expires_at if context.principal is not None else None
            until_expiry = (expires_at - context.clock.now()).total_seconds() if expires_at is not None else interval
            await asyncio.sleep(min(interval, max(until_expiry, 0.01)))
            try:
                await self._guards.recheck(context)
            except Refused as refused:
                await self._end(operation, refused)
                if operation.task is not None:
                    operation.task.cancel()
                return
            except Exception:
                log.exception("rechecking subscription %s failed; checking again later", operation.id)

    @staticmethod
    def _get_pre_execution_close_reason(error: GraphQLError) -> str | None:
        # A document that does not parse is the operation's error (GRAPHQL_PARSE_FAILED), as
        # over HTTP and as a validation error is: the socket and its other operations stay.
        if isinstance(error, GraphQLSyntaxError):
            return None
        reason = StrictTransportWSHandler._get_pre_execution_close_reason(error)
        # The reason quotes the client's operationName: a close frame holds at most 123 bytes
        # (a longer one broke the close, the client saw 1006), and no invisible characters.
        return None if reason is None else reason.encode("ascii", "backslashreplace").decode()[:MAX_CLOSE_REASON]

    @staticmethod
    async def _end(operation: Operation[RequestContext, None], refused: Refused) -> None:
        # The protocol's `error` message ends the operation; the client already gone is no error of ours.
        with contextlib.suppress(Exception):
            await operation.send_initial_errors([refused.error])
