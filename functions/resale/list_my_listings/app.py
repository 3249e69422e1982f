"""GET /me/listings: the caller's listings in every status, newest first, in cursor
pages."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from admitone.http.listing_views import SellerListingPage
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.services.listings import of_seller
from admitone.services.wiring import ports

app = http_resolver()

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@app.get("/me/listings", openapi_extensions=documented(400))
def get_my_listings(
    *,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> SellerListingPage:
    page = of_seller(ports().store, principal(app), limit=limit, cursor=cursor)
    return SellerListingPage.of(page)


handler = http_handler(app)
