"""What client tools read (issue 16, items 2, 3 and 5): the client SDL, the possible types,
introspection without duplicate directive locations, and scalars that say their format."""

from __future__ import annotations

import json

import pytest
from graphql import build_schema as build_sdl
from graphql import get_introspection_query, graphql_sync

from schema.build import build_schema
from schema.export import SCHEMA_DIR

pytestmark = pytest.mark.unit

CLIENT_SDL = SCHEMA_DIR / "client.graphql"
POSSIBLE_TYPES = SCHEMA_DIR / "possible-types.json"


def test_the_client_sdl_loads_on_its_own_without_federation_internals() -> None:
    # when a client tool loads the committed client SDL by itself (graphql-core: no @link known)
    text = CLIENT_SDL.read_text()
    schema = build_sdl(text)
    # then it is the graph without the router's parts
    assert "@link" not in text and "@key" not in text and "@requiresScopes" not in text
    query = schema.query_type
    assert query is not None
    assert "_entities" not in query.fields and "_service" not in query.fields
    assert schema.get_type("_Any") is None and schema.get_type("_Entity") is None
    # and with every field a client reads
    assert {"me", "node", "merchant", "merchants", "payment", "earningsComparison"} <= set(query.fields)


def test_possible_types_list_every_member_of_every_interface_and_union() -> None:
    published = json.loads(POSSIBLE_TYPES.read_text())
    schema = build_sdl(CLIENT_SDL.read_text())
    assert published["Party"] == ["Consumer", "Merchant"]
    for cached in ("Wallet", "FundHolding", "CreditLine", "Drawdown", "Fund", "Partner", "Payment", "Consumer"):
        assert cached in published["Node"], cached
    for name, members in published.items():
        assert sorted(t.name for t in schema.get_possible_types(schema.get_type(name))) == members  # type: ignore[arg-type]


def _introspection() -> dict[str, object]:
    result = graphql_sync(build_schema()._schema, get_introspection_query(specified_by_url=True))
    assert result.errors is None and result.data is not None
    return result.data["__schema"]  # type: ignore[no-any-return]


def test_no_directive_lists_a_location_twice_in_introspection() -> None:
    directives = _introspection()["directives"]
    assert isinstance(directives, list)
    for directive in directives:
        assert len(set(directive["locations"])) == len(directive["locations"]), directive["name"]
    cost = next(d for d in directives if d["name"] == "cost")
    assert cost["locations"].count("ENUM") == 1


def test_amounts_and_dates_say_where_their_format_is_specified() -> None:
    types = _introspection()["types"]
    assert isinstance(types, list)
    urls = {t["name"]: t.get("specifiedByURL") for t in types if t["kind"] == "SCALAR"}
    assert urls["Decimal"] and urls["Date"] and urls["DateTime"]


def test_error_codes_and_line_statuses_are_enums_a_client_can_switch_on() -> None:
    schema = build_sdl(CLIENT_SDL.read_text())
    code = schema.get_type("UserError").fields["code"].type  # type: ignore[union-attr]
    assert str(code) == "UserErrorCode!"
    assert {"INVALID_AMOUNT", "INSUFFICIENT_FUNDS", "IDEMPOTENCY_KEY_REUSED"} <= set(
        schema.get_type("UserErrorCode").values  # type: ignore[union-attr]
    )
    assert str(schema.get_type("CreditLine").fields["status"].type) == "CreditLineStatus!"  # type: ignore[union-attr]


def test_me_returns_the_party_interface_that_consumer_and_merchant_implement() -> None:
    schema = build_sdl(CLIENT_SDL.read_text())
    assert str(schema.query_type.fields["me"].type) == "Party"  # type: ignore[union-attr]
    for member in ("Consumer", "Merchant"):
        assert {"Node", "Party"} <= {i.name for i in schema.get_type(member).interfaces}  # type: ignore[union-attr]
