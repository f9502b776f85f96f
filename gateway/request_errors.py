"""Request errors with a code, and one operation per request (ADR 014, third review).

A request error (the operation never ran) used to reach the client with a message
only: a client could not tell a typo in its document from a refused variable without
reading English. Each now carries ``extensions.code`` in Apollo's words, on every
transport (they all execute through the schema):

- ``GRAPHQL_PARSE_FAILED``: the document is not GraphQL (syntax, the token limit);
- ``GRAPHQL_VALIDATION_FAILED``: it is not valid against the schema (an error a
  limit already coded, ``QUERY_TOO_COMPLEX`` or ``BAD_USER_INPUT``, keeps its code);
- ``BAD_USER_INPUT``: a variable's value does not coerce to its type;
- ``OPERATION_RESOLUTION_FAILURE``: the request does not say which operation to run.

A document with several operations and no ``operationName`` ran its first one; the
spec's GetOperation refuses it, and so does :class:`OneOperationPerRequest`, naming the
operations. It is a request error like a validation error: 400 for
``application/graphql-response+json``, 200 for legacy JSON (ADR 009).

Codes are set on the errors in place: validation errors are cached per document, so a
repeated document carries the same (already coded) error objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from graphql import DocumentNode, GraphQLError, GraphQLSyntaxError, OperationDefinitionNode
from strawberry.extensions import ParserCache, SchemaExtension

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = "BAD_USER_INPUT"
OPERATION_RESOLUTION_FAILURE = "OPERATION_RESOLUTION_FAILURE"
_NAMES_SHOWN = 5


class RequestParserCache(ParserCache):
    """Strawberry's parser cache, whose syntax errors are request errors rather than crashes.

    Upstream parses inside the hook, so a syntax error escaped the parsing phase: over
    HTTP it lost every later hook (no code could be set), and over WebSocket it ended
    the operation with a bare ``complete``. Here a document that does not parse is left
    to Strawberry's own parse, which reports the error as the parsing phase's.
    """

    def on_parse(self) -> Iterator[None]:
        try:
            yield from super().on_parse()
        except GraphQLError:
            yield


def _coded(errors: Iterable[GraphQLError], code: str) -> None:
    for error in errors:
        if not (error.extensions or {}).get("code"):
            error.extensions = {**(error.extensions or {}), "code": code}


def code_errors(errors: Iterable[GraphQLError], *, syntax: str, variables: str) -> None:
    """Codes request errors that reach a transport without passing a hook (a subscription's)."""
    errors = [error for error in errors if error.path is None]
    _coded((e for e in errors if isinstance(e, GraphQLSyntaxError)), syntax)
    _coded((e for e in errors if e.message.startswith("Variable ")), variables)


def unnamed_choice(document: DocumentNode) -> GraphQLError | None:
    """The refusal of running ``document`` with no ``operationName``, if it holds several operations."""
    names = [
        definition.name.value if definition.name else "(anonymous)"
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    ]
    if len(names) < 2:  # one operation needs no name
        return None
    # The client's own names, echoed: a few are help, ten thousand of them a reflection.
    shown = ", ".join(names[:_NAMES_SHOWN]) + (", ..." if len(names) > _NAMES_SHOWN else "")
    return GraphQLError(
        f"The document holds {len(names)} operations ({shown}): say which one to run in `operationName`",
        extensions={"code": OPERATION_RESOLUTION_FAILURE},
    )


class OneOperationPerRequest(SchemaExtension):
    """Codes the request errors of each phase, and refuses a request naming no operation of several.

    Listed after every extension that validates or refuses in ``on_validate``
    (``ValidationCache``, the cost limit, ``RefuseUnreadableInput``): it sees their errors.
    """

    def on_parse(self) -> Iterator[None]:
        yield
        errors = self.execution_context.pre_execution_errors
        if errors and self.execution_context.graphql_document is None:
            _coded((e for e in errors if isinstance(e, GraphQLSyntaxError) or e.original_error is None), PARSE_FAILED)

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.pre_execution_errors:
            _coded(context.pre_execution_errors, VALIDATION_FAILED)
        # Not ``operation_name``: with none given, Strawberry answers the first operation's
        # name (which is how the first operation ran); only the given name tells.
        elif getattr(context, "_provided_operation_name", None) is None and context.graphql_document is not None:
            refusal = unnamed_choice(context.graphql_document)
            if refusal is not None:
                context.pre_execution_errors = [refusal]
        yield

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or result.data is not None or not result.errors:
            return
        # No data and no path: graphql-core refused the request while building its
        # execution (variable coercion), before any resolver ran.
        unplaced = [error for error in result.errors if error.path is None]
        code_errors(unplaced, syntax=PARSE_FAILED, variables=BAD_USER_INPUT)
        # graphql-core's own words for an operation it could not choose (kept as a backstop).
        _coded((e for e in unplaced if e.message.startswith(("Must provide operation", "Unknown operation"))),
               OPERATION_RESOLUTION_FAILURE)


__all__ = [
    "BAD_USER_INPUT", "OPERATION_RESOLUTION_FAILURE", "PARSE_FAILED", "VALIDATION_FAILED", "OneOperationPerRequest",
    "RequestParserCache", "code_errors", "unnamed_choice",
]
