"""Where the running local stack answers, as the tools that talk to it find it: the
ports ``scripts/run`` was started with (``Ports.from_environment``), and one sentence
when nothing answers there."""

from __future__ import annotations

from dataclasses import dataclass

import requests

from scripts.devstack.failures import ToolFailure
from scripts.devstack.stack import Ports

_DEFAULTS = Ports()
PORTS_HELP = f"""\
environment (set them as for scripts/run):
  ADMITONE_API_PORT     the API's port (default {_DEFAULTS.api})
  ADMITONE_MOTO_PORT    moto's port: AWS, and the mail SES accepted (default {_DEFAULTS.moto})
  ADMITONE_STRIPE_PORT  localstripe's port (default {_DEFAULTS.stripe})
  ADMITONE_CHAIN_PORT   the local chain's JSON-RPC port (default {_DEFAULTS.chain})"""


class StackNotRunning(ToolFailure):
    """Nothing answers where the stack should; the message is the sentence to print."""


@dataclass(frozen=True)
class Endpoints:
    api: str
    moto: str
    stripe: str
    chain: str

    @classmethod
    def from_environment(cls) -> Endpoints:
        ports = Ports.from_environment()
        return cls(
            api=f"http://127.0.0.1:{ports.api}",
            moto=f"http://127.0.0.1:{ports.moto}",
            stripe=f"http://127.0.0.1:{ports.stripe}",
            chain=f"http://127.0.0.1:{ports.chain}",
        )


def require(url: str, what: str, variable: str, path: str = "/") -> None:
    """Raise ``StackNotRunning`` unless something answers HTTP at ``url``."""
    try:
        requests.get(f"{url}{path}", timeout=5)
    except requests.RequestException:
        raise StackNotRunning(
            f"Nothing answers at {url} ({what}): start the stack with scripts/run, "
            f"or set {variable} to the port it runs on."
        ) from None
