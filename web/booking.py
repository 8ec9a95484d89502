"""Booking a trip's arrival hour from the registration page: book, move, cancel, swap the truck.

Thin, like the other views: parse the form, call `queueing.services`, answer with the truck's booking
panel (HTMX) or redirect back to the registration page (plain POST, no JavaScript). The services
decide everything (permission, capacity, limits); their errors are shown next to the control.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pydantic
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.services import Actor
from crossings.models import Outcome, Stage, Trip
from cuakhau.api import pydantic_errors
from cuakhau.errors import NotFound, ServiceError, ValidationFailed
from cuakhau.lib.codes import normalize_hs_code
from cuakhau.lib.errors import InvalidValue
from cuakhau.lib.plates import format_plate
from declarations.models import RegistrationStatus
from gates.models import Gate
from queueing import conf, services
from queueing.capacity import HOUR, local_hour_start
from queueing.models import BookingStatus, flow_of
from queueing.schemas import SwapIn
from queueing.services import FreeHour, SlotFull
from queueing.templatetags.queueing_tags import status_context
from web import queries
from web.helpers import is_htmx, with_actor

PANEL = "web/partials/booking.html"
OFFERED_HOURS = 12  # free hours offered in the choice list; "later hours" pages on

NOT_ENTERED = (Stage.DECLARED, Stage.REGISTERED)


@dataclass(frozen=True)
class HourChoice:
    value: str  # the form value: local "YYYY-MM-DDTHH:MM"
    start: dt.datetime
    end: dt.datetime
    free: int


def hour_value(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def choices_of(hours: list[FreeHour], green: bool) -> list[HourChoice]:
    return [HourChoice(hour_value(h.hour_start), timezone.localtime(h.hour_start),
                       timezone.localtime(h.hour_start + HOUR), h.free if green else h.free_general) for h in hours]


def offered_hours(gate: Gate, flow: str, start: dt.datetime, green: bool,
                  memo: dict[Any, Any] | None = None) -> list[FreeHour]:
    """The next free hours from `start` (the same data as GET /api/v1/slots); trucks of one registration
    share gate, direction and start, so one page asks once (`memo`)."""
    key = (gate.pk, flow, green, start)
    if memo is not None and key in memo:
        return memo[key]
    days = conf.get("QUEUEING_MAX_DAYS_AHEAD")
    # One more than shown tells whether there are later hours; one more again as the booked hour is left out.
    found = services.free_hours(gate, flow, start, hours=int(days) * 24, green=green, limit=OFFERED_HOURS + 2)
    if memo is not None:
        memo[key] = found
    return found


def panel_context(trip: Trip, *, owner: bool, start: dt.datetime | None = None, error: ServiceError | None = None,
                  message: str = "", memo: dict[Any, Any] | None = None) -> dict[str, Any]:
    """The truck's queue status and, for the declaring enterprise, what it may do with the booking now."""
    now = timezone.now()
    registration = trip.registration
    if memo is not None and services.prefetched_bookings(trip) is None:
        # On the registration page, unless read with the trucks: the statuses of all its trucks at once.
        if ("statuses", registration.pk) not in memo:
            ids = list(Trip.objects.filter(registration_id=registration.pk).values_list("pk", flat=True))
            memo[("statuses", registration.pk)] = services.queue_statuses(ids, now)
        status = memo[("statuses", registration.pk)].get(trip.pk) or services.queue_status(trip, now)
    else:
        status = services.queue_status(trip, now)
    # The queue status fragment's own keys (booking: the active or the latest one), then the panel's.
    context: dict[str, Any] = {**status_context(trip, status), "trip": trip, "owner": owner, "error": error,
                               "message": message, "field_errors": getattr(error, "errors", {}) if error else {}}
    booking = status.booking if status.booking and status.booking.status == BookingStatus.BOOKED else None
    context["active"] = booking
    if not owner:
        return context
    confirmed = registration.status == RegistrationStatus.CONFIRMED
    not_entered = trip.stage in NOT_ENTERED
    hour_started = booking is not None and now >= booking.slot.hour_start
    can_book = confirmed and not_entered and booking is None and trip.outcome in (Outcome.ACTIVE, Outcome.NO_SHOW)
    can_change = booking is not None and not_entered and trip.outcome == Outcome.ACTIVE
    context.update(can_book=can_book, can_change=can_change,
                   can_swap=confirmed and not_entered and trip.outcome == Outcome.ACTIVE and not hour_started,
                   swap_values={})
    if can_book or can_change:
        green = booking.green if booking is not None else services.is_green(registration.pk)
        if start is None:
            start = max(local_hour_start(registration.planned_arrival), local_hour_start(now))
        hours = [h for h in offered_hours(registration.gate, flow_of(registration.direction), start, green, memo)
                 if booking is None or h.hour_start != booking.slot.hour_start]
        context.update(choices=choices_of(hours[:OFFERED_HOURS], green), green=green,
                       later=hour_value(hours[OFFERED_HOURS - 1].hour_start + HOUR)
                       if len(hours) > OFFERED_HOURS else "")
        if isinstance(error, SlotFull):
            context["next_free"] = choices_of(error.next_free, green)
    return context


# --- the actions ------------------------------------------------------------------------------

def _hour(request: HttpRequest) -> dt.datetime:
    try:
        moment = parse_datetime(request.POST.get("hour_start", "").strip())
    except ValueError:
        moment = None
    if moment is None:
        raise ValidationFailed({"hour_start": [gettext_lazy("Choose an arrival hour.")]})
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


def _version(request: HttpRequest) -> int:
    version = request.POST.get("version", "")
    if not version.isdigit():
        raise ValidationFailed({"version": [gettext_lazy("Reload the page and try again.")]})
    return int(version)


def _answer(request: HttpRequest, actor: Actor, trip_id: int, action: Callable[[], str],
            **extra: Any) -> HttpResponse:
    """Run one booking action; answer with the panel (HTMX) or go back to the registration page."""
    error: ServiceError | None = None
    message = ""
    try:
        services.check_rate(actor)
        message = action()
    except NotFound as missing:
        if missing.code != "no_booking":
            raise  # another enterprise's truck: 404, nothing revealed
        error = missing  # cancelled meanwhile (another tab): say so in the panel
    except ServiceError as failure:
        error = failure
    trip = services.own_trip(actor, trip_id)
    anchor = f"#booking-{trip.pk}"
    if not is_htmx(request):
        if error is None:
            messages.success(request, message)
        else:
            messages.error(request, _error_text(error))
        return redirect(f"{trip_page(trip)}{anchor}")
    context = panel_context(trip, owner=True, error=error, message=message)
    if error is not None:
        context.update(extra)  # what was typed stays in the form next to its errors
    else:
        context["timeline_steps"] = queries.timeline(trip)  # "arrival hour booked" changes with it
    return render(request, PANEL, context, status=error.status if error else 200)


def trip_page(trip: Trip) -> str:
    from django.urls import reverse

    return reverse("web:registration", args=[trip.registration_id])


def _error_text(error: ServiceError) -> str:
    """One line for the messages list of a page reloaded without JavaScript."""
    parts = [str(error.message)]
    for field_messages in getattr(error, "errors", {}).values():
        parts.extend(str(m) for m in field_messages)
    if isinstance(error, SlotFull) and error.next_free:
        hours = ", ".join(f"{timezone.localtime(h.hour_start):%d/%m %H:%M}" for h in error.next_free)
        parts.append(_("Next free hours: %(hours)s") % {"hours": hours})
    return " ".join(parts)


def _hour_text(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%d/%m/%Y %H:%M}"


@require_GET
@with_actor
def booking_panel(request: HttpRequest, actor: Actor, trip_id: int) -> HttpResponse:
    """GET: the panel again, e.g. with later free hours (`from`)."""
    trip = services.own_trip(actor, trip_id)
    start = None
    if request.GET.get("from"):
        try:
            moment = parse_datetime(request.GET["from"])
        except ValueError:
            moment = None
        if moment is not None:
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment, timezone.get_default_timezone())
            start = local_hour_start(moment)
    if not is_htmx(request):
        return redirect(f"{trip_page(trip)}#booking-{trip.pk}")
    return render(request, PANEL, panel_context(trip, owner=True, start=start))


@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, trip_id: int) -> HttpResponse:
    """GET: the panel (later free hours); POST: book the chosen hour."""
    if request.method == "GET":
        return booking_panel(request, trip_id)
    return _book(request, trip_id)


@with_actor
def _book(request: HttpRequest, actor: Actor, trip_id: int) -> HttpResponse:
    def run() -> str:
        booking = services.do_book(actor, trip_id, _hour(request))
        return _("Arrival hour %(hour)s booked.") % {"hour": _hour_text(booking.slot.hour_start)}

    return _answer(request, actor, trip_id, run)


@require_POST
@with_actor
def move(request: HttpRequest, actor: Actor, trip_id: int) -> HttpResponse:
    def run() -> str:
        hour, version = _hour(request), _version(request)
        booking = services.do_move(actor, trip_id, hour, version)
        return _("Arrival hour moved to %(hour)s.") % {"hour": _hour_text(booking.slot.hour_start)}

    return _answer(request, actor, trip_id, run)


@require_POST
@with_actor
def cancel(request: HttpRequest, actor: Actor, trip_id: int) -> HttpResponse:
    def run() -> str:
        booking = services.do_cancel_booking(actor, trip_id)
        return _("Arrival hour %(hour)s cancelled; the place is free again.") % {
            "hour": _hour_text(booking.slot.hour_start)}

    return _answer(request, actor, trip_id, run)


@require_POST
@with_actor
def swap(request: HttpRequest, actor: Actor, trip_id: int) -> HttpResponse:
    """Another truck and driver of the same enterprise, until the booked hour starts."""
    values = {"plate": request.POST.get("plate", ""),
              "driver": {"name": request.POST.get("driver_name", ""),
                         "identity_document": request.POST.get("driver_identity_document", ""),
                         "phone": request.POST.get("driver_phone", "")}}

    def run() -> str:
        try:
            data = SwapIn.model_validate(values)
        except pydantic.ValidationError as error:
            raise ValidationFailed(pydantic_errors(list(error.errors()))) from error  # type: ignore[arg-type]
        trip = services.do_swap_truck(actor, trip_id, plate=data.plate, driver_name=data.driver.name,
                                      driver_identity_document=data.driver.identity_document,
                                      driver_phone=data.driver.phone)
        return _("Truck swapped: %(plate)s now makes this trip.") % {"plate": format_plate(trip.vehicle.plate)}

    response = _answer(request, actor, trip_id, run, swap_values=request.POST, swap_open=True)
    if is_htmx(request) and response.status_code == 200:
        # The plate and driver shown above the panel changed too: reload the page (message kept).
        messages.success(request, _("Truck swapped."))
        response["HX-Refresh"] = "true"
    return response


# --- at registration: is the planned arrival hour free? ---------------------------------------

def arrival_check(values: dict[str, Any]) -> dict[str, Any] | None:
    """For the form's live check (the same service as GET /api/v1/slots/availability): whether the planned
    arrival hour has a place at the gate for this direction, and if not, the next free hours."""
    gate = Gate.objects.filter(code=values.get("gate") or "", handles_goods=True).first()
    if gate is None:
        return None
    try:
        arrival = parse_datetime(values.get("planned_arrival") or "")
    except ValueError:
        arrival = None
    if arrival is None:
        return None
    if timezone.is_naive(arrival):
        arrival = timezone.make_aware(arrival, timezone.get_default_timezone())
    green = _declares_perishables(values)
    try:
        result = services.check_availability(gate, values.get("direction") or "", local_hour_start(arrival),
                                             green=green)
    except ValidationFailed:  # a past hour, too far ahead, an unknown direction: the submit says so
        return None
    return {"available": result.available, "message": result.message, "green": green,
            "start": timezone.localtime(result.hour.hour_start),
            "end": timezone.localtime(result.hour.hour_start + HOUR),
            "free": result.hour.free if green else result.hour.free_general,
            "next_free": choices_of(result.next_free, green)}


def _declares_perishables(values: dict[str, Any]) -> bool:
    """The green lane follows from the goods typed so far (the booking derives it again from the stored ones)."""
    prefixes = tuple(services.perishable_prefixes())
    consignments = values.get("consignments")
    if not prefixes or not isinstance(consignments, list):
        return False
    for consignment in consignments:
        items = consignment.get("items") if isinstance(consignment, dict) else None
        for item in items if isinstance(items, list) else []:
            try:
                code = normalize_hs_code(str(item.get("hs_code") or "")) if isinstance(item, dict) else ""
            except InvalidValue:
                continue
            if code.startswith(prefixes):
                return True
    return False
