"""Input and output shapes of a registration, validated field by field at the edge."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.utils import timezone
from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, Field

from crossings.models import Journey
from cuakhau.lib.codes import (
    normalize_declaration_number,
    normalize_declaration_type,
    normalize_hs_code,
    normalize_tax_code,
)
from cuakhau.lib.containers import normalize_container
from cuakhau.lib.people import normalize_identity_document, normalize_person_name, normalize_phone
from cuakhau.lib.plates import normalize_plate
from enterprises.models import LoadClass
from gates.models import Direction


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _optional(normalize):  # type: ignore[no-untyped-def]
    def run(value: str) -> str:
        return normalize(value) if value else ""

    return run


Text = Annotated[str, BeforeValidator(_strip)]
Plate = Annotated[str, AfterValidator(normalize_plate)]
OptionalPlate = Annotated[Text, AfterValidator(_optional(normalize_plate))]
HsCode = Annotated[str, AfterValidator(normalize_hs_code)]


def _fee_payer(value: str) -> str:
    """Empty means the declarant pays; 18 characters is a Chinese credit code, else a Vietnamese tax code."""
    if not value:
        return ""
    return normalize_tax_code(value, "CN" if len(value) == 18 else "VN")


FeePayer = Annotated[Text, Field(max_length=20), AfterValidator(_fee_payer)]


def _local_aware(value: dt.datetime) -> dt.datetime:
    """A time without offset is Vietnam's local time."""
    if timezone.is_naive(value):
        return timezone.make_aware(value, timezone.get_default_timezone())
    return value


class ItemIn(Schema):
    hs_code: HsCode
    description: Text = Field(min_length=1, max_length=300)
    quantity: Decimal = Field(gt=0, max_digits=14, decimal_places=3)
    unit: Text = Field(min_length=1, max_length=20)
    gross_weight_kg: Decimal = Field(gt=0, le=100_000, max_digits=12, decimal_places=2)
    value: Decimal = Field(ge=0, max_digits=16, decimal_places=2)
    currency: Text = Field(default="USD", pattern=r"^[A-Z]{3}$")


class ConsignmentIn(Schema):
    declaration_number: Annotated[str, AfterValidator(normalize_declaration_number)]
    declaration_type: Annotated[str, AfterValidator(normalize_declaration_type)]
    description: Text = Field(default="", max_length=300)
    items: list[ItemIn] = Field(min_length=1, max_length=200)


class DriverIn(Schema):
    name: Annotated[str, AfterValidator(normalize_person_name)]
    identity_document: Annotated[str, AfterValidator(normalize_identity_document)]
    phone: Annotated[str, AfterValidator(normalize_phone)]


class VehicleIn(Schema):
    plate: Plate
    load_class: LoadClass
    driver: DriverIn
    trailer_plate: OptionalPlate = ""
    container_number: Annotated[Text, AfterValidator(_optional(normalize_container))] = ""
    seal_number: Text = Field(default="", max_length=30)
    permit_number: Text = Field(default="", max_length=30)
    journey: Journey = Journey.STANDARD


class RegistrationIn(Schema):
    gate: Text = Field(min_length=1, max_length=32)
    direction: Direction
    planned_arrival: Annotated[dt.datetime, AfterValidator(_local_aware)]
    yard: Text = Field(min_length=1, max_length=32)
    fee_payer_tax_code: FeePayer = ""
    consignments: list[ConsignmentIn] = Field(min_length=1, max_length=50)
    vehicles: list[VehicleIn] = Field(min_length=1, max_length=100)


class RegistrationPatch(Schema):
    """Fields to change; lists replace the registration's lists whole."""

    version: int = Field(ge=1)
    gate: Text | None = Field(default=None, min_length=1, max_length=32)
    direction: Direction | None = None
    planned_arrival: Annotated[dt.datetime, AfterValidator(_local_aware)] | None = None
    yard: Text | None = Field(default=None, min_length=1, max_length=32)
    fee_payer_tax_code: FeePayer | None = None
    consignments: list[ConsignmentIn] | None = Field(default=None, min_length=1, max_length=50)
    vehicles: list[VehicleIn] | None = Field(default=None, min_length=1, max_length=100)


class DecisionIn(Schema):
    version: int | None = Field(default=None, ge=1)
    reason: Text = Field(default="", max_length=2000)


# --- output -----------------------------------------------------------------------------------

class ItemOut(Schema):
    hs_code: str
    description: str
    quantity: Decimal
    unit: str
    gross_weight_kg: Decimal
    value: Decimal
    currency: str


class ConsignmentOut(Schema):
    declaration_number: str
    declaration_type: str
    description: str
    items: list[ItemOut]


class TripSummaryOut(Schema):
    id: int
    position: int
    plate: str
    nationality: str
    stage: str
    outcome: str
    fee_vnd: int | None = None


class RegistrationOut(Schema):
    id: int
    number: str
    gate: str
    direction: str
    planned_arrival: dt.datetime
    yard: str
    declarant_tax_code: str
    declarant_name: str
    fee_payer_tax_code: str
    status: str
    status_label: str
    version: int
    return_reason: str
    reject_reason: str
    created_at: dt.datetime
    consignments: list[ConsignmentOut]
    trips: list[TripSummaryOut]
