"""An on-sale against the local stack: N buyers at once for one ticket type, with the
inventory in 1 shard and in 8.

It starts its own local stack (moto server, localstripe, the gateway and a pool of
Lambda worker processes per function, as `scripts/run` does) on free ports. Every buyer
is a separate client address (per-IP payment limits are not what is measured) with an
access token signed by the stack's own key (as login would issue it: registering N
accounts would measure argon2, not the checkout). Each buyer sends one POST /orders for
one ticket at the same moment.

Printed per shard count:
- holds/s: accepted orders over the wall time of the on-sale;
- p50 / p99 latency of POST /orders as the buyer sees it (accepted and sold out alike);
- oversell: seats held + sold beyond capacity, from the organizer's stats (must be 0);
- DynamoDB writes and Stripe calls per accepted order, measured apart on one order
  placed in this process through the same service code against the same stack:
  write requests (TransactWriteItems counts its items), and the write capacity
  DynamoDB reports when asked with ``ReturnConsumedCapacity`` (moto reports none:
  printed as n/a rather than made up).

``--against REV`` runs the same on-sales against a commit's functions, layer, template
and local stack too (its tree exported from git into a temporary folder, the same venv),
both stacks up at once and their races alternating (before, after, after, before), so a
load that comes and goes on a shared machine falls on both alike; it prints before,
after and the change. The writes and Stripe calls of one order are measured in this tree.

Prints figures; asserts nothing. Run: ``.venv/bin/python -m scripts.bench.onsale [-n 200]
[--against REV]``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import requests

from admitone.domain.ids import Prefix, new_id
from admitone.domain.jwt_tokens import AccessClaims, Role, issue_jwt
from admitone.domain.keys import KeySet
from scripts.devstack.loopback import client_from, free_port
from scripts.devstack.stack import ROOT, LocalStack, Ports

CAPACITY = 100
_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


class Bench:
    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        values: dict[str, Any] = stack.stack.secret_values  # type: ignore[attr-defined]
        document = next(v for v in values.values() if isinstance(v, dict) and "keys" in v)
        self.keys = KeySet.from_document(document)
        self.issuer = stack.stack.function("LoginFunction").environment["JWT_ISSUER"]

    def token(self, *roles: str, user_id: str | None = None) -> str:
        """A fresh access token of a new user with ``roles``, or of ``user_id`` (made by an
        earlier call: a long bench outlives an access token's lifetime)."""
        if user_id is None:
            user_id = new_id(Prefix.USER)
            self._store_user(user_id, roles)
        claims = AccessClaims(
            sub=user_id, roles=tuple(Role(r) for r in roles), email="b@example.com"
        )
        return issue_jwt(claims, keys=self.keys, issuer=self.issuer, now=datetime.now(UTC)).token

    def _store_user(self, user_id: str, roles: tuple[str, ...]) -> None:
        """The authorizer accepts tokens of users that exist only: store a bare one."""
        from admitone.adapters.dynamo import keys  # noqa: PLC0415
        from admitone.adapters.dynamo.table import to_attributes  # noqa: PLC0415

        item = {
            **keys.user(user_id),
            "entity": "user",
            "user_id": user_id,
            "email": "b@example.com",
            "name": "Bench buyer",
            "roles": list(roles),
            "email_verified": True,
            "password_hash": "!",  # no password signs in to it
            "failed_logins": 0,
            "created_at": int(time.time()),
        }
        dynamodb = boto3.client(
            "dynamodb",
            endpoint_url=self.stack.moto_url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106  (moto's, not a secret)
        )
        dynamodb.put_item(
            TableName=self.stack.stack.resolve({"Ref": "Table"}), Item=to_attributes(item)
        )

    def on_sale(self, shards: int) -> tuple[str, str, dict[str, str]]:
        auth = {"Authorization": f"Bearer {self.token('organizer', 'buyer')}"}
        now = datetime.now(UTC).replace(microsecond=0)
        stamp = "%Y-%m-%dT%H:%M:%SZ"

        def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            response = requests.post(
                f"{self.stack.api_url}{path}", json=body, headers=auth, timeout=30
            )
            response.raise_for_status()
            return response.json()

        venue = post(
            "/venues",
            {
                "name": "Arena",
                "timezone": "America/Chicago",
                "address": {
                    "line1": "1 Arena Way",
                    "city": "Nashville",
                    "state": "TN",
                    "postal_code": "37201",
                    "country": "US",
                },
            },
        )
        event = post(
            "/events",
            {
                "venue_id": venue["id"],
                "title": f"On-sale x{shards}",
                "category": "music",
                "starts_at": (now + timedelta(days=30)).strftime(stamp),
                "ends_at": (now + timedelta(days=30, hours=3)).strftime(stamp),
                "sales_start": (now - timedelta(minutes=1)).strftime(stamp),
                "sales_end": (now + timedelta(days=30)).strftime(stamp),
            },
        )
        ticket_type = post(
            f"/events/{event['id']}/ticket-types",
            {"name": "GA", "price_cents": 7500, "capacity": CAPACITY, "shards": shards},
        )
        post(f"/events/{event['id']}/publish", {})
        return event["id"], ticket_type["id"], auth

    def race(self, buyers: int, shards: int, first_address: int) -> dict[str, Any]:
        event_id, ticket_type_id, organizer = self.on_sale(shards)
        body = {"event_id": event_id, "items": [{"ticket_type_id": ticket_type_id, "quantity": 1}]}
        tokens = [self.token("buyer") for _ in range(buyers)]
        start = threading.Barrier(buyers + 1)

        def buy(n: int) -> tuple[int, float]:
            address = first_address + n
            client = client_from(f"127.{address >> 16 & 255}.{address >> 8 & 255}.{address & 255}")
            headers = {
                "Authorization": f"Bearer {tokens[n]}",
                "Idempotency-Key": f"bench-{uuid.uuid4()}",
            }
            start.wait()
            began = time.perf_counter()
            response = client.post(
                f"{self.stack.api_url}/orders", json=body, headers=headers, timeout=120
            )
            return response.status_code, time.perf_counter() - began

        with concurrent.futures.ThreadPoolExecutor(max_workers=buyers) as pool:
            futures = [pool.submit(buy, n) for n in range(buyers)]
            start.wait()
            began = time.perf_counter()
            results = [f.result() for f in futures]
            wall = time.perf_counter() - began
        statuses = Counter(status for status, _ in results)
        latencies = sorted(seconds for _, seconds in results)
        stats = requests.get(
            f"{self.stack.api_url}/events/{event_id}/stats", headers=organizer, timeout=30
        ).json()
        (counts,) = stats["ticket_types"]
        return {
            "shards": shards,
            "statuses": dict(sorted(statuses.items())),
            "holds_per_s": statuses[201] / wall,
            "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
            "oversell": max(0, counts["held"] + counts["sold"] - CAPACITY),
        }

    def cost_of_one_order(self, shards: int) -> dict[str, Any]:
        """Write requests, consumed capacity and Stripe calls of one accepted order."""
        spec = self.stack.stack.function("PlaceOrderFunction")
        os.environ.update(self.stack.runtime.environment(spec))
        os.environ["AWS_ENDPOINT_URL"] = self.stack.moto_url
        from admitone.adapters.aws import client  # noqa: PLC0415  (after the environment)
        from admitone.domain.accounts import Principal  # noqa: PLC0415
        from admitone.domain.checkout import CartItem  # noqa: PLC0415
        from admitone.services.orders import place_order  # noqa: PLC0415
        from admitone.services.wiring import ports  # noqa: PLC0415

        event_id, ticket_type_id, _ = self.on_sale(shards)
        dynamodb = client("dynamodb")
        writes = Counter[str]()
        capacity: list[float] = []

        def ask_for_capacity(params: dict[str, Any], **_: Any) -> None:
            params["ReturnConsumedCapacity"] = "TOTAL"

        def count(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
            if model.name in _WRITES:
                writes["requests"] += 1
                writes["items"] += 1
                used = parsed.get("ConsumedCapacity") or []
                for entry in used if isinstance(used, list) else [used]:
                    capacity.append(float(entry.get("CapacityUnits", 0)))

        def count_items(params: dict[str, Any], **_: Any) -> None:
            writes["items"] += len(params.get("TransactItems", [])) - 1

        for operation in _WRITES:
            dynamodb.meta.events.register(
                f"provide-client-params.dynamodb.{operation}", ask_for_capacity
            )
            dynamodb.meta.events.register(f"after-call.dynamodb.{operation}", count)
        dynamodb.meta.events.register(
            "provide-client-params.dynamodb.TransactWriteItems", count_items
        )

        stripe_calls = Counter[str]()
        real_request = requests.Session.request

        def counting_request(session: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            if url.startswith(self.stack.stripe_url):
                stripe_calls[
                    f"{method} {url.split('?', maxsplit=1)[0].removeprefix(self.stack.stripe_url)}"
                ] += 1
            return real_request(session, method, url, *args, **kwargs)

        requests.Session.request = counting_request  # type: ignore[method-assign]
        try:
            buyer = Principal(
                user_id=new_id(Prefix.USER),
                roles=frozenset({Role.BUYER}),
                email="b@example.com",
            )
            place_order(
                ports(),
                buyer,
                event_id,
                [CartItem(ticket_type_id, 1)],
                voucher_code=None,
                attendee_email=None,
                stripe_key=lambda op: f"bench-{uuid.uuid4()}-{op}",
            )
        finally:
            requests.Session.request = real_request  # type: ignore[method-assign]
        return {
            "write_requests": writes["requests"],
            "items_written": writes["items"],
            "consumed_wcu": sum(capacity) if capacity else "n/a (not reported)",
            "stripe_calls": sum(stripe_calls.values()),
        }


def _stack(root: Path, log_dir: Path) -> LocalStack:
    ports = Ports(api=free_port(), moto=free_port(), stripe=free_port(), chain=free_port())
    return LocalStack(
        ports,
        lambda *_: None,
        template_path=root / "template.yaml",
        root=root,
        run_schedules=False,
        log_dir=log_dir,
    )


def _line(result: dict[str, Any]) -> str:
    return (
        f"holds/s {result['holds_per_s']:.1f}, p50 {result['p50_ms']:.0f} ms, "
        f"p99 {result['p99_ms']:.0f} ms, oversell {result['oversell']}, "
        f"answers {result['statuses']}"
    )


def _print_cost(bench: Bench) -> None:
    cost = bench.cost_of_one_order(shards=8)
    print(
        f"per accepted order: {cost['write_requests']} DynamoDB write requests "
        f"({cost['items_written']} items), consumed WCU {cost['consumed_wcu']}, "
        f"Stripe calls {cost['stripe_calls']}"
    )


_EXPORTED = ("template.yaml", "functions", "layers", "scripts")


def _change(before: float, after: float) -> str:
    return f"{(after - before) / before:+.0%}" if before else "n/a"


def export_tree(revision: str, into: Path) -> Path:
    """The template, functions, layer and local stack as they were at ``revision``."""
    archived = subprocess.run(
        ["git", "archive", "--format=tar", revision, *_EXPORTED],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    with tarfile.open(fileobj=io.BytesIO(archived.stdout)) as archive:
        archive.extractall(into, filter="data")
    return into


def compare(revision: str, buyers: int) -> int:
    """The on-sales at ``revision`` (before) and in this tree (after), alternating."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        before_root = export_tree(revision, folder / "before")
        (folder / "logs-before").mkdir()
        (folder / "logs-after").mkdir()
        stacks = {
            "before": _stack(before_root, folder / "logs-before"),
            "after": _stack(ROOT, folder / "logs-after"),
        }
        try:
            for stack in stacks.values():
                stack.start()
            benches = {name: Bench(stack) for name, stack in stacks.items()}
            print(
                f"on-sale: {buyers} buyers, 1 ticket each, capacity {CAPACITY}; "
                f"before = {revision}, after = this tree, races alternating"
            )
            order = [("before", 1), ("after", 1), ("after", 8), ("before", 8)]
            results: dict[tuple[str, int], dict[str, Any]] = {}
            for n, (name, shards) in enumerate(order):
                results[name, shards] = benches[name].race(
                    buyers, shards, first_address=(10 + n) << 16
                )
            for shards in (1, 8):
                before, after = results["before", shards], results["after", shards]
                print(f"shards={shards}:")
                print(f"  before: {_line(before)}")
                print(f"  after:  {_line(after)}")
                print(
                    f"  change: p50 {_change(before['p50_ms'], after['p50_ms'])}, "
                    f"p99 {_change(before['p99_ms'], after['p99_ms'])}, "
                    f"holds/s {_change(before['holds_per_s'], after['holds_per_s'])}"
                )
            _print_cost(benches["after"])
        finally:
            for stack in stacks.values():
                stack.stop()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--buyers", type=int, default=200)
    parser.add_argument(
        "--against",
        metavar="REV",
        help="also run the on-sales at this commit (before), alternating with this tree's",
    )
    args = parser.parse_args()
    if args.against:
        return compare(args.against, args.buyers)
    with tempfile.TemporaryDirectory() as logs:
        stack = _stack(ROOT, Path(logs))
        stack.start()
        try:
            bench = Bench(stack)
            print(f"on-sale: {args.buyers} buyers, 1 ticket each, capacity {CAPACITY}")
            for n, shards in enumerate((1, 8)):
                result = bench.race(args.buyers, shards, first_address=(10 + n) << 16)
                print(f"shards={result['shards']}: {_line(result)}")
            _print_cost(bench)
        finally:
            stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
