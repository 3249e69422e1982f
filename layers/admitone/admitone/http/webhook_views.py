"""What the API shows of webhook endpoints and their deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from admitone.adapters.dynamo.webhooks import Delivery
from admitone.domain.webhooks import Endpoint


class EndpointView(BaseModel):
    id: str
    url: str
    events: list[str]
    created_at: datetime

    @classmethod
    def of(cls, endpoint: Endpoint) -> EndpointView:
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            events=list(endpoint.events),
            created_at=endpoint.created_at,
        )


class CreatedEndpointView(EndpointView):
    # Shown once: keep it to verify the signatures.
    secret: str

    @classmethod
    def created(cls, endpoint: Endpoint) -> CreatedEndpointView:
        return cls(**EndpointView.of(endpoint).model_dump(), secret=endpoint.secret)


class DeliveryView(BaseModel):
    message_id: str
    event_type: str
    status: str
    attempts: int
    log: list[dict[str, Any]]
    next_attempt_at: datetime | None

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryView:
        return cls(
            message_id=delivery.message_id,
            event_type=delivery.event_type,
            status=delivery.status,
            attempts=delivery.attempts,
            log=[dict(entry) for entry in delivery.log],
            next_attempt_at=delivery.next_attempt_at,
        )


class DeliveriesView(BaseModel):
    deliveries: list[DeliveryView]
