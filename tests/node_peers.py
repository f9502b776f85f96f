"""The Node peers' npm packages (tests/node/package.json): a test that needs a missing one fails
and says which, and how to install them, instead of failing on Node's import error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NODE_DIR = Path(__file__).parent / "node"


def missing_node_peers(node_dir: Path = NODE_DIR) -> list[str]:
    """The packages of ``node_dir``'s package.json that are not installed in its node_modules."""
    wanted = json.loads((node_dir / "package.json").read_text())["dependencies"]
    return [name for name in wanted if not (node_dir / "node_modules" / name / "package.json").is_file()]


def require_node_peers(node_dir: Path = NODE_DIR) -> None:
    """Fail the calling test with a clear message when a peer package is missing."""
    missing = missing_node_peers(node_dir)
    if missing:
        pytest.fail(f"missing npm package(s) {', '.join(missing)} in {node_dir}: run make node-peers",
                    pytrace=False)
