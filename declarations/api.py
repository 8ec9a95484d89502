"""Registrations: declare trucks before they reach the gate; the board decides."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from accounts.schemas import ErrorOut
from cuakhau.api import current_actor, idempotent
from declarations import services
from declarations.models import Registration
from declarations.schemas import DecisionIn, RegistrationIn, RegistrationOut, RegistrationPatch

router = Router(tags=["registrations"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def registration_out(registration: Registration) -> RegistrationOut:
    return RegistrationOut.model_validate(dict(
        id=registration.pk,
        number=registration.number,
        gate=registration.gate.code,
        direction=registration.direction,
        planned_arrival=registration.planned_arrival,
        yard=registration.yard.code,
        declarant_tax_code=registration.declarant.tax_code,
        declarant_name=registration.declarant.name,
        fee_payer_tax_code=registration.fee_payer.tax_code,
        status=registration.status,
        status_label=str(registration.get_status_display()),
        version=registration.version,
        return_reason=registration.return_reason,
        reject_reason=registration.reject_reason,
        created_at=registration.created_at,
        consignments=[
            {"declaration_number": c.declaration_number, "declaration_type": c.declaration_type,
             "description": c.description, "items": list(c.items.all())}
            for c in registration.consignments.all()
        ],
        trips=[
            {"id": t.pk, "position": t.position, "plate": t.vehicle.plate, "nationality": t.vehicle.country,
             "stage": t.stage, "outcome": t.outcome,
             "fee_vnd": t.fee.amount_vnd if hasattr(t, "fee") else None}
            for t in registration.trips.all()
        ],
    ))


def _fresh(request: HttpRequest, registration_id: int) -> RegistrationOut:
    return registration_out(services.get_registration(current_actor(request), registration_id))


class RegistrationFilters(Schema):
    status: str = ""
    gate: str = ""
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=1_000_000_000)


@router.post("/registrations", response={201: RegistrationOut, **ERRORS})
def submit(request: HttpRequest, data: RegistrationIn):  # type: ignore[no-untyped-def]
    actor = current_actor(request)

    def run():  # type: ignore[no-untyped-def]
        # The registration comes back with what was written attached: the answer needs no re-read.
        return 201, registration_out(services.do_submit_registration(actor, data))

    return idempotent(request, run)


@router.get("/registrations", response={200: list[RegistrationOut], **ERRORS})
def list_registrations(request: HttpRequest, filters: Query[RegistrationFilters]):  # type: ignore[no-untyped-def]
    query = services.registrations_for(current_actor(request)).prefetch_related(
        "consignments__items", "trips__vehicle", "trips__fee")
    if filters.status:
        query = query.filter(status=filters.status)
    if filters.gate:
        query = query.filter(gate__code=filters.gate)
    return [registration_out(r) for r in query.order_by("-created_at")[filters.offset:filters.offset + filters.limit]]


@router.get("/registrations/{registration_id}", response={200: RegistrationOut, **ERRORS})
def detail(request: HttpRequest, registration_id: int):  # type: ignore[no-untyped-def]
    return _fresh(request, registration_id)


@router.patch("/registrations/{registration_id}", response={200: RegistrationOut, **ERRORS})
def amend(request: HttpRequest, registration_id: int, patch: RegistrationPatch):  # type: ignore[no-untyped-def]
    services.do_amend_registration(current_actor(request), registration_id, patch)
    return _fresh(request, registration_id)


def _decision(request: HttpRequest, registration_id: int, decide) -> Status[Any] | HttpResponse:  # type: ignore[no-untyped-def]
    def run():  # type: ignore[no-untyped-def]
        decide(current_actor(request))
        return 200, _fresh(request, registration_id)

    return idempotent(request, run)


@router.post("/registrations/{registration_id}/confirm", response={200: RegistrationOut, **ERRORS})
def confirm(request: HttpRequest, registration_id: int, decision: DecisionIn | None = None):  # type: ignore[no-untyped-def]
    decision = decision or DecisionIn()
    return _decision(request, registration_id, lambda actor: services.do_confirm_registration(
        actor, registration_id, decision.version, decision.reason))


@router.post("/registrations/{registration_id}/return", response={200: RegistrationOut, **ERRORS})
def return_for_correction(request: HttpRequest, registration_id: int, decision: DecisionIn):  # type: ignore[no-untyped-def]
    return _decision(request, registration_id, lambda actor: services.do_return_registration(
        actor, registration_id, decision.reason, decision.version))


@router.post("/registrations/{registration_id}/reject", response={200: RegistrationOut, **ERRORS})
def reject(request: HttpRequest, registration_id: int, decision: DecisionIn):  # type: ignore[no-untyped-def]
    return _decision(request, registration_id, lambda actor: services.do_reject_registration(
        actor, registration_id, decision.reason, decision.version))


@router.post("/registrations/{registration_id}/cancel", response={200: RegistrationOut, **ERRORS})
def cancel(request: HttpRequest, registration_id: int, decision: DecisionIn | None = None):  # type: ignore[no-untyped-def]
    decision = decision or DecisionIn()
    return _decision(request, registration_id, lambda actor: services.do_cancel_registration(
        actor, registration_id, decision.version))
