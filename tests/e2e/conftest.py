"""The local stack, started on free loopback ports, for tests that talk HTTP to it."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scripts.devstack.stack import ROOT, LocalStack, Ports
from tests.local_servers import free_port


def free_ports() -> Ports:
    return Ports(api=free_port(), moto=free_port(), stripe=free_port(), chain=free_port())


class LogLines:
    """Collects (function, line) pairs the local stack prints."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, name: str, line: str) -> None:
        with self._lock:
            self.lines.append((name, line))

    def of(self, name: str) -> list[str]:
        with self._lock:
            return [line for who, line in self.lines if who == name]


StartStack = Callable[[Path], tuple[LocalStack, LogLines]]


@dataclass
class FuzzTally:
    """What the contract fuzzer sent and got back (test_fuzz_contract.py), for the summary."""

    operations: set[str] = field(default_factory=set)
    by_class: Counter[str] = field(default_factory=Counter)

    def record(self, operation: str, status: int) -> None:
        self.operations.add(operation)
        self.by_class[f"{status // 100}xx"] += 1

    def line(self) -> str:
        answers = ", ".join(f"{n} {cls}" for cls, n in sorted(self.by_class.items()))
        return (
            f"schemathesis: {len(self.operations)} operations, {self.by_class.total()} checked"
            f" requests ({answers or 'none'})"
        )


FUZZ_TALLY = pytest.StashKey[FuzzTally]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    tally = terminalreporter.config.stash.get(FUZZ_TALLY, None)
    if tally is not None:
        terminalreporter.write_line(tally.line())


@pytest.fixture(scope="module")
def start_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartStack]:
    started: list[LocalStack] = []

    def start(template: Path) -> tuple[LocalStack, LogLines]:
        logs = LogLines()
        stack = LocalStack(
            free_ports(),
            logs,
            template_path=template,
            root=template.parent,
            run_schedules=False,
            log_dir=tmp_path_factory.mktemp("devstack-logs"),
            preload_imports=True,
        )
        started.append(stack)
        stack.start()
        return stack, logs

    yield start
    for stack in started:
        stack.stop()


FIXTURE_TEMPLATE = ROOT / "tests" / "fixtures" / "devstack" / "template.yaml"
