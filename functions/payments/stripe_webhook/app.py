"""POST /webhooks/stripe: verify the Stripe signature, record the event once, queue it.

Public (no authorizer): the signature is the authentication. 200 once the event is
stored and queued (or known), 400 problem+json for a bad signature, 5xx when the
queue or table is down, so that Stripe retries.
"""

from __future__ import annotations

import base64
from typing import Any

from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.services.stripe_intake import receive_stripe_event
from admitone.services.wiring import ports

app = http_resolver()


@app.post("/webhooks/stripe", openapi_extensions=documented(400, 503))
def post_stripe_webhook() -> tuple[dict[str, Any], int]:
    request = app.current_event
    body = request.body or ""
    # The signature covers the exact bytes Stripe sent: never parse and re-serialize.
    raw = base64.b64decode(body) if request.is_base64_encoded else body.encode()
    result = receive_stripe_event(ports(), raw, request.headers.get("stripe-signature"))
    return {"received": True, "event_id": result.event_id, "outcome": result.outcome}, 200


handler = http_handler(app)
