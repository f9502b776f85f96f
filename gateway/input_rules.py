"""Input no operation may carry, refused before anything runs (ADR 016).

A NUL character (U+0000) in a string cannot be stored by PostgreSQL (``text`` refuses
it) and has no use in this API. Refused up front, it is a clear ``BAD_USER_INPUT``
request error; let through, it would be an ``INTERNAL_SERVER_ERROR`` from the first
statement that binds it. Two doors, for every transport (HTTP, batches, WebSocket):

- the document: :class:`NoNulInStringLiterals`, a validation rule (cached with the
  document's validation, so it costs nothing on a repeated document);
- the variables: :class:`RefuseNulInVariables`, an extension that checks them before
  execution. The HTTP reader (``gateway.request_body``) already refuses them before
  the compiled path could see them; this is the door for the other transports.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError, StringValueNode, ValidationRule
from strawberry.extensions import SchemaExtension

from gateway.request_body import BAD_USER_INPUT, NUL, nul_path


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


class RefuseNulInVariables(SchemaExtension):
    """A variable holding a NUL character anywhere refuses the operation (a request error)."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if not context.pre_execution_errors and context.variables:
            path = nul_path(context.variables)
            if path is not None:
                context.pre_execution_errors = [
                    GraphQLError(
                        f"Variable '${path}' contains a NUL character (U+0000), which no input accepts",
                        extensions={"code": BAD_USER_INPUT},
                    )
                ]
        yield


__all__ = ["NoNulInStringLiterals", "RefuseNulInVariables"]
