"""Trips at the gate: find a truck, read its timeline, confirm one's own checkpoint."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from accounts.schemas import ErrorOut
from accounts.services import Actor, may_see_personal_data
from crossings import services
from crossings.models import Checkpoint, CheckpointState, Outcome, Stage, Trip
from crossings.schemas import ConfirmIn, ReceivingVehicleIn, ReceivingVehicleOut, TripListOut, TripOut
from cuakhau.api import current_actor, idempotent
from cuakhau.errors import ValidationFailed
from cuakhau.lib.errors import InvalidValue
from cuakhau.lib.people import mask_identity, mask_phone
from cuakhau.lib.plates import format_plate, normalize_plate

router = Router(tags=["trips"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
STATUSES = frozenset(Stage.values) | frozenset(Outcome.values)


def trip_out(actor: Actor, trip: Trip) -> TripOut:
    registration = trip.registration
    personal = may_see_personal_data(actor, registration.declarant_id, registration.gate_id)
    driver = trip.driver
    checkpoints = list(Checkpoint.objects.filter(trip=trip).select_related("confirmed_by", "agency")
                       .order_by("position"))
    # Receiving vehicles can only be added to a trip whose transshipment step applies: skip the query otherwise.
    transships = any(c.name == "transshipment" and c.state != CheckpointState.NOT_REQUIRED for c in checkpoints)
    vehicles = list(trip.receiving_vehicles.all()) if transships else []
    fee = getattr(trip, "fee", None)
    return TripOut.model_validate(dict(
        id=trip.pk, registration_id=registration.pk, registration_number=registration.number,
        position=trip.position, gate=registration.gate.code, direction=registration.direction,
        plate=trip.vehicle.plate, plate_display=format_plate(trip.vehicle.plate), nationality=trip.vehicle.country,
        load_class=trip.load_class, trailer_plate=trip.trailer_plate, container_number=trip.container_number,
        seal_number=trip.seal_number, permit_number=trip.permit_number, journey=trip.journey,
        driver={"name": driver.name,
                "identity_document": driver.identity_document if personal else mask_identity(driver.identity_document),
                "phone": driver.phone if personal else mask_phone(driver.phone)},
        stage=trip.stage, stage_label=str(trip.get_stage_display()), outcome=trip.outcome,
        outcome_label=str(trip.get_outcome_display()), version=trip.version,
        fee=fee,
        timeline=[{
            "name": c.name, "label": str(services.STEP_LABELS.get(c.name, c.name)), "state": c.state,
            "required": c.state != CheckpointState.NOT_REQUIRED, "confirmed_at": c.confirmed_at,
            "confirmed_by": c.confirmed_by.get_username() if c.confirmed_by else "",
            "agency": c.agency.name if c.agency else "", "automatic": c.automatic, "note": c.note,
        } for c in checkpoints],
        receiving_vehicles=[{
            "id": v.pk, "plate": v.plate, "driver_name": v.driver_name,
            "driver_identity_document": v.driver_identity_document if personal
            else mask_identity(v.driver_identity_document),
            "driver_phone": v.driver_phone if personal else mask_phone(v.driver_phone),
            "entered_at": v.entered_at, "exited_at": v.exited_at,
        } for v in vehicles],
    ))


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


def _detail(actor: Actor, trip_id: int) -> TripOut:
    return trip_out(actor, services.get_trip(actor, trip_id))


@router.get("/trips/{trip_id}", response={200: TripOut, **ERRORS})
def trip_detail(request: HttpRequest, trip_id: int):  # type: ignore[no-untyped-def]
    return _detail(current_actor(request), trip_id)


@router.post("/trips/{trip_id}/checkpoints/{name}", response={200: TripOut, **ERRORS})
def confirm_checkpoint(request: HttpRequest, trip_id: int, name: str, data: ConfirmIn | None = None):  # type: ignore[no-untyped-def]
    actor = current_actor(request)
    data = data or ConfirmIn()

    def run():  # type: ignore[no-untyped-def]
        confirmation = services.do_confirm_checkpoint(actor, trip_id, name, note=data.note,
                                                      receipt_number=data.receipt_number)
        return 200, trip_out(actor, confirmation.trip)

    return idempotent(request, run)


@router.post("/trips/{trip_id}/cancel", response={200: TripOut, **ERRORS})
def cancel_trip(request: HttpRequest, trip_id: int):  # type: ignore[no-untyped-def]
    actor = current_actor(request)

    def run():  # type: ignore[no-untyped-def]
        return 200, trip_out(actor, services.do_cancel_trip(actor, trip_id))

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
