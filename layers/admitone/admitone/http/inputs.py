"""Request models shared by several routes (each route's own model lives in its handler)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from admitone.domain.catalog import Address, ResalePolicy
from admitone.domain.moments import DATE_OUT_OF_RANGE, OUT_OF_RANGE_MESSAGE, is_carried


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


def _carried(moment: datetime) -> datetime:
    if not is_carried(moment):
        raise PydanticCustomError(DATE_OUT_OF_RANGE.lower(), OUT_OF_RANGE_MESSAGE)
    return moment


# A time with its UTC offset ("2026-12-01T20:00:00Z") that the system can carry: a year
# 1 or 9999, or an offset that pushes it past one, is refused here, before any arithmetic.
Moment = Annotated[AwareDatetime, AfterValidator(_carried)]
