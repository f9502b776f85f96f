"""Complete computed values with the schema's own resolvers and scalars.

A computed field's value is a domain object (a ``CreditProfile``) or a leaf (the
7-day yield). Its selection is completed here the way graphql-core completes it:
objects through the very resolver functions the standard path calls (only plain,
synchronous ones that need nothing but their root, which is checked when the plan is
made), leaves through their GraphQL type's ``serialize``.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
)

#: response key -> (field name, the field's own selection or None for a leaf)
Tree = dict[str, tuple[str, "Tree | None"]]


class Resolver:
    #: A value the standard path would answer with an error (null in a non-null field).
    ERROR: Any = object()

    def __init__(self, strawberry_schema: Any) -> None:
        self.schema = strawberry_schema
        self._fields: dict[tuple[str, str], Any] = {}

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
        return (not resolver.is_async and not resolver.arguments and resolver.info_parameter is None
                and resolver.parent_parameter is None)

    def complete(self, type_: GraphQLOutputType, tree: Tree | None, value: Any) -> Any:
        if isinstance(type_, GraphQLNonNull):
            return self.ERROR if value is None else self.complete(type_.of_type, tree, value)
        if value is None:
            return None
        if isinstance(type_, GraphQLList):
            items = [self.complete(type_.of_type, tree, item) for item in value]
            return self.ERROR if any(item is self.ERROR for item in items) else items
        if isinstance(type_, (GraphQLScalarType, GraphQLEnumType)):
            return type_.serialize(value)
        assert isinstance(type_, GraphQLObjectType) and tree is not None
        completed: dict[str, Any] = {}
        for key, (name, child) in tree.items():
            if name == "__typename":
                completed[key] = type_.name
                continue
            item = self.complete(type_.fields[name].type, child, self._resolve(type_.name, name, value))
            if item is self.ERROR:
                return self.ERROR
            completed[key] = item
        return completed

    def _resolve(self, type_name: str, field_name: str, root: Any) -> Any:
        field = self.field(type_name, field_name)
        resolver = field.base_resolver
        if resolver is None:
            return getattr(root, field.python_name)
        kwargs = {resolver.root_parameter.name: root} if resolver.root_parameter is not None else {}
        if resolver.self_parameter is not None:
            return resolver.wrapped_func(root, **kwargs)
        return resolver.wrapped_func(**kwargs)
