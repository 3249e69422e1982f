"""POST /events/{event_id}/capacity-pools: a capacity several ticket types share."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.domain.catalog import MAX_CAPACITY, MAX_SHARDS
from admitone.http.inputs import EventIdPath
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import CapacityPoolView
from admitone.services.ticket_types import create_pool

app = http_resolver()


class CreatePoolRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    capacity: int = Field(ge=1, le=MAX_CAPACITY)
    shards: int = Field(default=1, ge=1, le=MAX_SHARDS)


@app.post("/events/<event_id>/capacity-pools", status_code=201, openapi_extensions=documented(409))
def post_pool(
    event_id: EventIdPath, request: Annotated[CreatePoolRequest, Body()]
) -> tuple[CapacityPoolView, int]:
    pool = create_pool(event_id, principal(app), **request.model_dump())
    return CapacityPoolView.of(pool), 201


handler = http_handler(app)
