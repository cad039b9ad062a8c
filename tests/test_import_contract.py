"""The import contract (.importlinter, run by `make lint` in CI) holds for the tree, and it bites:
a deliberate upward import or a cycle between two modules breaks it (issue 10)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=tree, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=300,
    )


@pytest.fixture
def tree(tmp_path):
    """A copy of the code and the contract, to break on purpose."""
    for name in ("slrt", "lint"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", tmp_path)
    return tmp_path


def test_the_tree_keeps_the_contract():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken." in result.stdout


def lint_with_import(tree: Path, module_file: str, statement: str) -> subprocess.CompletedProcess:
    """Lint the copy after adding one import statement at the end of `module_file`."""
    with open(tree / module_file, "a") as f:
        f.write(f"\n{statement}  # noqa\n")
    return lint(tree)


def test_an_upward_import_from_the_foundation_breaks_the_layers(tree):
    result = lint_with_import(tree, "slrt/registry/nik.py", "from slrt.cases import models as _upward")
    assert result.returncode == 1
    assert "slrt.registry is not allowed to import slrt.cases" in result.stdout
    assert "slrt.registry.nik -> slrt.cases.models" in result.stdout


def test_a_lower_desk_app_importing_a_higher_one_breaks_the_layers(tree):
    result = lint_with_import(tree, "slrt/cases/models.py", "from slrt.referrals import workflow as _upward")
    assert result.returncode == 1
    assert "slrt.cases is not allowed to import slrt.referrals" in result.stdout


def test_two_modules_importing_each_other_break_the_cycle_contracts(tree):
    # Both in the foundation's base layer, where the layers contract allows either direction.
    (tree / "slrt/wilayah/ping.py").write_text("from slrt.accounts import pong  # noqa\n")
    (tree / "slrt/accounts/pong.py").write_text("from slrt.wilayah import ping  # noqa\n")
    result = lint(tree)
    assert result.returncode == 1
    assert "These modules import each other" in result.stdout
    assert "- slrt.accounts.pong" in result.stdout and "- slrt.wilayah.ping" in result.stdout


def test_the_settings_parts_importing_an_app_break_their_contract(tree):
    # slrt.conf runs while settings load: an app imported there would load before Django is set up.
    result = lint_with_import(tree, "slrt/conf/database.py", "from slrt.core import dbrouter as _app")
    assert result.returncode == 1
    assert "slrt.conf is not allowed to import slrt.core" in result.stdout
