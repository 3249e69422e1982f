"""Heat: the partition keys every DynamoDB write touches, and the design ceiling they set.

moto is serialized, so a local on-sale cannot show DynamoDB's real limit: about 1,000
write units per second per partition (table or GSI). This bench measures that ceiling
from the keys themselves. It starts its own local stack (as ``onsale`` does) with moto's
recorder on from moto's first request, then runs four flows:

- hot on-sale: N buyers at once for one ticket type of 8 shards (p50/p99 of POST /orders);
- spread on-sale: N buyers over 3 events x 3 ticket types;
- payment burst: every order paid with a test card in localstripe, as Stripe.js would;
  localstripe's signed webhooks drive the payment path;
- door rush: every ticket scanned once, at 8 gates with a paired device each.

Every request moto receives, from every process (the bench, each Lambda worker), is in
moto's recording (``/moto-api/recorder/download-recording``). Each worker's requests carry
its function's name (``AWS_SDK_UA_APP_ID`` sets ``app/<function>`` in the User-Agent), so
round trips are counted per function. A flow ends when no DynamoDB write has arrived for
a few seconds, so the asynchronous work it causes (streams, queues, the bus) counts in it.

The recording holds requests, not results. The DynamoDB requests are replayed, in
moto's order, into an in-process moto: each write's items are read before and after it,
so every write is charged from the item as stored:

- size (DynamoDB's rules): attribute name lengths + values (S as UTF-8, N one byte per two
  significant digits + 1, B its bytes, BOOL/NULL 1, L/M 3 + 1 per element + elements);
- Put, Update and Delete: the larger of the item before and after the write (an UpdateItem
  is not approximated: its before and after images come from the replay); a failed
  condition is charged the item as it stood (at least 1 unit), as DynamoDB does;
- units: 1 WCU per KB rounded up per item; a transaction's items (ConditionCheck too) twice;
- GSIs (key schema read from template.yaml): an item entering an index is one write on its
  new partition, leaving it one on its old, changing its index key both, changing it
  otherwise one on its partition; each 1 unit per KB of the item, not doubled (index
  propagation is not transactional).

Ceilings. A partition's units per operation = its units over the flow / the operations
that share it. What shares it is read from the key: a key holding a ticket type id the
bench made is the type's (divided by that type's operations); an event's or its venue's id,
the event's; a key shape with at least half as many partitions as the flow has operations
(``ORDER#<id>``, a buyer's ``RATE#...``) is one buyer's and bounds nobody else; any other
key is counted as shared by all operations of the flow: the platform's. A key naming the
gate device that made a scan (its scan rate counter, its record) is that device's, shared
by its scans alone: it bounds what one gate scans, which the scan rate limit holds to 100
a minute, not the event or the platform, which add gates; it is printed as the ceiling
per gate device. Then, with 1,000 WCU/s per partition:

- per ticket type = 1,000 / the hottest units per operation of any type, event or platform
  partition (selling one type loads all three);
- per event = 1,000 / the hottest of event and platform partitions (an event selling many
  types spreads its type partitions);
- platform-wide = 1,000 / the hottest platform partition (many events spread the rest).

Stripe calls are counted by a proxy between the functions and localstripe (the buyer's own
card calls go to localstripe directly and are not counted). Prints figures; asserts
nothing. Run: ``.venv/bin/python -m scripts.bench.heat [-n 200]``.
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import json
import logging
import math
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from scripts.devstack.loopback import client_from, free_port
from scripts.devstack.stack import ROOT, LocalStack, Ports
from scripts.devstack.template import REGION, Stack

PARTITION_WCU_PER_S = 1000
KB = 1024
SHARDS = 8
GATES = 8
_DYNAMODB = "DynamoDB_20120810."
_READS = frozenset({"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"})
_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
_QUIET_S = 10.0  # 4 s ended payment bursts early on a loaded machine (webhooks still to come)
# The longest a flow's asynchronous tail is waited for: 180 s cut a 600-payment burst
# short on a loaded machine (its webhooks were still arriving, 44 % of it issued).
_FLOW_LIMIT_S = 900.0


# ----------------------------------------------------------------- pure: sizes and units


def _number_size(text: str) -> int:
    digits = text.lstrip("+-").replace(".", "").split("e")[0].split("E")[0].strip("0")
    return math.ceil(len(digits) / 2) + 1


def value_size(value: Mapping[str, Any]) -> int:
    """Bytes DynamoDB counts for one attribute value in wire format ({"S": ...})."""
    ((kind, raw),) = value.items()
    return _SIZERS[kind](raw)


_SIZERS: dict[str, Callable[[Any], int]] = {
    "S": lambda raw: len(raw.encode()),
    "N": _number_size,
    "B": lambda raw: len(base64.b64decode(raw)),
    "BOOL": lambda _: 1,
    "NULL": lambda _: 1,
    "SS": lambda raw: sum(len(s.encode()) for s in raw),
    "NS": lambda raw: sum(_number_size(n) for n in raw),
    "BS": lambda raw: sum(len(base64.b64decode(b)) for b in raw),
    "L": lambda raw: 3 + sum(1 + value_size(element) for element in raw),
    "M": lambda raw: 3 + sum(1 + len(k.encode()) + value_size(v) for k, v in raw.items()),
}


def item_size(item: Mapping[str, Mapping[str, Any]] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def write_units(size: int) -> int:
    """1 WCU per KB, rounded up per item; even an empty or missing item costs one."""
    return max(1, math.ceil(size / KB))


# ----------------------------------------------------------------- pure: keys


_KEPT_WORD = re.compile(r"^(?:[A-Z][A-Z_]*|[a-z][a-z_]{0,15})$")


def generalise(key: str) -> str:
    """``EVENT#evt_01J..`` -> ``EVENT#<id>``: words stay, numbers become <n>, ids <id>."""
    parts = []
    for segment in key.split("#"):
        if _KEPT_WORD.match(segment) or segment == "":
            parts.append(segment)
        elif segment.isdigit():
            parts.append("<n>")
        else:
            parts.append("<id>")
    return "#".join(parts)


@dataclass(frozen=True)
class KeySchema:
    """The table's key and each GSI's, as template.yaml declares them."""

    hash_key: str
    range_key: str | None
    indexes: Mapping[str, tuple[str, str | None]]

    @classmethod
    def from_table_properties(cls, properties: Mapping[str, Any]) -> KeySchema:
        def keys(schema: Iterable[Mapping[str, str]]) -> tuple[str, str | None]:
            by_type = {k["KeyType"]: k["AttributeName"] for k in schema}
            return by_type["HASH"], by_type.get("RANGE")

        hash_key, range_key = keys(properties["KeySchema"])
        indexes = {
            index["IndexName"]: keys(index["KeySchema"])
            for index in properties.get("GlobalSecondaryIndexes", [])
        }
        return cls(hash_key, range_key, indexes)


@dataclass(frozen=True)
class Charge:
    index: str  # "table" or the GSI's name
    partition: str
    units: int


Item = Mapping[str, Mapping[str, Any]]


def _partition_in(index_keys: tuple[str, str | None], item: Item | None) -> str | None:
    """The item's partition in an index, or None when the item is not in it (sparse)."""
    if not item or any(k is not None and k not in item for k in index_keys):
        return None
    (value,) = item[index_keys[0]].values()
    return str(value)


def index_charges(schema: KeySchema, before: Item | None, after: Item | None) -> list[Charge]:
    """The GSI writes a change of one item makes: one per index entry put or deleted."""
    charges = []
    for name, keys in schema.indexes.items():
        old, new = _partition_in(keys, before), _partition_in(keys, after)
        same_key = old is not None and all(
            (before or {}).get(k) == (after or {}).get(k) for k in keys if k
        )
        if old is not None and not same_key:
            charges.append(Charge(name, old, write_units(item_size(before))))
        if new is not None and (not same_key or before != after):
            charges.append(Charge(name, new, write_units(item_size(after))))
    return charges


def item_charges(
    schema: KeySchema,
    before: Item | None,
    after: Item | None,
    *,
    transactional: bool,
    key: Item,
) -> list[Charge]:
    """What one item's write costs on the table and on every GSI. A failed write leaves
    ``after == before`` and pays only the table."""
    (partition,) = key[schema.hash_key].values()
    units = write_units(max(item_size(before), item_size(after)))
    table = Charge("table", str(partition), units * (2 if transactional else 1))
    return [table, *index_charges(schema, before, after)]


def stripe_path(path: str) -> str:
    """``/v1/payment_intents/pi_3Abc.../confirm?x=1`` -> ``/v1/payment_intents/<id>/confirm``."""
    return re.sub(r"/[a-z]{2,5}_[A-Za-z0-9]{8,}", "/<id>", path.split("?", maxsplit=1)[0])


# ----------------------------------------------------------------- pure: ceilings


@dataclass(frozen=True)
class Operation:
    """One operation of a flow (an order, a payment, a scan) and what it belongs to."""

    event_ids: frozenset[str]  # the event's id and its venue's
    ticket_type_id: str
    device: frozenset[str] = frozenset()  # what names the gate device that made a scan


@dataclass(frozen=True)
class PartitionLoad:
    index: str
    partition: str
    scope: str  # "type", "event", "device", "platform" or "operation"
    units_per_op: float
    writes_per_op: float


def ceiling(units_per_op: float) -> float:
    """Operations per second one partition of 1,000 WCU/s takes at this cost per operation."""
    return math.inf if units_per_op <= 0 else PARTITION_WCU_PER_S / units_per_op


def partition_loads(charges: Iterable[Charge], operations: list[Operation]) -> list[PartitionLoad]:
    """Units per operation of every partition, hottest first, each divided by the
    operations that share it (see the module docstring)."""
    units: Counter[tuple[str, str]] = Counter()
    writes: Counter[tuple[str, str]] = Counter()
    for charge in charges:
        units[charge.index, charge.partition] += charge.units
        writes[charge.index, charge.partition] += 1
    if not operations:
        return []
    shapes = Counter((index, generalise(p)) for index, p in units)
    per_operation_shape = max(2, len(operations) // 2)
    loads = []
    for (index, partition), total in units.items():
        sharing = [o for o in operations if o.ticket_type_id in partition]
        scope = "type"
        if not sharing:
            sharing = [o for o in operations if any(e in partition for e in o.event_ids)]
            scope = "event"
        if not sharing:
            sharing = [o for o in operations if any(d in partition for d in o.device)]
            scope = "device"
        if not sharing:
            sharing = operations
            many = shapes[index, generalise(partition)] >= per_operation_shape
            scope = "operation" if many else "platform"
        loads.append(
            PartitionLoad(
                index,
                partition,
                scope,
                total / len(sharing),
                writes[index, partition] / len(sharing),
            )
        )
    return sorted(loads, key=lambda load: -load.units_per_op)


_BOUNDS = {
    "ticket type": ("type", "event", "platform"),
    "event": ("event", "platform"),
    "platform": ("platform",),
    "gate device": ("device",),
}


def ceilings(loads: Iterable[PartitionLoad]) -> dict[str, tuple[float, PartitionLoad | None]]:
    """Per ticket type, per event and platform-wide: the ceiling and the partition setting it."""
    loads = list(loads)
    result: dict[str, tuple[float, PartitionLoad | None]] = {}
    for name, scopes in _BOUNDS.items():
        bounding = [load for load in loads if load.scope in scopes]
        hottest = max(bounding, key=lambda load: load.units_per_op, default=None)
        result[name] = (ceiling(hottest.units_per_op) if hottest else math.inf, hottest)
    return result


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


# ----------------------------------------------------------------- the recording


@dataclass(frozen=True)
class Request:
    line: int
    operation: str
    caller: str
    body: bytes
    headers: dict[str, str]


def parse_recording(text: str) -> list[Request]:
    """moto's recording -> its DynamoDB requests, each with the function that made it."""
    requests_ = []
    for line, row in enumerate(text.splitlines()):
        entry = json.loads(row)
        headers = entry.get("headers") or {}
        target = headers.get("X-Amz-Target", "")
        if not target.startswith(_DYNAMODB):
            continue
        body = entry.get("body") or ""
        raw = base64.b64decode(body) if entry.get("body_encoded") else body.encode()
        app = re.search(r"\bapp/([A-Za-z0-9_.-]+)", headers.get("User-Agent", ""))
        requests_.append(
            Request(line, target.removeprefix(_DYNAMODB), app[1] if app else "bench", raw, headers)
        )
    return requests_


def _item_keys(schema: KeySchema, item: Item) -> Item:
    names = [k for k in (schema.hash_key, schema.range_key) if k]
    return {name: item[name] for name in names}


def written_items(operation: str, body: Mapping[str, Any]) -> list[tuple[str, Item, bool]]:
    """(table, item or key, transactional) of every item a write request names."""
    if operation == "PutItem":
        return [(body["TableName"], body["Item"], False)]
    if operation in ("UpdateItem", "DeleteItem"):
        return [(body["TableName"], body["Key"], False)]
    if operation == "BatchWriteItem":
        return [
            (
                table,
                request.get("PutRequest", {}).get("Item") or request["DeleteRequest"]["Key"],
                False,
            )
            for table, requests_ in body["RequestItems"].items()
            for request in requests_
        ]
    if operation == "TransactWriteItems":
        items = []
        for entry in body["TransactItems"]:
            ((kind, params),) = entry.items()
            items.append((params["TableName"], params["Item" if kind == "Put" else "Key"], True))
        return items
    return []


@dataclass
class Write:
    request: Request
    succeeded: bool
    charges: list[Charge]


class Replay:
    """The recorded DynamoDB requests, replayed in order into an in-process moto, each
    write's items read before and after it."""

    def __init__(self, schemas: Mapping[str, KeySchema]) -> None:
        from moto.moto_api import recorder  # noqa: PLC0415  (moto only for the replay)
        from moto.server import ThreadedMotoServer  # noqa: PLC0415

        from scripts.devstack import moto_patches  # noqa: PLC0415

        recorder.stop_recording()  # the replay is not part of the recording
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        moto_patches.install()
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.url = f"http://{host}:{port}/"
        self.session = requests.Session()
        self.schemas = schemas

    def stop(self) -> None:
        self.server.stop()

    def _stored(self, table_name: str, key: Item) -> dict[str, Any] | None:
        from moto.core.models import DEFAULT_ACCOUNT_ID  # noqa: PLC0415
        from moto.dynamodb.models import dynamodb_backends  # noqa: PLC0415
        from moto.dynamodb.models.dynamo_type import DynamoType  # noqa: PLC0415

        table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(table_name)
        schema = self.schemas[table_name]
        range_key = DynamoType(dict(key[schema.range_key])) if schema.range_key else None
        found = table.get_item(DynamoType(dict(key[schema.hash_key])), range_key)
        return None if found is None else found.to_json()["Attributes"]

    def run(self, recorded: list[Request]) -> list[Write]:
        writes = []
        for request in recorded:
            if request.operation in _READS:
                continue
            body = json.loads(request.body or b"{}")
            items = [
                (table, _item_keys(self.schemas[table], item), transactional)
                for table, item, transactional in written_items(request.operation, body)
                if table in self.schemas
            ]
            before = [self._stored(table, key) for table, key, _ in items]
            headers = {
                k: v
                for k, v in request.headers.items()
                if k.lower() not in ("host", "content-length", "transfer-encoding")
            }
            answer = self.session.post(self.url, data=request.body, headers=headers, timeout=30)
            if request.operation not in _WRITES:
                continue
            succeeded = answer.status_code == 200
            charges: list[Charge] = []
            for (table, key, transactional), old in zip(items, before, strict=True):
                new = self._stored(table, key) if succeeded else old
                charges += item_charges(
                    self.schemas[table], old, new, transactional=transactional, key=key
                )
            writes.append(Write(request, succeeded, charges))
        return writes

    def item_count(self, table_name: str) -> int:
        from moto.core.models import DEFAULT_ACCOUNT_ID  # noqa: PLC0415
        from moto.dynamodb.models import dynamodb_backends  # noqa: PLC0415

        table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(table_name)
        return sum(1 for _ in table.all_items())


# ----------------------------------------------------------------- the stack


class StripeCounter:
    """A proxy between the functions and localstripe that counts each call."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.calls: list[tuple[float, str]] = []
        counter = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                path = stripe_path(self.path)
                counter.calls.append((time.monotonic(), f"{self.command} {path}"))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host",)}
                answer = requests.request(
                    self.command,
                    counter.target + self.path,
                    data=body,
                    headers=headers,
                    timeout=30,
                )
                self.send_response(answer.status_code)
                for k, v in answer.headers.items():
                    if k.lower() not in (
                        "content-length",
                        "transfer-encoding",
                        "connection",
                        "content-encoding",
                    ):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_DELETE = _forward  # noqa: N815

            def log_message(self, *_: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def between(self, start: float, end: float) -> Counter[str]:
        return Counter(call for at, call in self.calls if start <= at <= end)


@dataclass
class HeatStack(LocalStack):
    """The local stack with the functions' Stripe calls going through a counter."""

    stripe_proxy_url: str = ""

    def attach(  # type: ignore[override]
        self, template_path: Path, root: Path, moto_url: str, stripe_url: str
    ) -> Stack:
        return LocalStack.attach(template_path, root, moto_url, self.stripe_proxy_url)


def name_each_function(stack: LocalStack) -> None:
    """Each worker's AWS requests say which function made them (app/<logical id>)."""
    environment = stack.runtime.environment

    def named(spec: Any) -> dict[str, str]:
        return {**environment(spec), "AWS_SDK_UA_APP_ID": spec.logical_id}

    stack.runtime.environment = named  # type: ignore[method-assign]


# ----------------------------------------------------------------- the flows


@dataclass
class Flow:
    name: str
    operation: str
    operations: list[Operation] = field(default_factory=list)
    lines: tuple[int, int] = (0, 0)
    clock: tuple[float, float] = (0.0, 0.0)


@dataclass
class Sale:
    event_id: str
    venue_id: str
    ticket_type_ids: list[str]
    organizer: dict[str, str]
    organizer_id: str


@dataclass
class PlacedOrder:
    order_id: str
    payment_intent_id: str
    buyer: dict[str, str]
    sale: Sale
    ticket_type_id: str


class HeatBench:
    def __init__(self, stack: LocalStack, stripe_counter: StripeCounter) -> None:
        from scripts.bench.onsale import Bench  # noqa: PLC0415  (its token maker)

        self.stack = stack
        self.tokens = Bench(stack)
        self.stripe_counter = stripe_counter
        self.address = 20 << 16

    def client(self) -> requests.Session:
        self.address += 1
        a = self.address
        return client_from(f"127.{a >> 16 & 255}.{a >> 8 & 255}.{a & 255}")

    def recording(self) -> str:
        answer = requests.get(
            f"{self.stack.moto_url}/moto-api/recorder/download-recording", timeout=60
        )
        answer.raise_for_status()
        return answer.text

    def quiet_mark(self) -> int:
        """The recording's length once no DynamoDB write has arrived for a few seconds."""
        last, since, deadline = -1, time.monotonic(), time.monotonic() + _FLOW_LIMIT_S
        while time.monotonic() < deadline:
            text = self.recording()
            count = sum(1 for r in parse_recording(text) if r.operation in _WRITES)
            if count != last:
                last, since = count, time.monotonic()
            elif time.monotonic() - since >= _QUIET_S:
                return len(text.splitlines())
            time.sleep(1)
        return len(self.recording().splitlines())

    def measured(self, flow: Flow, run: Callable[[], None]) -> None:
        start_line, started = self.quiet_mark(), time.monotonic()
        run()
        flow.lines = (start_line, self.quiet_mark())
        flow.clock = (started, time.monotonic())

    def sale(self, title: str, types: int, capacity: int) -> Sale:
        token = self.tokens.token("organizer", "buyer")
        auth = {"Authorization": f"Bearer {token}"}
        payload = token.split(".")[1]
        organizer_id = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))[
            "sub"
        ]
        now = datetime.now(UTC).replace(microsecond=0)

        def stamp(moment: datetime) -> str:
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

        def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            answer = requests.post(
                f"{self.stack.api_url}{path}", json=body, headers=auth, timeout=30
            )
            answer.raise_for_status()
            created: dict[str, Any] = answer.json()
            return created

        venue = post(
            "/venues",
            {
                "name": f"{title} hall",
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
                "title": title,
                "category": "music",
                "starts_at": stamp(now + timedelta(hours=3)),
                "ends_at": stamp(now + timedelta(hours=6)),
                "sales_start": stamp(now - timedelta(minutes=1)),
                "sales_end": stamp(now + timedelta(hours=3)),
            },
        )
        type_ids = [
            post(
                f"/events/{event['id']}/ticket-types",
                {
                    "name": f"Type {n}",
                    "price_cents": 5000 + 500 * n,
                    "capacity": capacity,
                    "shards": SHARDS,
                },
            )["id"]
            for n in range(types)
        ]
        post(f"/events/{event['id']}/publish", {})
        return Sale(event["id"], venue["id"], type_ids, auth, organizer_id)

    def on_sale(
        self, carts: list[tuple[Sale, str]]
    ) -> tuple[list[PlacedOrder], list[float], Counter[int]]:
        buyers = [{"Authorization": f"Bearer {self.tokens.token('buyer')}"} for _ in carts]
        clients = [self.client() for _ in carts]
        start = threading.Barrier(len(carts))

        def buy(n: int) -> tuple[int, float, PlacedOrder | None]:
            sale, type_id = carts[n]
            body = {
                "event_id": sale.event_id,
                "items": [{"ticket_type_id": type_id, "quantity": 1}],
            }
            headers = {**buyers[n], "Idempotency-Key": f"heat-{uuid.uuid4()}"}
            start.wait()
            began = time.perf_counter()
            answer = clients[n].post(
                f"{self.stack.api_url}/orders", json=body, headers=headers, timeout=120
            )
            took = time.perf_counter() - began
            if answer.status_code != 201:
                return answer.status_code, took, None
            order = answer.json()
            placed = PlacedOrder(
                order["order_id"], order["payment"]["payment_intent_id"], buyers[n], sale, type_id
            )
            return answer.status_code, took, placed

        with concurrent.futures.ThreadPoolExecutor(max_workers=len(carts)) as pool:
            results = list(pool.map(buy, range(len(carts))))
        statuses = Counter(status for status, _, _ in results)
        orders = [placed for _, _, placed in results if placed]
        return orders, [took for _, took, _ in results], statuses

    def pay(self, orders: list[PlacedOrder]) -> None:
        from stripe import StripeClient  # noqa: PLC0415

        keys = self.stack.stack.secret_values["StripeSecret"]  # type: ignore[attr-defined]
        stripe = StripeClient(keys["api_key"], base_addresses={"api": self.stack.stripe_url})

        def pay_one(order: PlacedOrder) -> None:
            stripe.v1.payment_intents.update(
                order.payment_intent_id, params={"payment_method": "pm_card_visa"}
            )
            stripe.v1.payment_intents.confirm(order.payment_intent_id)

        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(pay_one, orders))

    def tickets(self, orders: list[PlacedOrder]) -> list[tuple[PlacedOrder, str]]:
        found = []
        for order in orders:
            answer = (
                self.client()
                .get(
                    f"{self.stack.api_url}/orders/{order.order_id}", headers=order.buyer, timeout=30
                )
                .json()
            )
            found += [(order, t["qr_token"]) for t in answer.get("tickets") or []]
        return found

    def gate_devices(self, sale: Sale) -> list[tuple[str, str]]:
        """A paired device per gate: its id and its token."""
        devices = []
        for n in range(GATES):
            code = requests.post(
                f"{self.stack.api_url}/venues/{sale.venue_id}/devices",
                json={},
                headers=sale.organizer,
                timeout=30,
            ).json()
            paired = (
                self.client()
                .post(
                    f"{self.stack.api_url}/devices/pair",
                    json={"code": code["code"], "name": f"Gate {n}"},
                    headers=sale.organizer,
                    timeout=30,
                )
                .json()
            )
            devices.append((paired["device_id"], paired["device_token"]))
        return devices

    def door_rush(
        self, tickets: list[tuple[PlacedOrder, str]], devices: list[tuple[str, str]]
    ) -> Counter[str]:
        clients = [self.client() for _ in devices]

        def scan(n: int) -> str:
            order, token = tickets[n]
            gate = n % len(devices)
            answer = clients[gate].post(
                f"{self.stack.api_url}/events/{order.sale.event_id}/scans",
                json={"token": token, "gate": f"Gate {gate}"},
                headers={**order.sale.organizer, "X-Device-Token": devices[gate][1]},
                timeout=60,
            )
            return str(answer.json().get("result", answer.status_code))

        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            return Counter(pool.map(scan, range(len(tickets))))


def device_names(device_id: str) -> frozenset[str]:
    """A device's id and the pseudonym its scan rate counter is keyed by."""
    from admitone.adapters.dynamo.rate_counters import pseudonym  # noqa: PLC0415
    from admitone.domain.rate_limits import POLICY, Family  # noqa: PLC0415

    return frozenset({device_id, *(pseudonym(limit, device_id) for limit in POLICY[Family.SCAN])})


def operation_of(sale: Sale, ticket_type_id: str) -> Operation:
    return Operation(frozenset({sale.event_id, sale.venue_id}), ticket_type_id)


# ----------------------------------------------------------------- the report


def report_flow(
    flow: Flow, writes: list[Write], recorded: list[Request], stripe: Counter[str]
) -> None:
    start, end = flow.lines
    inside = [w for w in writes if start <= w.request.line < end and w.request.caller != "bench"]
    ops = len(flow.operations)
    print(f"\n== {flow.name}: {ops} {flow.operation}s")
    if not ops:
        return
    failed = sum(1 for w in inside if not w.succeeded)
    print(f"   write requests {len(inside)} ({failed} refused by their condition, still charged)")
    loads = partition_loads([c for w in inside for c in w.charges], flow.operations)
    print("   hottest partitions (units and writes per operation, shared by):")
    shown: set[tuple[str, str, str]] = set()
    for load in loads:
        shape = (load.index, generalise(load.partition), load.scope)
        if shape in shown or load.scope == "operation":
            continue
        shown.add(shape)
        print(
            f"     {load.units_per_op:6.2f} WCU {load.writes_per_op:5.2f} writes  "
            f"{load.index:5} {shape[1]:<40} {load.scope}"
        )
        if len(shown) == 8:
            break
    for name, (value, bound) in ceilings(loads).items():
        if name == "gate device" and bound is None:
            continue  # no flow but the door rush has devices
        where = f"{bound.index} {generalise(bound.partition)}" if bound else "no shared partition"
        print(f"   ceiling per {name:<11} {value:>10,.0f} {flow.operation}s/s  (hottest: {where})")
    calls: dict[str, Counter[str]] = defaultdict(Counter)
    for request in recorded:
        if start <= request.line < end and request.caller != "bench":
            calls[request.caller][request.operation] += 1
    print(f"   DynamoDB round trips per {flow.operation}, by function:")
    for caller, by_operation in sorted(calls.items()):
        total = sum(by_operation.values()) / ops
        detail = ", ".join(f"{op} {n / ops:.2f}" for op, n in sorted(by_operation.items()))
        print(f"     {caller:<28} {total:5.2f}  ({detail})")
    stripe_total = sum(stripe.values())
    detail = ", ".join(f"{call} {n / ops:.2f}" for call, n in sorted(stripe.items()))
    print(f"   Stripe calls per {flow.operation}: {stripe_total / ops:.2f}  ({detail or 'none'})")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--buyers", type=int, default=200)
    args = parser.parse_args()
    template = Stack.load(ROOT, ROOT / "template.yaml")
    ports = Ports(api=free_port(), moto=free_port(), stripe=free_port())
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["MOTO_ENABLE_RECORDING"] = "true"
        os.environ["MOTO_RECORDER_FILEPATH"] = str(Path(scratch) / "moto-recording.jsonl")
        stripe_counter = StripeCounter(f"http://127.0.0.1:{ports.stripe}")
        stack = HeatStack(
            ports,
            lambda *_: None,
            template_path=ROOT / "template.yaml",
            root=ROOT,
            run_schedules=False,
            log_dir=Path(scratch),
            stripe_proxy_url=stripe_counter.url,
        )
        try:
            stack.start()
        finally:
            # moto in this process (the replay) must not record into the same file.
            del os.environ["MOTO_ENABLE_RECORDING"]
        try:
            name_each_function(stack)
            bench = HeatBench(stack, stripe_counter)
            flows, sold, latencies, statuses = run_flows(bench, args.buyers)
            text = bench.recording()
            table_name = str(stack.stack.resolve({"Ref": "Table"}))
            live_items = stack_item_count(stack, table_name)
        finally:
            stack.stop()
    schemas = {
        str(template.physical_name(logical_id)): KeySchema.from_table_properties(
            resource["Properties"]
        )
        for logical_id, resource in template.resources_of_type("AWS::DynamoDB::Table").items()
    }
    schemas = {table_name: next(iter(schemas.values()))} if len(schemas) == 1 else schemas
    recorded = parse_recording(text)
    replay = Replay(schemas)
    try:
        writes = replay.run(recorded)
        replayed_items = replay.item_count(table_name)
    finally:
        replay.stop()
    print(
        f"heat: {args.buyers} buyers per on-sale, {SHARDS} shards per ticket type, "
        f"partition limit {PARTITION_WCU_PER_S} WCU/s"
    )
    print(
        f"recording: {len(recorded)} DynamoDB requests replayed; table items "
        f"{replayed_items} replayed vs {live_items} in the stack"
    )
    print(
        f"hot on-sale POST /orders: p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms, "
        f"answers {dict(sorted(statuses.items()))}, "
        f"accepted {sold}"
    )
    for flow in flows:
        report_flow(flow, writes, recorded, stripe_counter.between(*flow.clock))
    return 0


def stack_item_count(stack: LocalStack, table_name: str) -> int:
    import boto3  # noqa: PLC0415

    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=stack.moto_url,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106  (moto's, not a secret)
    )
    pages = dynamodb.get_paginator("scan").paginate(TableName=table_name, Select="COUNT")
    return sum(page["Count"] for page in pages)


def run_flows(bench: HeatBench, buyers: int) -> tuple[list[Flow], int, list[float], Counter[int]]:
    hot_sale = bench.sale("Hot on-sale", types=1, capacity=buyers)
    spread_sales = [bench.sale(f"Spread {n}", types=3, capacity=buyers) for n in range(3)]
    hot = Flow("hot on-sale (1 ticket type, 8 shards)", "order")
    spread = Flow("spread on-sale (3 events x 3 ticket types)", "order")
    payments = Flow("payment burst (every order paid)", "payment")
    doors = Flow("door rush (every ticket of the hot event scanned once)", "scan")
    result: dict[str, Any] = {}

    def hot_run() -> None:
        result["hot"] = bench.on_sale([(hot_sale, hot_sale.ticket_type_ids[0])] * buyers)

    bench.measured(hot, hot_run)
    hot_orders, latencies, statuses = result["hot"]
    hot.operations = [operation_of(o.sale, o.ticket_type_id) for o in hot_orders]

    carts = [
        (sale, type_id)
        for n in range(buyers)
        for sale in [spread_sales[n % 3]]
        for type_id in [sale.ticket_type_ids[(n // 3) % 3]]
    ]

    def spread_run() -> None:
        result["spread"] = bench.on_sale(carts)

    bench.measured(spread, spread_run)
    spread_orders = result["spread"][0]
    spread.operations = [operation_of(o.sale, o.ticket_type_id) for o in spread_orders]

    every_order = hot_orders + spread_orders
    bench.measured(payments, lambda: bench.pay(every_order))
    payments.operations = [operation_of(o.sale, o.ticket_type_id) for o in every_order]

    tickets = bench.tickets(hot_orders)
    # The on-sales and the burst can outlast the organizer's access token (15 min).
    fresh = bench.tokens.token("organizer", "buyer", user_id=hot_sale.organizer_id)
    hot_sale.organizer = {"Authorization": f"Bearer {fresh}"}
    devices = bench.gate_devices(hot_sale)

    def doors_run() -> None:
        result["doors"] = bench.door_rush(tickets, devices)

    bench.measured(doors, doors_run)
    gates = [device_names(device_id) for device_id, _ in devices]
    doors.operations = [  # scan n was made at gate n % GATES (door_rush)
        replace(operation_of(o.sale, o.ticket_type_id), device=gates[n % len(gates)])
        for n, (o, _) in enumerate(tickets)
    ]
    print(f"door rush answers: {dict(result['doors'])}; tickets issued {len(tickets)}")
    return [hot, spread, payments, doors], len(hot_orders), latencies, statuses


if __name__ == "__main__":
    sys.exit(main())
