"""Each service as its own Federation 2 subgraph, cut from the one schema.

The one-process schema is the single source of truth. A field belongs to the service
whose package defines it (`services.credit...` -> credit; the join's party queries and
partners belong with payments, which owns parties; so does the operator's
`scheduledJobs`). A subgraph is its service's root fields and entity fields, every
type they reach, the entities' `id` key, and the shared value types (Money, PageInfo,
connections), marked `@shareable`.

`fingraph serve --subgraph S` runs the same code with two differences: `_service.sdl`
answers S's SDL, and a validation rule refuses fields that are not S's.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLUnionType,
    InterfaceTypeDefinitionNode,
    NameNode,
    ObjectTypeDefinitionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    ValidationRule,
    get_named_type,
    parse,
    print_ast,
)
from graphql.language import FieldNode
from strawberry.extensions import AddValidationRules, SchemaExtension

from schema.build import FEDERATION_VERSION

SUBGRAPHS = ("payments", "credit", "funds")
ENTITIES = ("Merchant", "Consumer", "Payment")
ROOTS = ("Query", "Mutation", "Subscription")
FEDERATION_FIELDS = {"_entities", "_service"}
FEDERATION_TYPES = {"_Any", "_Entity", "_Service", "link__Import", "link__Purpose"}
BUILT_IN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}
FEDERATION_DIRECTIVES = ("cost", "key", "listSize", "shareable")
#: Kept in the whole graph's SDL (for partners' routers), left out of the per-service
#: subgraphs: @apollo/gateway refuses these SECURITY features, and every subgraph
#: enforces the same rules itself anyway.
SECURITY_DIRECTIVES = frozenset({"authenticated", "requiresScopes"})


def _owner(module: str) -> str | None:
    """The service a field or type defined in ``module`` belongs to (None: the shared kernel)."""
    for service in SUBGRAPHS:
        if module.startswith(f"services.{service}"):
            return service
    if module.startswith(("schema.", "services.partners", "services.scheduling")):
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
        return field_name in self.fields.get(type_name, ()) or (
            type_name == "Query" and field_name in FEDERATION_FIELDS
        )


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


def _directive(name: str) -> DirectiveNode:
    return DirectiveNode(name=NameNode(value=name), arguments=())


def _filtered(definition: Any, plan_: Subgraph, plans: dict[str, Subgraph]) -> Any | None:
    """The definition cut to the subgraph's fields, with @shareable where types are shared."""
    name = definition.name.value
    if name not in plan_.fields or name in FEDERATION_TYPES:
        return None
    included = set(plan_.fields)
    if isinstance(definition, (ObjectTypeDefinitionNode, InterfaceTypeDefinitionNode)):
        keep = plan_.fields[name]
        changes: dict[str, Any] = {
            "fields": tuple(_without_security(f) for f in definition.fields or () if f.name.value in keep)
        }
        changes["interfaces"] = tuple(i for i in definition.interfaces or () if i.name.value in included)
        shared = sum(name in p.fields for p in plans.values()) > 1
        if isinstance(definition, ObjectTypeDefinitionNode) and name not in ROOTS and name not in ENTITIES and shared:
            changes["directives"] = (*(definition.directives or ()), _directive("shareable"))
        return copy(definition, **changes)
    if isinstance(definition, UnionTypeDefinitionNode):
        return copy(definition, types=tuple(t for t in definition.types or () if t.name.value in included))
    return definition


def _without_security(node: Any) -> Any:
    directives = tuple(d for d in node.directives or () if d.name.value not in SECURITY_DIRECTIVES)
    return copy(node, directives=directives)


def copy(node: Any, **changes: Any) -> Any:
    return dataclasses.replace(node, **changes)


def subgraph_sdl(schema: Any, service: str, *, all_plans: dict[str, Subgraph] | None = None) -> str:
    """The subgraph's SDL: the one schema's printed SDL (directives and all), cut to its plan."""
    plans = all_plans or {name: plan(schema, name) for name in SUBGRAPHS}
    document = parse(schema.as_str())
    kept = [
        cut
        for definition in document.definitions
        if isinstance(definition, TypeDefinitionNode) and (cut := _filtered(definition, plans[service], plans))
    ]
    body = print_ast(DocumentNode(definitions=tuple(kept)))
    used = sorted({f"@{name}" for name in FEDERATION_DIRECTIVES if f"@{name}" in body})
    link = (
        f'extend schema @link(url: "https://specs.apollo.dev/federation/v{FEDERATION_VERSION}", '
        f"import: [{', '.join(json.dumps(d) for d in used)}])"
    )
    return f"{link}\n\n{body}\n"


def subgraph_sdls(schema: Any) -> dict[str, str]:
    plans = {name: plan(schema, name) for name in SUBGRAPHS}
    return {name: subgraph_sdl(schema, name, all_plans=plans) for name in SUBGRAPHS if plans[name].fields}


def _only_fields_of(subgraph: Subgraph) -> type[ValidationRule]:
    class OnlySubgraphFields(ValidationRule):
        def enter_field(self, node: FieldNode, *_args: object) -> None:
            parent = self.context.get_parent_type()
            if parent is not None and not subgraph.allows(parent.name, node.name.value):
                self.report_error(
                    GraphQLError(
                        f"Cannot query field '{node.name.value}' on type '{parent.name}'"
                        f" in the {subgraph.name} subgraph.",
                        nodes=[node],
                    )
                )

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


__all__ = ["SUBGRAPHS", "Subgraph", "plan", "subgraph_extensions", "subgraph_sdl", "subgraph_sdls"]
