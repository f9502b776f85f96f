"""CI and its tooling: lint runs before the suite; a missing Node peer package is named, not an import error."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.node_peers import NODE_DIR, missing_node_peers, require_node_peers

ROOT = Path(__file__).resolve().parents[1]
PEER_SCRIPTS = sorted(path.name for path in NODE_DIR.glob("*.mjs") if path.name != "peers.mjs")


def test_ci_runs_lint_before_the_suite() -> None:
    commands = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip().startswith("make ")]
    assert commands[-2:] == ["make lint", "make test"]
    assert "mypy" in (ROOT / "Makefile").read_text().split("\nlint:")[1]


@pytest.fixture
def bare_peers(tmp_path: Path) -> Path:
    """tests/node's scripts and package.json where `make node-peers` never ran (no node_modules)."""
    for path in [*NODE_DIR.glob("*.mjs"), NODE_DIR / "package.json"]:
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
@pytest.mark.parametrize("script", PEER_SCRIPTS)
def test_a_peer_script_names_its_missing_package(bare_peers: Path, script: str) -> None:
    done = subprocess.run(["node", str(bare_peers / script), "http://127.0.0.1:9/graphql"], capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 3, done.stderr
    first_line = done.stderr.splitlines()[0]
    assert first_line.startswith('missing npm package "') and first_line.endswith("run make node-peers")
    assert "ERR_MODULE_NOT_FOUND" not in done.stderr and "at " not in done.stderr  # no stack trace


def test_the_python_side_names_the_missing_packages(bare_peers: Path) -> None:
    assert "graphql-http" in missing_node_peers(bare_peers) and "playwright-core" in missing_node_peers(bare_peers)
    with pytest.raises(pytest.fail.Exception, match=r"missing npm package\(s\) .*graphql-http.*run make node-peers"):
        require_node_peers(bare_peers)


def test_lint_types_the_tests_and_the_bench_strictly() -> None:
    """mypy strict (pyproject's ``strict = true``) over every Python tree, tests and bench included."""
    lint = (ROOT / "Makefile").read_text().split("\nlint:")[1].split("\n\n")[0]
    mypy_lines = [line.split() for line in lint.splitlines() if "/mypy " in line]
    checked = {word for line in mypy_lines for word in line[1:] if not word.startswith("-")}
    trees = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    assert trees == {"bench", "gateway", "schema", "services", "tests"}
    assert trees <= checked
    config = (ROOT / "pyproject.toml").read_text().split("[tool.mypy]")[1].split("\n[")[0]
    assert "strict = true" in config
    assert not any(f'"^{tree}/' in config for tree in trees)  # none excluded from the check
