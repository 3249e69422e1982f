"""Issue 34: the README's "Calling the API" walkthrough, run as written on a fresh local
stack (its ports given as ADMITONE_*_PORT, as a reader's `scripts/run` would), ends
with a paid order and its tickets, so the text cannot go stale."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import requests

from scripts.devstack.stack import ROOT, LocalStack
from tests.e2e.conftest import StartStack

pytestmark = pytest.mark.e2e

START = "<!-- walkthrough:start -->"
END = "<!-- walkthrough:end -->"


def walkthrough_commands(readme: str) -> list[str]:
    """The shell blocks between the walkthrough's markers, in their order."""
    section = readme.split(START, 1)[1].split(END, 1)[0]
    return re.findall(r"^```sh\n(.*?)^```", section, re.MULTILINE | re.DOTALL)


@pytest.fixture(scope="module")
def stack(start_stack: StartStack) -> LocalStack:
    return start_stack(ROOT / "template.yaml")[0]


def test_the_readme_walkthrough_ends_with_a_paid_order_and_its_tickets(
    stack: LocalStack, tmp_path: Path
):
    blocks = walkthrough_commands((ROOT / "README.md").read_text())
    assert len(blocks) >= 5
    outcome = tmp_path / "outcome"
    # What the reader ends up holding, written out so the test can look for itself.
    script = "\n".join(
        ["set -euo pipefail", *blocks, f'printf "%s\\n" "$ORDER_ID" "$ACCESS_TOKEN" > {outcome}']
    )
    run = subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT,
        env={
            **os.environ,
            "ADMITONE_API_PORT": str(stack.ports.api),
            "ADMITONE_MOTO_PORT": str(stack.ports.moto),
            "ADMITONE_STRIPE_PORT": str(stack.ports.stripe),
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}"

    order_id, access_token = outcome.read_text().split()
    headers = {"Authorization": f"Bearer {access_token}"}
    order = requests.get(f"{stack.api_url}/orders/{order_id}", headers=headers, timeout=30).json()
    assert order["status"] == "paid"
    assert [t["status"] for t in order["tickets"]] == ["valid", "valid"]
    mine = requests.get(f"{stack.api_url}/me/tickets", headers=headers, timeout=30).json()
    assert {t["id"] for t in mine["tickets"]} == {t["id"] for t in order["tickets"]}
    assert '"status": "paid"' in run.stdout
