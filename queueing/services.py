"""Booking, moving and cancelling an arrival hour, swapping the truck, capacity overrides.

A place is taken with one conditional UPDATE:
    UPDATE hour_slot SET booked = booked + 1 WHERE id = … AND booked < capacity
        [AND booked + reserved < capacity + green_booked   -- trucks outside the green lane]
PostgreSQL re-evaluates the WHERE clause on the latest row version when two transactions race
for the row, and SQLite's IMMEDIATE transactions run writers one at a time, so an hour is never
over-booked; a CHECK constraint (booked ≤ capacity) backs this up. Each action is one
transaction: lock the enterprise row (anti-hoarding count) and the trip row, take or give
back places, change the booking, set the workflow's `slot_booked` step, write the audit row.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Value
from django.db.models.expressions import Combinable
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import Actor, is_board
from crossings import audit
from crossings import workflow as wf
from crossings.models import Checkpoint, CheckpointState, Outcome, Stage, Trip
from crossings.slot_step import STEP as SLOT_STEP
from crossings.slot_step import confirm_slot_booked, reopen_slot_booked
from cuakhau.db.prepared import PreparedQuerysetUpdate, PreparedRead, columns, insert_rows, instance
from cuakhau.errors import Conflict, Forbidden, Message, NotFound, ServiceError, ValidationFailed
from cuakhau.lib.plates import plate_country
from declarations.models import Item, Registration, RegistrationStatus
from enterprises.models import Driver, Enterprise, Vehicle
from gates.models import Direction, Gate
from queueing import conf
from queueing.capacity import HOUR, REFERENCE_VERSION_KEY, CapacityPlan, ensure_slot, hours_between, local_hour_start
from queueing.models import (
    FLOWS,
    Booking,
    BookingStatus,
    CallForward,
    CapacityOverride,
    HourSlot,
    PerishableHeading,
    flow_of,
)


class RateLimited(ServiceError):
    status = 429
    default_code = "rate_limited"


@dataclass(frozen=True)
class FreeHour:
    hour_start: dt.datetime
    capacity: int
    booked: int
    free: int  # for a truck in the green lane
    free_general: int  # for any other truck


class SlotFull(Conflict):
    """The asked hour has no place for this truck; `next_free` lists the next hours that do."""

    default_code = "slot_full"

    def __init__(self, message: Message, code: str | None = None, next_free: list[FreeHour] | None = None) -> None:
        super().__init__(message, code)
        self.next_free = next_free or []


UNKNOWN_GATE = _("Unknown gate.")


def check_flow(direction: str) -> str:
    """Any registration direction is accepted and mapped to its lane direction (import or export)."""
    if direction not in Direction.values:
        choices = ", ".join(Direction.values)
        raise ValidationFailed({"direction": [_("Choose one of: %(values)s.") % {"values": choices}]})
    return flow_of(direction)


# --- the green lane ---------------------------------------------------------------------------

def perishable_prefixes() -> list[str]:
    """The green-lane HS prefixes (data; cached briefly like the other reference data)."""
    version = cache.get_or_set(REFERENCE_VERSION_KEY, 1, timeout=None)
    found = cache.get_or_set(f"queueing:perishables:{version}",
                             lambda: list(PerishableHeading.objects.values_list("hs_prefix", flat=True)),
                             timeout=int(conf.get("QUEUEING_REFERENCE_CACHE_SECONDS")))
    return list(found or [])


def perishable_q(prefixes: list[str], field_name: str = "hs_code") -> Q:
    query = Q(pk__in=[])
    for prefix in prefixes:
        query |= Q(**{f"{field_name}__startswith": prefix})
    return query


def green_expression(registration_ref: str = "registration") -> Combinable:
    """SQL: does the trip's registration carry perishable goods? (For annotating trips.)"""
    prefixes = perishable_prefixes()
    if not prefixes:
        return Value(False)
    return Exists(Item.objects.filter(perishable_q(prefixes), consignment__registration=OuterRef(registration_ref)))


_goods_codes = PreparedRead(lambda registration_id: Item.objects.filter(
    consignment__registration_id=registration_id).order_by().values("hs_code"))


def is_green(registration_id: int) -> bool:
    """The green lane follows from the declared goods; the declarant never chooses it.

    Only confirmed registrations book, and their goods no longer change, so the answer is cached
    (with the perishable headings' version in the key)."""
    prefixes = tuple(perishable_prefixes())
    if not prefixes:
        return False
    key = f"queueing:green:{cache.get(REFERENCE_VERSION_KEY, 1)}:{registration_id}"
    found = cache.get(key)
    if found is None:
        found = any(row["hs_code"].startswith(prefixes) for row in _goods_codes(registration_id=registration_id))
        cache.set(key, found, timeout=3600)
    return bool(found)


# --- free hours -------------------------------------------------------------------------------

# Every booking refused for a full hour lists the next free ones: compiled once (see cuakhau.db.prepared).
_hour_rows = PreparedRead(lambda gate_id, flow, start, end: HourSlot.objects.filter(
    gate_id=gate_id, direction=flow, hour_start__gte=start, hour_start__lt=end).order_by().values(
    "hour_start", "capacity", "booked", "reserved", "green_booked"))


def free_hours(gate: Gate, flow: str, start: dt.datetime, *, hours: int = 24, now: dt.datetime | None = None,
               only_free: bool = True, green: bool | None = None, limit: int | None = None,
               plan: CapacityPlan | None = None) -> list[FreeHour]:
    """Hours from `start` (floored) over `hours` hours with their places; with `only_free`, those with a
    place for a truck of the green lane (`green`), for any other truck (`green=False`), or for either.
    `plan`: the gate's capacity plan over that period if already loaded (it holds every direction)."""
    now = now or timezone.now()
    start = max(local_hour_start(start), local_hour_start(now))
    end = start + dt.timedelta(hours=hours)
    # Else loaded at the first hour that has no row yet.
    rows = {row["hour_start"]: (row["capacity"], row["booked"], row["reserved"], row["green_booked"])
            for row in _hour_rows(gate_id=gate.pk, flow=flow, start=start, end=end)}
    release_from = now + conf.green_release_lead()
    found: list[FreeHour] = []
    for hour in hours_between(start, end):
        row = rows.get(hour)
        if row is None:
            if plan is None:
                plan = CapacityPlan.load([gate.pk], hour, end)
            capacity = plan.capacity(gate.pk, flow, hour)
            booked, green_booked = 0, 0
            reserved = 0 if hour <= release_from else plan.reserved(gate.pk, capacity)
        else:
            capacity, booked, reserved, green_booked = row
        free = max(capacity - booked, 0)
        free_general = max(capacity - max(reserved, green_booked) - (booked - green_booked), 0)
        if only_free and (free_general if green is False else free) <= 0:
            continue
        found.append(FreeHour(hour, capacity, booked, free, free_general))
        if limit is not None and len(found) >= limit:
            break
    return found


NEXT_FREE_FIRST_WINDOW_HOURS = 48


def next_free_hours(gate: Gate, flow: str, after: dt.datetime, green: bool, now: dt.datetime | None = None
                    ) -> list[FreeHour]:
    """The next hours with a place for this truck, from `after` over QUEUEING_MAX_DAYS_AHEAD days.

    The next two days are searched first (usually enough: fewer rows read), the rest only if needed.
    Always fresh: a stale offer would only send the client to another full hour. It only advises:
    the booking itself takes a place atomically."""
    now = now or timezone.now()
    start = max(local_hour_start(after), local_hour_start(now))
    hours = int(conf.get("QUEUEING_MAX_DAYS_AHEAD")) * 24
    limit = int(conf.get("QUEUEING_NEXT_FREE_COUNT"))
    first = min(NEXT_FREE_FIRST_WINDOW_HOURS, hours)
    found = free_hours(gate, flow, start, hours=first, now=now, green=green, limit=limit)
    if len(found) < limit and hours > first:
        found += free_hours(gate, flow, start + dt.timedelta(hours=first), hours=hours - first, now=now,
                            green=green, limit=limit - len(found))
    return found


@dataclass(frozen=True)
class Availability:
    """Whether a truck (green lane or not) finds a place in an asked hour, and if not, where it would."""

    hour: FreeHour
    available: bool
    message: str
    next_free: list[FreeHour]


def check_availability(gate: Gate, direction: str, hour_start: dt.datetime, *, green: bool = False,
                       now: dt.datetime | None = None) -> Availability:
    """For the registration step: is the asked hour free? If it is full (or closed), say so and offer
    the next free hours. Reads only; the booking itself takes the place atomically."""
    now = now or timezone.now()
    flow = check_flow(direction)
    hour = check_hour(hour_start, now)
    asked = free_hours(gate, flow, hour, hours=1, now=now, only_free=False)[0]
    available = (asked.free if green else asked.free_general) > 0
    if available:
        return Availability(asked, True, "", [])
    full = SlotFull(_("That hour is full.")) if asked.capacity else SlotFull(
        _("The gate takes no trucks in that hour (closed, or no entry lane)."))
    return Availability(asked, False, str(full.message), next_free_hours(gate, flow, hour + HOUR, green, now))


# --- guards -----------------------------------------------------------------------------------

def check_rate(actor: Actor, now: float | None = None) -> None:
    """A sliding-window counter per enterprise in Django's cache (approximate, cheap, shared by workers
    when the cache is shared): this window's count plus the previous window's, weighted by overlap."""
    if actor.enterprise is None:
        return
    limit = int(conf.get("QUEUEING_RATE_LIMIT_REQUESTS"))
    window = int(conf.get("QUEUEING_RATE_LIMIT_WINDOW_SECONDS"))
    now = time.time() if now is None else now
    current = int(now // window)
    key = f"queueing:rate:{actor.enterprise.pk}:{{}}"
    previous_count = cache.get(key.format(current - 1), 0)
    elapsed = (now % window) / window
    cache.add(key.format(current), 0, timeout=2 * window)
    try:
        count = cache.incr(key.format(current))
    except ValueError:  # evicted between add and incr
        cache.set(key.format(current), 1, timeout=2 * window)
        count = 1
    if count + previous_count * (1 - elapsed) > limit:
        raise RateLimited(_("Too many booking requests from your enterprise; wait a minute and try again."))


# The trip with its registration and gate, as `select_related` would give them, in one compiled read.
_TRIP_COLUMNS = (*columns(Trip), *columns(Registration, "registration__"), *columns(Gate, "registration__gate__"))
_own_trip_row = PreparedRead(lambda trip_id, declarant_id: Trip.objects.filter(
    pk=trip_id, registration__declarant_id=declarant_id).order_by().values(*_TRIP_COLUMNS)[:1])


def own_trip(actor: Actor, trip_id: int) -> Trip:
    """The trip if the actor's enterprise declared it: 403 for anyone else but an enterprise, 404 for
    another enterprise (never reveal its records)."""
    if actor.enterprise is None:
        raise Forbidden(_("Only the declaring enterprise books, moves or cancels the arrival hour of its truck."))
    found = _own_trip_row(trip_id=trip_id, declarant_id=actor.enterprise.pk)
    if not found:
        raise NotFound(_("Trip not found."))
    row = found[0]
    trip: Trip = instance(Trip, row)
    registration: Registration = instance(Registration, row, "registration__")
    Registration.gate.field.set_cached_value(registration, instance(Gate, row, "registration__gate__"))
    Trip.registration.field.set_cached_value(trip, registration)
    return trip


def check_hour(hour_start: dt.datetime, now: dt.datetime) -> dt.datetime:
    if timezone.is_naive(hour_start):
        hour_start = timezone.make_aware(hour_start, timezone.get_default_timezone())
    local = timezone.localtime(hour_start)
    if (local.minute, local.second, local.microsecond) != (0, 0, 0):
        raise ValidationFailed({"hour_start": [_("Choose the start of an hour, such as 2026-11-24T08:00.")]})
    if local + HOUR <= now:
        raise ValidationFailed({"hour_start": [_("This hour is already over.")]})
    days = int(conf.get("QUEUEING_MAX_DAYS_AHEAD"))
    if local > now + dt.timedelta(days=days):
        raise ValidationFailed({"hour_start": [_("Book at most %(days)d days ahead.") % {"days": days}]})
    return local


LOCKED_FIELDS = ("outcome", "stage", "is_open", "version", "vehicle_id", "driver_id")
# The trip row under its lock, then its checkpoints: two statements, not one join, so that on PostgreSQL the
# states are read after the lock is granted (a join would return the checkpoints of the snapshot taken before
# waiting, and miss a gate entry confirmed meanwhile).
_locked_trip = PreparedRead(lambda trip_id: Trip.objects.select_for_update().filter(pk=trip_id).order_by()
                            .values(*LOCKED_FIELDS)[:1])
_checkpoint_states = PreparedRead(lambda trip_id: Checkpoint.objects.filter(trip_id=trip_id).order_by()
                                  .values("name", "state"))


def _lock_trip(trip: Trip) -> dict[str, str]:
    """Lock the trip row, refresh what may have changed, and return its checkpoint states."""
    row = _locked_trip(trip_id=trip.pk)
    if not row:
        raise NotFound(_("Trip not found."))
    for name, value in row[0].items():
        setattr(trip, name, value)
    return {step["name"]: step["state"] for step in _checkpoint_states(trip_id=trip.pk)}


def has_entered_gate(states: dict[str, str]) -> bool:
    return any(states.get(step) == CheckpointState.CONFIRMED for step in wf.GATE_ENTRY_STEPS)


def _check_not_entered(states: dict[str, str]) -> None:
    if has_entered_gate(states):
        raise Conflict(_("The truck has already entered the gate."), "already_entered")


def no_show_rate(enterprise: Enterprise, now: dt.datetime, *, cached: bool = False) -> tuple[float, int]:
    """(share of no-shows, bookings counted) over the recent window's finished hours."""
    if cached:
        key = f"queueing:no-show-rate:{enterprise.pk}"
        found = cache.get(key)
        if found is None:
            found = no_show_rate(enterprise, now)
            cache.set(key, found, timeout=int(conf.get("QUEUEING_NO_SHOW_RATE_CACHE_SECONDS")))
        return found  # type: ignore[no-any-return]
    since = now - dt.timedelta(days=int(conf.get("QUEUEING_NO_SHOW_WINDOW_DAYS")))
    counts = Booking.objects.filter(enterprise=enterprise, slot__hour_start__gte=since,
                                    slot__hour_start__lt=now - HOUR,
                                    status__in=[BookingStatus.BOOKED, BookingStatus.NO_SHOW]).aggregate(
        total=Count("pk"), no_show=Count("pk", filter=Q(status=BookingStatus.NO_SHOW)))
    total = counts["total"] or 0
    return ((counts["no_show"] or 0) / total if total else 0.0), total


def booking_cap(enterprise: Enterprise, slot: HourSlot, now: dt.datetime) -> int:
    """Open bookings allowed for the slot's day: lower for a peak hour if the firm often does not show up."""
    cap = int(conf.get("QUEUEING_MAX_OPEN_BOOKINGS_PER_DAY"))
    if timezone.localtime(slot.hour_start).hour in tuple(conf.get("QUEUEING_PEAK_HOURS")):
        rate, counted = no_show_rate(enterprise, now, cached=True)
        if counted >= int(conf.get("QUEUEING_NO_SHOW_MIN_BOOKINGS")) and rate >= float(
                conf.get("QUEUEING_HIGH_NO_SHOW_RATE")):
            cap = min(cap, int(conf.get("QUEUEING_PEAK_CAP_FOR_HIGH_NO_SHOW")))
    return cap


_locked_enterprise = PreparedRead(lambda enterprise_id: Enterprise.objects.select_for_update().filter(
    pk=enterprise_id).order_by().values("pk"))


def _lock_enterprise(enterprise: Enterprise) -> None:
    """Concurrent bookings of one firm count one another's open bookings (anti-hoarding) in turn. SQLite
    has no row locks and needs none: its IMMEDIATE transactions already run writers one at a time."""
    if transaction.get_connection().features.has_select_for_update:
        _locked_enterprise(enterprise_id=enterprise.pk)


# Open bookings of an enterprise on a slot's day (but `booking_id`; 0 excludes none): one row, or none if 0.
_open_bookings_on_day = PreparedRead(lambda enterprise_id, day, booking_id: Booking.objects.filter(
    enterprise_id=enterprise_id, status=BookingStatus.BOOKED, slot__day=day,
    trip__stage__in=[Stage.DECLARED, Stage.REGISTERED]).exclude(pk=booking_id).order_by()
    .values("enterprise_id").annotate(count=Count("pk")).values("count"))


def _check_hoarding(enterprise: Enterprise, slot: HourSlot, now: dt.datetime, exclude: int | None = None) -> None:
    """Runs with the enterprise row locked, so concurrent bookings of one firm count one another."""
    found = _open_bookings_on_day(enterprise_id=enterprise.pk, day=slot.day, booking_id=exclude or 0)
    cap = booking_cap(enterprise, slot, now)
    if (found[0]["count"] if found else 0) >= cap:
        raise Conflict(_("Your enterprise already holds %(n)d open bookings for that day, the most allowed.")
                       % {"n": cap}, "booking_cap")


# --- taking and giving back places -------------------------------------------------------------

# Each hour's place is taken and given back by one conditional UPDATE, compiled once (see cuakhau.db.prepared).
_take_green_place = PreparedQuerysetUpdate(lambda slot_id: (
    HourSlot.objects.filter(pk=slot_id, booked__lt=F("capacity")),
    {"booked": F("booked") + 1, "green_booked": F("green_booked") + 1}))
# A truck outside the green lane may not use the places still held for it.
_take_general_place = PreparedQuerysetUpdate(lambda slot_id: (
    HourSlot.objects.filter(Q(pk=slot_id, booked__lt=F("capacity"))
                            & Q(booked__lt=F("capacity") + F("green_booked") - F("reserved"))),
    {"booked": F("booked") + 1}))
_give_back_green_place = PreparedQuerysetUpdate(lambda slot_id: (
    HourSlot.objects.filter(pk=slot_id, booked__gt=0, green_booked__gt=0),
    {"booked": F("booked") - 1, "green_booked": F("green_booked") - 1}))
_give_back_general_place = PreparedQuerysetUpdate(lambda slot_id: (
    HourSlot.objects.filter(pk=slot_id, booked__gt=0), {"booked": F("booked") - 1}))


def take_place(slot_id: int, green: bool) -> bool:
    """One conditional UPDATE; True if a place was taken."""
    return bool((_take_green_place if green else _take_general_place)(slot_id=slot_id))


def give_back_place(slot_id: int, green: bool) -> None:
    (_give_back_green_place if green else _give_back_general_place)(slot_id=slot_id)


def _full(slot: HourSlot) -> SlotFull:
    """Raised inside the transaction; the next free hours are added after it has rolled back."""
    if slot.capacity == 0:
        return SlotFull(_("The gate takes no trucks in that hour (closed, or no entry lane)."), "slot_closed")
    return SlotFull(_("That hour is full."), "slot_full")


def _offer_next_free(full: SlotFull, slot: HourSlot, green: bool, now: dt.datetime) -> SlotFull:
    full.next_free = next_free_hours(slot.gate, slot.direction, slot.hour_start + HOUR, green, now)
    return full


def active_booking(trip_id: int) -> Booking | None:
    return (Booking.objects.select_related("slot__gate").filter(trip_id=trip_id, status=BookingStatus.BOOKED)
            .first())


# --- actions ----------------------------------------------------------------------------------

def _slot_data(slot: HourSlot) -> dict[str, object]:
    return {"gate": slot.gate.code, "direction": slot.direction,
            "hour_start": timezone.localtime(slot.hour_start).isoformat()}


def do_book(actor: Actor, trip_id: int, hour_start: dt.datetime, *, now: dt.datetime | None = None) -> Booking:
    """Book an arrival hour for a confirmed trip (also after a no-show: the same trip reopens)."""
    now = now or timezone.now()
    trip = own_trip(actor, trip_id)
    hour = check_hour(hour_start, now)
    registration = trip.registration
    if registration.status != RegistrationStatus.CONFIRMED:
        raise Conflict(_("Book an arrival hour once the registration is confirmed."), "registration_not_confirmed")
    green = is_green(registration.pk)
    slot = ensure_slot(registration.gate, flow_of(registration.direction), hour, now)
    slot.gate = registration.gate
    if (slot.free if green else slot.free_general) <= 0:
        # Full when read: say so without taking any lock. (A place that frees meanwhile is offered
        # again by the next request; the conditional UPDATE below is what guarantees capacity.)
        raise _offer_next_free(_full(slot), slot, green, now)
    enterprise = actor.enterprise
    assert enterprise is not None
    try:
        with transaction.atomic():
            _lock_enterprise(enterprise)
            states = _lock_trip(trip)
            if trip.outcome not in (Outcome.ACTIVE, Outcome.NO_SHOW):
                raise Conflict(_("This trip is closed."), "trip_closed")
            _check_not_entered(states)
            # A second booking of the trip is refused by the unique index one_booking_per_trip (below).
            _check_hoarding(enterprise, slot, now)
            reopened = trip.outcome == Outcome.NO_SHOW
            if reopened:
                # Rebooking after a no-show reopens the same trip: its vehicle, driver, goods, fee and
                # ticket stay as they were.
                Trip.objects.filter(pk=trip.pk, outcome=Outcome.NO_SHOW).update(
                    outcome=Outcome.ACTIVE, is_open=True, version=F("version") + 1, updated_at=now)
            booking = Booking(trip=trip, enterprise=enterprise, slot=slot, green=green, created_at=now, updated_at=now)
            insert_rows([booking], read_keys=True)  # no save() machinery on the hot path (see cuakhau.db.prepared)
            flipped = confirm_slot_booked(actor, trip, states=states, audited_by_caller=True)
            # The hour's row is locked from here to the commit: as late as possible, and always before
            # the audit head (every transaction locks trip → hour → audit head, in that order).
            if not take_place(slot.pk, green):
                raise _full(slot)
            if reopened:
                audit.record(actor, "trip.reopened", registration_number=registration.number, trip_id=trip.pk)
            # One audit row for the booking and, where the gate uses slots, the checkpoint it confirms.
            audit.record(actor, "booking.created", registration_number=registration.number, trip_id=trip.pk,
                         checkpoint=SLOT_STEP if flipped else "",
                         data={**_slot_data(slot), "green": green, "booking": booking.pk})
    except SlotFull as full:
        raise _offer_next_free(full, slot, green, now) from None
    except IntegrityError as error:
        if "one_open_trip_per_vehicle" in str(error) or "crossings_trip.vehicle_id" in str(error):
            raise Conflict(_("This truck is already on another open trip."), "truck_busy") from error
        raise Conflict(_("This truck already has an arrival hour; move it instead."), "already_booked") from error
    booking.slot = slot
    return booking


def do_move(actor: Actor, trip_id: int, hour_start: dt.datetime, version: int, *,
            now: dt.datetime | None = None) -> Booking:
    """One atomic step: the new hour taken and the old one freed, or nothing changes."""
    now = now or timezone.now()
    trip = own_trip(actor, trip_id)
    hour = check_hour(hour_start, now)
    booking = active_booking(trip.pk)
    if booking is None:
        raise NotFound(_("This truck has no arrival hour booked."), "no_booking")
    registration = trip.registration
    new_slot = ensure_slot(registration.gate, booking.slot.direction, hour, now)
    new_slot.gate = registration.gate
    if new_slot.pk == booking.slot_id:
        raise ValidationFailed({"hour_start": [_("This is already the booked hour.")]})
    if (new_slot.free if booking.green else new_slot.free_general) <= 0:
        raise _offer_next_free(_full(new_slot), new_slot, booking.green, now)
    old_slot = booking.slot
    enterprise = actor.enterprise
    assert enterprise is not None
    try:
        with transaction.atomic():
            _lock_enterprise(enterprise)
            _check_not_entered(_lock_trip(trip))
            if new_slot.day != old_slot.day:
                _check_hoarding(enterprise, new_slot, now, exclude=booking.pk)
            moved = Booking.objects.filter(pk=booking.pk, status=BookingStatus.BOOKED, version=version).update(
                slot=new_slot, version=F("version") + 1, updated_at=now)
            if not moved:
                raise Conflict(_("The booking was changed meanwhile; reload it and try again."), "stale_version")
            # Both hours' rows in id order, so that two opposite moves cannot deadlock.
            for slot_id in sorted((new_slot.pk, old_slot.pk)):
                if slot_id == old_slot.pk:
                    give_back_place(old_slot.pk, booking.green)
                elif not take_place(new_slot.pk, booking.green):
                    raise _full(new_slot)  # rolls back the move: the old hour stays booked
            audit.record(actor, "booking.moved", registration_number=registration.number, trip_id=trip.pk,
                         data={"from": _slot_data(old_slot), "to": _slot_data(new_slot), "booking": booking.pk})
    except SlotFull as full:
        raise _offer_next_free(full, new_slot, booking.green, now) from None
    booking.refresh_from_db()
    return booking


def do_cancel_booking(actor: Actor, trip_id: int, *, now: dt.datetime | None = None) -> Booking:
    """Give the place back at once; the trip needs a new hour before it may enter the gate."""
    now = now or timezone.now()
    trip = own_trip(actor, trip_id)
    with transaction.atomic():
        states = _lock_trip(trip)
        _check_not_entered(states)
        booking = active_booking(trip.pk)
        if booking is None:
            raise NotFound(_("This truck has no arrival hour booked."), "no_booking")
        if not Booking.objects.filter(pk=booking.pk, status=BookingStatus.BOOKED).update(
                status=BookingStatus.CANCELLED, version=F("version") + 1, updated_at=now):
            raise Conflict(_("The booking was changed meanwhile; reload it and try again."), "stale_version")
        give_back_place(booking.slot_id, booking.green)
        reopen_slot_booked(actor, trip, states=states)
        audit.record(actor, "booking.cancelled", registration_number=trip.registration.number, trip_id=trip.pk,
                     data={**_slot_data(booking.slot), "booking": booking.pk})
    booking.refresh_from_db()
    return booking


def do_swap_truck(actor: Actor, trip_id: int, *, plate: str, driver_name: str, driver_identity_document: str,
                  driver_phone: str, now: dt.datetime | None = None) -> Trip:
    """Put another truck and driver of the same enterprise on the trip, until its hour starts.

    The trip (and with it the booking, the goods and the fee payer) stays with the declaring
    enterprise: nothing here moves a booking to another enterprise.
    """
    now = now or timezone.now()
    trip = own_trip(actor, trip_id)
    enterprise = actor.enterprise
    assert enterprise is not None
    try:
        with transaction.atomic():
            # The registration first (locked by its update), then the trip, as every action locks them. Its version
            # moves: an amendment read before the swap is refused as stale instead of putting the old truck back.
            Registration.objects.filter(pk=trip.registration_id).update(version=F("version") + 1, updated_at=now)
            states = _lock_trip(trip)
            if trip.outcome != Outcome.ACTIVE:
                raise Conflict(_("This trip is closed."), "trip_closed")
            _check_not_entered(states)
            booking = active_booking(trip.pk)
            if booking is not None and now >= booking.slot.hour_start:
                raise Conflict(_("The booked hour has started; the truck can no longer be swapped."), "hour_started")
            old_plate = trip.vehicle.plate
            vehicle, _created = Vehicle.objects.get_or_create(
                plate=plate, defaults={"country": plate_country(plate), "load_class": trip.load_class,
                                       "owner": enterprise})
            driver, _created = Driver.objects.update_or_create(
                enterprise=enterprise, identity_document=driver_identity_document,
                defaults={"name": driver_name, "phone": driver_phone})
            Trip.objects.filter(pk=trip.pk).update(vehicle=vehicle, driver=driver, version=F("version") + 1,
                                                   updated_at=now)
            audit.record(actor, "trip.truck_swapped", registration_number=trip.registration.number,
                         trip_id=trip.pk, data={"from_plate": old_plate, "to_plate": plate, "driver": driver.pk})
    except IntegrityError as error:
        raise Conflict(_("This truck is already on another open trip."), "truck_busy") from error
    trip.refresh_from_db()
    return trip


# --- capacity overrides -----------------------------------------------------------------------

@dataclass(frozen=True)
class OverrideResult:
    override: CapacityOverride
    hours_updated: int = 0
    kept_for_bookings: list[dt.datetime] = field(default_factory=list)


def may_override_capacity(actor: Actor, gate: Gate) -> bool:
    """The gate's own management board (day-to-day: road works, an incident) and the province-wide
    supervisor of the board (who also edits the gate's lanes and working hours) set an hour's capacity.
    Unlike confirming a truck's checkpoints, this is planning, not acting on a truck at the gate."""
    if not is_board(actor) or actor.agency is None:
        return False
    if actor.is_supervisor:
        return actor.agency.province_id == gate.province_id
    return actor.acts_at_gate(gate.pk, gate.province_id)


def do_override_capacity(actor: Actor, gate_code: str, direction: str, starts_at: dt.datetime,
                         ends_at: dt.datetime, trucks_per_hour: int, reason: str) -> OverrideResult:
    """A supervisor sets the capacity of every hour starting in [starts_at, ends_at)."""
    from queueing.capacity import refresh_future_slots

    gate = Gate.objects.filter(code=gate_code).first()
    if gate is None:
        raise NotFound(UNKNOWN_GATE)
    if not may_override_capacity(actor, gate):
        raise Forbidden(_("Only the management board of this gate or the province supervisor sets its capacity."))
    errors: dict[str, list[Message]] = {}
    if direction not in FLOWS:
        errors["direction"] = [_("Choose import or export.")]
    if ends_at <= starts_at:
        errors["ends_at"] = [_("The end must be after the start.")]
    if not reason.strip():
        errors["reason"] = [_("Give the reason for the change.")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        override = CapacityOverride.objects.create(gate=gate, direction=direction, starts_at=starts_at,
                                                   ends_at=ends_at, trucks_per_hour=trucks_per_hour,
                                                   reason=reason.strip(), created_by=actor.user)
        updated = refresh_future_slots(gate_ids=[gate.pk])
        kept = list(HourSlot.objects.filter(gate=gate, direction=direction, hour_start__gte=starts_at,
                                            hour_start__lt=ends_at, capacity__gt=trucks_per_hour)
                    .values_list("hour_start", flat=True))
        audit.record(actor, "capacity.overridden", data={
            "gate": gate.code, "direction": direction, "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(), "trucks_per_hour": trucks_per_hour, "reason": reason.strip()})
    return OverrideResult(override, updated, kept)


# --- what the driver and the officer see ------------------------------------------------------

def arrival_window(booking: Booking) -> tuple[dt.datetime, dt.datetime]:
    """From the start of the booked hour to its end plus the grace period (may cross midnight)."""
    start = booking.slot.hour_start
    return start, start + HOUR + conf.grace()


def arrival_status(booking: Booking | None, at: dt.datetime) -> str:
    """"on_time", "late" (within the grace period), "early", "expired", or "no_booking"."""
    if booking is None:
        return "no_booking"
    start, deadline = arrival_window(booking)
    if at < start:
        return "early"
    if at < start + HOUR:
        return "on_time"
    if at < deadline:
        return "late"
    return "expired"


@dataclass(frozen=True)
class QueueStatus:
    """What the driver ticket and the officer console show about a trip's place in the queue.

    No personal data: the booking, whether the truck is in its arrival window, and its call-forward.
    """

    booking: Booking | None  # the active booking, else the latest one
    arrival_status: str
    call_forward: CallForward | None


# with_queue_status() puts each trip's bookings here, the latest first.
PREFETCHED_BOOKINGS = "queue_bookings"


def with_queue_status(trips: QuerySet[Trip]) -> QuerySet[Trip]:
    """The trips with what queue_status() shows, read with them (two queries for all the trips): their
    bookings and their call-forward, so a page showing the truck and its queue status reads them once."""
    return trips.prefetch_related(
        Prefetch("bookings", queryset=Booking.objects.select_related("slot__gate").order_by("-updated_at", "-pk"),
                 to_attr=PREFETCHED_BOOKINGS),
        Prefetch("call_forward", queryset=CallForward.objects.select_related("yard", "waiting_area")))


def prefetched_bookings(trip: Trip) -> list[Booking] | None:
    """The trip's bookings, the latest first, if read by with_queue_status(); else None."""
    return getattr(trip, PREFETCHED_BOOKINGS, None)


def queue_status(trip: Trip, at: dt.datetime | None = None) -> QueueStatus:
    bookings = prefetched_bookings(trip)
    if bookings is None or not Trip.call_forward.is_cached(trip):  # type: ignore[attr-defined]
        return queue_statuses([trip.pk], at)[trip.pk]
    call = getattr(trip, "call_forward", None)  # None: prefetched, and the trip has none
    return _queue_status(bookings, call, at or timezone.now())


def queue_statuses(trip_ids: list[int], at: dt.datetime | None = None) -> dict[int, QueueStatus]:
    """The queue status of many trips in two queries (a registration page lists all its trucks)."""
    at = at or timezone.now()
    bookings: dict[int, list[Booking]] = {trip_id: [] for trip_id in trip_ids}
    for booking in Booking.objects.select_related("slot__gate").filter(trip_id__in=trip_ids).order_by(
            "trip_id", "-updated_at", "-pk"):
        bookings[booking.trip_id].append(booking)
    calls = {call.trip_id: call for call in CallForward.objects.select_related("yard", "waiting_area").filter(
        trip_id__in=trip_ids)}
    return {trip_id: _queue_status(bookings[trip_id], calls.get(trip_id), at) for trip_id in trip_ids}


def _queue_status(bookings: list[Booking], call: CallForward | None, at: dt.datetime) -> QueueStatus:
    """From a trip's bookings (the latest first): the active booking, else the latest one."""
    active = next((booking for booking in bookings if booking.status == BookingStatus.BOOKED), None)
    shown = active or (bookings[0] if bookings else None)
    return QueueStatus(shown, arrival_status(active, at), call)
