"""Request models shared by several routes (each route's own model lives in its handler)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from admitone.domain.catalog import Address, ResalePolicy


class AddressInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    state: str | None = Field(default=None, min_length=2, max_length=3)
    postal_code: str = Field(min_length=1, max_length=20)
    country: str = Field(pattern=r"^[A-Z]{2}$")

    def to_domain(self) -> Address:
        return Address(**self.model_dump())


class ResaleInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    allowed: bool = True
    min_pct: int = Field(default=50, ge=1, le=1000)
    max_pct: int = Field(default=150, ge=1, le=1000)

    def to_domain(self) -> ResalePolicy:
        return ResalePolicy(**self.model_dump())


Moment = AwareDatetime  # a time with its UTC offset ("2026-12-01T20:00:00Z")
