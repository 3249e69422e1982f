"""What the API shows of domain objects: explicit response models, nothing leaked."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from admitone.domain.accounts import NotificationPreferences, User


class UserView(BaseModel):
    id: str
    email: str
    name: str
    phone: str | None
    roles: list[str]
    email_verified: bool
    preferences: NotificationPreferences
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            phone=user.phone,
            roles=[role.value for role in user.roles],
            email_verified=user.email_verified,
            preferences=user.preferences,
            created_at=user.created_at,
        )


class TokenPairView(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    refresh_expires_in: int
