"""``ArgumentBinder`` converts a field's arguments exactly as Strawberry's ``get_arguments`` does.

For every root field of the schema (queries and mutations), arguments are generated
from the GraphQL types (every input field given, then only the required ones), coerced
by graphql-core as a request's would be, and converted both ways: the results must be
equal, class for class.
"""

from __future__ import annotations

import enum
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    Undefined,
    coerce_input_value,
)
from strawberry.schema.schema_converter import get_arguments

from schema import build_schema
from schema.compiled.arguments import ArgumentBinder

SCHEMA = build_schema()
#: A valid input value per scalar, as a client sends it (before coercion).
SAMPLES: dict[str, Any] = {
    "String": "order-7", "ID": "Merchant_3", "Int": 7, "Float": 1.5, "Boolean": True, "Decimal": "12.50",
    "Date": "2026-11-20", "DateTime": "2026-11-20T10:00:00+08:00",
}
INFO = object()


def _sample(type_: GraphQLInputType, *, required_only: bool) -> Any:
    if isinstance(type_, GraphQLNonNull):
        return _sample(type_.of_type, required_only=required_only)
    if isinstance(type_, GraphQLList):
        return [_sample(type_.of_type, required_only=required_only)] * 2
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        return {
            name: _sample(field.type, required_only=required_only) for name, field in type_.fields.items()
            if not required_only or (isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined)
        }
    assert isinstance(type_, GraphQLScalarType)
    return SAMPLES[type_.name]


def _root_fields() -> list[tuple[str, str]]:
    fields = []
    for root in (SCHEMA._schema.query_type, SCHEMA._schema.mutation_type):
        assert root is not None
        # Federation's _entities takes _Any representations: not a field clients call with inputs.
        fields += [(root.name, name) for name, field in root.fields.items() if field.args and not name.startswith("_")]
    return fields


def _plain(value: Any) -> Any:
    """Comparable form: input objects by class and fields, enums by class and member."""
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, enum.Enum):
        return (type(value), value)
    if hasattr(value, "__strawberry_definition__"):
        return (type(value), {k: _plain(v) for k, v in vars(value).items()})
    return value


@pytest.mark.parametrize(("root", "name"), _root_fields())
@pytest.mark.parametrize("required_only", [False, True], ids=["every-field", "required-only"])
def test_binder_converts_as_strawberry(root: str, name: str, required_only: bool) -> None:
    definition = getattr(SCHEMA._schema, "query_type" if root == "Query" else "mutation_type").fields[name]
    field = SCHEMA.get_field_for_type(name, root)
    assert field is not None
    raw = {arg: _sample(a.type, required_only=required_only) for arg, a in definition.args.items()
           if not required_only or isinstance(a.type, GraphQLNonNull)}
    coerced = {arg: coerce_input_value(value, definition.args[arg].type) for arg, value in raw.items()}
    registry = SCHEMA.schema_converter.scalar_registry
    binder = ArgumentBinder(field, config=SCHEMA.config, scalar_registry=registry)

    ours = binder.bind(coerced, source=None, info=INFO)
    theirs = get_arguments(field=field, source=None, info=INFO, kwargs=dict(coerced),  # type: ignore[arg-type]
                           config=SCHEMA.config, scalar_registry=registry)

    assert _plain(ours[0]) == _plain(theirs[0])
    assert _plain(ours[1]) == _plain(theirs[1])
    assert ours[1], "the resolver gets its arguments"


def test_null_and_omitted_values_stay_as_strawberry_leaves_them() -> None:
    field = SCHEMA.get_field_for_type("merchants", "Query")
    assert field is not None
    registry = SCHEMA.schema_converter.scalar_registry
    binder = ArgumentBinder(field, config=SCHEMA.config, scalar_registry=registry)
    values = {"first": 5, "after": None}
    theirs = get_arguments(field=field, source=None, info=INFO, kwargs=dict(values),  # type: ignore[arg-type]
                           config=SCHEMA.config, scalar_registry=registry)
    assert binder.bind(values, source=None, info=INFO) == theirs
