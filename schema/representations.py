"""Federation's ``_entities`` entry, held to the shape a router sends (ADR 016).

A representation is ``{"__typename": <an entity type>, <its key fields>: <strings>}``.
Strawberry's resolver trusts that shape (``representation.pop("__typename")``, then the
rest as keyword arguments), so a number, a list, an unknown type name or a missing or
extra key was a crash inside the field, masked as INTERNAL_SERVER_ERROR. Here each
representation is checked first; a bad one is a ``BAD_USER_INPUT`` error at its own
index, and the others still resolve.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import GraphQLError, GraphQLSchema
from strawberry.federation.schema_directives import Key

#: Longest key value read: ids are short; a 5,000-character one is refused, not parsed.
MAX_KEY_LENGTH = 255


def entity_keys(type_map: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """Each entity type's name and its key fields (``@key(fields: "id")``), read off the schema."""
    return _keys({name: getattr(graphql_type, "definition", None) for name, graphql_type in type_map.items()})


def entity_keys_of(schema: GraphQLSchema) -> dict[str, frozenset[str]]:
    """``entity_keys`` read off the graphql-core schema (the compiled path's view of it)."""
    return _keys({name: (t.extensions or {}).get("strawberry-definition") for name, t in schema.type_map.items()})


def _keys(definitions: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    keys: dict[str, frozenset[str]] = {}
    for name, definition in definitions.items():
        if definition is None or not hasattr(getattr(definition, "origin", None), "resolve_reference"):
            continue
        fields = {field for d in definition.directives if isinstance(d, Key) for field in str(d.fields).split()}
        keys[name] = frozenset(fields)
    return keys


def checked_representation(
    representation: object, index: int, keys: Mapping[str, frozenset[str]]
) -> dict[str, Any] | GraphQLError:
    """A copy of ``representation`` fit for its type's ``resolve_reference``, or the error that says why not."""
    if not isinstance(representation, dict):
        return _refused(index, "must be an object such as {\"__typename\": \"Merchant\", \"id\": \"mer_1\"}")
    type_name = representation.get("__typename")
    if not isinstance(type_name, str) or type_name not in keys:
        return _refused(index, f"needs `__typename`, one of {', '.join(sorted(keys))}")
    expected = keys[type_name]
    given = set(representation) - {"__typename"}
    if given != expected:
        return _refused(index, f"of {type_name} needs exactly the key fields {', '.join(sorted(expected))}")
    for field in expected:
        value = representation[field]
        if not isinstance(value, str) or len(value) > MAX_KEY_LENGTH:
            return _refused(index, f"of {type_name}: `{field}` must be a string of at most {MAX_KEY_LENGTH} characters")
    return dict(representation)


def _refused(index: int, reason: str) -> GraphQLError:
    return GraphQLError(f"Representation {index} {reason}", extensions={"code": "BAD_USER_INPUT"})


__all__ = ["MAX_KEY_LENGTH", "checked_representation", "entity_keys", "entity_keys_of"]
