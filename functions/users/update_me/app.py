"""PATCH /me: change name, phone or notification preferences (absent = unchanged)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from admitone.domain.accounts import NotificationPreferences
from admitone.http.principal import principal
from admitone.http.resolver import http_handler, http_resolver
from admitone.http.views import UserView
from admitone.services.profile import update_profile

app = http_resolver()


class UpdateMeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    # E.164; null removes the number.
    phone: str | None = Field(default=None, pattern=r"^\+[1-9][0-9]{6,14}$")
    preferences: NotificationPreferences | None = None


@app.patch("/me")
def patch_me(request: Annotated[UpdateMeRequest, Body()]) -> UserView:
    changes = request.model_dump(mode="json", exclude_unset=True)
    if changes.get("name") is None:
        changes.pop("name", None)  # a name can be changed, not removed
    return UserView.of(update_profile(principal(app).user_id, changes))


handler = http_handler(app)
