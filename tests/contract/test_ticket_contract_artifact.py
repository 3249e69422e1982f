"""The compiled ticket contract the chain adapter ships is what contracts/admitone_ticket.vy
compiles to today, for the production chain's EVM version."""

from __future__ import annotations

import json

from scripts import contract_build
from tests.conftest import ROOT


def test_the_committed_artifact_is_what_the_source_compiles_to():
    committed = (ROOT / contract_build.ARTIFACT).read_text()
    fresh = contract_build.render(contract_build.compile_contract())
    assert committed == fresh, "the contract artifact is stale: run scripts/contracts"


def test_the_contract_is_compiled_for_polygons_evm_and_says_so_in_its_source():
    artifact = json.loads((ROOT / contract_build.ARTIFACT).read_text())
    assert artifact["evm_version"] == "cancun"
    assert "# pragma evm-version cancun" in (ROOT / contract_build.SOURCE).read_text()
