"""Complete computed values with the schema's own resolvers and scalars.

A computed field's value is a domain object (a ``CreditProfile``) or a leaf (the
7-day yield). Its selection is completed here the way graphql-core completes it:
objects through the very resolver functions the standard path calls (only plain,
synchronous ones that need nothing but their root, which is checked when the plan is
made), leaves through their GraphQL type's ``serialize``. A field below a computed value
may take scalar arguments (``cashFlow(days: 30)``): the planner coerces them per request,
with their defaults, and the tree carries them to the resolver as Python keywords. A
resolver that raises (an argument out of range) makes the value an error, and the
request is answered by the standard path, whose error it is.
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
)
from strawberry.scalars import is_scalar

#: A field's arguments as its resolver's Python keywords.
Arguments = dict[str, Any]
#: response key -> (field name, the field's own selection or None for a leaf, its arguments)
Tree = dict[str, tuple[str, "Tree | None", Arguments]]
Complete = Callable[[Any], Any]
#: Completions remembered, by the identity of their type and selection.
_COMPLETERS = 4_096


class Resolver:
    #: A value the standard path would answer with an error (null in a non-null field).
    ERROR: Any = object()

    def __init__(self, strawberry_schema: Any) -> None:
        self.schema = strawberry_schema
        self._fields: dict[tuple[str, str], Any] = {}
        self._completers: OrderedDict[tuple[int, int], tuple[Any, Any, Complete]] = OrderedDict()

    def field(self, type_name: str, field_name: str) -> Any:
        """The Strawberry field (or None), remembered: Strawberry's lookup converts every field's name."""
        key = (type_name, field_name)
        if key not in self._fields:
            self._fields[key] = self.schema.get_field_for_type(field_name, type_name)
        return self._fields[key]

    def resolvable(self, type_name: str, field_name: str) -> bool:
        field = self.field(type_name, field_name)
        if field is None:
            return False
        resolver = field.base_resolver
        if resolver is None:
            return not field.arguments
        registry = self.schema.schema_converter.scalar_registry
        return (not resolver.is_async and all(is_scalar(a.type, registry) for a in resolver.arguments)
                and resolver.info_parameter is None and resolver.parent_parameter is None)

    def keywords(self, type_name: str, field_name: str, values: dict[str, Any]) -> Arguments:
        """graphql-core's coerced arguments of a resolvable field as its resolver's keywords
        (scalars only, which Strawberry passes as they are)."""
        field = self.field(type_name, field_name)
        converter = self.schema.config.name_converter
        return {a.python_name: values[converter.from_argument(a)] for a in field.arguments
                if converter.from_argument(a) in values}

    def complete(self, type_: GraphQLOutputType, tree: Tree | None, value: Any) -> Any:
        """``value`` completed as graphql-core completes it for ``type_`` and the selection ``tree``."""
        key = (id(type_), id(tree))
        known = self._completers.get(key)
        if known is None or known[0] is not type_ or known[1] is not tree:
            known = (type_, tree, self._completer(type_, tree))
            self._completers[key] = known
            if len(self._completers) > _COMPLETERS:
                self._completers.popitem(last=False)
        return known[2](value)

    def _completer(self, type_: GraphQLOutputType, tree: Tree | None) -> Complete:
        """The completion of one type and selection, its dispatch decided once (it is called per request)."""
        error = self.ERROR
        if isinstance(type_, GraphQLNonNull):
            inner = self._completer(type_.of_type, tree)
            return lambda value: error if value is None else inner(value)
        if isinstance(type_, GraphQLList):
            item = self._completer(type_.of_type, tree)

            def complete_list(value: Any) -> Any:
                if value is None:
                    return None
                items = [item(element) for element in value]
                return error if any(element is error for element in items) else items

            return complete_list
        if isinstance(type_, (GraphQLScalarType, GraphQLEnumType)):
            serialize = type_.serialize
            return lambda value: None if value is None else serialize(value)
        assert isinstance(type_, GraphQLObjectType) and tree is not None
        typename = type_.name
        fields = [
            (key, None, None) if name == "__typename"
            else (key, self._getter(typename, name, arguments), self._completer(type_.fields[name].type, child))
            for key, (name, child, arguments) in tree.items()
        ]

        def complete_object(value: Any) -> Any:
            if value is None:
                return None
            completed: dict[str, Any] = {}
            for key, get, complete in fields:
                if get is None or complete is None:
                    completed[key] = typename
                    continue
                try:
                    got = get(value)
                except Exception:  # the standard path answers with the resolver's error
                    return error
                item = complete(got)
                if item is error:
                    return error
                completed[key] = item
            return completed

        return complete_object

    def _getter(self, type_name: str, field_name: str, arguments: Arguments) -> Callable[[Any], Any]:
        """How the standard path gets this field's value from its parent: its resolver, or the attribute."""
        field = self.field(type_name, field_name)
        resolver = field.base_resolver
        if resolver is None:
            return operator.attrgetter(field.python_name)
        function, root = resolver.wrapped_func, resolver.root_parameter
        if resolver.self_parameter is not None:
            if root is not None:
                return lambda parent: function(parent, **{root.name: parent}, **arguments)
            if arguments:
                return lambda parent: function(parent, **arguments)
            return function  # type: ignore[no-any-return]
        if root is not None:
            return lambda parent: function(**{root.name: parent}, **arguments)
        return lambda _parent: function(**arguments)
