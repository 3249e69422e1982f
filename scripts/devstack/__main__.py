"""python -m scripts.devstack run | invoke <FunctionLogicalId> [event.json]"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scripts.devstack import failures
from scripts.devstack.endpoints import PORTS_HELP
from scripts.devstack.failures import ToolFailure, did_you_mean, read_json_file
from scripts.devstack.pollers import scheduled_event
from scripts.devstack.runtime import Runtime
from scripts.devstack.stack import ROOT, ConsoleSink, LocalStack, Ports
from scripts.devstack.template import Stack


def run(args: argparse.Namespace) -> int:
    failures.use_local_credentials()
    stack = LocalStack(
        Ports.from_environment(),
        ConsoleSink(),
        template_path=args.template,
        root=args.template.parent,
        run_schedules=not args.no_schedules,
    )
    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        stack.start()
        print("local stack ready; Ctrl-C stops everything", flush=True)
        while not stopping:
            signal.pause()
    finally:
        stack.stop()
    return 0


def default_event(stack: Stack, function_id: str) -> Any:
    """A scheduled event for a cron job, else the function's first sample event."""
    for source in stack.schedule_sources():
        if source.function_id == function_id:
            return scheduled_event(stack, source, datetime.now(UTC))
    stem = ".".join(
        stack.function(function_id).code_uri.relative_to(stack.root / "functions").parts
    )
    samples = sorted((stack.root / "events").glob(f"{stem}.*.json"))
    return json.loads(samples[0].read_text()) if samples else {}


def invoke(args: argparse.Namespace) -> int:
    failures.use_local_credentials()
    ports = Ports.from_environment()
    known = Stack.load(args.template.parent, args.template).function_ids()
    if args.function not in known:
        raise did_you_mean("function", args.function, known)
    event = read_json_file(Path(args.event), "the event file") if args.event else None
    ports.require_moto()
    probe = LocalStack(ports, ConsoleSink(sys.stderr))
    stack = LocalStack.attach(args.template, args.template.parent, probe.moto_url, probe.stripe_url)
    if event is None:
        event = default_event(stack, args.function)
    runtime = Runtime(stack, aws_endpoint=probe.moto_url, sink=ConsoleSink(sys.stderr))
    try:
        result = runtime.invoke(args.function, event)
    finally:
        runtime.close()
    print(json.dumps(result.payload if result.ok else result.error, indent=2))
    return 0 if result.ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="scripts.devstack",
        epilog=PORTS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--template",
        type=lambda p: Path(p).resolve(),
        default=ROOT / "template.yaml",
        help="the SAM template to run (default: the project's)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser(
        "run",
        help="run the local stack until Ctrl-C",
        epilog=PORTS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run_parser.add_argument(
        "--no-schedules",
        action="store_true",
        help="do not fire Schedule/ScheduleV2 events on their clock",
    )
    invoke_parser = commands.add_parser(
        "invoke",
        help="invoke one function once",
        epilog=PORTS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    invoke_parser.add_argument("function", help="the function's logical id in template.yaml")
    invoke_parser.add_argument("event", nargs="?", help="a JSON event file")
    args = parser.parse_args()
    return failures.main(f"scripts/{args.command}", lambda: _command(args))


def _command(args: argparse.Namespace) -> int:
    if not args.template.is_file():
        raise ToolFailure(f"no template at {args.template}")
    return run(args) if args.command == "run" else invoke(args)


if __name__ == "__main__":
    sys.exit(main())
