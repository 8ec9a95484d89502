"""Lean reads of one trip for the API: plain column values, no model instances.

Confirming a checkpoint is the platform's hottest write and its answer is the whole trip. Building
that answer from model instances took a seven-table `select_related` whose compilation alone cost
more than all the SQL of the confirm (≈ 0.5 ms of ORM work against ≈ 0.02 ms in SQLite), plus a
second read of the timeline. These reads select only the columns the answer shows, once, and the
confirm reuses them for its guards (see `services.do_confirm_checkpoint`).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.services import Actor, may_see_personal_data, may_see_registration
from crossings.models import Checkpoint, CheckpointState, TransshipmentVehicle, Trip
from cuakhau.db.prepared import PreparedRead
from cuakhau.lib.people import mask_identity, mask_phone
from cuakhau.lib.plates import format_plate
from gates.models import localized_name

# Answer field (or guard input) → path from Trip. The trip's own columns keep their names.
TRIP_COLUMNS: dict[str, str] = {
    "registration_number": "registration__number",
    "registration_status": "registration__status",
    "declarant_id": "registration__declarant_id",
    "gate_id": "registration__gate_id",
    "gate_code": "registration__gate__code",
    "province_id": "registration__gate__province_id",
    "direction": "registration__direction",
    "plate": "vehicle__plate",
    "nationality": "vehicle__country",
    "driver_name": "driver__name",
    "driver_identity_document": "driver__identity_document",
    "driver_phone": "driver__phone",
    "fee_id": "fee__id",
    "fee_goods_type": "fee__goods_type",
    "fee_tariff_vnd": "fee__tariff_vnd",
    "fee_percent": "fee__percent",
    "fee_amount_vnd": "fee__amount_vnd",
    "fee_receipt_number": "fee__receipt_number",
    "fee_paid_at": "fee__paid_at",
}
TRIP_PATHS = tuple(TRIP_COLUMNS.values())
TRIP_OWN_COLUMNS = ("id", "registration_id", "position", "load_class", "trailer_plate", "container_number",
                    "seal_number", "permit_number", "journey", "stage", "outcome", "version")

TIMELINE_COLUMNS = ("name", "state", "confirmed_at", "automatic", "note")
TIMELINE_JOINED = {"confirmed_by_name": "confirmed_by__username", "agency_name_vi": "agency__name_vi",
                   "agency_name_zh": "agency__name_zh", "agency_name_en": "agency__name_en"}


def _trip_query(trip_id: int) -> QuerySet[Trip, dict[str, Any]]:
    return Trip.objects.filter(pk=trip_id).order_by().values(*TRIP_OWN_COLUMNS, *TRIP_PATHS)[:1]


_read_trip_row = PreparedRead(_trip_query)
_lock_trip_row = PreparedRead(lambda trip_id: _trip_query(trip_id).select_for_update(of=("self",)))
_read_timeline = PreparedRead(lambda trip_id: Checkpoint.objects.filter(trip_id=trip_id).order_by("position")
                              .values(*TIMELINE_COLUMNS, *TIMELINE_JOINED.values()))


def trip_row(actor: Actor, trip_id: int, *, lock: bool = False) -> dict[str, Any] | None:
    """The trip's columns if `actor` may see it, else None; `lock` holds the trip row until commit."""
    rows = (_lock_trip_row if lock else _read_trip_row)(trip_id=trip_id)
    if not rows:
        return None
    row = rows[0]
    for name, path in TRIP_COLUMNS.items():
        row[name] = row.pop(path)
    if not may_see_registration(actor, row["declarant_id"], row["gate_id"], row["province_id"]):
        return None
    return row


def timeline_rows(trip_id: int) -> list[dict[str, Any]]:
    """Every checkpoint of the trip, in workflow order, with who confirmed it."""
    rows = _read_timeline(trip_id=trip_id)
    for row in rows:
        for name, path in TIMELINE_JOINED.items():
            row[name] = row.pop(path)
    return rows


def receiving_vehicle_rows(trip_id: int, timeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Receiving vehicles can only be added to a trip whose transshipment step applies: skip the query otherwise.
    if not any(step["name"] == "transshipment" and step["state"] != CheckpointState.NOT_REQUIRED
               for step in timeline):
        return []
    return [dict(vehicle) for vehicle in TransshipmentVehicle.objects.filter(trip_id=trip_id).order_by("pk").values(
        "id", "plate", "driver_name", "driver_identity_document", "driver_phone", "entered_at", "exited_at")]


def trip_document(actor: Actor, row: dict[str, Any], timeline: list[dict[str, Any]],
                  receiving_vehicles: list[dict[str, Any]]) -> dict[str, Any]:
    """The API's view of a trip (`schemas.TripOut`): personal data masked for whoever may not see it."""
    from crossings.services import labels

    shown = labels()
    personal = may_see_personal_data(actor, row["declarant_id"], row["gate_id"])
    fee = None
    if row["fee_id"] is not None:
        fee = {"goods_type": row["fee_goods_type"], "tariff_vnd": row["fee_tariff_vnd"],
               "percent": row["fee_percent"], "amount_vnd": row["fee_amount_vnd"],
               "receipt_number": row["fee_receipt_number"], "paid_at": row["fee_paid_at"]}
    return {
        "id": row["id"], "registration_id": row["registration_id"], "registration_number": row["registration_number"],
        "position": row["position"], "gate": row["gate_code"], "direction": row["direction"],
        "plate": row["plate"], "plate_display": format_plate(row["plate"]), "nationality": row["nationality"],
        "load_class": row["load_class"], "trailer_plate": row["trailer_plate"],
        "container_number": row["container_number"], "seal_number": row["seal_number"],
        "permit_number": row["permit_number"], "journey": row["journey"],
        "driver": {"name": row["driver_name"],
                   "identity_document": row["driver_identity_document"] if personal
                   else mask_identity(row["driver_identity_document"]),
                   "phone": row["driver_phone"] if personal else mask_phone(row["driver_phone"])},
        "stage": row["stage"], "stage_label": shown.stages.get(row["stage"], row["stage"]),
        "outcome": row["outcome"], "outcome_label": shown.outcomes.get(row["outcome"], row["outcome"]),
        "version": row["version"], "fee": fee,
        "timeline": [{
            "name": step["name"], "label": shown.steps.get(step["name"], step["name"]), "state": step["state"],
            "required": step["state"] != CheckpointState.NOT_REQUIRED, "confirmed_at": step["confirmed_at"],
            "confirmed_by": step["confirmed_by_name"] or "",
            "agency": localized_name(step["agency_name_vi"], step["agency_name_zh"] or "", step["agency_name_en"] or "")
            if step["agency_name_vi"] else "",
            "automatic": step["automatic"], "note": step["note"],
        } for step in timeline],
        "receiving_vehicles": [{
            **vehicle,
            "driver_identity_document": vehicle["driver_identity_document"] if personal
            else mask_identity(vehicle["driver_identity_document"]),
            "driver_phone": vehicle["driver_phone"] if personal else mask_phone(vehicle["driver_phone"]),
        } for vehicle in receiving_vehicles],
    }


def read_trip(actor: Actor, trip_id: int) -> dict[str, Any] | None:
    """The trip's answer, or None if there is no such trip or `actor` may not see it."""
    row = trip_row(actor, trip_id)
    if row is None:
        return None
    timeline = timeline_rows(trip_id)
    return trip_document(actor, row, timeline, receiving_vehicle_rows(trip_id, timeline))
