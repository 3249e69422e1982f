"""Issue 6's acceptance: on a fresh local stack the demo ends with two valid tickets and
a QR PNG that decodes to a token the shared layer verifies."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from admitone.domain.keys import PublicKeyRing
from admitone.domain.tokens import verify_ticket_token
from scripts import demo_story
from scripts.devstack.stack import ROOT, LocalStack
from tests.e2e.conftest import StartStack
from tests.qr_decode import decode_png

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(start_stack: StartStack) -> LocalStack:
    return start_stack(ROOT / "template.yaml")[0]


def test_the_demo_ends_with_two_tickets_and_a_qr_that_verifies(stack: LocalStack, tmp_path: Path):
    story = demo_story.run(stack.api_url, stack.moto_url, stack.stripe_url, tmp_path)

    assert story.order["status"] == "paid"
    tickets = story.order["tickets"]
    assert [t["status"] for t in tickets] == ["valid", "valid"]
    token = decode_png(story.png.read_bytes())
    assert token == tickets[0]["qr_token"]
    keys = PublicKeyRing.from_jwks(
        requests.get(f"{stack.api_url}/.well-known/jwks.json", timeout=10).json()
    )
    verified = verify_ticket_token(token, keys, event_id=story.event_id, now=datetime.now(UTC))
    assert verified.ticket_id == tickets[0]["id"]
