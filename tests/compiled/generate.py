"""Hypothesis strategies for GraphQL requests over fingraph's schema: mostly valid, sometimes not.

A request starts at one or more of the roots ``me``, ``merchant(id:)``, ``consumer(id:)``,
``merchants(first:, after:)``, ``payment(id:)`` and ``node(id:)``, and walks graphql-core's
types from there: a random subset of each object's fields, nested objects and connections with
their arguments, ``__typename``, inline and named fragments (also on unions and
interfaces), aliases (colliding ones included), ``@include``/``@skip`` with literal and
variable conditions, arguments as literals or as variables with and without defaults,
an operation name or none. Now and then it also writes what a client gets wrong: a
field that does not exist, a page size outside 1..100, a cursor that is not one, an
unknown fund, a missing variable, a wrong operation name, a document deeper than the
server allows. The same request is then sent to both apps (see differential.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from graphql import (
    GraphQLArgument,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
    is_leaf_type,
)
from graphql.pyutils import Undefined
from hypothesis import strategies as st

T = TypeVar("T")
Draw = Callable[[st.SearchStrategy[T]], T]

#: The roots requests start from (the cross-service reads and the refetchable entities).
ROOTS = ("me", "merchant", "consumer", "merchants", "payment", "node")
#: Response keys aliases are drawn from: few, so that they collide now and then.
ALIASES = ("a", "b", "id", "name")


@dataclass(frozen=True)
class Vocabulary:
    """The argument values requests draw from: the data set's ids and cursors, and bad ones."""

    ids: tuple[str, ...]
    cursors: tuple[str, ...]
    fund_codes: tuple[str, ...] = ("YEB", "NOPE")
    page_sizes: tuple[int, ...] = (1, 2, 3, 10, 20, 100, 0, -1, 101)
    days: tuple[int, ...] = (1, 7, 30, 0, -5)


@dataclass(frozen=True)
class GeneratedRequest:
    query: str
    variables: dict[str, Any]
    operation_name: str | None

    def body(self) -> dict[str, Any]:
        """The JSON body of the POST: ``variables`` and ``operationName`` only when there are any."""
        body: dict[str, Any] = {"query": self.query}
        if self.variables:
            body["variables"] = self.variables
        if self.operation_name is not None:
            body["operationName"] = self.operation_name
        return body


#: A variable not sent in the request, or one without a default.
_UNSENT = object()
#: What a request may get wrong (at most one thing each); None, the most likely draw, is nothing.
FLAWS = (*[None] * 12, "unknown field", "foreign fragment", "conflicting duplicate", "missing variable",
         "unknown operation", "too deep")


def _any_field(_type_name: str, _field_name: str) -> bool:
    return True


@dataclass(frozen=True)
class Shape:
    """Which requests to draw: from which roots, over which fields, with which flaws."""

    roots: tuple[str, ...] = ROOTS
    flaws: tuple[str | None, ...] = FLAWS
    #: ``selectable(type name, field name)``: whether the walk may select that field.
    selectable: Callable[[str, str], bool] = _any_field


@st.composite
def requests(draw: Draw[Any], schema: GraphQLSchema, vocabulary: Vocabulary, shape: Shape = Shape()) -> GeneratedRequest:
    """One request: a query document over ``schema``, its variables and maybe an operation name."""
    flaw = draw(st.sampled_from(shape.flaws))
    max_depth = 14 if flaw == "too deep" else draw(st.sampled_from([2, 4, 6, 9]))
    document = _Document(draw, schema, vocabulary, shape.selectable, max_depth=max_depth, flaw=flaw,
                         budget=80 if flaw == "too deep" else 40)
    query_type = schema.query_type
    assert query_type is not None
    roots = draw(st.lists(st.sampled_from(shape.roots), min_size=1, max_size=3, unique=True))
    selections = " ".join(document.select(query_type, name, depth=1) for name in roots)
    name = draw(st.sampled_from([None, "Differential", "MerchantsPage"]))
    definitions = f"({', '.join(document.variable_definitions)})" if document.variable_definitions else ""
    if name is None and not definitions and document.chance(50):
        operation = f"{{ {selections} }}"
    else:
        operation = f"query {name or ''}{definitions} {{ {selections} }}"
    query = " ".join([operation, *document.fragments])
    # The operation's own name, or none (fine for a document of one operation).
    operation_name = name if document.chance(40) else None
    if flaw == "unknown operation":
        operation_name = "Elsewhere"
    return GeneratedRequest(query, document.variable_values, operation_name)


@dataclass
class _Document:
    """One request being drawn: it collects the variables and fragments its selections need."""

    draw: Draw[Any]
    schema: GraphQLSchema
    vocabulary: Vocabulary
    selectable: Callable[[str, str], bool]
    max_depth: int
    #: The one thing this request gets wrong (see FLAWS), until it has been written.
    flaw: str | None
    #: Fields left to select; then only ``__typename``, so documents stay small.
    budget: int = 40
    variable_definitions: list[str] = field(default_factory=list)
    variable_values: dict[str, Any] = field(default_factory=dict)
    fragments: list[str] = field(default_factory=list)

    def chance(self, percent: int) -> bool:
        return bool(self.draw(st.integers(0, 99)) < percent)

    def flaw_here(self, flaw: str) -> bool:
        """Whether to write this request's flaw at this place (then it is written: once at most)."""
        if self.flaw != flaw or not self.chance(50):
            return False
        self.flaw = None
        return True

    # -- selections -------------------------------------------------------------------

    def select(self, parent: GraphQLObjectType | GraphQLInterfaceType, name: str, depth: int) -> str:
        """``alias: name(args) @directive { selection }`` for one field of ``parent``."""
        self.budget -= 1
        alias = f"{self.draw(st.sampled_from(ALIASES))}: " if self.chance(8) else ""
        definition = parent.fields[name]
        arguments = self.arguments(definition)
        named = get_named_type(definition.type)
        selection = "" if is_leaf_type(named) else f" {{ {self.selection_set(named, depth + 1)} }}"
        return f"{alias}{name}{arguments}{self.directive()}{selection}"

    def selection_set(self, type_: GraphQLNamedType, depth: int) -> str:
        if depth > self.max_depth or self.budget <= 0:
            return "__typename"
        if isinstance(type_, GraphQLUnionType):
            return self.fragments_on(type_.types, depth)
        assert isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType)), type_
        names = sorted(name for name in type_.fields if self.selectable(type_.name, name))
        chosen = self.draw(st.lists(st.sampled_from([*names, "__typename"]), min_size=1, max_size=4, unique=True))
        if self.flaw == "too deep":  # one field with a selection, so that the walk goes on down
            composite = [name for name in _composite_fields(type_) if self.selectable(type_.name, name)]
            chosen.append(self.draw(st.sampled_from(composite or ["__typename"])))
        parts = [name if name == "__typename" else self.select(type_, name, depth) for name in chosen]
        if self.chance(8):  # the same field twice, which merges into one response key
            parts.append(parts[0])
        if self.flaw_here("conflicting duplicate") and chosen[0] != "__typename":
            parts.append(self.select(type_, chosen[0], depth))  # drawn again: may differ, then conflicts
        if isinstance(type_, GraphQLInterfaceType):
            parts.append(self.fragments_on(self.schema.get_possible_types(type_), depth))
        elif self.chance(12):
            parts.append(self.fragment_on_self(type_, depth))
        if self.flaw_here("unknown field"):
            parts.append("notAField")
        return " ".join(parts)

    def fragments_on(self, types: Any, depth: int) -> str:
        """Inline (or named) fragments on some of an abstract type's members, or just ``__typename``."""
        members = sorted(types, key=lambda t: t.name)
        chosen = self.draw(st.lists(st.sampled_from(members), max_size=len(members), unique_by=lambda t: t.name))
        parts = ["__typename"] if not chosen or self.chance(30) else []
        parts += [self.spread(member, depth) for member in chosen]
        return " ".join(parts)

    def fragment_on_self(self, type_: GraphQLObjectType, depth: int) -> str:
        """``... { }``, ``... on Self { }`` or ``... on Node { }``, or (rarely) a type that cannot apply."""
        conditions: list[GraphQLNamedType | None] = [None, type_, *type_.interfaces]
        if self.flaw_here("foreign fragment"):
            conditions = [self.schema.get_type("Payment" if type_.name != "Payment" else "Merchant")]
        condition = self.draw(st.sampled_from(conditions))
        if condition is None:
            return f"...{self.directive()} {{ {self.selection_set(type_, depth)} }}"
        return self.spread(condition, depth)

    def spread(self, condition: GraphQLNamedType, depth: int) -> str:
        """A fragment on ``condition``: inline, or named and defined once at the end of the document."""
        selection = self.selection_set(condition, depth)
        if self.chance(30):
            name = f"F{len(self.fragments) + 1}"
            self.fragments.append(f"fragment {name} on {condition.name} {{ {selection} }}")
            return f"...{name}{self.directive()}"
        return f"... on {condition.name}{self.directive()} {{ {selection} }}"

    def directive(self) -> str:
        """``@include``/``@skip`` now and then, with a literal or a variable condition."""
        if not self.chance(12):
            return ""
        name = self.draw(st.sampled_from(["include", "skip"]))
        value = self.draw(st.booleans())
        if self.chance(50):
            return f" @{name}(if: {_literal(value)})"
        if self.chance(30):
            return f" @{name}(if: {self.variable('Boolean!', default=value, sent=self.unsent_or(not value))})"
        return f" @{name}(if: {self.variable('Boolean!', sent=value)})"

    # -- arguments and variables ------------------------------------------------------

    def arguments(self, definition: GraphQLField) -> str:
        parts = []
        for name, argument in definition.args.items():
            required = isinstance(argument.type, GraphQLNonNull) and argument.default_value is Undefined
            if not required and not self.chance(70):
                continue  # left to the schema's default
            value = self.value(name, argument)
            mode = self.draw(st.sampled_from(["literal", "literal", "variable", "variable with a default"]))
            if mode == "literal":
                reference = _literal(value)
            elif mode == "variable":
                reference = self.variable(str(argument.type), sent=value)
            else:
                reference = self.variable(str(argument.type), default=value,
                                          sent=self.unsent_or(self.value(name, argument)))
            parts.append(f"{name}: {reference}")
        return f"({', '.join(parts)})" if parts else ""

    def value(self, name: str, argument: GraphQLArgument) -> Any:
        named = get_named_type(argument.type)
        choices: tuple[Any, ...] = {
            "first": self.vocabulary.page_sizes,
            "after": (*self.vocabulary.cursors, None),
            "fundCode": self.vocabulary.fund_codes,
            "days": self.vocabulary.days,
            "id": self.vocabulary.ids,
        }.get(name, (1,) if named.name == "Int" else ("x",))
        return self.draw(st.sampled_from(choices))

    def unsent_or(self, value: Any) -> Any:
        """Half the time ``value``, else nothing sent (the variable's default applies)."""
        return value if self.chance(50) else _UNSENT

    def variable(self, type_name: str, *, sent: Any, default: Any = _UNSENT) -> str:
        """A new variable ``$vN: type_name [= default]`` with ``sent`` as its value in the request."""
        name = f"v{len(self.variable_definitions) + 1}"
        definition = f"${name}: {type_name}"
        if default is not _UNSENT:
            definition += f" = {_literal(default)}"
        if sent is not _UNSENT and not self.flaw_here("missing variable"):
            self.variable_values[name] = sent
        self.variable_definitions.append(definition)
        return f"${name}"


def _composite_fields(type_: GraphQLObjectType | GraphQLInterfaceType) -> list[str]:
    return sorted(name for name, definition in type_.fields.items() if not is_leaf_type(get_named_type(definition.type)))


def _literal(value: Any) -> str:
    """A GraphQL literal for the JSON-like values the vocabulary holds."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)


__all__ = ["FLAWS", "ROOTS", "GeneratedRequest", "Shape", "Vocabulary", "requests"]
