"""The ticket contract's ABI and bytecode, compiled from contracts/*.vy by the vyper package
(offline: no compiler download) for the chain's EVM version.

    scripts/contracts           write the compiled artifact the chain adapter ships
    scripts/contracts --check   exit 1 (and say why) when the artifact is not what the source says

The artifact is committed so that a Lambda build needs no compiler (vyper is a build and
test dependency only); scripts/build and a contract test refuse a stale one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

from scripts.devstack import failures
from scripts.devstack.failures import FAILED, ToolFailure

ROOT = Path(__file__).resolve().parents[1]
SOURCE = Path("contracts/admitone_ticket.vy")
ARTIFACT = Path("layers/admitone/admitone/adapters/chain/admitone_ticket.json")
# Polygon PoS (the production chain) executes Cancun's opcodes; the source's pragma says
# the same, and vyper refuses a pragma that disagrees with these settings.
EVM_VERSION = "cancun"


def compile_contract(root: Path = ROOT) -> dict[str, Any]:
    """ABI and creation bytecode of the ticket contract, with what produced them."""
    # Imported here: the local stack reads this module's paths and needs no compiler.
    import vyper  # noqa: PLC0415
    from vyper.compiler.settings import OptimizationLevel, Settings  # noqa: PLC0415

    source = (root / SOURCE).read_text()
    compiled = vyper.compile_code(
        source,
        contract_path=str(SOURCE),
        output_formats=["abi", "bytecode"],
        settings=Settings(evm_version=EVM_VERSION, optimize=OptimizationLevel.GAS),
    )
    return {
        "contract": SOURCE.stem,
        "source": str(SOURCE),
        "source_sha256": hashlib.sha256(source.encode()).hexdigest(),
        "compiler": f"vyper {vyper.__version__}",
        "evm_version": EVM_VERSION,
        "abi": compiled["abi"],
        "bytecode": compiled["bytecode"],
    }


def render(artifact: dict[str, Any]) -> str:
    return json.dumps(artifact, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    return failures.main("scripts/contracts", lambda: _main(argv))


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/contracts",
        description=__doc__.split("\n\n", 1)[0],
        epilog="Needs no running stack and no network.",
    )
    parser.add_argument("--check", action="store_true", help="fail when the artifact is stale")
    args = parser.parse_args(argv)
    text = render(compile_contract())
    target = ROOT / ARTIFACT
    if args.check:
        if not target.exists() or target.read_text() != text:
            raise ToolFailure(f"{ARTIFACT} is stale; run scripts/contracts", FAILED)
        return 0
    target.write_text(text)
    print(f"contracts: wrote {ARTIFACT} from {SOURCE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
