"""The package boundaries (ADR 018) hold, and the tool that holds them sees a real leak.

`make lint` runs import-linter with the contracts in pyproject.toml; these tests run
the same command here, so the suite also fails on a leak, and then plant one leak per
contract in a copy of the code to show each contract is broken by it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("gateway", "schema", "services")


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    # PYTHONPATH first, so a copy is analysed instead of the installed (editable) code;
    # no cache, so a planted import is never answered from an earlier run.
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), str(root / "pyproject.toml"), "--no-cache", "--no-logo"],
        cwd=root, env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )


def _contract_lines(output: str) -> dict[str, str]:
    """Each contract's name (as pyproject.toml gives it) to KEPT or BROKEN, from the report."""
    flat = re.sub(r"\s*\n\s*", " ", output)  # the report wraps long names
    return {name: verdict for name, verdict in re.findall(r"([A-Z][^\n]*?) (KEPT|BROKEN)", flat)}


def test_every_boundary_contract_is_kept() -> None:
    done = _lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_make_lint_runs_the_contracts() -> None:
    assert "lint-imports" in (ROOT / "Makefile").read_text().split("\nlint:")[1].split("\n\n")[0]


@pytest.fixture(scope="module")
def copy_of_the_code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("boundaries")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__", "*.graphql"))
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


#: One real leak per contract: (module that leaks, the import it gains, the contract it breaks).
LEAKS = [
    ("services/payments/service.py", "import schema.entities", "services never import either"),
    ("services/credit/service.py", "from services.payments.repository import parties_page",
     "reach payments only through services.payments"),
    ("services/payments/graph/access.py", "from services.partners.repository import grants_of",
     "reach partners only through services.partners"),
    ("services/kernel/money.py", "from services.payments import Party", "The shared kernel imports no service"),
    ("services/funds/service.py", "import services.credit.accrual", "reach credit only through services.credit"),
    ("services/credit/service.py", "import services.funds.repository", "reach funds only through services.funds"),
    ("schema/queries.py", "from services.payments.repository import parties_page", "The schema runs no SQL"),
    ("schema/entities.py", "import asyncpg", "The schema runs no SQL"),
    ("gateway/demo_plan.py", "from services.payments.models import PaymentStatus",
     "reaches the services only through schema/"),
    ("gateway/events.py", "from services.payments import outbox", "reaches the services only through schema/"),
    ("services/credit/service.py", "import services.scheduling", "The scheduled jobs sit above the services"),
    ("services/scheduling/jobs.py", "from services.credit.accrual import accrue_day",
     "reach credit only through services.credit"),
    ("gateway/scheduler.py", "from services.scheduling import JOBS", "reaches the services only through schema/"),
]


@pytest.mark.parametrize(("module", "leak", "contract"), LEAKS, ids=[f"{m}:{c}" for m, _, c in LEAKS])
def test_a_planted_leak_breaks_its_contract(copy_of_the_code: Path, module: str, leak: str, contract: str) -> None:
    target = copy_of_the_code / module
    original = target.read_text()
    target.write_text(original + f"\n{leak}  # planted by tests/test_boundaries.py\n")
    try:
        done = _lint_imports(copy_of_the_code)
    finally:
        target.write_text(original)
    assert done.returncode != 0, done.stdout
    broken = [name for name, verdict in _contract_lines(done.stdout).items() if verdict == "BROKEN"]
    assert [name for name in broken if contract in name], (contract, done.stdout)


#: Postgres schemas and the package that owns each (DESIGN.md: one schema per service).
SQL_OWNERS = {"payments": "services/payments", "credit": "services/credit", "funds": "services/funds",
              "partners": "services/partners", "gateway": "gateway"}
_SQL_TABLE = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE|REFERENCES|TABLE)\s+(" + "|".join(SQL_OWNERS) + r")\.\w+")


def _sql_lines(path: Path) -> list[tuple[int, str]]:
    """The lines that may hold SQL: comments and ``literal`` mentions in docstrings set aside."""
    comment = "--" if path.suffix == ".sql" else "#"
    kept = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        code = line.split(comment, 1)[0] if line.lstrip().startswith(comment) or path.suffix == ".sql" else line
        kept.append((number, re.sub(r"``.*?``", "", code)))
    return kept


def test_sql_naming_a_service_schema_lives_in_that_service() -> None:
    """A service's tables are named only in its own package; others call its public functions,
    and the compiled path composes fragments the owning package provides."""
    leaks = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*")):
            if path.suffix not in (".py", ".sql"):
                continue
            relative = path.relative_to(ROOT).as_posix()
            for number, line in _sql_lines(path):
                for owner in _SQL_TABLE.findall(line):
                    if not relative.startswith(SQL_OWNERS[owner] + "/"):
                        leaks.append(f"{relative}:{number}: {line.strip()}")
    assert leaks == [], "\n".join(leaks)


def test_services_name_the_join_only_lazily_and_in_one_place() -> None:
    """Slices return the joined Merchant/Consumer by a lazy reference (no import, which the
    contracts would see), named in the kernel once; nothing else in services may name schema
    or gateway."""
    named = [path.relative_to(ROOT).as_posix()
             for path in sorted((ROOT / "services").rglob("*.py"))
             for line in path.read_text().splitlines()
             if re.search(r"[\"'](schema|gateway)\.", line)]
    assert named == ["services/kernel/graph/entities.py"], named
