"""Start and stop the whole local stack: moto, localstripe, the chain (an EVM with the
ticket contract), provisioning, the runtime, the gateway and every event source, all from
one template."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import requests

from scripts.devstack.failures import (
    FAILED,
    ToolFailure,
    port_setting,
    refuse_taken_ports,
    require_stack,
)
from scripts.devstack.gateway import Gateway, serve
from scripts.devstack.pollers import ScheduleClock, SqsPoller, StreamPoller
from scripts.devstack.provision import Provisioner
from scripts.devstack.runtime import LogSink, Runtime
from scripts.devstack.template import Stack

if TYPE_CHECKING:
    from scripts.devstack.ticket_contract import Deployment

ROOT = Path(__file__).resolve().parents[2]
STRIPE_WEBHOOK_ROUTE = "POST /webhooks/stripe"


@dataclass(frozen=True)
class Ports:
    api: int = 3000
    moto: int = 4566
    stripe: int = 8420
    chain: int = 8545

    @classmethod
    def from_environment(cls) -> Ports:
        return cls(
            api=port_setting("ADMITONE_API_PORT", cls.api),
            moto=port_setting("ADMITONE_MOTO_PORT", cls.moto),
            stripe=port_setting("ADMITONE_STRIPE_PORT", cls.stripe),
            chain=port_setting("ADMITONE_CHAIN_PORT", cls.chain),
        )

    def settings(self) -> list[tuple[str, int]]:
        """Each port with the variable that chooses it."""
        return [
            ("ADMITONE_API_PORT", self.api),
            ("ADMITONE_MOTO_PORT", self.moto),
            ("ADMITONE_STRIPE_PORT", self.stripe),
            ("ADMITONE_CHAIN_PORT", self.chain),
        ]

    def require_moto(self) -> None:
        """Fail in one sentence unless the local stack's moto answers."""
        require_stack([("moto", "ADMITONE_MOTO_PORT", self.moto)])


class ConsoleSink:
    """Function logs on stdout, each line prefixed with the function's name."""

    COLORS = (36, 32, 33, 35, 34, 96, 92, 93, 95, 94)

    def __init__(self, stream: IO[str] = sys.stdout) -> None:
        self.stream = stream
        self.color = stream.isatty()
        self.width = 12
        self._lock = threading.Lock()
        self._assigned: dict[str, int] = {}

    def __call__(self, name: str, line: str) -> None:
        with self._lock:
            self.width = max(self.width, len(name))
            label = name.ljust(self.width)
            if self.color:
                code = self._assigned.setdefault(name, self.COLORS[len(self._assigned) % 10])
                label = f"\033[{code}m{label}\033[0m"
            self.stream.write(f"{label} | {line}\n")
            self.stream.flush()


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


def wait_until_listening(
    name: str, process: subprocess.Popen[bytes], log_path: Path, port: int, timeout: float = 60
) -> None:
    """Until ``process`` says it listens on ``port``: its own word, written once its bind
    succeeded, so that another program answering there is never taken for it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            lines = log_path.read_text(errors="replace").strip().splitlines()
            raise ToolFailure(
                f"{name} stopped at start ({lines[-1] if lines else 'no output'}); "
                f"its log is {log_path}",
                FAILED,
            )
        if f"listening on http://127.0.0.1:{port}" in log_path.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise ToolFailure(f"{name} did not start listening within {timeout:.0f} s", FAILED)


@dataclass
class LocalStack:
    ports: Ports
    sink: LogSink
    template_path: Path = ROOT / "template.yaml"
    root: Path = ROOT
    run_schedules: bool = True
    log_dir: Path = ROOT / ".devstack"
    # Fork execution environments from an interpreter that imported their third-party
    # modules once (runtime.py): for tests, which start hundreds; not real cold starts.
    preload_imports: bool = False
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    process_names: list[str] = field(default_factory=list)
    sources: list[threading.Thread] = field(default_factory=list)
    stop_event: threading.Event = field(default_factory=threading.Event)

    @property
    def moto_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.moto}"

    @property
    def stripe_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.stripe}"

    @property
    def chain_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.chain}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.api}"

    def _spawn(self, name: str, module: str, port: int) -> subprocess.Popen[bytes]:
        self.log_dir.mkdir(exist_ok=True)
        log_path = self.log_dir / f"{module.rsplit('.', 1)[-1]}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", module, "--port", str(port)],
                cwd=self.root,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.processes.append(process)
        self.process_names.append(name)
        wait_until_listening(name, process, log_path, port)
        return process

    def start(self) -> None:
        # Before anything starts or writes: a taken port is another program's (maybe
        # another stack's), which this one must never provision into or log over.
        refuse_taken_ports(self.ports.settings())
        self._spawn("moto", "scripts.devstack.motoserver", self.ports.moto)
        self.sink("moto", f"listening on {self.moto_url}")
        self._spawn("localstripe", "scripts.devstack.stripeserver", self.ports.stripe)
        self.sink("localstripe", f"listening on {self.stripe_url}")
        self._spawn("chain", "scripts.devstack.chainserver", self.ports.chain)
        self.sink("chain", f"listening on {self.chain_url} (Ethereum JSON-RPC)")
        self.stack = self.attach(self.template_path, self.root, self.moto_url, self.stripe_url)
        self.chain = self.attach_chain(self.stack, self.chain_url, self.api_url)
        if self.chain is not None:
            self.sink(
                "chain",
                f"ticket contract {self.chain.address} on chain id {self.chain.chain_id}; "
                f"minter {self.chain.minter}",
            )
        self.runtime = Runtime(
            self.stack, aws_endpoint=self.moto_url, sink=self.sink, preload=self.preload_imports
        )
        try:
            self.server: ThreadingHTTPServer = serve(
                Gateway(self.stack, self.runtime), "127.0.0.1", self.ports.api
            )
        except OSError as error:
            raise ToolFailure(
                f"the API cannot listen on 127.0.0.1:{self.ports.api} ({error.strerror}); "
                "set ADMITONE_API_PORT to a free port"
            ) from None
        self._start_sources()
        self._register_stripe_webhook()
        if self.template_path == ROOT / "template.yaml":
            self._seed_dev_accounts()
        self.sink("gateway", f"API listening on {self.api_url}")

    @staticmethod
    def attach(template_path: Path, root: Path, moto_url: str, stripe_url: str) -> Stack:
        """Load the template for local values and provision it (idempotently) into moto."""
        stack = Stack.load(root, template_path)
        overrides = {"Stage": "local", "StripeApiBase": stripe_url, "WebhooksAllowLoopback": "true"}
        # A local run need not wait the resale cooling period's ten minutes (issue 19).
        if cooling := os.environ.get("ADMITONE_RESALE_COOLING_SECONDS"):
            overrides["ResaleCoolingSeconds"] = cooling
        stack.parameters.update({k: v for k, v in overrides.items() if k in stack.parameters})
        provisioner = Provisioner(stack, moto_url)
        provisioner.provision()
        stack.secret_values = provisioner.secret_values  # type: ignore[attr-defined]
        return stack

    @staticmethod
    def attach_chain(stack: Stack, chain_url: str, api_url: str) -> Deployment | None:
        """Deploy the ticket contract (once) with the minter key the secrets hold, and point
        the template's chain parameters at it; None when no secret holds a minter key."""
        values: dict[str, Any] = stack.secret_values  # type: ignore[attr-defined]
        minter_key = next((v["minter_key"] for v in values.values() if "minter_key" in v), None)
        if minter_key is None:
            return None
        # web3 costs ~1.4 s to import: only the stack's start and the chain's tools pay it.
        from scripts.devstack import ticket_contract  # noqa: PLC0415

        deployment = ticket_contract.deploy(chain_url, minter_key, f"{api_url}/nft/")
        overrides = {
            "ChainRpcUrl": chain_url,
            "ChainId": str(deployment.chain_id),
            "TicketContractAddress": deployment.address,
        }
        stack.parameters.update({k: v for k, v in overrides.items() if k in stack.parameters})
        return deployment

    def _start_sources(self) -> None:
        provisioner = Provisioner(self.stack, self.moto_url)
        sqs, streams = provisioner.client("sqs"), provisioner.client("dynamodbstreams")
        threads: list[threading.Thread] = []
        threads += [
            SqsPoller(s, self.runtime, sqs, self.stop_event, self.sink)
            for s in self.stack.sqs_sources()
            if s.enabled
        ]
        threads += [
            StreamPoller(s, self.runtime, streams, self.stop_event, self.sink)
            for s in self.stack.stream_sources()
            if s.enabled
        ]
        if self.run_schedules:
            threads.append(ScheduleClock(self.stack, self.runtime, self.stop_event, self.sink))
        for thread in threads:
            thread.start()
        self.sources = threads

    def _register_stripe_webhook(self) -> None:
        if not any(r.route_key == STRIPE_WEBHOOK_ROUTE for r in self.stack.http_routes()):
            return
        values: dict[str, Any] = self.stack.secret_values  # type: ignore[attr-defined]
        secret = next(v["webhook_secret"] for v in values.values() if "webhook_secret" in v)
        requests.post(
            f"{self.stripe_url}/_config/webhooks/admitone",
            data={"url": f"{self.api_url}/webhooks/stripe", "secret": secret},
            timeout=5,
        ).raise_for_status()
        self.sink("localstripe", f"webhooks go to {self.api_url}/webhooks/stripe")

    def _seed_dev_accounts(self) -> None:
        """admin@ and organizer@admitone.local, through the functions' own adapters."""
        any_function = self.stack.function_ids()[0]
        env = self.runtime.environment(self.stack.function(any_function))
        env["PYTHONPATH"] = os.pathsep.join([str(self.root), str(self.runtime.layer_dir)])
        if "ADMITONE_DEV_PASSWORD" in os.environ:
            env["ADMITONE_DEV_PASSWORD"] = os.environ["ADMITONE_DEV_PASSWORD"]
        seeded = subprocess.run(
            [sys.executable, "-m", "scripts.devstack.seed"],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
            process_group=0,  # a Ctrl-C while seeding is the stack's to handle, not its
        )
        for line in seeded.stdout.splitlines():
            self.sink("seed", line)

    def stop(self) -> None:
        """Stop every part, newest first, and say so once per part."""
        self.stop_event.set()
        server = getattr(self, "server", None)
        if server is not None:
            server.shutdown()
            server.server_close()
            self.sink("gateway", "stopped")
        runtime = getattr(self, "runtime", None)
        if runtime is not None:
            # Workers first: an invocation a poller waits on ends at once.
            runtime.close()
            for source in self.sources:
                source.join(timeout=10)
            if self.sources:
                self.sink("event sources", "stopped")
            self.sink("workers", "stopped")
        for process in self.processes:
            process.terminate()
        for name, process in zip(self.process_names, self.processes, strict=True):
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            self.sink(name, "stopped")
