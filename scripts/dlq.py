"""Dead letters of every queue of the stack: list them, show them, redrive them.

    scripts/dlq list                      each DLQ, its source queue and how many wait
    scripts/dlq show <DLQ> [--max N]      the waiting messages (they stay in the DLQ)
    scripts/dlq redrive <DLQ> [--max N]   move them back to their source queue

<DLQ> is the template's logical id (``NotifierDLQ``). Against the running local stack
by default; ``--aws-stack NAME`` works on a deployed stack (queue URLs from
CloudFormation, credentials and region from the usual AWS configuration). Redriving a
FIFO queue keeps each message's group and deduplication id.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from scripts.devstack import failures
from scripts.devstack.endpoints import PORTS_HELP

ROOT = Path(__file__).resolve().parent.parent
_BATCH = 10


@dataclass(frozen=True)
class DeadLetters:
    name: str  # the DLQ's logical id
    url: str
    source_name: str
    source_url: str
    fifo: bool


def dead_letter_queues(
    resources: dict[str, Any], queue_url: Callable[[str], str]
) -> list[DeadLetters]:
    """Every queue of the template that another one redrives into."""
    found = []
    for logical_id, resource in sorted(resources.items()):
        if resource.get("Type") != "AWS::SQS::Queue":
            continue
        policy = resource.get("Properties", {}).get("RedrivePolicy")
        if not policy:
            continue
        dlq = policy["deadLetterTargetArn"]["Fn::GetAtt"][0]
        found.append(
            DeadLetters(
                name=dlq,
                url=queue_url(dlq),
                source_name=logical_id,
                source_url=queue_url(logical_id),
                fifo=bool(resource["Properties"].get("FifoQueue")),
            )
        )
    return found


def waiting(sqs: Any, queue: DeadLetters) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue.url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def _received(sqs: Any, queue: DeadLetters, limit: int, hide_for: int) -> Iterator[dict[str, Any]]:
    taken = 0
    while taken < limit:
        batch = sqs.receive_message(
            QueueUrl=queue.url,
            MaxNumberOfMessages=min(_BATCH, limit - taken),
            VisibilityTimeout=hide_for,
            AttributeNames=["All"],
        ).get("Messages", [])
        if not batch:
            return
        taken += len(batch)
        yield from batch


def show(sqs: Any, queue: DeadLetters, limit: int) -> list[dict[str, Any]]:
    """The waiting messages; each is made visible again at once (nothing is consumed)."""
    messages = list(_received(sqs, queue, limit, hide_for=30))
    for message in messages:
        sqs.change_message_visibility(
            QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    return messages


def redrive(sqs: Any, queue: DeadLetters, limit: int) -> int:
    """Move up to ``limit`` messages back to the source queue; how many moved."""
    moved = 0
    for message in _received(sqs, queue, limit, hide_for=60):
        request: dict[str, Any] = {"QueueUrl": queue.source_url, "MessageBody": message["Body"]}
        if queue.fifo:
            attributes = message["Attributes"]
            request["MessageGroupId"] = attributes["MessageGroupId"]
            request["MessageDeduplicationId"] = attributes.get(
                "MessageDeduplicationId", message["MessageId"]
            )
        sqs.send_message(**request)
        # Deleted only once the source queue has it: a crash in between duplicates it,
        # which every consumer tolerates; it never loses it.
        sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"])
        moved += 1
    return moved


def _local_queues() -> tuple[Any, list[DeadLetters]]:
    from scripts.devstack.stack import ConsoleSink, LocalStack, Ports  # noqa: PLC0415

    ports = Ports.from_environment()
    ports.require_moto()
    failures.use_local_credentials()
    probe = LocalStack(ports, ConsoleSink(sys.stderr))
    stack = LocalStack.attach(ROOT / "template.yaml", ROOT, probe.moto_url, probe.stripe_url)
    sqs = boto3.client("sqs", endpoint_url=probe.moto_url, region_name="us-east-1")

    def url(logical_id: str) -> str:
        return str(sqs.get_queue_url(QueueName=stack.physical_name(logical_id))["QueueUrl"])

    return sqs, dead_letter_queues(stack.resources, url)


def _aws_queues(stack_name: str) -> tuple[Any, list[DeadLetters]]:
    from scripts.devstack.template import load_template  # noqa: PLC0415

    template = load_template(ROOT / "template.yaml")
    cloudformation = boto3.client("cloudformation")

    def url(logical_id: str) -> str:
        resource = cloudformation.describe_stack_resource(
            StackName=stack_name, LogicalResourceId=logical_id
        )
        return str(resource["StackResourceDetail"]["PhysicalResourceId"])

    return boto3.client("sqs"), dead_letter_queues(template["Resources"], url)


def main(argv: list[str] | None = None) -> int:
    return failures.main("scripts/dlq", lambda: _main(argv))


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/dlq",
        description=__doc__.split("\n")[0],
        epilog=PORTS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--aws-stack", help="a deployed stack's name (default: the local stack)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list")
    for name in ("show", "redrive"):
        command = commands.add_parser(name)
        command.add_argument("queue", help="the DLQ's logical id, e.g. NotifierDLQ")
        command.add_argument("--max", type=int, default=100)
    args = parser.parse_args(argv)
    if args.command != "list":
        from scripts.devstack.template import load_template  # noqa: PLC0415

        known = dead_letter_queues(load_template(ROOT / "template.yaml")["Resources"], str)
        if args.queue not in {queue.name for queue in known}:
            raise failures.did_you_mean("DLQ", args.queue, (queue.name for queue in known))
    sqs, queues = _aws_queues(args.aws_stack) if args.aws_stack else _local_queues()
    if args.command == "list":
        for queue in queues:
            print(f"{queue.name:<24} <- {queue.source_name:<24} {waiting(sqs, queue)} waiting")
        return 0
    chosen = next((q for q in queues if q.name == args.queue), None)
    if chosen is None:
        raise failures.did_you_mean("DLQ", args.queue, (q.name for q in queues))
    if args.command == "show":
        for message in show(sqs, chosen, args.max):
            received = message["Attributes"].get("ApproximateReceiveCount")
            print(
                json.dumps(
                    {"id": message["MessageId"], "receives": received, "body": message["Body"]}
                )
            )
        return 0
    print(f"{redrive(sqs, chosen, args.max)} moved back to {chosen.source_name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
