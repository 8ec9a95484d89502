from __future__ import annotations

import datetime as dt

from ninja import Schema


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
    weekday: int
    opens: dt.time
    closes: dt.time


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
