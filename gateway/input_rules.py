"""Input no operation may carry, refused before anything runs (ADR 016).

A NUL character (U+0000) in a string cannot be stored by PostgreSQL (``text`` refuses
it) and has no use in this API. Refused up front, it is a clear ``BAD_USER_INPUT``
request error; let through, it would be an ``INTERNAL_SERVER_ERROR`` from the first
statement that binds it. Two doors, for every transport (HTTP, batches, WebSocket):

- the document: :class:`NoNulInStringLiterals`, a validation rule (cached with the
  document's validation, so it costs nothing on a repeated document);
- the variables: :class:`RefuseUnreadableInput`, an extension that checks them before
  execution. The HTTP reader (``gateway.request_body``) already refuses them before
  the compiled path could see them; this is the door for the other transports.

The same extension refuses, once per document, a number literal no one could mean: a
5,000-digit one made Python's own int-conversion error the client's message.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from graphql import (
    DocumentNode,
    FloatValueNode,
    GraphQLError,
    IntValueNode,
    StringValueNode,
    ValidationRule,
    Visitor,
    visit,
)
from strawberry.extensions import SchemaExtension

from gateway.request_body import BAD_USER_INPUT, NUL, nul_message, nul_path

#: Characters a number literal may have: more than any Int (10 digits) or Float needs, far
#: below the 4,300 digits past which Python refuses to read an int.
MAX_NUMBER_LITERAL = 40


class NoNulInStringLiterals(ValidationRule):
    """A string literal in the document holding a NUL character is a validation error."""

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        if NUL in node.value:
            self.report_error(
                GraphQLError(
                    "String literal contains a NUL character (U+0000), which no input accepts",
                    nodes=node, extensions={"code": BAD_USER_INPUT},
                )
            )


class RefuseUnreadableInput(SchemaExtension):
    """Refuses, as a request error, an operation carrying input no resolver could read.

    Listed after ``ValidationCache``, which validates in its own hook: an oversized
    number's error then replaces validation's (whose message would quote Python).
    """

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.query is not None:
            oversized = _oversized_number(context.query, document)
            if oversized is not None:
                context.pre_execution_errors = [oversized]
        if not context.pre_execution_errors and context.variables:
            path = nul_path(context.variables)
            if path is not None:
                context.pre_execution_errors = [
                    GraphQLError(nul_message(path), extensions={"code": BAD_USER_INPUT})
                ]
        yield


class _NumberLiterals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.oversized: GraphQLError | None = None

    def enter_int_value(self, node: IntValueNode, *_args: Any) -> None:
        self._check(node, "Int")

    def enter_float_value(self, node: FloatValueNode, *_args: Any) -> None:
        self._check(node, "Float")

    def _check(self, node: IntValueNode | FloatValueNode, kind: str) -> None:
        if self.oversized is None and len(node.value) > MAX_NUMBER_LITERAL:
            self.oversized = GraphQLError(
                f"{kind} literal of {len(node.value)} characters: at most {MAX_NUMBER_LITERAL} are read",
                nodes=node, extensions={"code": BAD_USER_INPUT},
            )


#: Per query text, what its document's numbers gave: the same text parses the same way.
#: Keyed by the text, not the document: hashing a DocumentNode walks the whole tree.
_CHECKED: OrderedDict[str, GraphQLError | None] = OrderedDict()
_CHECKED_SIZE = 1_000


def _oversized_number(query: str, document: DocumentNode) -> GraphQLError | None:
    if query in _CHECKED:
        return _CHECKED[query]
    numbers = _NumberLiterals()
    visit(document, numbers)
    _CHECKED[query] = numbers.oversized
    if len(_CHECKED) > _CHECKED_SIZE:
        _CHECKED.popitem(last=False)
    return numbers.oversized


__all__ = ["MAX_NUMBER_LITERAL", "NoNulInStringLiterals", "RefuseUnreadableInput"]
