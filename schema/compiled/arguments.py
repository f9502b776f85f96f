"""Strawberry's argument conversion, prepared once per field instead of worked out per request.

``strawberry.schema.schema_converter.get_arguments`` turns graphql-core's coerced
arguments into the resolver's Python arguments (input classes, enums, lists). It walks
the field's types on every call, converting every input field's name to camelCase on
the way: about a seventh of a compiled ``createPayment``'s cost in the gateway. An
``ArgumentBinder`` makes the same walk once, when the mutation is planned, and keeps a
converter per argument; ``bind`` then only applies them.

It follows ``strawberry.types.arguments.convert_argument`` case by case (optional,
list, leaf, lazy, enum, input object). Types it does not cover (``Maybe``, ``GlobalID``,
inputs with their own ``from_input``, field extensions) raise ``NotBindable`` when the
binder is built, and the caller keeps calling ``get_arguments`` for that field. The
equality of the two on every keyed mutation is tested (tests/compiled/test_arguments.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING
from typing import Any

from strawberry.relay.types import GlobalID
from strawberry.scalars import is_scalar
from strawberry.types.base import StrawberryList, StrawberryMaybe, StrawberryOptional, has_object_definition
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.lazy_type import LazyType
from strawberry.types.unset import UNSET

Convert = Callable[[Any], Any]


class NotBindable(Exception):
    """A type the binder does not convert: Strawberry's ``get_arguments`` must."""


def _identity(value: Any) -> Any:
    return value


class ArgumentBinder:
    """The resolver's ``(args, kwargs)`` for one Strawberry field, as ``get_arguments`` builds them."""

    def __init__(self, field: Any, *, config: Any, scalar_registry: Mapping[object, Any]) -> None:
        if field.extensions:
            raise NotBindable("field extensions may reshape the arguments")
        self.registry = scalar_registry
        self.config = config
        self.arguments = [
            (config.name_converter.from_argument(argument), argument.python_name, self._converter(argument.type))
            for argument in field.arguments
        ]
        resolver = field.base_resolver
        self.source_first = resolver is not None and resolver.self_parameter is not None
        self.source_names = [] if resolver is None else [
            parameter.name for parameter in (resolver.parent_parameter, resolver.root_parameter) if parameter
        ]
        self.info_name = None if resolver is None or resolver.info_parameter is None else resolver.info_parameter.name

    def bind(self, values: Mapping[str, Any], *, source: Any, info: Any) -> tuple[list[Any], dict[str, Any]]:
        kwargs = {python: convert(values[name]) for name, python, convert in self.arguments if name in values}
        for name in self.source_names:
            kwargs[name] = source
        if self.info_name is not None:
            kwargs[self.info_name] = info
        return ([source] if self.source_first else []), kwargs

    def _converter(self, type_: Any) -> Convert:
        if isinstance(type_, StrawberryMaybe):
            raise NotBindable("Maybe")
        if isinstance(type_, StrawberryOptional):
            return self._converter(type_.of_type)
        inner = self._present(type_)

        def convert(value: Any) -> Any:
            if value is None or value is UNSET:
                return value
            return inner(value)

        return convert

    def _present(self, type_: Any) -> Convert:
        """The converter of a value that is neither None nor UNSET."""
        if isinstance(type_, StrawberryList):
            item = type_.of_type
            if self._leaf(item) or (isinstance(item, StrawberryOptional) and self._leaf(item.of_type)):
                return list  # a copy: graphql-core shares a default between requests
            convert_item = self._converter(item)
            return lambda values: [convert_item(value) for value in values]
        if self._leaf(type_):
            return _identity
        if isinstance(type_, LazyType):
            return self._present(type_.resolve_type())
        if has_enum_definition(type_):
            return self._present(type_.__strawberry_definition__)
        if has_object_definition(type_):
            return self._input_object(type_)
        raise NotBindable(f"argument type {type_!r}")

    def _leaf(self, type_: Any) -> bool:
        if type_ is GlobalID:
            raise NotBindable("GlobalID")
        if isinstance(type_, LazyType):
            return self._leaf(type_.resolve_type())
        return is_scalar(type_, self.registry) or isinstance(type_, StrawberryEnumDefinition)

    def _input_object(self, cls: Any) -> Convert:
        definition = cls.__strawberry_definition__
        if definition.from_input is not None:
            raise NotBindable(f"{cls.__name__} builds itself (from_input)")
        defaults = {
            field.python_name: None for field in definition.fields
            if definition.is_input and field.default_value is MISSING and field.default_factory is MISSING
        }
        fields = [
            (self.config.name_converter.from_field(field), field.python_name,
             self._converter(field.resolve_type(type_definition=definition)))
            for field in definition.fields
        ]

        def build(value: Mapping[str, Any]) -> Any:
            kwargs = dict(defaults)
            for name, python, convert in fields:
                if name in value:
                    kwargs[python] = convert(value[name])
            return cls(**kwargs)

        return build
