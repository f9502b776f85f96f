"""The committed SDL: ``schema/fingraph.graphql`` is the printed schema, checked for drift."""

from __future__ import annotations

from pathlib import Path

from schema.build import build_schema

SCHEMA_DIR = Path(__file__).parent


def sdl_files() -> dict[Path, str]:
    return {SCHEMA_DIR / "fingraph.graphql": build_schema().as_str() + "\n"}


def export_sdl(*, check: bool = False) -> list[Path]:
    """Paths whose content differs from the code (written unless ``check``)."""
    drifted = []
    for path, sdl in sdl_files().items():
        if not path.exists() or path.read_text() != sdl:
            drifted.append(path)
            if not check:
                path.write_text(sdl)
    return drifted
