"""Arrival hours, the truck swap, capacity overrides and the public live board (thin: rules are in services)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from accounts.schemas import ErrorOut
from accounts.services import Actor
from crossings.services import get_trip
from cuakhau.api import current_actor, error_body, idempotent
from cuakhau.errors import NotFound
from cuakhau.lib.plates import format_plate
from gates.models import Gate
from queueing import services
from queueing.board import build_board
from queueing.capacity import HOUR
from queueing.models import Booking
from queueing.schemas import (
    AvailabilityOut,
    BoardOut,
    BookingIn,
    BookingOut,
    CallForwardOut,
    CapacityOverrideIn,
    CapacityOverrideOut,
    FreeHourOut,
    GateBoardOut,
    MoveIn,
    QueueStatusOut,
    SlotFullOut,
    SwapIn,
    SwapOut,
)
from queueing.services import FreeHour, SlotFull
from queueing.timers import instruction_text

router = Router(tags=["arrival slots and queues"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: SlotFullOut, 422: ErrorOut, 429: ErrorOut}


def booking_out(booking: Booking) -> BookingOut:
    start, arrive_by = services.arrival_window(booking)
    return BookingOut(id=booking.pk, trip_id=booking.trip_id, gate=booking.slot.gate.code,
                      direction=booking.slot.direction, hour_start=timezone.localtime(start),
                      hour_end=timezone.localtime(start + HOUR), arrive_by=timezone.localtime(arrive_by),
                      green=booking.green, status=booking.status, status_label=str(booking.get_status_display()),
                      version=booking.version)


def free_hour_out(hour: FreeHour) -> FreeHourOut:
    return FreeHourOut(hour_start=timezone.localtime(hour.hour_start),
                       hour_end=timezone.localtime(hour.hour_start + HOUR), capacity=hour.capacity,
                       booked=hour.booked, free=hour.free, free_general=hour.free_general)


def _slot_full(request: HttpRequest, full: SlotFull):  # type: ignore[no-untyped-def]
    body = error_body(str(full.message), full.code)
    body["next_free"] = [free_hour_out(hour).model_dump(mode="json") for hour in full.next_free]
    return Status(409, body)


def _booking_write(request: HttpRequest, actor: Actor, run):  # type: ignore[no-untyped-def]
    services.check_rate(actor)
    try:
        return idempotent(request, run)
    except SlotFull as full:
        return _slot_full(request, full)


@router.post("/trips/{trip_id}/booking", response={201: BookingOut, **ERRORS})
def book(request: HttpRequest, trip_id: int, data: BookingIn):  # type: ignore[no-untyped-def]
    actor = current_actor(request)
    return _booking_write(request, actor, lambda: (201, booking_out(services.do_book(actor, trip_id, data.hour_start))))


@router.patch("/trips/{trip_id}/booking", response={200: BookingOut, **ERRORS})
def move(request: HttpRequest, trip_id: int, data: MoveIn):  # type: ignore[no-untyped-def]
    actor = current_actor(request)
    return _booking_write(request, actor, lambda: (
        200, booking_out(services.do_move(actor, trip_id, data.hour_start, data.version))))


@router.delete("/trips/{trip_id}/booking", response={200: BookingOut, **ERRORS})
def cancel(request: HttpRequest, trip_id: int):  # type: ignore[no-untyped-def]
    actor = current_actor(request)
    return _booking_write(request, actor, lambda: (200, booking_out(services.do_cancel_booking(actor, trip_id))))


@router.post("/trips/{trip_id}/swap", response={200: SwapOut, **ERRORS})
def swap(request: HttpRequest, trip_id: int, data: SwapIn):  # type: ignore[no-untyped-def]
    actor = current_actor(request)

    def run():  # type: ignore[no-untyped-def]
        trip = services.do_swap_truck(actor, trip_id, plate=data.plate, driver_name=data.driver.name,
                                      driver_identity_document=data.driver.identity_document,
                                      driver_phone=data.driver.phone)
        return 200, SwapOut(trip_id=trip.pk, plate=trip.vehicle.plate, plate_display=format_plate(trip.vehicle.plate),
                            driver_name=trip.driver.name, version=trip.version)

    return _booking_write(request, actor, run)


@router.get("/trips/{trip_id}/queue", response={200: QueueStatusOut, **ERRORS})
def queue_status(request: HttpRequest, trip_id: int):  # type: ignore[no-untyped-def]
    """The booked hour, whether the truck is in its arrival window, and its call-forward (ticket, console)."""
    status = services.queue_status(get_trip(current_actor(request), trip_id))
    call = status.call_forward
    return QueueStatusOut(
        trip_id=trip_id, booking=booking_out(status.booking) if status.booking else None,
        arrival_status=status.arrival_status,
        call_forward=CallForwardOut(
            called_at=call.called_at, yard=call.yard.code, yard_name=call.yard.name,
            waiting_area=call.waiting_area.code, waiting_area_name=call.waiting_area.name, green=call.green,
            instruction=instruction_text(call.yard)) if call else None)


class SlotFilters(Schema):
    gate: str = Field(min_length=1, max_length=32)
    direction: str = Field(default="import", min_length=1, max_length=20)
    from_: dt.datetime | None = Field(default=None, alias="from")
    hours: int = Field(default=24, ge=1, le=24 * 30)
    green: bool = False


@router.get("/slots", response={200: list[FreeHourOut], **ERRORS}, auth=None)
def list_free_hours(request: HttpRequest, filters: Query[SlotFilters]):  # type: ignore[no-untyped-def]
    """Public: the hours with free places at a gate for one direction (import or export)."""
    gate = Gate.objects.filter(code=filters.gate, handles_goods=True).first()
    if gate is None:
        raise NotFound(services.UNKNOWN_GATE)
    flow = services.check_flow(filters.direction)
    start = filters.from_ or timezone.now()
    if timezone.is_naive(start):
        start = timezone.make_aware(start, timezone.get_default_timezone())
    return [free_hour_out(h) for h in services.free_hours(gate, flow, start, hours=filters.hours,
                                                          green=filters.green)]


class AvailabilityFilters(Schema):
    gate: str = Field(min_length=1, max_length=32)
    direction: str = Field(default="import", min_length=1, max_length=20)
    hour_start: dt.datetime
    green: bool = False


@router.get("/slots/availability", response={200: AvailabilityOut, **ERRORS}, auth=None)
def availability(request: HttpRequest, filters: Query[AvailabilityFilters]):  # type: ignore[no-untyped-def]
    """Public, for the registration step: is the asked hour free? If not, it says so and offers the next free
    hours (`green`: the truck carries perishable goods)."""
    gate = Gate.objects.filter(code=filters.gate, handles_goods=True).first()
    if gate is None:
        raise NotFound(services.UNKNOWN_GATE)
    result = services.check_availability(gate, filters.direction, filters.hour_start, green=filters.green)
    return AvailabilityOut(hour=free_hour_out(result.hour), available=result.available, message=result.message,
                           next_free=[free_hour_out(h) for h in result.next_free])


@router.post("/capacity-overrides", response={201: CapacityOverrideOut, **ERRORS})
def override_capacity(request: HttpRequest, data: CapacityOverrideIn):  # type: ignore[no-untyped-def]
    actor = current_actor(request)

    def run():  # type: ignore[no-untyped-def]
        result = services.do_override_capacity(actor, data.gate, data.direction, data.starts_at, data.ends_at,
                                               data.trucks_per_hour, data.reason)
        o = result.override
        return 201, CapacityOverrideOut(id=o.pk, gate=o.gate.code, direction=o.direction, starts_at=o.starts_at,
                                        ends_at=o.ends_at, trucks_per_hour=o.trucks_per_hour, reason=o.reason,
                                        hours_updated=result.hours_updated,
                                        kept_for_bookings=result.kept_for_bookings)

    return idempotent(request, run)


@router.get("/board", response={200: BoardOut}, auth=None)
def board(request: HttpRequest):  # type: ignore[no-untyped-def]
    """Public live board of every gate: counts only, no personal data."""
    return {"generated_at": timezone.now(), "gates": [dataclasses.asdict(g) for g in build_board()]}


@router.get("/board/{gate}", response={200: GateBoardOut, 404: ErrorOut, 422: ErrorOut}, auth=None)
def gate_board(request: HttpRequest, gate: str):  # type: ignore[no-untyped-def]
    return dataclasses.asdict(build_board(gate)[0])

