"""Strawberry extensions of the gateway: error masking and operation metrics.

Query limits (depth, aliases, tokens) use Strawberry's own extensions; see ``app.py``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo
from strawberry.extensions import SchemaExtension
from strawberry.extensions.tracing.apollo_federation import ApolloFederationTracingExtension
from strawberry.extensions.tracing.utils import should_skip_tracing

from gateway import metrics
from schema import record_partner_reads

log = logging.getLogger("fingraph.errors")


def _is_unexpected(error: GraphQLError) -> bool:
    """A crash inside a resolver, as opposed to an error we raised on purpose."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError) and error.path is not None


class MaskUnexpectedErrors(SchemaExtension):
    """Replace unexpected errors by a message with the request id; log the real one."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        request_id = getattr(self.execution_context.context, "request_id", "-")
        masked: list[GraphQLError] = []
        for error in result.errors:
            if _is_unexpected(error):
                log.error(
                    "unexpected error in %s (request %s)", ".".join(map(str, error.path or [])), request_id,
                    exc_info=error.original_error,
                )
                error = GraphQLError(
                    f"Internal server error (request id {request_id})",
                    nodes=error.nodes, path=error.path,
                    extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
                )
            code = (error.extensions or {}).get("code", "GRAPHQL_ERROR")
            metrics.GRAPHQL_ERRORS.labels(code=str(code)).inc()
            masked.append(error)
        result.errors = masked


class OperationMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context
        try:
            operation_type = context.operation_type.value
        except RuntimeError:
            # No document to read it from (a syntax error, the token limit): still count the
            # request, and never let this hook replace the client's real error.
            operation_type = "unknown"
        outcome = "error" if context.result is not None and context.result.errors else "ok"
        metrics.graphql_operation(operation_type, outcome).inc()


class PartnerAccessLog(SchemaExtension):
    """Writes what a partner read in this operation to the merchants' access logs (one INSERT)."""

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        principal = getattr(context, "principal", None)
        reads = getattr(context, "partner_reads", None)
        if principal is None or not principal.is_partner or not reads:
            return
        recorded, context.partner_reads = list(reads), []
        await record_partner_reads(
            context.pool, partner_id=principal.partner_id, reads=recorded, request_id=context.request_id,
            now=context.clock.now(),
        )


class FederatedTracing(ApolloFederationTracingExtension):
    """Strawberry's ftv1 tracing, but free when no router asked for a trace.

    Its ``resolve`` hook is ``async``, which turns every field into an awaitable and
    triples the cost of a large page; here untraced requests call straight through.
    """

    def resolve(self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        if not self._should_trace or should_skip_tracing(_next, info):
            return _next(root, info, *args, **kwargs)
        return super().resolve(_next, root, info, *args, **kwargs)

    def _make_error(self, e: Exception, info: GraphQLResolveInfo[Any]) -> Any:
        # Any client may ask for a trace (the header is all it takes), and upstream writes
        # the raw exception's text into it: mask what MaskUnexpectedErrors masks in the answer.
        if not isinstance(e, GraphQLError):
            request_id = getattr(self.execution_context.context, "request_id", "-")
            e = GraphQLError(f"Internal server error (request id {request_id})")
        return super()._make_error(e, info)
