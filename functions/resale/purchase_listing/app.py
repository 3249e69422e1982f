"""POST /listings/{listing_id}/purchase (buyer, Idempotency-Key required): reserve the
listing and open its escrow under a manual-capture PaymentIntent. 201 with the escrow and
the PaymentIntent's client secret (authorized, not charged, until release); 403
``OWN_LISTING`` for the seller; 409 ``LISTING_UNAVAILABLE`` once it is sold, reserved by
another buyer, withdrawn or ended, or its price is over the event's cap; 409
``RESALE_NOT_ALLOWED``; 422 ``PURCHASE_LIMIT_EXCEEDED`` (``PER_BUYER_LIMIT``,
``PURCHASE_COOLDOWN``) past the buyer's allowance for the event, resales and orders
together; 404 for an unknown listing; the same key replays the answer; counted against
the payment rate limits as orders are."""

from __future__ import annotations

from admitone.http.idempotency import idempotency_scope, idempotent_route
from admitone.http.inputs import ListingIdPath
from admitone.http.listing_views import PurchaseView
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.observability import logger
from admitone.services.resale_purchase import purchase_listing
from admitone.services.wiring import ports

app = http_resolver()


@app.post(
    "/listings/<listing_id>/purchase",
    middlewares=[idempotent_route()],
    status_code=201,
    openapi_extensions=documented(403, 404, 409, 503),
)
def post_purchase(listing_id: ListingIdPath) -> tuple[PurchaseView, int]:
    logger.append_keys(listing_id=listing_id)
    purchase = purchase_listing(
        ports(), listing_id, principal(app), stripe_key=idempotency_scope(app).stripe_key
    )
    return PurchaseView.of(purchase.escrow, client_secret=purchase.client_secret), 201


handler = http_handler(app)
