"""The contract's operations as client tools read them (``tests/node/clients/contract.graphql``).

``../shared/CONTRACT.md`` names every operation; the committed file holds, verbatim, each
one this schema answers, so the client peers (Apollo, codegen, Relay) run exactly those.
``contract_operations`` re-reads them from CONTRACT.md where that file is reachable, and
a test fails when the committed file drifts from it (``python -m tests.clients.contract``
rewrites it).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from graphql import OperationDefinitionNode, parse, validate
from graphql import build_schema as build_sdl

from schema.export import SCHEMA_DIR

ROOT = Path(__file__).parents[2]
CONTRACT_MD = ROOT.parent / "shared" / "CONTRACT.md"
CONTRACT_GRAPHQL = ROOT / "tests" / "node" / "clients" / "contract.graphql"
_BLOCK = re.compile(r"```graphql\n(.*?)```", re.DOTALL)
_COMMENT = re.compile(r"\s+#[^\n]*")


def contract_operations(markdown: str) -> dict[str, str]:
    """Each named operation of the contract's graphql blocks, by name, as written there."""
    found: dict[str, str] = {}
    for block in _BLOCK.findall(markdown):
        text = _COMMENT.sub("", block)
        document = parse(text)
        for definition in document.definitions:
            assert isinstance(definition, OperationDefinitionNode) and definition.name is not None
            assert definition.loc is not None
            found[definition.name.value] = text[definition.loc.start:definition.loc.end]
    return found


def answered(operations: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The operations the client SDL validates, and the names of those it does not (yet)."""
    schema = build_sdl((SCHEMA_DIR / "client.graphql").read_text())
    valid = {name: text for name, text in operations.items() if not validate(schema, parse(text))}
    return valid, sorted(set(operations) - set(valid))


def committed() -> dict[str, str]:
    return contract_operations("```graphql\n" + CONTRACT_GRAPHQL.read_text() + "```")


def render(operations: dict[str, str]) -> str:
    header = ("# The operations of ../shared/CONTRACT.md this schema answers, verbatim\n"
              "# (written by `python -m tests.clients.contract`; a test checks it against CONTRACT.md).\n")
    return header + "\n".join(text for text in operations.values()) + "\n"


if __name__ == "__main__":
    valid, missing = answered(contract_operations(CONTRACT_MD.read_text()))
    CONTRACT_GRAPHQL.write_text(render(valid))
    print(f"wrote {len(valid)} operations; not in this schema: {', '.join(missing) or 'none'}", file=sys.stderr)
