from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import BaseModel, Field

# The trip's answer is built from plain rows (crossings.reads), so its schemas are plain pydantic models:
# ninja's Schema would wrap every dict in its ORM attribute getter, which costs more than the validation.


class TimelineStepOut(BaseModel):
    name: str
    label: str
    state: str
    required: bool
    confirmed_at: dt.datetime | None
    confirmed_by: str
    agency: str
    automatic: bool
    note: str


class ReceivingVehicleOut(BaseModel):
    id: int
    plate: str
    driver_name: str
    driver_identity_document: str
    driver_phone: str
    entered_at: dt.datetime | None
    exited_at: dt.datetime | None


class FeeOut(BaseModel):
    goods_type: str
    tariff_vnd: int
    percent: int
    amount_vnd: int
    receipt_number: str
    paid_at: dt.datetime | None


class DriverOut(BaseModel):
    name: str
    identity_document: str
    phone: str


class TripOut(BaseModel):
    id: int
    registration_id: int
    registration_number: str
    position: int
    gate: str
    direction: str
    plate: str
    plate_display: str
    nationality: str
    load_class: str
    trailer_plate: str
    container_number: str
    seal_number: str
    permit_number: str
    journey: str
    driver: DriverOut
    stage: str
    stage_label: str
    outcome: str
    outcome_label: str
    version: int
    fee: FeeOut | None
    timeline: list[TimelineStepOut]
    receiving_vehicles: list[ReceivingVehicleOut]


class TripListOut(Schema):
    id: int
    registration_number: str
    gate: str
    direction: str
    plate: str
    plate_display: str
    stage: str
    outcome: str


class ConfirmIn(Schema):
    note: str = Field(default="", max_length=500)
    receipt_number: str = Field(default="", max_length=40)


class ReceivingVehicleIn(Schema):
    plate: str = Field(max_length=30)
    driver_name: str = Field(max_length=100)
    driver_identity_document: str = Field(max_length=30)
    driver_phone: str = Field(max_length=30)
