"""The committed SDL: ``schema/fingraph.graphql`` is the printed schema, checked for drift
(with the subgraphs, ``schema/client.graphql`` and ``schema/possible-types.json``)."""

from __future__ import annotations

from pathlib import Path

from schema.build import build_schema
from schema.client import client_sdl, possible_types_json
from schema.subgraphs import subgraph_sdls

SCHEMA_DIR = Path(__file__).parent


def sdl_files() -> dict[Path, str]:
    """The whole graph, each service's subgraph (schema/subgraphs/<service>.graphql), and what
    client tools read: the client SDL and Apollo's possible types (``schema.client``)."""
    schema = build_schema()
    files = {
        SCHEMA_DIR / "fingraph.graphql": schema.as_str() + "\n",
        SCHEMA_DIR / "client.graphql": client_sdl(schema),
        SCHEMA_DIR / "possible-types.json": possible_types_json(schema),
    }
    for service, sdl in subgraph_sdls(schema).items():
        files[SCHEMA_DIR / "subgraphs" / f"{service}.graphql"] = sdl
    return files


def export_sdl(*, check: bool = False) -> list[Path]:
    """Paths whose content differs from the code (written unless ``check``)."""
    drifted = []
    for path, sdl in sdl_files().items():
        if not path.exists() or path.read_text() != sdl:
            drifted.append(path)
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(sdl)
    return drifted
