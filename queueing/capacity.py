"""Capacity per gate × flow × local hour, and the HourSlot rows that count the places taken.

An hour's capacity is, in this order:
1. 0 if a closure (Tết, weather, an incident) covers the hour's start;
2. the latest supervisor's CapacityOverride covering the hour's start (this may open an hour
   outside regular working hours, e.g. Hữu Nghị extended to 23:00);
3. the sum of `trucks_per_hour` of the gate's entry lanes for that flow, if the gate's working
   hours cover the hour's start; else 0.
`CapacityPlan` loads what it needs for many gates in a handful of queries (the board and the
free-hours listing compute hundreds of hours per request).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models.functions import Greatest
from django.utils import timezone

from cuakhau.db.prepared import PreparedRead, columns, instance
from gates.models import Closure, Gate, Lane, LaneKind, WorkingHours
from queueing import conf
from queueing.models import CapacityOverride, GateQueuePolicy, HourSlot, flow_of

HOUR = dt.timedelta(hours=1)
MIDNIGHT = dt.time(0, 0)  # a working-hours row closing at 00:00 runs to midnight


def local_hour_start(moment: dt.datetime) -> dt.datetime:
    """The start of the local (Asia/Ho_Chi_Minh) hour containing `moment`, as an aware datetime."""
    return timezone.localtime(moment).replace(minute=0, second=0, microsecond=0)


def hours_between(start: dt.datetime, end: dt.datetime) -> Iterator[dt.datetime]:
    """Local hour starts h with start ≤ h < end (start is floored to its hour)."""
    zone = timezone.get_current_timezone()  # once, not per hour: the board and free hours walk hundreds
    hour = local_hour_start(start)
    while hour < end:
        yield hour
        hour = (hour + HOUR).astimezone(zone)


def green_share_percent(policy: GateQueuePolicy | None) -> int:
    if policy is not None and policy.green_share_percent is not None:
        return int(policy.green_share_percent)
    return int(conf.get("QUEUEING_GREEN_SHARE_PERCENT"))


REFERENCE_VERSION_KEY = "queueing:reference-version"
Reference = tuple[dict[tuple[int, str], int], dict[tuple[int, int], list[tuple[dt.time, dt.time]]], dict[int, int]]


def _reference(ids: list[int]) -> Reference:
    """Lanes, working hours and green shares of the gates: rarely edited, so kept in Django's cache
    (QUEUEING_REFERENCE_CACHE_SECONDS; an edit in this process clears it at once, see apps.py)."""
    version = cache.get_or_set(REFERENCE_VERSION_KEY, 1, timeout=None)
    key = f"queueing:reference:{version}:{','.join(map(str, ids))}"
    found = cache.get(key)
    if found is not None:
        return found  # type: ignore[no-any-return]
    lanes: dict[tuple[int, str], int] = defaultdict(int)
    for gate_id, direction, rate in Lane.objects.filter(gate_id__in=ids, kind=LaneKind.ENTRY).values_list(
            "gate_id", "direction", "trucks_per_hour"):
        lanes[(gate_id, flow_of(direction))] += rate
    hours: dict[tuple[int, int], list[tuple[dt.time, dt.time]]] = defaultdict(list)
    for gate_id, weekday, opens, closes in WorkingHours.objects.filter(gate_id__in=ids).values_list(
            "gate_id", "weekday", "opens", "closes"):
        hours[(gate_id, weekday)].append((opens, closes))
    policies = {p.gate_id: p for p in GateQueuePolicy.objects.filter(gate_id__in=ids)}
    shares = {gate_id: green_share_percent(policies.get(gate_id)) for gate_id in ids}
    found = (dict(lanes), dict(hours), shares)
    cache.set(key, found, timeout=int(conf.get("QUEUEING_REFERENCE_CACHE_SECONDS")))
    return found


def reference_changed(**_: object) -> None:
    """Signal receiver: lanes, working hours or a queue policy changed."""
    try:
        cache.incr(REFERENCE_VERSION_KEY)
    except ValueError:
        cache.set(REFERENCE_VERSION_KEY, 1, timeout=None)


# Closures and overrides of every gate in a period: a few rows, kept or skipped in Python, so that one
# statement compiled once serves any set of gates (a refused booking loads a plan for the hours it offers).
# order_by(): Closure's default ordering by gate would join the gate table for nothing.
_closures_between = PreparedRead(lambda start, end: Closure.objects.filter(
    ends_at__gt=start, starts_at__lt=end).order_by().values("gate_id", "starts_at", "ends_at"))
_overrides_between = PreparedRead(lambda start, end: CapacityOverride.objects.filter(
    ends_at__gt=start, starts_at__lt=end).order_by("created_at", "pk").values(
    "gate_id", "direction", "starts_at", "ends_at", "trucks_per_hour"))


@dataclass
class CapacityPlan:
    """Everything capacity depends on, for a set of gates and a period."""

    lanes: dict[tuple[int, str], int] = field(default_factory=lambda: defaultdict(int))
    hours: dict[tuple[int, int], list[tuple[dt.time, dt.time]]] = field(default_factory=lambda: defaultdict(list))
    closures: dict[int, list[tuple[dt.datetime, dt.datetime]]] = field(default_factory=lambda: defaultdict(list))
    overrides: dict[tuple[int, str], list[tuple[dt.datetime, dt.datetime, int]]] = field(
        default_factory=lambda: defaultdict(list))
    shares: dict[int, int] = field(default_factory=dict)

    @classmethod
    def load(cls, gate_ids: Iterable[int], start: dt.datetime, end: dt.datetime) -> CapacityPlan:
        ids = sorted(set(gate_ids))
        plan = cls()
        lanes, hours, shares = _reference(ids)
        plan.lanes.update(lanes)
        plan.hours.update(hours)
        plan.shares = shares
        wanted = set(ids)
        for row in _closures_between(start=start, end=end):
            if row["gate_id"] in wanted:
                plan.closures[row["gate_id"]].append((row["starts_at"], row["ends_at"]))
        for row in _overrides_between(start=start, end=end):
            if row["gate_id"] in wanted:
                plan.overrides[(row["gate_id"], row["direction"])].append(
                    (row["starts_at"], row["ends_at"], row["trucks_per_hour"]))
        return plan

    def is_open(self, gate_id: int, hour_start: dt.datetime, local: dt.datetime | None = None) -> bool:
        """Working hours cover the hour's start (`local`: the same moment in local time, if known)."""
        local = local or timezone.localtime(hour_start)
        clock = local.time()
        for opens, closes in self.hours.get((gate_id, local.weekday()), ()):
            if opens <= clock and (closes == MIDNIGHT or clock < closes):
                return True
        return False

    def capacity(self, gate_id: int, flow: str, hour_start: dt.datetime, local: dt.datetime | None = None) -> int:
        closures = self.closures.get(gate_id)
        if closures and any(starts <= hour_start < ends for starts, ends in closures):
            return 0
        overrides = self.overrides.get((gate_id, flow))
        if overrides:
            covering = [rate for starts, ends, rate in overrides if starts <= hour_start < ends]
            if covering:
                return covering[-1]
        if not self.is_open(gate_id, hour_start, local):
            return 0
        return self.lanes.get((gate_id, flow), 0)

    def reserved(self, gate_id: int, capacity: int) -> int:
        return capacity * self.shares.get(gate_id, 0) // 100


def slot_defaults(plan: CapacityPlan, gate_id: int, flow: str, hour_start: dt.datetime,
                  now: dt.datetime) -> dict[str, object]:
    capacity = plan.capacity(gate_id, flow, hour_start)
    released = now >= hour_start - conf.green_release_lead()
    return {"capacity": capacity, "day": timezone.localtime(hour_start).date(),
            "reserved": 0 if released else plan.reserved(gate_id, capacity),
            "green_released_at": now if released else None}


# Every booking reads its hour's row first: compiled once (see cuakhau.db.prepared).
_slot_row = PreparedRead(lambda gate_id, flow, hour_start: HourSlot.objects.filter(
    gate_id=gate_id, direction=flow, hour_start=hour_start).order_by().values(*columns(HourSlot))[:1])


def ensure_slot(gate: Gate, flow: str, hour_start: dt.datetime, now: dt.datetime | None = None) -> HourSlot:
    """The hour's row, created with its capacity on first use; the unique constraint settles a race."""
    now = now or timezone.now()
    existing = _slot_row(gate_id=gate.pk, flow=flow, hour_start=hour_start)
    if existing:
        slot: HourSlot = instance(HourSlot, existing[0])
        return slot
    plan = CapacityPlan.load([gate.pk], hour_start, hour_start + HOUR)
    slot, _ = HourSlot.objects.get_or_create(gate=gate, direction=flow, hour_start=hour_start,
                                             defaults=slot_defaults(plan, gate.pk, flow, hour_start, now))
    return slot


def refresh_future_slots(now: dt.datetime | None = None, gate_ids: Iterable[int] | None = None) -> int:
    """Bring existing future hours in line with today's lanes, hours, closures and overrides.

    Capacity never drops below the places already booked (a booking is a promise); the green
    reserve follows the new capacity until it is released.
    """
    now = now or timezone.now()
    slots = HourSlot.objects.filter(hour_start__gte=local_hour_start(now))
    if gate_ids is not None:
        slots = slots.filter(gate_id__in=list(gate_ids))
    # In id order, like every other transaction that updates several hours (no deadlock on PostgreSQL).
    rows = list(slots.order_by("pk").values_list("pk", "gate_id", "direction", "hour_start", "capacity", "reserved",
                                                 "green_released_at"))
    if not rows:
        return 0
    plan = CapacityPlan.load({r[1] for r in rows}, min(r[3] for r in rows), max(r[3] for r in rows) + HOUR)
    changed = 0
    for pk, gate_id, flow, hour_start, capacity, reserved, released_at in rows:
        new_capacity = plan.capacity(gate_id, flow, hour_start)
        new_reserved = 0 if released_at else plan.reserved(gate_id, new_capacity)
        if new_capacity == capacity and new_reserved == reserved:
            continue
        changed += HourSlot.objects.filter(pk=pk).update(capacity=Greatest(new_capacity, "booked"),
                                                         reserved=new_reserved)
    return changed
