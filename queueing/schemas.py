"""Input and output shapes of the queueing API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Schema
from pydantic import AfterValidator, BaseModel, Field

from accounts.schemas import ErrorOut
from declarations.schemas import DriverIn, Plate, _local_aware

LocalDateTime = Annotated[dt.datetime, AfterValidator(_local_aware)]


class BookingIn(Schema):
    hour_start: LocalDateTime


class MoveIn(Schema):
    hour_start: LocalDateTime
    version: int = Field(ge=1)


class SwapIn(Schema):
    plate: Plate
    driver: DriverIn


class CapacityOverrideIn(Schema):
    gate: str = Field(min_length=1, max_length=32)
    direction: str = Field(min_length=1, max_length=20)
    starts_at: LocalDateTime
    ends_at: LocalDateTime
    trucks_per_hour: int = Field(ge=0, le=10_000)
    reason: str = Field(min_length=1, max_length=200)


class CapacityOverrideOut(Schema):
    id: int
    gate: str
    direction: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    trucks_per_hour: int
    reason: str
    hours_updated: int
    kept_for_bookings: list[dt.datetime]


class FreeHourOut(Schema):
    hour_start: dt.datetime
    hour_end: dt.datetime
    capacity: int
    booked: int
    free: int
    free_general: int


class AvailabilityOut(Schema):
    hour: FreeHourOut
    available: bool
    message: str
    next_free: list[FreeHourOut]


class SlotFullOut(ErrorOut):
    next_free: list[FreeHourOut] = []


class CallForwardOut(Schema):
    called_at: dt.datetime
    yard: str
    yard_name: str
    waiting_area: str
    waiting_area_name: str
    green: bool
    instruction: str


class BookingOut(Schema):
    id: int
    trip_id: int
    gate: str
    direction: str
    hour_start: dt.datetime
    hour_end: dt.datetime
    arrive_by: dt.datetime
    green: bool
    status: str
    status_label: str
    version: int


class QueueStatusOut(Schema):
    trip_id: int
    booking: BookingOut | None
    arrival_status: str
    call_forward: CallForwardOut | None


class SwapOut(Schema):
    trip_id: int
    plate: str
    plate_display: str
    driver_name: str
    version: int


# The board is built from plain dicts: plain pydantic models, without ninja's Schema wrapping each dict in its
# ORM attribute getter (which cost more than the validation itself; see crossings.schemas).
class DirectionBoardOut(BaseModel):
    direction: str
    waiting: int
    in_yard: int
    cleared_last_hour: int
    predicted_wait_minutes: int | None
    level: str
    capacity_this_hour: int
    free_places_next_24h: int


class GateBoardOut(BaseModel):
    gate: str
    name: str
    name_vi: str
    name_zh: str
    province: str
    level: str
    waiting: int
    directions: list[DirectionBoardOut]


class BoardOut(BaseModel):
    generated_at: dt.datetime
    gates: list[GateBoardOut]
