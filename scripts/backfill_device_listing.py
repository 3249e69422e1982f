"""Give gate devices paired before the venue device listing existed their listing keys.

    scripts/backfill-device-listing            against the running local stack
    scripts/backfill-device-listing --table T  against table T (credentials, region and
                                               endpoint from the usual AWS configuration)

Until a device carries them it is missing from ``GET /venues/{venue_id}/devices`` and
from the revocation that removing its pairer makes; one that is never used again would
never get them. Run once after deploying the listing; running it again changes nothing.
Reads the whole table (a Scan): an operator's tool, never a request path.
"""

from __future__ import annotations

import argparse
import sys

from scripts.ledger_check import ROOT, local_table


def run(table_name: str | None = None) -> int:
    """List every unlisted device of ``table_name`` (default: ``TABLE_NAME``'s); how many."""
    from admitone.adapters.dynamo import gate_access  # noqa: PLC0415

    return gate_access.list_unlisted_devices(table_name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/backfill-device-listing", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--table", help="a deployed table's name (default: the local stack's)")
    args = parser.parse_args(argv)
    table_name = args.table or local_table()
    sys.path.insert(0, str(ROOT / "layers" / "admitone"))
    print(f"backfill-device-listing: {run(table_name)} devices listed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
