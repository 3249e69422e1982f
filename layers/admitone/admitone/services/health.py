"""Health of the service: a liveness answer that touches nothing (public), and the deep
check that really touches every dependency, concurrently, with a deadline (admins): a
public route that calls DynamoDB, EventBridge and Stripe on every hit is a lever for
anyone to spend our quota and money (issue 16)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

from pydantic import BaseModel

from admitone.observability import logger

Probe = Callable[[], None]

# A probe slower than this counts as down: the gateway's caller is waiting.
PROBE_DEADLINE_SECONDS = 4.0


class Liveness(BaseModel):
    """The function answers: no dependency was asked (GET /admin/health asks them)."""

    status: Literal["ok"] = "ok"


def liveness() -> Liveness:
    return Liveness()


class CheckResult(BaseModel):
    status: Literal["ok", "fail"]
    latency_ms: int
    error: str | None = None


class HealthReport(BaseModel):
    status: Literal["ok", "fail"]
    checks: dict[str, CheckResult]

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def default_probes() -> dict[str, Probe]:
    from admitone.adapters.bus import probe_bus  # noqa: PLC0415
    from admitone.adapters.dynamo.table import probe_table  # noqa: PLC0415
    from admitone.adapters.stripe_api import probe_stripe  # noqa: PLC0415

    return {"table": probe_table, "bus": probe_bus, "stripe": probe_stripe}


def _run(name: str, probe: Probe) -> CheckResult:
    started = time.perf_counter()
    try:
        probe()
    # A probe may fail in any way its client can (socket, botocore, stripe);
    # whichever it is, the answer is "this dependency is down".
    except Exception as exc:  # noqa: BLE001
        logger.warning(
            "health probe failed", extra={"dependency": name, "error": type(exc).__name__}
        )
        elapsed = round((time.perf_counter() - started) * 1000)
        return CheckResult(status="fail", latency_ms=elapsed, error=type(exc).__name__)
    return CheckResult(status="ok", latency_ms=round((time.perf_counter() - started) * 1000))


def check_dependencies(probes: Mapping[str, Probe] | None = None) -> HealthReport:
    probes = dict(probes) if probes is not None else default_probes()
    with ThreadPoolExecutor(max_workers=max(1, len(probes))) as pool:
        futures = {name: pool.submit(_run, name, probe) for name, probe in probes.items()}
        checks: dict[str, CheckResult] = {}
        for name, future in futures.items():
            try:
                checks[name] = future.result(timeout=PROBE_DEADLINE_SECONDS)
            except TimeoutError:
                checks[name] = CheckResult(
                    status="fail",
                    latency_ms=round(PROBE_DEADLINE_SECONDS * 1000),
                    error="Timeout",
                )
    status: Literal["ok", "fail"] = (
        "ok" if all(check.status == "ok" for check in checks.values()) else "fail"
    )
    return HealthReport(status=status, checks=checks)
