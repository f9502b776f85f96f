"""What the compiled path may answer, found by walking the schema (ADR 010, issue 14).

Every field says how it is built, on the field itself: ``metadata=sql(...)`` beside its
resolver, or ``metadata=standard_only("why")``. Nothing here lists fields by hand:

* ``Specs.fields``: the SQL description of each field that has one;
* ``Specs.roots``: the root fields of ``Query`` the compiled path answers;
* ``Specs.guards``: the read rule of each party field, from its exposure in
  ``services.kernel.access.EXPOSURES`` (the one place that rule is written);
* ``Specs.scopes``: the partner scope each field declares (``private(scope)``, read back
  by ``field_scope``, as ``require_private_access`` reads it on the standard path);
* ``Specs.keyed``: the mutations whose input carries an ``idempotencyKey``; only those
  may run on the compiled path, because a fallback after their effect replays it.

``uncovered`` is the check a test runs: every field the compiled path can reach must be
described or marked standard-only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from graphql import (
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
)

from schema.compiled.planner import RootSpec
from schema.compiled.roots import FEDERATION_ROOTS
from services.kernel.access import EXPOSURES, Exposure
from services.kernel.graph.compiled import (
    COMPILED,
    STANDARD_ONLY,
    Computed,
    FieldSpec,
    Guard,
    Leaf,
    Nested,
    Page,
    PagePart,
    Row,
)
from services.kernel.graph.directives import field_scope
from services.payments.graph import paid_by

#: The argument of a mutation that carries its input, and the field that keys it.
_INPUT = "input"
_KEY = "idempotencyKey"
#: Fields the federation library adds to ``Query``; no metadata can sit on them.
FEDERATION_FIELDS = {
    "_service": "the subgraph's SDL for a router: plain text, never a read of the data",
    "_entities": "a router's batch of representations: compiled by FEDERATION_ROOTS, by name",
}


@dataclass
class Specs:
    """The compiled path's view of the schema, built once by ``specs_of``."""

    fields: dict[tuple[str, str], FieldSpec] = field(default_factory=dict)
    roots: dict[str, RootSpec] = field(default_factory=dict)
    guards: dict[tuple[str, str], Guard] = field(default_factory=dict)
    scopes: dict[tuple[str, str], str] = field(default_factory=dict)
    keyed: frozenset[str] = frozenset()


def metadata(definition: GraphQLField) -> dict[object, object]:
    """The metadata of the Strawberry field behind a graphql-core field (empty if none)."""
    strawberry_field = (definition.extensions or {}).get("strawberry-definition")
    return dict(getattr(strawberry_field, "metadata", None) or {})


def specs_of(schema: GraphQLSchema) -> Specs:
    specs = Specs(guards=_guards(), keyed=keyed_mutations(schema))
    query = schema.query_type
    for type_ in _object_types(schema):
        for name, definition in type_.fields.items():
            scope = field_scope(definition)
            if scope is not None:
                specs.scopes[(type_.name, name)] = scope
            spec = metadata(definition).get(COMPILED)
            if isinstance(spec, Leaf | Nested | Page | Computed):
                specs.fields[(type_.name, name)] = spec
            elif isinstance(spec, RootSpec):
                if type_ is not query:
                    raise TypeError(f"{type_.name}.{name}: a root spec on a field that is not a root of Query")
                specs.roots[name] = spec
    if query is not None:
        specs.roots.update({name: spec for name, spec in FEDERATION_ROOTS.items() if name in query.fields})
    return specs


def keyed_mutations(schema: GraphQLSchema) -> frozenset[str]:
    """Root mutations whose ``input`` has an ``idempotencyKey``: a retry replays the first answer."""
    mutation = schema.mutation_type
    if mutation is None:
        return frozenset()
    keyed = set()
    for name, definition in mutation.fields.items():
        argument = definition.args.get(_INPUT)
        input_type = get_named_type(argument.type) if argument is not None else None
        if isinstance(input_type, GraphQLInputObjectType) and _KEY in input_type.fields:
            keyed.add(name)
    return frozenset(keyed)


def _guards() -> dict[tuple[str, str], Guard]:
    """Each party field's SQL guard from its exposure: public fields have none, private ones
    are the row's party's (and operators'), personal ones also a merchant the consumer paid."""
    guards: dict[tuple[str, str], Guard] = {}
    for type_name, exposures in EXPOSURES.items():
        for name, exposure in exposures.items():
            if exposure is Exposure.PRIVATE:
                guards[(type_name, name)] = Guard(_own_row)
            elif exposure is Exposure.PERSONAL:
                guards[(type_name, name)] = Guard(_own_row, counterparty=paid_by)
    return guards


def _own_row(row: Row) -> str:
    """A party type's row: its own ``id`` is the party the rule compares with."""
    return row["id"]


def uncovered(schema: GraphQLSchema) -> list[str]:
    """``Type.field`` of every field the compiled path can reach that neither has a spec
    nor says why it stays standard-only. The walk starts at ``Query`` and follows the
    fields the compiled path builds (a ``Computed`` value is completed by its resolvers)."""
    query = schema.query_type
    assert query is not None
    missing: list[str] = []
    seen: set[str] = set()
    pending: list[GraphQLNamedType] = [query]
    while pending:
        for object_type in _concrete(schema, pending.pop()):
            if object_type.name in seen:  # reached again (as itself, through a union or an interface)
                continue
            seen.add(object_type.name)
            for name, definition in object_type.fields.items():
                if object_type is query and name in FEDERATION_FIELDS:
                    continue
                marks = metadata(definition)
                spec = marks.get(COMPILED)
                if spec is None:
                    reason = marks.get(STANDARD_ONLY)
                    if not (isinstance(reason, str) and reason.strip()):
                        missing.append(f"{object_type.name}.{name}")
                    continue
                if isinstance(spec, Nested | Page | PagePart | RootSpec):
                    pending.append(get_named_type(definition.type))
    return sorted(missing)


def _concrete(schema: GraphQLSchema, type_: GraphQLNamedType) -> Iterator[GraphQLObjectType]:
    if isinstance(type_, GraphQLObjectType):
        yield type_
    elif isinstance(type_, GraphQLUnionType | GraphQLInterfaceType):
        yield from schema.get_possible_types(type_)


def _object_types(schema: GraphQLSchema) -> Iterator[GraphQLObjectType]:
    for name, type_ in schema.type_map.items():
        if isinstance(type_, GraphQLObjectType) and not name.startswith("__"):
            yield type_
