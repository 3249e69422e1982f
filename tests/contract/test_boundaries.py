"""The import boundaries (pyproject.toml's import-linter contracts) hold, and fail the
build when broken: a copy of the tree with one forbidden import does not pass."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=tree,
        env={"PYTHONPATH": f"{tree}:{tree / 'layers' / 'admitone'}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )


def _copy_tree(tmp_path: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "functions", tmp_path / "functions", ignore=ignore)
    shutil.copytree(
        ROOT / "layers" / "admitone" / "admitone",
        tmp_path / "layers" / "admitone" / "admitone",
        ignore=ignore,
    )
    return tmp_path


def test_the_tree_keeps_every_contract(tmp_path: Path):
    result = _lint(_copy_tree(tmp_path))
    assert result.returncode == 0, result.stdout
    assert " 0 broken" in result.stdout


def test_a_domain_module_that_imports_an_adapter_breaks_the_build(tmp_path: Path):
    tree = _copy_tree(tmp_path)
    rogue = tree / "layers" / "admitone" / "admitone" / "domain" / "rogue.py"
    rogue.write_text("from admitone.adapters.dynamo import table  # noqa\n")
    result = _lint(tree)
    assert result.returncode == 1
    assert "admitone.domain.rogue -> admitone.adapters.dynamo.table" in result.stdout
    assert "1 broken" in result.stdout
