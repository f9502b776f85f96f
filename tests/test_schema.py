"""The committed SDL is the printed schema: a change to the graph shows up in review."""

from __future__ import annotations

import re

import pytest

from schema.build import build_schema
from schema.export import SCHEMA_DIR

COMMITTED = SCHEMA_DIR / "fingraph.graphql"


def test_the_committed_sdl_is_the_printed_schema() -> None:
    printed = build_schema().as_str() + "\n"
    committed = COMMITTED.read_text()
    assert committed == printed, (
        f"{COMMITTED} differs from the schema the code builds: "
        "run `fingraph schema export` and commit the result"
    )


@pytest.mark.parametrize("entity", ["Merchant", "Consumer", "Payment"])
def test_entities_are_keyed_by_id(entity: str) -> None:
    sdl = COMMITTED.read_text()
    assert re.search(rf'^type {entity}( implements [\w &]+)? @key\(fields: "id"\)', sdl, re.MULTILINE), entity


def test_the_schema_is_a_federation_2_subgraph() -> None:
    assert re.search(r'^schema @link\(url: "https://specs.apollo.dev/federation/v2\.\d+"', COMMITTED.read_text())


def test_every_committed_sdl_file_matches_the_code() -> None:
    """schema/fingraph.graphql and schema/subgraphs/*.graphql: `fingraph schema export --check`."""
    from schema.export import export_sdl

    drifted = export_sdl(check=True)
    assert drifted == [], f"run `fingraph schema export` and commit: {drifted}"
    assert sorted(p.stem for p in (SCHEMA_DIR / "subgraphs").glob("*.graphql")) == ["credit", "funds", "payments"]
