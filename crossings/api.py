"""Trips at the gate: find a truck, read its timeline, confirm one's own checkpoint."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema
from pydantic import Field, WithJsonSchema

from accounts.schemas import ErrorOut
from accounts.services import Actor
from crossings import exports, reads, services
from crossings import workflow as wf
from crossings.models import Trip
from crossings.schemas import ConfirmIn, ReceivingVehicleIn, ReceivingVehicleOut, TripListOut, TripOut
from cuakhau.api import current_actor, idempotent
from cuakhau.errors import Message, NotFound, ValidationFailed
from cuakhau.lib.errors import InvalidValue
from cuakhau.lib.plates import format_plate, normalize_plate

router = Router(tags=["trips"])
# Documented as the lists they are; a request with another value is still answered, with its 404.
StepName = Annotated[str, WithJsonSchema({"type": "string", "enum": list(wf.OFFICER_STEPS)}),
                     Path(description="The checkpoint to confirm: one of the officers' steps, in workflow order.")]
ReceivingEvent = Annotated[str, WithJsonSchema({"type": "string", "enum": ["entered", "exited"]}),
                           Path(description="`entered`: the receiving truck came into the yard; `exited`: it left.")]

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def trip_answer(actor: Actor, trip_id: int) -> TripOut:
    document = reads.read_trip(actor, trip_id)
    if document is None:
        raise NotFound(_("Trip not found."))
    return TripOut.model_validate(document)


class TripSearch(Schema):
    """What the list and the export filter on."""

    plate: str = ""
    gate: str = ""
    status: str = ""


class TripFilters(TripSearch):
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=1_000_000_000)


class TripExportFilters(TripSearch):
    format: str = "csv"
    date_from: str = ""
    date_to: str = ""


def search_trips(actor: Actor, search: TripSearch) -> QuerySet[Trip]:
    """The trips the actor may see, filtered by plate, gate code and status (a stage or an outcome)."""
    query = services.trips_for(actor)
    if search.plate:
        try:
            query = query.filter(vehicle__plate=normalize_plate(search.plate))
        except InvalidValue as error:
            raise ValidationFailed({"plate": [error.message]}) from error
    if search.gate:
        query = query.filter(registration__gate__code=search.gate)
    if search.status:
        if search.status not in services.TRIP_STATUSES:
            choices = ", ".join(sorted(services.TRIP_STATUSES))
            raise ValidationFailed({"status": [_("Choose one of: %(values)s.") % {"values": choices}]})
        query = services.with_status(query, search.status)
    return query


@router.get("/trips", response={200: list[TripListOut], **ERRORS})
def list_trips(request: HttpRequest, filters: Query[TripFilters]):  # type: ignore[no-untyped-def]
    query = search_trips(current_actor(request), filters)
    return [{
        "id": t.pk, "registration_number": t.registration.number, "gate": t.registration.gate.code,
        "direction": t.registration.direction, "plate": t.vehicle.plate, "plate_display": format_plate(t.vehicle.plate),
        "stage": t.stage, "outcome": t.outcome,
    } for t in query.order_by("-created_at", "position")[filters.offset:filters.offset + filters.limit]]


EXPORT_DAYS = (dt.date(2000, 1, 1), dt.date(2099, 12, 31))


def _export_day(value: str, field: str, errors: dict[str, list[Message]]) -> dt.date | None:
    if not value.strip():
        return None
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        errors[field] = [_("Enter a date such as 2026-11-24.")]
        return None
    first, last = EXPORT_DAYS
    if not first <= day <= last:
        errors[field] = [_("Enter a date between %(first)s and %(last)s.") % {"first": first, "last": last}]
        return None
    return day


EXPORT_RESPONSES = {200: {"description": "The trips as a CSV file (UTF-8 with BOM) or an Excel workbook.",
                          "content": {"text/csv": {"schema": {"type": "string"}},
                                      exports.XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}}}}


# Before /trips/{trip_id}, so that "export" is not taken for a trip id.
@router.get("/trips/export", response=ERRORS, openapi_extra={"responses": EXPORT_RESPONSES})
def export_trips(request: HttpRequest, filters: Query[TripExportFilters]):  # type: ignore[no-untyped-def]
    """The trips of the list (same filters and permissions) as `format=csv` or `xlsx`, optionally by planned
    arrival day (`date_from`, `date_to`, Vietnam's time). Driver ID and phone are always masked."""
    actor = current_actor(request)
    errors: dict[str, list[Message]] = {}
    trips = None
    try:
        trips = search_trips(actor, filters)
    except ValidationFailed as error:
        errors.update(error.errors)
    try:
        exports.check_format(filters.format)
    except ValidationFailed as error:
        errors.update(error.errors)
    date_from = _export_day(filters.date_from, "date_from", errors)
    date_to = _export_day(filters.date_to, "date_to", errors)
    if date_from and date_to and date_from > date_to:
        errors["date_to"] = [_("The end date must not be before the start date.")]
    if errors or trips is None:
        raise ValidationFailed(errors)
    return exports.download(exports.arriving_between(trips, date_from, date_to), filters.format)


@router.get("/trips/{trip_id}", response={200: TripOut, **ERRORS})
def trip_detail(request: HttpRequest, trip_id: int):  # type: ignore[no-untyped-def]
    return trip_answer(current_actor(request), trip_id)


@router.post("/trips/{trip_id}/checkpoints/{name}", response={200: TripOut, **ERRORS})
def confirm_checkpoint(request: HttpRequest, trip_id: int, name: StepName, data: ConfirmIn | None = None):  # type: ignore[no-untyped-def]
    actor = current_actor(request)
    data = data or ConfirmIn()

    def run():  # type: ignore[no-untyped-def]
        confirmation = services.do_confirm_checkpoint(actor, trip_id, name, note=data.note,
                                                      receipt_number=data.receipt_number)
        return 200, confirmation.document(actor)  # in TripOut's shape: rendered without a second validation

    return idempotent(request, run)


@router.post("/trips/{trip_id}/cancel", response={200: TripOut, **ERRORS})
def cancel_trip(request: HttpRequest, trip_id: int):  # type: ignore[no-untyped-def]
    actor = current_actor(request)

    def run():  # type: ignore[no-untyped-def]
        return 200, trip_answer(actor, services.do_cancel_trip(actor, trip_id).pk)

    return idempotent(request, run)


@router.post("/trips/{trip_id}/receiving-vehicles", response={201: ReceivingVehicleOut, **ERRORS})
def add_receiving_vehicle(request: HttpRequest, trip_id: int, data: ReceivingVehicleIn):  # type: ignore[no-untyped-def]
    actor = current_actor(request)

    def run():  # type: ignore[no-untyped-def]
        vehicle = services.do_add_receiving_vehicle(actor, trip_id, **data.model_dump())
        return 201, ReceivingVehicleOut.model_validate(vehicle, from_attributes=True)

    return idempotent(request, run)


@router.post("/trips/{trip_id}/receiving-vehicles/{vehicle_id}/{event}", response={200: ReceivingVehicleOut, **ERRORS})
def mark_receiving_vehicle(request: HttpRequest, trip_id: int, vehicle_id: int, event: ReceivingEvent):  # type: ignore[no-untyped-def]
    actor = current_actor(request)

    def run():  # type: ignore[no-untyped-def]
        vehicle = services.do_mark_receiving_vehicle(actor, trip_id, vehicle_id, event)
        return 200, ReceivingVehicleOut.model_validate(vehicle, from_attributes=True)

    return idempotent(request, run)
