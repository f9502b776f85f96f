"""The ``unit`` marker keeps its promise: a unit test that needs the database is refused at collection.

Each case runs pytest on a throwaway directory whose conftest re-exports the suite's
fixtures and hooks (tests/conftest.py), collecting only: no server starts either way.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]


def _collect(tmp_path: Path, test_source: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "conftest.py").write_text("from tests.conftest import *  # noqa: F403\n")
    (tmp_path / "test_probe.py").write_text(textwrap.dedent(test_source))
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    unit: pure\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    env.pop("PYTEST_ADDOPTS", None)  # the outer run's options (a --basetemp, say) are not the probe's
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def test_a_unit_test_asking_for_the_server_is_refused(tmp_path: Path) -> None:
    done = _collect(tmp_path, """
        import pytest

        pytestmark = pytest.mark.unit

        def test_pure() -> None:
            assert True

        def test_reaches_the_app(api: object) -> None:
            assert api
    """)
    assert done.returncode == 4, done.stdout + done.stderr  # pytest's usage error
    assert "test_probe.py::test_reaches_the_app is marked unit but needs database_url" in done.stderr


def test_unit_tests_that_need_nothing_collect(tmp_path: Path) -> None:
    done = _collect(tmp_path, """
        import pytest

        @pytest.mark.unit
        def test_pure() -> None:
            assert True

        def test_reaches_the_app(api: object) -> None:
            assert api
    """)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 tests collected" in done.stdout
