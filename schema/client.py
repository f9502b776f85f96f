"""What client tools read: the graph without federation's machinery, and its possible types.

``schema/fingraph.graphql`` is a Federation 2 subgraph: ``@link`` and the directives it
imports, ``_entities``, ``_service``, ``_Any``. Client tools (GraphQL Code Generator,
relay-compiler, an IDE) load an SDL file on its own and refuse those ("Unknown directive
@link"). ``schema/client.graphql`` is the same graph as a client sees it: every type and
field, descriptions and ``@specifiedBy``/``@deprecated`` kept, the router's parts left out.
``schema/possible-types.json`` is the map Apollo Client's ``InMemoryCache({possibleTypes})``
needs to match fragments on an interface or union (ADR 024). Both are written by
``fingraph schema export`` and checked for drift like the other SDL files.
"""

from __future__ import annotations

import json
from typing import Any

from graphql import (
    DocumentNode,
    FieldDefinitionNode,
    GraphQLInterfaceType,
    GraphQLSchema,
    GraphQLUnionType,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    build_ast_schema,
    parse,
    print_schema,
)

from schema.subgraphs import FEDERATION_FIELDS, FEDERATION_TYPES, copy

#: Directives a client keeps: the built-in ones every tool knows.
CLIENT_DIRECTIVES = frozenset({"specifiedBy", "deprecated", "oneOf"})


def _without_router_directives(node: Any) -> Any:
    directives = tuple(d for d in getattr(node, "directives", None) or () if d.name.value in CLIENT_DIRECTIVES)
    return copy(node, directives=directives)


def _client_definition(definition: Any) -> Any | None:
    if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
        return None
    if not isinstance(definition, TypeDefinitionNode) or definition.name.value in FEDERATION_TYPES:
        return None
    changes: dict[str, Any] = {}
    fields = getattr(definition, "fields", None)
    if fields is not None:
        kept = [
            f for f in fields
            if not (definition.name.value == "Query" and f.name.value in FEDERATION_FIELDS)
        ]
        changes["fields"] = tuple(
            _without_router_directives(f) if isinstance(f, FieldDefinitionNode) else f for f in kept
        )
    return _without_router_directives(copy(definition, **changes) if changes else definition)


def client_schema(schema: Any) -> GraphQLSchema:
    """The graph as a client sees it (a plain GraphQL schema, no federation)."""
    document = parse(schema.as_str())
    kept = [cut for definition in document.definitions if (cut := _client_definition(definition)) is not None]
    return build_ast_schema(DocumentNode(definitions=tuple(kept)))


def client_sdl(schema: Any) -> str:
    return print_schema(client_schema(schema)) + "\n"


def possible_types(schema: GraphQLSchema) -> dict[str, list[str]]:
    """Each interface and union and the object types that may stand for it, sorted."""
    found: dict[str, list[str]] = {}
    for name, type_ in sorted(schema.type_map.items()):
        if name.startswith("__") or not isinstance(type_, GraphQLInterfaceType | GraphQLUnionType):
            continue
        found[name] = sorted(t.name for t in schema.get_possible_types(type_))
    return found


def possible_types_json(schema: Any) -> str:
    return json.dumps(possible_types(client_schema(schema)), indent=2) + "\n"
