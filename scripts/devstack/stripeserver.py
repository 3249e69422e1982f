"""localstripe on loopback only, keeping its store in memory (no pickle in /tmp), with
the disputes, failing refunds, manual capture and Connect accounts and transfers it
lacks (stripe_extensions.py).
Run: python -m scripts.devstack.stripeserver --port 8420
"""

from __future__ import annotations

import argparse
import signal

from aiohttp import web
from localstripe import resources

from scripts.devstack import stripe_extensions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8420)
    args = parser.parse_args()
    # The terminal's Ctrl-C reaches this process too; the stack that started it stops it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Upstream pickles its whole store to /tmp after every request and reloads it
    # at start: state would leak between runs and between users of the machine.
    resources.Store.dump_to_disk = lambda self, *a, **k: None  # type: ignore[method-assign]
    resources.Store.try_load_from_disk = lambda self, *a, **k: None  # type: ignore[method-assign]
    app = stripe_extensions.install()
    # Said once the port is bound (run_app prints after its sites start): the stack
    # waits for these words, not for any answer on the port.
    web.run_app(
        app,
        host="127.0.0.1",
        port=args.port,
        print=lambda _: print(f"localstripe listening on http://127.0.0.1:{args.port}", flush=True),
    )


if __name__ == "__main__":
    main()
