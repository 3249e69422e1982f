"""The boundaries in pyproject.toml hold (scripts/test runs lint-imports), and the
allow-list of services not yet on the ports can only shrink: a service that reaches the
table without being listed fails, and so does a line left after its service moved."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

ROOT_LINE = '    "admitone.services.wiring -> admitone.adapters.dynamo.store",\n'
VENUES_LINE = '    "admitone.services.venues -> admitone.adapters.dynamo.**",\n'


def _lint(pyproject: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "pyproject.toml"
    config.write_text(pyproject)
    return subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), str(config), "--no-cache"],
        cwd=ROOT,
        env={
            **os.environ,
            "PYTHONPATH": f"{ROOT}:{ROOT / 'layers' / 'admitone'}",
            "COLUMNS": "400",  # one finding per line
        },
        capture_output=True,
        text=True,
        check=False,
    )


def _committed() -> str:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert ROOT_LINE in pyproject
    assert VENUES_LINE in pyproject
    return pyproject


def test_the_boundaries_hold_as_committed(tmp_path: Path):
    linted = _lint(_committed(), tmp_path)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_a_service_reaching_the_table_unlisted_fails(tmp_path: Path):
    linted = _lint(_committed().replace(VENUES_LINE, ""), tmp_path)

    assert linted.returncode != 0
    assert "admitone.services.venues -> admitone.adapters.dynamo" in linted.stdout


def test_a_line_left_after_its_service_moved_fails(tmp_path: Path):
    # The composition root builds the store and reaches nothing else of the table.
    stale = "admitone.services.wiring -> admitone.adapters.dynamo.keys"
    pyproject = _committed().replace(ROOT_LINE, f'{ROOT_LINE}    "{stale}",\n')

    linted = _lint(pyproject, tmp_path)

    assert linted.returncode != 0
    assert f"No matches for ignored import {stale}" in linted.stdout
