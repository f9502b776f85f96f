"""Each service as its own Federation 2 subgraph, cut from the one schema.

The one-process schema is the single source of truth. A field belongs to the service
whose package defines it (`services.credit...` -> credit; the join's party queries and
partners belong with payments, which owns parties). A subgraph is its service's root
fields and entity fields, every type they reach, the entities' `id` key, and the
shared value types (Money, PageInfo, connections), marked `@shareable`.

`fingraph serve --subgraph S` runs the same code with two differences: `_service.sdl`
answers S's SDL, and a validation rule refuses fields that are not S's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    ValidationRule,
    get_named_type,
    print_type,
)
from graphql.language import FieldNode
from strawberry.extensions import AddValidationRules, SchemaExtension

SUBGRAPHS = ("payments", "credit", "funds")
ENTITIES = ("Merchant", "Consumer", "Payment")
ROOTS = ("Query", "Mutation", "Subscription")
FEDERATION_FIELDS = {"_entities", "_service"}
FEDERATION_TYPES = {"_Any", "_Entity", "_Service", "link__Import", "link__Purpose"}
BUILT_IN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}
LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", '
    'import: ["@key", "@shareable"])'
)


def _owner(module: str) -> str | None:
    """The service a field or type defined in ``module`` belongs to (None: the shared kernel)."""
    for service in SUBGRAPHS:
        if module.startswith(f"services.{service}"):
            return service
    if module.startswith(("schema.", "services.partners")):
        return "payments"
    return None


def field_owners(schema: Any) -> dict[tuple[str, str], str | None]:
    """(type name, GraphQL field name) -> owning service, for every Strawberry object type."""
    owners: dict[tuple[str, str], str | None] = {}
    converter = schema.config.name_converter
    for type_name, graphql_type in schema._schema.type_map.items():
        if not isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType)):
            continue
        definition = schema.get_type_by_name(type_name)
        for strawberry_field in getattr(definition, "fields", []):
            origin = strawberry_field.origin
            module = getattr(origin, "__module__", "") or ""
            owners[(type_name, converter.from_field(strawberry_field))] = _owner(module)
    return owners


@dataclass
class Subgraph:
    name: str
    fields: dict[str, set[str]] = field(default_factory=dict)

    def allows(self, type_name: str, field_name: str) -> bool:
        if field_name.startswith("__") or type_name.startswith("_"):
            return True  # introspection and federation machinery (_Service.sdl)
        return field_name in self.fields.get(type_name, ()) or (type_name == "Query" and field_name in FEDERATION_FIELDS)


def plan(schema: Any, service: str) -> Subgraph:
    """The types and fields of ``service``'s subgraph."""
    gql = schema._schema
    owners = field_owners(schema)
    subgraph = Subgraph(service)
    pending: list[GraphQLNamedType] = []

    def select(type_name: str, names: Iterable[str]) -> None:
        chosen = subgraph.fields.setdefault(type_name, set())
        for name in names:
            if name not in chosen:
                chosen.add(name)
                graphql_type = gql.type_map[type_name]
                definition = graphql_type.fields[name]
                pending.append(get_named_type(definition.type))
                pending.extend(get_named_type(arg.type) for arg in definition.args.values())

    for root in ROOTS:
        root_type = gql.type_map.get(root)
        if isinstance(root_type, GraphQLObjectType):
            owned = [n for n in root_type.fields if n not in FEDERATION_FIELDS and owners.get((root, n)) == service]
            if owned:
                select(root, owned)
    for entity in ENTITIES:
        entity_type = gql.type_map.get(entity)
        if isinstance(entity_type, GraphQLObjectType):
            owned = [n for n in entity_type.fields if owners.get((entity, n)) == service]
            if owned:
                select(entity, ["id", *owned])
    while pending:
        named = pending.pop()
        if named.name in subgraph.fields or named.name in BUILT_IN_SCALARS:
            continue
        if isinstance(named, GraphQLObjectType):
            if named.name in ENTITIES:
                select(named.name, ["id", *(n for n in named.fields if owners.get((named.name, n)) == service)])
            else:
                select(named.name, named.fields)
        elif isinstance(named, GraphQLInterfaceType):
            select(named.name, named.fields)
            pending.extend(t for t in gql.get_possible_types(named))
        elif isinstance(named, GraphQLUnionType):
            subgraph.fields[named.name] = set()
            pending.extend(named.types)
        elif isinstance(named, GraphQLInputObjectType):
            subgraph.fields[named.name] = set(named.fields)
            pending.extend(get_named_type(f.type) for f in named.fields.values())
        else:
            subgraph.fields[named.name] = set()
    return subgraph


def _copy(graphql_type: GraphQLNamedType, keep: set[str], included: set[str]) -> GraphQLNamedType:
    if isinstance(graphql_type, GraphQLObjectType):
        return GraphQLObjectType(
            graphql_type.name, {n: f for n, f in graphql_type.fields.items() if n in keep},
            interfaces=[i for i in graphql_type.interfaces if i.name in included],
            description=graphql_type.description,
        )
    if isinstance(graphql_type, GraphQLInterfaceType):
        return GraphQLInterfaceType(
            graphql_type.name, {n: f for n, f in graphql_type.fields.items() if n in keep},
            description=graphql_type.description,
        )
    if isinstance(graphql_type, GraphQLUnionType):
        return GraphQLUnionType(
            graphql_type.name, [t for t in graphql_type.types if t.name in included],
            description=graphql_type.description,
        )
    return graphql_type


def _with_directives(printed: str, name: str, directives: str) -> str:
    head, brace, rest = printed.partition(" {")
    if not brace:
        return printed + directives
    return f"{head}{directives}{brace}{rest}"


def subgraph_sdl(schema: Any, service: str, *, all_plans: dict[str, Subgraph] | None = None) -> str:
    plans = all_plans or {name: plan(schema, name) for name in SUBGRAPHS}
    mine = plans[service]
    included = set(mine.fields)
    gql = schema._schema
    blocks = [LINK]
    for type_name in sorted(included, key=lambda n: (n not in ROOTS, n)):
        if type_name in FEDERATION_TYPES:
            continue
        graphql_type = gql.type_map[type_name]
        if isinstance(graphql_type, GraphQLScalarType) and type_name in BUILT_IN_SCALARS:
            continue
        printed = print_type(_copy(graphql_type, mine.fields[type_name], included))
        if type_name in ENTITIES:
            printed = _with_directives(printed, type_name, ' @key(fields: "id")')
        elif (
            isinstance(graphql_type, GraphQLObjectType)
            and type_name not in ROOTS
            and sum(type_name in p.fields for p in plans.values()) > 1
        ):
            printed = _with_directives(printed, type_name, " @shareable")
        blocks.append(printed)
    return "\n\n".join(blocks) + "\n"


def subgraph_sdls(schema: Any) -> dict[str, str]:
    plans = {name: plan(schema, name) for name in SUBGRAPHS}
    return {name: subgraph_sdl(schema, name, all_plans=plans) for name in SUBGRAPHS if plans[name].fields}


def _only_fields_of(subgraph: Subgraph) -> type[ValidationRule]:
    class OnlySubgraphFields(ValidationRule):
        def enter_field(self, node: FieldNode, *_args: object) -> None:
            parent = self.context.get_parent_type()
            if parent is not None and not subgraph.allows(parent.name, node.name.value):
                self.report_error(GraphQLError(
                    f"Cannot query field '{node.name.value}' on type '{parent.name}' in the {subgraph.name} subgraph.",
                    nodes=[node],
                ))

    return OnlySubgraphFields


class ServeSubgraphSDL(SchemaExtension):
    """Answers ``_service { sdl }`` with the subgraph's SDL instead of the whole schema's."""

    sdl = ""

    def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        if info.parent_type.name == "_Service" and info.field_name == "sdl":
            return self.sdl
        return _next(root, info, *args, **kwargs)


def subgraph_extensions(schema: Any, service: str) -> list[Any]:
    """Extensions that turn the one schema into ``service``'s subgraph."""
    sdl = subgraph_sdl(schema, service)
    serve_sdl = type("ServeSubgraphSDL", (ServeSubgraphSDL,), {"sdl": sdl})
    return [AddValidationRules([_only_fields_of(plan(schema, service))]), serve_sdl]


def _types(schema: Any) -> Iterator[str]:
    yield from (n for n in schema._schema.type_map if not n.startswith("__"))


__all__ = ["SUBGRAPHS", "Subgraph", "plan", "subgraph_extensions", "subgraph_sdl", "subgraph_sdls"]
