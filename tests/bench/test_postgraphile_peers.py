"""Which PostGraphile the bench can start here, and why not (bench/postgraphile.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import postgraphile


def test_postgraphile_5_runs_on_the_pinned_node_when_it_is_installed() -> None:
    if not postgraphile.PINNED_NODE.exists():
        pytest.skip(f"{postgraphile.PINNED_NODE} is missing: run `make bench-peers`")
    command, settings = postgraphile.command(postgraphile.V5, dsn="postgresql://x/y", port=1234, pool_max=7)
    assert command[:2] == [str(postgraphile.PINNED_NODE), str(postgraphile.CLI[postgraphile.V5])]
    assert settings == {"FINGRAPH_PG5_DSN": "postgresql://x/y", "FINGRAPH_PG5_PORT": "1234",
                        "FINGRAPH_PG5_POOL_MAX": "7"}


def test_without_a_node_of_22_or_later_postgraphile_5_is_skipped_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # given no pinned binary and a system node 20 (a script answering as one)
    old_node = tmp_path / "node"
    old_node.write_text("#!/bin/sh\necho v20.20.2\n")
    old_node.chmod(0o755)
    monkeypatch.setattr(postgraphile, "PINNED_NODE", tmp_path / "missing" / "node")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setitem(postgraphile.CLI, postgraphile.V5, old_node)  # any existing file: the CLI is there

    # then 5 cannot run, and says why, while 4 can
    reason = postgraphile.available(postgraphile.V5)
    assert reason is not None and "Node >= 22" in reason
    monkeypatch.setitem(postgraphile.CLI, postgraphile.V4, old_node)
    assert postgraphile.available(postgraphile.V4) is None


def test_without_the_npm_packages_both_peers_are_skipped_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    for peer in postgraphile.PEERS:
        monkeypatch.setitem(postgraphile.CLI, peer, Path("/nonexistent/cli.js"))
        reason = postgraphile.available(peer)
        assert reason is not None and "make bench-peers" in reason
