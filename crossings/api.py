"""Trips at the gate: find a truck, read its timeline, confirm one's own checkpoint."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from accounts.schemas import ErrorOut
from accounts.services import Actor
from crossings import reads, services
from crossings.models import Outcome, Stage
from crossings.schemas import ConfirmIn, ReceivingVehicleIn, ReceivingVehicleOut, TripListOut, TripOut
from cuakhau.api import current_actor, idempotent
from cuakhau.errors import NotFound, ValidationFailed
from cuakhau.lib.errors import InvalidValue
from cuakhau.lib.plates import format_plate, normalize_plate

router = Router(tags=["trips"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
STATUSES = frozenset(Stage.values) | frozenset(Outcome.values)


def trip_answer(actor: Actor, trip_id: int) -> TripOut:
    document = reads.read_trip(actor, trip_id)
    if document is None:
        raise NotFound(_("Trip not found."))
    return TripOut.model_validate(document)


class TripFilters(Schema):
    plate: str = ""
    gate: str = ""
    status: str = ""
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=1_000_000_000)


@router.get("/trips", response={200: list[TripListOut], **ERRORS})
def list_trips(request: HttpRequest, filters: Query[TripFilters]):  # type: ignore[no-untyped-def]
    actor = current_actor(request)
    query = services.trips_for(actor)
    if filters.plate:
        try:
            query = query.filter(vehicle__plate=normalize_plate(filters.plate))
        except InvalidValue as error:
            raise ValidationFailed({"plate": [error.message]}) from error
    if filters.gate:
        query = query.filter(registration__gate__code=filters.gate)
    if filters.status:
        if filters.status not in STATUSES:
            choices = ", ".join(sorted(STATUSES))
            raise ValidationFailed({"status": [_("Choose one of: %(values)s.") % {"values": choices}]})
        field = "stage" if filters.status in Stage.values else "outcome"
        query = query.filter(**{field: filters.status})
    return [{
        "id": t.pk, "registration_number": t.registration.number, "gate": t.registration.gate.code,
        "direction": t.registration.direction, "plate": t.vehicle.plate, "plate_display": format_plate(t.vehicle.plate),
        "stage": t.stage, "outcome": t.outcome,
    } for t in query.order_by("-created_at", "position")[filters.offset:filters.offset + filters.limit]]


@router.get("/trips/{trip_id}", response={200: TripOut, **ERRORS})
def trip_detail(request: HttpRequest, trip_id: int):  # type: ignore[no-untyped-def]
    return trip_answer(current_actor(request), trip_id)


@router.post("/trips/{trip_id}/checkpoints/{name}", response={200: TripOut, **ERRORS})
def confirm_checkpoint(request: HttpRequest, trip_id: int, name: str, data: ConfirmIn | None = None):  # type: ignore[no-untyped-def]
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
def mark_receiving_vehicle(request: HttpRequest, trip_id: int, vehicle_id: int, event: str):  # type: ignore[no-untyped-def]
    actor = current_actor(request)

    def run():  # type: ignore[no-untyped-def]
        vehicle = services.do_mark_receiving_vehicle(actor, trip_id, vehicle_id, event)
        return 200, ReceivingVehicleOut.model_validate(vehicle, from_attributes=True)

    return idempotent(request, run)
