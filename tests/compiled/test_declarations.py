"""Every field says how it is built, on the field itself (issue 14, item 1).

The compiled path's registry, roots, guards and keyed mutations are found by walking the
schema; these tests walk it too, and fail on a reachable field that neither carries a
spec nor says why it stays on the standard path.
"""

from __future__ import annotations

import textwrap

import pytest
import strawberry

from schema import build_schema
from schema.compiled import keyed_mutations, specs_of, uncovered
from services.kernel.access import EXPOSURES, Exposure
from services.kernel.graph.compiled import Leaf, Nested, Row, sql, standard_only

SCHEMA = build_schema()._schema


def test_every_field_the_compiled_path_reaches_is_compiled_or_marked_standard_only() -> None:
    assert uncovered(SCHEMA) == []


@strawberry.type
class Shop:
    name: str = strawberry.field(metadata=sql(Leaf(lambda row: row["name"])))
    ledger: str = strawberry.field(metadata=standard_only("an audit, read rarely"))
    motto: str


@strawberry.type
class ShopQuery:
    @strawberry.field(metadata=sql(Nested(lambda row, args, scope: (None, Row("s")))))
    def shop(self) -> Shop:
        return Shop(name="tea", ledger="", motto="")

    @strawberry.field
    def hidden(self) -> Shop:
        return Shop(name="tea", ledger="", motto="")


def test_the_walk_names_a_field_without_a_spec_or_a_mark() -> None:
    # given a tiny schema: one described field, one marked, one that says nothing
    schema = strawberry.Schema(query=ShopQuery)._schema
    # then the unmarked field of a reachable type, and the unmarked root, are named
    assert uncovered(schema) == ["Shop.motto", "ShopQuery.hidden"]
    # and the registry holds only what is described
    assert set(specs_of(schema).fields) == {("ShopQuery", "shop"), ("Shop", "name")}


def test_a_standard_only_mark_must_give_its_reason() -> None:
    with pytest.raises(ValueError, match="say why"):
        standard_only("  ")


@strawberry.input
class PayInput:
    amount: int
    idempotency_key: str


@strawberry.input
class RateInput:
    stars: int


@strawberry.type
class ShopMutation:
    @strawberry.mutation
    def pay(self, input: PayInput) -> int:
        return input.amount

    @strawberry.mutation
    def rate(self, input: RateInput) -> int:
        return input.stars


def test_a_mutation_is_keyed_because_its_input_has_an_idempotency_key() -> None:
    schema = strawberry.Schema(query=ShopQuery, mutation=ShopMutation)
    assert "idempotencyKey: String!" in textwrap.dedent(str(schema))
    assert keyed_mutations(schema._schema) == {"pay"}


def test_every_keyed_mutation_of_the_schema_has_a_key_and_no_other_is_keyed() -> None:
    mutation = SCHEMA.mutation_type
    assert mutation is not None
    keyed = specs_of(SCHEMA).keyed
    for name, field in mutation.fields.items():
        printed = str(field.args["input"].type) if "input" in field.args else ""
        input_type = SCHEMA.get_type(printed.rstrip("!")) if printed else None
        has_key = input_type is not None and "idempotencyKey" in getattr(input_type, "fields", {})
        assert (name in keyed) == has_key, name


@pytest.mark.parametrize("type_name", sorted(EXPOSURES))
def test_party_fields_are_guarded_by_their_exposure(type_name: str) -> None:
    guards = specs_of(SCHEMA).guards
    for field_name, exposure in EXPOSURES[type_name].items():
        guard = guards.get((type_name, field_name))
        if exposure is Exposure.PUBLIC:
            assert guard is None, field_name
        else:
            assert guard is not None, field_name
            assert (guard.counterparty is not None) == (exposure is Exposure.PERSONAL), field_name
