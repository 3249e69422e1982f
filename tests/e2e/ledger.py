"""scripts/ledger-check, run as an operator would against one local stack."""

from __future__ import annotations

import os
import subprocess

from scripts.devstack.stack import ROOT, LocalStack


def assert_ledger_check_passes(stack: LocalStack) -> None:
    """Both of its checks (entries against balances, the ledger against the business
    records) find no difference in what the stack's flows did."""
    checked = subprocess.run(
        [str(ROOT / "scripts" / "ledger-check")],
        env={
            **os.environ,
            "ADMITONE_MOTO_PORT": str(stack.ports.moto),
            "ADMITONE_STRIPE_PORT": str(stack.ports.stripe),
            "ADMITONE_API_PORT": str(stack.ports.api),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.strip().endswith(", 0 differences"), checked.stdout
