"""Ticket token vs plain EdDSA JWT: length, QR version, sign/verify rate, QR render time.

Run: ``.venv/bin/python -m scripts.bench.tokens``. Prints figures, asserts nothing.
Targets (2-core machine): token ≤ 160 characters (QR version ≤ 8 at level M),
verify ≤ 0.5 ms, PNG render ≤ 30 ms median.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from admitone.adapters.qr import encode_qr, render_png, render_svg
from admitone.domain.ids import Prefix, new_id
from admitone.domain.keys import KeyPurpose, KeySet, generate_keyset_document
from admitone.domain.tokens import (
    TicketClaims,
    issue_ticket_token,
    ticket_token_expiry,
    verify_ticket_token,
)

NOW = datetime.now(UTC)


@dataclass(frozen=True)
class Figures:
    name: str
    length: int
    qr_version: int
    signs_per_s: float
    verifies_per_s: float
    verify_ms_p50: float
    png_ms: tuple[float, float]
    svg_ms: tuple[float, float]
    png_bytes: int
    svg_bytes: int


def _timed(call: Callable[[], object], repeat: int) -> list[float]:
    """Milliseconds per call, one sample per call."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - start) / 1e6)
    return samples


def _median_p95(samples: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def _render_times(tokens: Sequence[str], render: Callable[[str], object]) -> tuple[float, float]:
    samples = []
    for token in tokens:
        start = time.perf_counter_ns()
        render(token)
        samples.append((time.perf_counter_ns() - start) / 1e6)
    return _median_p95(samples)


def _claims() -> TicketClaims:
    return TicketClaims(
        ticket_id=new_id(Prefix.TICKET),
        event_id=new_id(Prefix.EVENT),
        ticket_type_id=new_id(Prefix.TICKET_TYPE),
        version=1,
        expires_at=ticket_token_expiry(NOW + timedelta(days=30)),
    )


def _measure(
    name: str,
    sign: Callable[[TicketClaims], str],
    verify: Callable[[str, TicketClaims], object],
    *,
    operations: int,
    renders: int,
) -> Figures:
    claims = [_claims() for _ in range(max(operations, renders))]
    start = time.perf_counter()
    tokens = [sign(item) for item in claims[:operations]]
    signs_per_s = operations / (time.perf_counter() - start)
    start = time.perf_counter()
    for token, item in zip(tokens, claims, strict=False):
        verify(token, item)
    verifies_per_s = operations / (time.perf_counter() - start)
    verify_p50, _ = _median_p95(_timed(lambda: verify(tokens[0], claims[0]), min(operations, 2000)))
    # Distinct tokens, so that nothing downstream can cache a symbol.
    render_tokens = [sign(item) for item in claims[:renders]]
    return Figures(
        name=name,
        length=len(tokens[0]),
        qr_version=encode_qr(tokens[0]).version,
        signs_per_s=signs_per_s,
        verifies_per_s=verifies_per_s,
        verify_ms_p50=verify_p50,
        png_ms=_render_times(render_tokens, render_png),
        svg_ms=_render_times(render_tokens, render_svg),
        png_bytes=len(render_png(tokens[0])),
        svg_bytes=len(render_svg(tokens[0])),
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--operations", type=int, default=5000, help="signs and verifies")
    parser.add_argument("--renders", type=int, default=200, help="QR renders per format")
    args = parser.parse_args(argv)

    keys = KeySet.from_document(generate_keyset_document(now=NOW))
    ticket_key = keys.signing_key(KeyPurpose.TICKET)
    jwt_key = keys.signing_key(KeyPurpose.JWT)
    public = keys.public_keys()

    def jwt_payload(claims: TicketClaims) -> dict[str, Any]:
        return {
            "tid": claims.ticket_id,
            "evt": claims.event_id,
            "tty": claims.ticket_type_id,
            "ver": claims.version,
            "exp": int(claims.expires_at.timestamp()),
        }

    def sign_jwt(claims: TicketClaims) -> str:
        return jwt.encode(
            jwt_payload(claims),
            jwt_key.private_key,
            algorithm="EdDSA",
            headers={"kid": jwt_key.kid},
        )

    def verify_jwt(token: str, claims: TicketClaims) -> object:
        kid = jwt.get_unverified_header(token)["kid"]
        key = public.verification_key(kid)
        assert key is not None  # the bench signed it itself
        payload = jwt.decode(token, key.key, algorithms=["EdDSA"], options={"require": ["exp"]})
        return payload["evt"] == claims.event_id

    results = [
        _measure(
            "ticket token (base45)",
            lambda claims: issue_ticket_token(claims, ticket_key),
            lambda token, claims: verify_ticket_token(
                token, public, event_id=claims.event_id, now=NOW
            ),
            operations=args.operations,
            renders=args.renders,
        ),
        _measure(
            "plain EdDSA JWT",
            sign_jwt,
            verify_jwt,
            operations=args.operations,
            renders=args.renders,
        ),
    ]

    rows: list[tuple[str, Callable[[Figures], str]]] = [
        ("length (characters)", lambda f: f"{f.length}"),
        ("QR version at level M", lambda f: f"{f.qr_version}"),
        ("signs/s", lambda f: f"{f.signs_per_s:,.0f}"),
        ("verifies/s", lambda f: f"{f.verifies_per_s:,.0f}"),
        ("verify median (ms)", lambda f: f"{f.verify_ms_p50:.3f}"),
        ("PNG render median / p95 (ms)", lambda f: f"{f.png_ms[0]:.1f} / {f.png_ms[1]:.1f}"),
        ("SVG render median / p95 (ms)", lambda f: f"{f.svg_ms[0]:.1f} / {f.svg_ms[1]:.1f}"),
        ("PNG size (bytes, scale 8)", lambda f: f"{f.png_bytes:,}"),
        ("SVG size (bytes)", lambda f: f"{f.svg_bytes:,}"),
    ]
    label_width = max(len(label) for label, _ in rows)
    widths = [max(len(result.name), 14) for result in results]
    print(
        " " * label_width
        + "  "
        + "  ".join(r.name.rjust(w) for r, w in zip(results, widths, strict=True))
    )
    for label, cell in rows:
        cells = "  ".join(cell(r).rjust(w) for r, w in zip(results, widths, strict=True))
        print(f"{label.ljust(label_width)}  {cells}")
    print(
        f"\n{args.operations} signs/verifies, {args.renders} renders per format;"
        " targets: ≤ 160 chars (QR ≤ 8), verify ≤ 0.5 ms, PNG ≤ 30 ms median."
    )


if __name__ == "__main__":
    main()
