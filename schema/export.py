"""The committed SDL: ``schema/fingraph.graphql`` is the printed schema, checked for drift."""

from __future__ import annotations

from pathlib import Path

from schema.build import build_schema
from schema.subgraphs import subgraph_sdls

SCHEMA_DIR = Path(__file__).parent


def sdl_files() -> dict[Path, str]:
    """The whole graph, and each service's subgraph (schema/subgraphs/<service>.graphql)."""
    schema = build_schema()
    files = {SCHEMA_DIR / "fingraph.graphql": schema.as_str() + "\n"}
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
