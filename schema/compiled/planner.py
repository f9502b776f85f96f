"""Turn one query operation into one SQL statement that builds its ``data`` as JSON text.

The statement writes the JSON itself, by concatenating text: every expression the
planner builds is non-null ``text`` holding one JSON value, compact, with the keys in
order and strings escaped by ``to_json`` (which escapes as orjson does). That text is
what the gateway would write for the same ``data``, so a statement without computed
fields is sent to the client as it comes from PostgreSQL (``executor.Answer``), and
PostgreSQL spends about a third less on the JSON than with ``json_build_object``
(ADR 021).

The walk follows graphql-core's execution rules (field collection with fragments,
``@skip``/``@include`` and merged response keys; argument coercion with defaults), so
the statement's JSON has the standard path's keys in the standard path's order.
Anything it does not know how to build raises ``NotCompilable``; anything that would
make the standard path answer with an error raises ``Fallback``. Both mean: let the
standard executor answer this request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
)
from graphql.execution.values import VariableValues, get_argument_values, get_directive_values, get_variable_values

from schema.compiled.access_log import LISTED, LogSlots, PartnerReads, logged
from schema.compiled.resolve import Arguments, Tree
from services.kernel.graph.compiled import (
    Computed,
    Guard,
    Leaf,
    Nested,
    Page,
    Params,
    PlainText,
    Row,
    Scope,
    cursor,
)
from services.kernel.graph.pagination import MAX_PAGE_SIZE, decode_cursor
from services.kernel.principal import Principal, Role
from services.partners.graph import consents

if TYPE_CHECKING:
    from schema.compiled.registry import Specs

#: Where a private field's row is not the principal's: the request reruns on the standard path.
DENIED = "fingraph:denied:3b9f0c"
#: Where a computed value goes: ``{"<PLACEHOLDER>": [slot, its inputs]}``.
PLACEHOLDER = "fingraph:computed:3b9f0c"
#: Keys per object: each key is one more ``||`` in one expression tree (kept shallow).
_MAX_KEYS = 50
#: A leaf that is one SQL string literal.
_LITERAL = re.compile(r"'(?:[^']|'')*'")
#: JSON ``null`` as the planner's SQL (every built expression is non-null text).
NULL = "'null'"

Fields = dict[str, list[FieldNode]]


class NotCompilable(Exception):
    """The operation has a part the compiled path does not build."""


class Fallback(Exception):
    """This request's answer would carry an error."""


@dataclass(frozen=True)
class Slot:
    """A computed field: its spec, its type and its selection, completed in Python."""

    spec: Computed
    type: GraphQLOutputType
    tree: Tree | None


@dataclass
class Statement:
    sql: str
    params: list[object]
    slots: list[Slot] = field(default_factory=list)
    #: A partner's statement writes its access log: where the request's id and time go.
    log: LogSlots | None = None


class Planner:
    """One per request: ``plan`` walks the operation and writes the statement."""

    def __init__(
        self,
        schema: GraphQLSchema,
        specs: Specs,
        *,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: VariableValues,
        principal: Principal,
        today: date,
        resolvable: Callable[[str, str], bool],
        keywords: Callable[[str, str, dict[str, Any]], Arguments] | None = None,
    ) -> None:
        self.resolvable = resolvable
        self.keywords = keywords
        self.schema = schema
        self.specs = specs.fields
        self.guards = specs.guards
        self.scopes = specs.scopes
        self.roots = specs.roots
        self.operation = operation
        self.fragments = fragments
        self.variables = variables
        self.principal = principal
        self.params = Params()
        self.slots: list[Slot] = []
        #: A partner's reads, one per root field that reaches merchants (see ``log``).
        self.reads: list[PartnerReads] = []
        self.root_key = ""
        self._scope_params: dict[str | None, str | None] = {}
        self.scope = Scope(self.params, today)
        self._me: str | None = None
        self._partner: str | None = None

    def plan(self) -> Statement:
        if self.operation.operation is not OperationType.QUERY:
            raise NotCompilable("only queries are compiled")
        root = self.schema.query_type
        assert root is not None
        fields = self.collect(root, [self.operation.selection_set])
        parts = []
        for key, nodes in fields.items():
            name = nodes[0].name.value
            if name == "__typename":
                parts.append((key, typename(root.name)))
                continue
            spec = self.roots.get(name)
            if spec is None:
                raise NotCompilable(f"Query.{name}")
            self.root_key = key
            parts.append((key, spec.build(self, nodes, self.arguments(root, nodes[0]))))
        answer = _object(parts)
        if len(self.reads) > 1:
            # Several roots' reads interleave on the standard path as their loaders answer.
            raise NotCompilable("a partner's reads from more than one root field")
        if self.reads:
            sql, log = logged(answer, self.reads[0], self.params, partner_id=self.partner(), denied=DENIED)
            return Statement(sql, self.params.values, self.slots, log)
        return Statement(f"SELECT {answer}", self.params.values, self.slots)

    def log(self, reached: list[int | None] | None, *, batch: bool = False) -> PartnerReads | None:
        """For a partner: the access log of the root field being built, which reaches the
        merchants ``reached`` (None: a page's, listed by the statement). None for others."""
        if not self.principal.is_partner:
            return None
        reads = PartnerReads(self.root_key, reached, batch)
        self.reads.append(reads)
        return reads

    # -- the selection ------------------------------------------------------------

    def collect(self, runtime: GraphQLObjectType, selection_sets: Iterable[SelectionSetNode | None]) -> Fields:
        fields: Fields = {}
        visited: set[str] = set()
        for selection_set in selection_sets:
            if selection_set is not None:
                self._collect(runtime, selection_set, fields, visited)
        return fields

    def _collect(self, runtime: GraphQLObjectType, selection_set: SelectionSetNode, fields: Fields,
                 visited: set[str]) -> None:
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                fields.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self._applies(condition.name.value, runtime):
                    self._collect(runtime, selection.selection_set, fields, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if name in visited or fragment is None:
                    continue
                visited.add(name)
                if self._applies(fragment.type_condition.name.value, runtime):
                    self._collect(runtime, fragment.selection_set, fields, visited)

    def _included(self, node: FieldNode | InlineFragmentNode | FragmentSpreadNode | Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip is not None and skip["if"] is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include is not None and include["if"] is False)

    def _applies(self, condition: str, runtime: GraphQLObjectType) -> bool:
        target = self.schema.get_type(condition)
        if target is None:
            return False
        if target is runtime:
            return True
        return is_abstract_type(target) and self.schema.is_sub_type(target, runtime)

    def arguments(self, parent: GraphQLObjectType, node: FieldNode) -> dict[str, Any]:
        definition = parent.fields.get(node.name.value)
        if definition is None:
            raise NotCompilable(f"{parent.name}.{node.name.value}")
        try:
            return get_argument_values(definition, node, self.variables)
        except GraphQLError as exc:
            raise Fallback(exc.message) from exc

    # -- objects and fields ---------------------------------------------------------

    def object(self, type_: GraphQLObjectType, nodes: list[FieldNode], row: Row,
               reads: PartnerReads | None = None) -> str:
        """``reads``: the object is a merchant a partner's root reached; its scoped fields are logged."""
        fields = self.collect(type_, [node.selection_set for node in nodes])
        return _object([(key, self.field(type_, key_nodes, row, reads)) for key, key_nodes in fields.items()])

    def field(self, parent: GraphQLObjectType, nodes: list[FieldNode], row: Row,
              reads: PartnerReads | None = None) -> str:
        name = nodes[0].name.value
        if name == "__typename":
            return typename(parent.name)
        spec = self.specs.get((parent.name, name))
        if spec is None:
            raise NotCompilable(f"{parent.name}.{name}")
        definition = parent.fields[name]
        args = self.arguments(parent, nodes[0])
        if isinstance(spec, Leaf):
            sql = json_value(spec.sql(row))
        elif isinstance(spec, Nested):
            sql = self.nested(object_type(definition.type), nodes, spec, row, args)
        elif isinstance(spec, Page):
            sql = self.page(object_type(definition.type), nodes, args,
                            lambda limit, before: spec.rows(row, self.scope, limit, before))
        else:
            self.slots.append(Slot(spec, definition.type, self.tree(definition.type, nodes)))
            inputs = spec.inputs(row, self.scope)
            sql = f"('{{\"{PLACEHOLDER}\":[{len(self.slots) - 1},' || coalesce(({inputs})::text, {NULL}) || ']}}')"
        if self.principal.is_partner:
            return self.partner_guarded(parent.name, name, row, sql, reads)
        return self.guarded(self.guards.get((parent.name, name)), row, sql)

    def nested(self, type_: GraphQLObjectType, nodes: list[FieldNode], spec: Nested, row: Row,
               args: Mapping[str, Any]) -> str:
        source, child = spec.source(row, args, self.scope)
        built = self.object(type_, nodes, child)
        return built if source is None else f"coalesce((SELECT {built} FROM {source}), {NULL})"

    def page(self, connection: GraphQLObjectType, nodes: list[FieldNode], args: Mapping[str, Any],
             rows: Any, reads: PartnerReads | None = None) -> str:
        """A keyset connection, as ``Connection.from_rows`` builds it from ``first + 1`` rows.

        ``HAVING true`` makes it one aggregate row even when no aggregate is selected
        (``{ __typename }`` of an empty page is still an object, not null). The edges are
        ``string_agg``'s list of each edge's text. The rows carry only the columns the
        selection reads; without ``pageInfo`` (a page of edges in a list of merchants)
        they are the first ``first`` rows, with no row numbers to count, gathered by an
        ``ARRAY(SELECT ... ORDER BY)`` (an ordered aggregate sorts again, once per page).
        ``reads``: a partner's page of merchants, whose ids the statement lists beside it
        (``LISTED``), in page order."""
        first, after = args.get("first"), args.get("after")
        if not isinstance(first, int) or not 1 <= first <= MAX_PAGE_SIZE:
            raise Fallback("first out of range")
        try:
            before = decode_cursor(after) if after is not None else None
        except GraphQLError as exc:
            raise Fallback(exc.message) from exc
        size = self.params.add(first, "int")
        alias = self.scope.aliases()
        fields = self.collect(connection, [n.selection_set for n in nodes])
        selected_names = {key_nodes[0].name.value for key_nodes in fields.values()}
        # Row numbers for pageInfo; a page of no edges is still one row of its aggregate query.
        counted = "pageInfo" in selected_names or "edges" not in selected_names or reads is not None
        selected = rows(f"{size} + 1" if counted else size, self.params.add(before, "bigint"))
        in_page = f"FILTER (WHERE {alias}._n <= {size})"
        row = Row(alias)
        parts: list[tuple[str, str]] = []
        if reads is not None:
            if sum(key_nodes[0].name.value == "edges" for key_nodes in fields.values()) > 1:
                raise NotCompilable("a partner's page read under two keys (logged in another order)")
            listed = f"string_agg({alias}.id::text, ',' ORDER BY {alias}._n) {in_page}"
            parts.append((LISTED, f"coalesce('[' || {listed} || ']', '[]')"))
        for key, key_nodes in fields.items():
            name = key_nodes[0].name.value
            target = connection.fields[name].type if name != "__typename" else None
            if name == "__typename":
                parts.append((key, typename(connection.name)))
            elif name == "edges":
                edge_sql = self.edge(object_type(target), key_nodes, row, reads)
                if counted:
                    edges = f"string_agg({edge_sql}, ',' ORDER BY {alias}._n) {in_page}"
                    parts.append((key, f"coalesce('[' || {edges} || ']', '[]')"))
                else:  # the FROM is known once every column the edges read is
                    parts.append((key, f"('[' || array_to_string(ARRAY(SELECT {edge_sql} FROM {{rows}}"
                                       f" ORDER BY {alias}.id DESC), ',') || ']')"))
            elif name == "pageInfo":
                parts.append((key, self.page_info(object_type(target), key_nodes, alias, in_page, size,
                                                  after is not None)))
            else:
                raise NotCompilable(f"{connection.name}.{name}")
        columns = ", ".join(f"r.{column}" for column in sorted(row.used | {"id"}))
        if not counted:
            source = f"(SELECT {columns} FROM ({selected}) r) {alias}"
            return _object([(key, sql.replace("{rows}", source)) for key, sql in parts])
        return (
            f"(SELECT {_object(parts)} FROM (SELECT {columns}, row_number() OVER (ORDER BY r.id DESC) AS _n"
            f" FROM ({selected}) r) {alias} HAVING true)"
        )

    def edge(self, edge: GraphQLObjectType, nodes: list[FieldNode], row: Row,
             reads: PartnerReads | None = None) -> str:
        parts: list[tuple[str, str]] = []
        selected = self.collect(edge, [n.selection_set for n in nodes])
        if reads is not None and sum(key_nodes[0].name.value == "node" for key_nodes in selected.values()) > 1:
            raise NotCompilable("a partner's page read under two keys (logged in another order)")
        for key, key_nodes in selected.items():
            name = key_nodes[0].name.value
            if name == "__typename":
                parts.append((key, typename(edge.name)))
            elif name == "cursor":
                parts.append((key, _string(cursor(row["id"]))))
            elif name == "node":
                parts.append((key, self.object(object_type(edge.fields[name].type), key_nodes, row, reads)))
            else:
                raise NotCompilable(f"{edge.name}.{name}")
        return _object(parts)

    def page_info(self, info: GraphQLObjectType, nodes: list[FieldNode], alias: str, in_page: str, size: str,
                  had_cursor: bool) -> str:
        values = {
            "hasNextPage": f"CASE WHEN count(*) > {size} THEN 'true' ELSE 'false' END",
            "hasPreviousPage": "'true'" if had_cursor else "'false'",
            "startCursor": _string(cursor(f"max({alias}.id) {in_page}")),
            "endCursor": _string(cursor(f"min({alias}.id) {in_page}")),
            "__typename": typename(info.name),
        }
        fields = self.collect(info, [n.selection_set for n in nodes])
        return _object([(key, values[key_nodes[0].name.value]) for key, key_nodes in fields.items()])

    def tree(self, type_: GraphQLOutputType, nodes: list[FieldNode]) -> Tree | None:
        """The selection of a computed value, checked to be completable by plain resolvers."""
        named = get_named_type(type_)
        if not isinstance(named, GraphQLObjectType):
            return None
        tree: Tree = {}
        for key, key_nodes in self.collect(named, [n.selection_set for n in nodes]).items():
            name = key_nodes[0].name.value
            if name == "__typename":
                tree[key] = (name, None, {})
                continue
            definition = named.fields[name]
            if not self.resolvable(named.name, name) or (definition.args and self.keywords is None):
                raise NotCompilable(f"{named.name}.{name} needs its resolver")
            arguments = {}
            if definition.args and self.keywords is not None:
                arguments = self.keywords(named.name, name, self.arguments(named, key_nodes[0]))
            tree[key] = (name, self.tree(definition.type, key_nodes), arguments)
        return tree

    def guarded(self, guard: Guard | None, row: Row, sql: str) -> str:
        """The read rule: operators read everything, a party its own rows (and, for
        ``counterparty`` guards, a merchant the rows' consumer has paid)."""
        if guard is None or self.principal.is_operator:
            return sql
        me = self.me()
        allowed = f"{guard.party_id(row)} = {me}"
        if guard.counterparty is not None and self.principal.role is Role.MERCHANT:
            allowed = f"({allowed} OR {guard.counterparty(row, me)})"
        return f"CASE WHEN {allowed} THEN {sql} ELSE {DENIED_JSON} END"

    def partner_guarded(self, parent: str, name: str, row: Row, sql: str, reads: PartnerReads | None) -> str:
        """The read rule for a partner (``Principal.partner_may_read``): a field that declares a
        scope, of a merchant that granted it that scope, with the scope in the token; a
        consumer's personal or private field never. Each scoped read is logged as the
        standard path logs it, which the compiled path follows for the merchants a root
        reaches only (``reads``): anywhere else the operation is not compiled."""
        scope = self.scopes.get((parent, name))
        if scope is None:
            if self.guards.get((parent, name)) is None:
                return sql
            return DENIED_JSON
        if reads is None:
            raise NotCompilable(f"a partner's {parent}.{name} below a root's merchants")
        reads.fields.append((scope, f"{parent}.{name}"))
        return f"CASE WHEN {self.granted(row['id'], scope)} THEN {sql} ELSE {DENIED_JSON} END"

    def granted(self, merchant: str, scope: str | None = None) -> str:
        """True where the merchant ``merchant`` (SQL) granted the partner ``scope`` (any scope:
        None), read in the statement's own snapshot (grants as of now, ADR 007); false for a
        scope its token lacks."""
        if scope is not None and scope not in self.principal.scopes:
            return "false"
        if scope not in self._scope_params:
            self._scope_params[scope] = None if scope is None else self.params.add(scope, "text")
        return consents(self.partner(), merchant, self._scope_params[scope])

    def partner(self) -> str:
        """The asking partner's id as a parameter."""
        if self._partner is None:
            self._partner = self.params.add(self.principal.partner_id, "bigint")
        return self._partner

    def me(self) -> str:
        """The asking party's id as a parameter (``Fallback`` for principals without one)."""
        if self._me is None:
            if self.principal.party_id is None:
                raise Fallback("no party to read as")
            self._me = self.params.add(self.principal.party_id, "bigint")
        return self._me


def checked_variables(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, operation_name: str | None,
    variables: dict[str, Any], *, cost: Callable[..., int], max_cost: int,
) -> VariableValues:
    """The request's variables, coerced; ``Fallback`` if they do not coerce or the request costs too much."""
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables)
    if isinstance(coerced, list):
        raise Fallback("variables do not coerce")
    if cost(schema, document, operation_name, variables) > max_cost:
        raise Fallback("too costly")
    return coerced


def fragments_of(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


class RootSpec:
    """A root field of ``Query`` the compiled path answers (see ``schema.compiled.roots``)."""

    def build(self, planner: Planner, nodes: list[FieldNode], args: dict[str, Any]) -> str:
        raise NotImplementedError


def _object(parts: list[tuple[str, str]]) -> str:
    """``{"key":value,...}`` from (key, JSON text SQL) pairs; keys are GraphQL names (no escaping)."""
    if len(parts) > _MAX_KEYS:
        raise NotCompilable(f"more than {_MAX_KEYS} keys in one object")
    if not parts:
        return "'{}'"
    pieces = [f"'{'{' if n == 0 else ','}\"{key}\":' || {sql}" for n, (key, sql) in enumerate(parts)]
    return "(" + " || ".join(pieces) + " || '}')"


def json_value(scalar: str) -> str:
    """A leaf's SQL value (text, integer or boolean) as JSON text: ``to_json`` escapes
    strings exactly as orjson does (control characters as ``\\u00XX``, the rest raw UTF-8)."""
    if isinstance(scalar, PlainText):
        return _string(scalar)
    if _LITERAL.fullmatch(scalar):  # to_json cannot type a bare 'literal' (unknown): it is text
        return f"to_json({scalar}::text)::text"
    return f"coalesce(to_json({scalar})::text, {NULL})"


def json_array(items: list[str]) -> str:
    """``[a,b,...]`` of JSON text SQL items (an array constructor: no argument limit, no deep tree)."""
    return f"('[' || array_to_string(ARRAY[{', '.join(items)}]::text[], ',') || ']')" if items else "'[]'"


def typename(name: str) -> str:
    return f"'\"{name}\"'"


def _string(sql: str) -> str:
    """A string the SQL writes from characters JSON needs no escape for (cursors: base64url), or null."""
    return f"coalesce('\"' || {sql} || '\"', {NULL})"


#: The marker of a denied row, as JSON text.
DENIED_JSON = f"'\"{DENIED}\"'"


def object_type(type_: Any) -> GraphQLObjectType:
    """The object type a field returns (lists and non-null unwrapped); abstract types are not compiled."""
    named = get_named_type(type_)
    if not isinstance(named, GraphQLObjectType):
        raise NotCompilable(f"abstract type {named}")
    return named
