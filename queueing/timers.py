"""What happens with time, run by `cuakhau worker`: no-shows, green-lane release, call-forward.

Every step is safe to run in two workers at once: each change is a compare-and-set
(`UPDATE … WHERE status = 'booked'`, `… WHERE reserved > 0`), candidate rows are locked with
SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL (a row another worker holds is left to it), and
SQLite's IMMEDIATE transactions run writers one at a time. Each change is one transaction with
its audit row, written by the system actor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.services import purge_idempotency_records, system_actor
from crossings import audit
from crossings import workflow as wf
from crossings.models import Checkpoint, CheckpointState, Outcome, Stage, Trip
from crossings.slot_step import reopen_slot_booked
from gates.models import Gate, Yard
from queueing import conf
from queueing.capacity import HOUR, refresh_future_slots
from queueing.models import Booking, BookingStatus, CallForward, HourSlot, WaitingArea
from queueing.services import give_back_place, green_expression

IN_YARD = (Stage.IN_YARD, Stage.PAID)


def _gate_entered() -> Exists:
    return Exists(Checkpoint.objects.filter(trip=OuterRef("trip"), name__in=wf.GATE_ENTRY_STEPS,
                                            state=CheckpointState.CONFIRMED))


def _lock_booking(pk: int) -> Booking | None:
    """The booking if still booked, with its trip's row locked first (the order every booking action
    uses: trip → booking → hour → audit head). On PostgreSQL a trip another worker or a user holds
    is skipped (SKIP LOCKED): the next round sees it again."""
    trip_id = Booking.objects.filter(pk=pk, status=BookingStatus.BOOKED).values_list("trip_id", flat=True).first()
    if trip_id is None:
        return None
    trips = Trip.objects.filter(pk=trip_id).order_by()
    if connection.features.has_select_for_update_skip_locked:
        trips = trips.select_for_update(skip_locked=True)
    if not list(trips.values_list("pk")[:1]):
        return None
    return Booking.objects.select_related("slot").filter(pk=pk, status=BookingStatus.BOOKED).first()


# --- no-shows ---------------------------------------------------------------------------------

def sweep_no_shows(now: dt.datetime | None = None) -> int:
    """Trips not at the gate by the end of their hour + grace: outcome no-show, place freed."""
    now = now or timezone.now()
    deadline = now - HOUR - conf.grace()
    candidates = list(Booking.objects.filter(status=BookingStatus.BOOKED, slot__hour_start__lte=deadline,
                                             trip__outcome=Outcome.ACTIVE)
                      .exclude(_gate_entered()).values_list("pk", flat=True))
    actor = system_actor()
    marked = 0
    for pk in candidates:
        with transaction.atomic():
            booking = _lock_booking(pk)
            if booking is None:
                continue
            if Checkpoint.objects.filter(trip_id=booking.trip_id, name__in=wf.GATE_ENTRY_STEPS,
                                         state=CheckpointState.CONFIRMED).exists():
                continue  # the truck arrived meanwhile
            if not Booking.objects.filter(pk=pk, status=BookingStatus.BOOKED).update(
                    status=BookingStatus.NO_SHOW, version=F("version") + 1, updated_at=now):
                continue
            give_back_place(booking.slot_id, booking.green)
            trip = Trip.objects.select_related("registration").get(pk=booking.trip_id)
            Trip.objects.filter(pk=trip.pk, outcome=Outcome.ACTIVE).update(
                outcome=Outcome.NO_SHOW, is_open=False, version=F("version") + 1, updated_at=now)
            audit.record(actor, "booking.no_show", registration_number=trip.registration.number, trip_id=trip.pk,
                         automatic=True, data={"booking": pk, "hour_start": timezone.localtime(
                             booking.slot.hour_start).isoformat()})
            marked += 1
    return marked


def release_closed_trips(now: dt.datetime | None = None) -> int:
    """Bookings of trips cancelled through the registration give their place back."""
    now = now or timezone.now()
    candidates = list(Booking.objects.filter(status=BookingStatus.BOOKED)
                      .exclude(trip__outcome__in=[Outcome.ACTIVE, Outcome.COMPLETED])
                      .values_list("pk", flat=True))
    actor = system_actor()
    released = 0
    for pk in candidates:
        with transaction.atomic():
            booking = _lock_booking(pk)
            if booking is None or not Booking.objects.filter(pk=pk, status=BookingStatus.BOOKED).update(
                    status=BookingStatus.CANCELLED, version=F("version") + 1, updated_at=now):
                continue
            give_back_place(booking.slot_id, booking.green)
            trip = Trip.objects.select_related("registration").get(pk=booking.trip_id)
            reopen_slot_booked(actor, trip)
            audit.record(actor, "booking.released", registration_number=trip.registration.number, trip_id=trip.pk,
                         automatic=True, data={"booking": pk, "outcome": trip.outcome})
            released += 1
    return released


# --- green lane -------------------------------------------------------------------------------

def release_green_lane(now: dt.datetime | None = None) -> int:
    """Hours starting within the release lead give their unused green places to everyone."""
    now = now or timezone.now()
    due = list(HourSlot.objects.filter(reserved__gt=0, green_released_at__isnull=True,
                                       hour_start__lte=now + conf.green_release_lead())
               .select_related("gate").order_by("hour_start"))
    actor = system_actor()
    released = 0
    for slot in due:
        with transaction.atomic():
            if not HourSlot.objects.filter(pk=slot.pk, reserved__gt=0, green_released_at__isnull=True).update(
                    reserved=0, green_released_at=now):
                continue
            fresh = HourSlot.objects.get(pk=slot.pk)
            audit.record(actor, "slot.green_released", automatic=True, data={
                "gate": slot.gate.code, "direction": slot.direction,
                "hour_start": timezone.localtime(slot.hour_start).isoformat(),
                "places": max(slot.reserved - fresh.green_booked, 0)})
            released += 1
    return released


# --- waiting area and call-forward ------------------------------------------------------------

def waiting_area_for(gate: Gate) -> WaitingArea:
    area = WaitingArea.objects.filter(gate=gate).order_by("code").first()
    if area is not None:
        return area
    area, _created = WaitingArea.objects.get_or_create(code=f"{gate.code}-cho"[:32], defaults={
        "gate": gate, "name_vi": f"Bãi chờ {gate.name_vi}", "name_zh": f"{gate.name_zh}口岸等候区",
        "name_en": f"{gate.name_en or gate.name_vi} waiting area"})
    return area


def waiting_queue(yard: Yard):  # type: ignore[no-untyped-def]
    """Trucks at the gate for this yard, not yet called, in the promised order:
    green lane first, then the earlier booked hour (unbooked last), then the earlier arrival."""
    booked_hour = Booking.objects.filter(trip=OuterRef("pk"), status=BookingStatus.BOOKED).values(
        "slot__hour_start")[:1]
    arrived_at = Checkpoint.objects.filter(trip=OuterRef("pk"), name__in=wf.GATE_ENTRY_STEPS,
                                           state=CheckpointState.CONFIRMED).order_by("-confirmed_at").values(
        "confirmed_at")[:1]
    return (Trip.objects.filter(registration__yard=yard, outcome=Outcome.ACTIVE, stage=Stage.AT_GATE,
                                call_forward__isnull=True)
            .annotate(green=green_expression(), booked_hour=Subquery(booked_hour), arrived_at=Subquery(arrived_at))
            .order_by(F("green").desc(), F("booked_hour").asc(nulls_last=True), "arrived_at", "pk"))


def yard_places_taken(yard: Yard) -> int:
    """Trucks in the yard, plus trucks called forward that have not entered it yet."""
    in_yard = Trip.objects.filter(registration__yard=yard, outcome=Outcome.ACTIVE, stage__in=IN_YARD).count()
    on_their_way = CallForward.objects.filter(yard=yard, trip__outcome=Outcome.ACTIVE,
                                              trip__stage=Stage.AT_GATE).count()
    return in_yard + on_their_way


def instruction_text(yard: Yard) -> str:
    return _("Drive now from the waiting area to yard %(yard)s and stop at its entry.") % {"yard": yard.name}


def call_forward(now: dt.datetime | None = None) -> list[CallForward]:
    """For each yard with free places, call forward the next waiting trucks, one audit row each."""
    now = now or timezone.now()
    yards_with_queue = (Trip.objects.filter(outcome=Outcome.ACTIVE, stage=Stage.AT_GATE,
                                            call_forward__isnull=True)
                        .values("registration__yard").annotate(n=Count("pk")).values_list("registration__yard",
                                                                                          flat=True))
    actor = system_actor()
    calls: list[CallForward] = []
    for yard_id in list(yards_with_queue):
        with transaction.atomic():
            query = Yard.objects.select_related("gate").filter(pk=yard_id)
            if connection.features.has_select_for_update_skip_locked:
                query = query.select_for_update(skip_locked=True, of=("self",))
            yard = query.first()
            if yard is None:
                continue  # another worker is calling trucks into this yard right now
            free = yard.places - yard_places_taken(yard)
            if free <= 0:
                continue
            area = waiting_area_for(yard.gate)
            with translation.override("vi"):
                instruction = instruction_text(yard)
            for trip in waiting_queue(yard).select_related("registration")[:free]:
                try:
                    with transaction.atomic():
                        call = CallForward.objects.create(trip=trip, yard=yard, waiting_area=area, called_at=now,
                                                          green=bool(trip.green), instruction=instruction)
                        audit.record(actor, "queue.called_forward", registration_number=trip.registration.number,
                                     trip_id=trip.pk, automatic=True,
                                     data={"yard": yard.code, "waiting_area": area.code, "green": bool(trip.green)})
                except IntegrityError:
                    continue  # already called by another worker
                calls.append(call)
    return calls


# --- one round --------------------------------------------------------------------------------

STEPS = (
    ("capacity", lambda now: refresh_future_slots(now)),
    ("released", release_closed_trips),
    ("no_shows", sweep_no_shows),
    ("green_released", release_green_lane),
    ("called_forward", lambda now: len(call_forward(now))),
    # Not the queue's, but the platform's one periodic clean-up, so it runs where the timers run.
    ("idempotency_expired", purge_idempotency_records),
)


def run_once(now: dt.datetime | None = None, *, on_error: Callable[[str], None] | None = None) -> dict[str, int]:
    """One round of every step. With `on_error`, a failing step is reported and the others still run."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    for name, step in STEPS:
        try:
            counts[name] = int(step(now))
        except Exception:
            if on_error is None:
                raise
            on_error(name)
            counts[name] = 0
    return counts
