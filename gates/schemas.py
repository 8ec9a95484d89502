from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Schema
from pydantic import Field, WithJsonSchema

# A wall-clock time at the gate. JSON Schema's "time" format is a time with its UTC offset, which these are
# not: they are read on the gate's own clock (Vietnam, UTC+07:00) whatever the date's offset would be.
GateClock = Annotated[dt.time, WithJsonSchema({
    "type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$",
    "description": "HH:MM:SS on the gate's clock (Vietnam, UTC+07:00).",
})]


class GateOut(Schema):
    code: str
    name: str
    name_vi: str
    name_zh: str
    counterpart_name_vi: str
    counterpart_name_zh: str
    kind: str
    kind_label: str
    province: str
    transport_mode: str
    markers: str
    clearance_routes: str
    handles_goods: bool
    open_now: bool


class LaneOut(Schema):
    code: str
    kind: str
    direction: str
    automated: bool
    trucks_per_hour: int


class YardOut(Schema):
    code: str
    name: str
    name_vi: str
    name_zh: str
    operator: str
    places: int


class HoursOut(Schema):
    weekday: int = Field(description="0 = Monday … 6 = Sunday.")
    opens: GateClock
    closes: GateClock = Field(description="HH:MM:SS on the gate's clock (Vietnam, UTC+07:00); 00:00:00 means the "
                                          "hours run to midnight.")


class ClosureOut(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str


class ProtocolOut(Schema):
    hs_prefix: str
    name: str
    directions: list[str]


class GateDetailOut(GateOut):
    lanes: list[LaneOut]
    yards: list[YardOut]
    working_hours: list[HoursOut]
    closures: list[ClosureOut]
    protocols: list[ProtocolOut]
