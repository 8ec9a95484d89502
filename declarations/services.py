"""Submitting, amending and deciding on pre-arrival registrations.

`check_*` functions validate without writing; `do_*` functions change state in one transaction
that also writes the audit row. Decisions are compare-and-set on (status, version).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import DecimalField, F, Max, Model, Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import Actor, is_board, registration_scope
from crossings import audit
from crossings import workflow as wf
from crossings.models import Checkpoint, CheckpointState, Journey, Outcome, Stage, Trip
from cuakhau.db.prepared import PreparedRead, insert_rows
from cuakhau.errors import Conflict, FieldErrors, Forbidden, NotFound, ValidationFailed
from cuakhau.lib.plates import plate_country
from declarations.models import Consignment, DailySequence, Item, Registration, RegistrationStatus
from declarations.schemas import RegistrationIn, RegistrationPatch, VehicleIn
from enterprises.models import Driver, Enterprise, Vehicle
from fees.services import assess_fee
from gates import rules
from gates.models import Gate, Yard
from gates.services import gate_is_open, goods_not_permitted, opening_hours_text

MAX_DAYS_AHEAD = 30
# A declaration may be made up to this long after the truck's planned time (late trucks exist).
LATE_TOLERANCE = dt.timedelta(hours=2)


@dataclass(frozen=True)
class _Resolved:
    gate: Gate
    yard: Yard
    fee_payer: Enterprise


# --- checks -----------------------------------------------------------------------------------

def check_registration(actor: Actor, data: RegistrationIn, *, registration: Registration | None = None,
                       now: dt.datetime | None = None) -> _Resolved:
    """Validate the registration as a whole; raise ValidationFailed with every problem per field."""
    now = now or timezone.now()
    errors = FieldErrors()
    reference = rules.current()
    gate = reference.gate(data.gate)
    if gate is None or not gate.handles_goods:
        gate = None
        errors.add("gate", _("Unknown gate, or the gate does not handle goods."))
    yard = reference.yard(data.yard)
    if yard is None:
        errors.add("yard", _("Unknown yard."))
    elif gate is not None and yard.gate_id != gate.pk:
        errors.add("yard", _("This yard does not belong to the chosen gate."))

    fee_payer = actor.enterprise
    if data.fee_payer_tax_code:
        fee_payer = Enterprise.objects.filter(tax_code=data.fee_payer_tax_code).first()
        if fee_payer is None:
            errors.add("fee_payer_tax_code", _("No enterprise with this tax code is registered on the platform."))

    arrival = data.planned_arrival
    if arrival < now - LATE_TOLERANCE:
        errors.add("planned_arrival", _("The planned arrival is in the past."))
    elif arrival > now + dt.timedelta(days=MAX_DAYS_AHEAD):
        errors.add("planned_arrival", _("Register at most %(days)d days ahead.") % {"days": MAX_DAYS_AHEAD})
    elif gate is not None and not gate_is_open(gate, arrival, reference):
        errors.add("planned_arrival", _("The gate is closed at that time (open %(hours)s that day).")
                   % {"hours": opening_hours_text(gate, arrival, reference)})

    if gate is not None:
        hs_codes = [(c_index, i_index, item.hs_code) for c_index, consignment in enumerate(data.consignments)
                    for i_index, item in enumerate(consignment.items)]
        violations = goods_not_permitted(gate, data.direction, [h for *_, h in hs_codes], reference)
        banned = {v.hs_code: v.protocol for v in violations}
        for c_index, i_index, hs_code in hs_codes:
            if hs_code in banned:
                errors.add(f"consignments.{c_index}.items.{i_index}.hs_code",
                           _("%(goods)s may not pass through %(gate)s in this direction under the border protocols.")
                           % {"goods": banned[hs_code].name, "gate": gate.name})

    _check_vehicles(data.vehicles, data.direction, errors, registration)
    errors.raise_if_any()
    assert gate is not None and yard is not None and fee_payer is not None
    return _Resolved(gate, yard, fee_payer)


# The plates among these that are on an open trip (of another registration, when amending). Compiled once
# per connection and number of plates (see cuakhau.db.prepared): every submission asks.
_plates_on_open_trips = PreparedRead(lambda **plates: Trip.objects.filter(
    is_open=True, vehicle__plate__in=[plates[name] for name in sorted(plates)]).values("vehicle__plate"))
_plates_on_other_open_trips = PreparedRead(lambda registration_id, **plates: Trip.objects.filter(
    is_open=True, vehicle__plate__in=[plates[name] for name in sorted(plates)]).exclude(
    registration_id=registration_id).values("vehicle__plate"))


def _plates_busy(plates: list[str], registration: Registration | None) -> set[str]:
    named = {f"plate_{index}": plate for index, plate in enumerate(plates)}
    rows = (_plates_on_open_trips(**named) if registration is None
            else _plates_on_other_open_trips(registration_id=registration.pk, **named))
    return {row["vehicle__plate"] for row in rows}


def _check_vehicles(vehicles: list[VehicleIn], direction: str, errors: FieldErrors,
                    registration: Registration | None) -> None:
    seen: dict[str, int] = {}
    busy = _plates_busy([v.plate for v in vehicles], registration) if vehicles else set()
    for index, vehicle in enumerate(vehicles):
        field = f"vehicles.{index}"
        if vehicle.plate in seen:
            errors.add(f"{field}.plate",
                       _("This truck is already listed as truck %(n)d.") % {"n": seen[vehicle.plate] + 1})
        seen.setdefault(vehicle.plate, index)
        if vehicle.plate in busy:
            errors.add(f"{field}.plate", _("This truck is already on another open trip."))
        foreign = plate_country(vehicle.plate) == "CN"
        if vehicle.journey != Journey.STANDARD and not (foreign and direction in wf.ENTERING_VIETNAM):
            errors.add(f"{field}.journey",
                       _("Going inland or transshipping applies only to a Chinese truck entering Vietnam."))
        if vehicle.journey == Journey.INLAND and not vehicle.permit_number:
            errors.add(f"{field}.permit_number",
                       _("A truck going inland needs its cross-border transport permit number."))


# --- submit and amend -------------------------------------------------------------------------

def do_submit_registration(actor: Actor, data: RegistrationIn) -> Registration:
    if actor.enterprise is None:
        raise Forbidden(_("Only an enterprise user can declare trucks."))
    resolved = check_registration(actor, data)
    try:
        with transaction.atomic():
            registration = Registration(
                number=_next_number(resolved.gate),
                gate=resolved.gate,
                direction=data.direction,
                planned_arrival=data.planned_arrival,
                declarant=actor.enterprise,
                fee_payer=resolved.fee_payer,
                yard=resolved.yard,
                created_by=actor.enterprise_user,
            )
            insert_rows([registration], read_keys=True)  # no save() machinery: see cuakhau.db.prepared
            consignments = _write_goods(registration, data)
            trips = _sync_trips(registration, data, new=True)
            audit.record(actor, "registration.submitted", registration_number=registration.number,
                         gate_code=resolved.gate.code,
                         data={"trips": len(data.vehicles), "gate": resolved.gate.code})
    except IntegrityError as error:
        raise _as_truck_conflict(error) from error
    # What was just written is what is stored: hand it over as if prefetched, so the answer needs no re-read.
    registration.planned_arrival = registration.planned_arrival.astimezone(dt.UTC)  # as the database returns it
    _attach(registration, "consignments", consignments)
    _attach(registration, "trips", trips)
    return registration


def do_amend_registration(actor: Actor, registration_id: int, patch: RegistrationPatch) -> Registration:
    registration = get_registration(actor, registration_id)
    if actor.enterprise is None or registration.declarant_id != actor.enterprise.pk:
        raise Forbidden(_("Only the declaring enterprise can amend a registration."))
    if not registration.is_open_for_amendment:
        raise Conflict(_("This registration can no longer be amended."), "not_amendable")
    merged = _merge(registration, patch)
    resolved = check_registration(actor, merged, registration=registration)
    try:
        with transaction.atomic():
            changed = Registration.objects.filter(
                pk=registration.pk, version=patch.version,
                status__in=[RegistrationStatus.SUBMITTED, RegistrationStatus.RETURNED],
            ).update(gate=resolved.gate, direction=merged.direction, planned_arrival=merged.planned_arrival,
                     yard=resolved.yard, fee_payer=resolved.fee_payer, status=RegistrationStatus.SUBMITTED,
                     version=F("version") + 1, updated_at=timezone.now())
            if not changed:
                raise Conflict(_("The registration was changed by someone else; reload it and try again."),
                               "stale_version")
            registration.refresh_from_db()
            registration.consignments.all().delete()
            _write_goods(registration, merged)
            _sync_trips(registration, merged)
            audit.record(actor, "registration.amended", registration_number=registration.number,
                         gate_code=resolved.gate.code,
                         data={"fields": sorted(patch.model_dump(exclude_unset=True, exclude={"version"}))})
    except IntegrityError as error:
        raise _as_truck_conflict(error) from error
    return registration


def _merge(registration: Registration, patch: RegistrationPatch) -> RegistrationIn:
    current = registration_as_input(registration)
    changes = patch.model_dump(exclude_unset=True, exclude={"version"}, exclude_none=True)
    merged = current.model_dump() | changes
    return RegistrationIn.model_validate(merged)


def registration_as_input(registration: Registration) -> RegistrationIn:
    """The stored registration in its input shape (used to merge a partial amendment)."""
    return RegistrationIn.model_validate({
        "gate": registration.gate.code,
        "direction": registration.direction,
        "planned_arrival": registration.planned_arrival,
        "yard": registration.yard.code,
        "fee_payer_tax_code": registration.fee_payer.tax_code,
        "consignments": [
            {"declaration_number": c.declaration_number, "declaration_type": c.declaration_type,
             "description": c.description,
             "items": [{"hs_code": i.hs_code, "description": i.description, "quantity": i.quantity, "unit": i.unit,
                        "gross_weight_kg": i.gross_weight_kg, "value": i.value, "currency": i.currency}
                       for i in c.items.all()]}
            for c in registration.consignments.all()
        ],
        "vehicles": [
            {"plate": t.vehicle.plate, "load_class": t.load_class, "trailer_plate": t.trailer_plate,
             "container_number": t.container_number, "seal_number": t.seal_number,
             "permit_number": t.permit_number, "journey": t.journey,
             "driver": {"name": t.driver.name, "identity_document": t.driver.identity_document,
                        "phone": t.driver.phone}}
            for t in registration.trips.exclude(outcome=Outcome.CANCELLED).select_related("vehicle", "driver")
            .order_by("position")
        ],
    })


def _next_number(gate: Gate) -> str:
    """Date + gate + sequence. The counter row is updated in the caller's transaction, so two
    registrations at once queue on its lock (PostgreSQL) or the database lock (SQLite).

    One upsert (SQLite ≥ 3.35 and PostgreSQL) creates the day's counter or bumps it and returns it."""
    day = timezone.localdate()
    table = connection.ops.quote_name(DailySequence._meta.db_table)
    last = connection.ops.quote_name("last")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (gate_id, day, {last}) VALUES (%s, %s, 1) "  # noqa: S608 - constant names, no input
            f"ON CONFLICT (gate_id, day) DO UPDATE SET {last} = {table}.{last} + 1 RETURNING {last}",
            [gate.pk, connection.ops.adapt_datefield_value(day)])
        (sequence,) = cursor.fetchone()
    return f"{day:%Y%m%d}-{gate.code.upper()}-{sequence:04d}"


def _write_goods(registration: Registration, data: RegistrationIn) -> list[Consignment]:
    """Store the consignments and their items; return them with their items attached."""
    consignments = []
    for consignment_in in data.consignments:
        consignment = Consignment(
            registration=registration, declaration_number=consignment_in.declaration_number,
            declaration_type=consignment_in.declaration_type, description=consignment_in.description)
        insert_rows([consignment], read_keys=True)
        items = [Item(consignment=consignment, **_as_stored(Item, item.model_dump())) for item in consignment_in.items]
        insert_rows(items, read_keys=True)
        _attach(consignment, "items", items)
        consignments.append(consignment)
    return consignments


def _attach(instance: Model, relation: str, objects: list[Any]) -> None:
    """Hand over rows just written as if prefetched, the way Django's own prefetch stores them."""
    queryset = getattr(instance, relation).all()
    queryset._result_cache = objects
    queryset._prefetch_done = True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[relation] = queryset


def _as_stored(model: type[Model], values: dict[str, Any]) -> dict[str, Any]:
    """Decimals at their column's scale, as a read would return them (the answer is built without one)."""
    for field in model._meta.concrete_fields:
        if isinstance(field, DecimalField) and isinstance(values.get(field.name), Decimal):
            values[field.name] = values[field.name].quantize(Decimal(1).scaleb(-field.decimal_places))
    return values


def _sync_trips(registration: Registration, data: RegistrationIn, *, new: bool = False) -> list[Trip]:
    """Make the registration's trips match `data.vehicles`, position by position; return the new trips.

    An amendment keeps each trip's id and ticket token (a driver's QR code stays valid); only
    steps not yet confirmed follow the new facts, e.g. quarantine after a change of goods.
    """
    created: list[Trip] = []
    hs_codes = tuple(item.hs_code for c in data.consignments for item in c.items)
    # A truck the enterprise cancelled stays cancelled (and free): the list maps onto the other trips in order.
    # A registration created in this very transaction has no trips yet: nothing to read.
    existing = [] if new else list(registration.trips.exclude(outcome=Outcome.CANCELLED).order_by("position"))
    next_position = 1 if new else (registration.trips.aggregate(last=Max("position"))["last"] or 0) + 1
    if existing:
        # Release the trucks first so that swapping two trucks' positions does not trip the
        # one-open-trip-per-truck index midway; each kept trip is reopened below.
        registration.trips.exclude(outcome=Outcome.CANCELLED).update(is_open=False)
    now = timezone.now()
    for index, vehicle_in in enumerate(data.vehicles):
        vehicle, driver = _vehicle_and_driver(registration.declarant, vehicle_in)
        facts = wf.TripFacts(direction=data.direction, hs_codes=hs_codes, journey=vehicle_in.journey,
                             gate_uses_slots=registration.gate.uses_slots)
        fields = {"vehicle": vehicle, "driver": driver, "load_class": vehicle_in.load_class,
                  "trailer_plate": vehicle_in.trailer_plate, "container_number": vehicle_in.container_number,
                  "seal_number": vehicle_in.seal_number, "permit_number": vehicle_in.permit_number,
                  "journey": vehicle_in.journey}
        trip = existing[index] if index < len(existing) else None
        if trip is None:
            trip = Trip(registration=registration, position=next_position, ticket_token=secrets.token_urlsafe(32),
                        **fields)
            insert_rows([trip], read_keys=True)
            Trip.fee.related.set_cached_value(trip, None)  # assessed when the board confirms: none yet
            created.append(trip)
            next_position += 1
            insert_rows([  # one statement, nothing read back (see cuakhau.db.prepared)
                Checkpoint(trip=trip, name=name, position=wf.POSITION[name], state=state,
                           confirmed_at=now if state == wf.State.CONFIRMED else None,
                           confirmed_by=registration.created_by if state == wf.State.CONFIRMED else None)
                for name, state in wf.initial_states(facts).items()
            ])
            continue
        Trip.objects.filter(pk=trip.pk).update(outcome=Outcome.ACTIVE, is_open=True, version=F("version") + 1,
                                               updated_at=now, **fields)
        current = dict(trip.checkpoints.values_list("name", "state"))
        for name, state in wf.recompute_requirements(facts, current).items():
            if current.get(name) != state:
                Checkpoint.objects.filter(trip=trip, name=name).update(state=state)
    for trip in existing[len(data.vehicles):]:
        trip.delete()
    return created


def _vehicle_and_driver(enterprise: Enterprise, vehicle_in: VehicleIn) -> tuple[Vehicle, Driver]:
    """One upsert each (INSERT … ON CONFLICT DO UPDATE … RETURNING id, SQLite ≥ 3.35 and PostgreSQL).

    A known truck keeps its nationality and owner and takes the declared load class; a known driver
    of the enterprise takes the declared name and phone. The vehicle returned serves as the trip's
    foreign key: its nationality and owner are those of a new truck, not re-read."""
    vehicle = Vehicle(plate=vehicle_in.plate, country=plate_country(vehicle_in.plate),
                      load_class=vehicle_in.load_class, owner=enterprise)
    insert_rows([vehicle], read_keys=True, update_conflicts=(("plate",), ("load_class",)))
    driver = Driver(enterprise=enterprise, identity_document=vehicle_in.driver.identity_document,
                    name=vehicle_in.driver.name, phone=vehicle_in.driver.phone)
    insert_rows([driver], read_keys=True, update_conflicts=(("enterprise", "identity_document"), ("name", "phone")))
    return vehicle, driver


def _as_truck_conflict(error: IntegrityError) -> Exception:
    if "one_open_trip_per_vehicle" in str(error) or "crossings_trip.vehicle_id" in str(error):
        return ValidationFailed({"vehicles": [_("One of these trucks is already on another open trip.")]})
    return Conflict(_("The registration could not be saved because of a concurrent change; try again."))


# --- reading ----------------------------------------------------------------------------------

def registrations_for(actor: Actor):  # type: ignore[no-untyped-def]
    return (Registration.objects.filter(registration_scope(actor))
            .select_related("gate", "yard", "declarant", "fee_payer"))


def get_registration(actor: Actor, registration_id: int) -> Registration:
    """The registration if the actor may see it; 404 otherwise (never reveal another firm's record)."""
    registration = (registrations_for(actor)
                    .prefetch_related(Prefetch("consignments", queryset=Consignment.objects.prefetch_related("items")),
                                      Prefetch("trips", queryset=Trip.objects.select_related("vehicle", "fee")
                                               .order_by("position")))
                    .filter(pk=registration_id).first())
    if registration is None:
        raise NotFound(_("Registration not found."))
    return registration


# --- decisions --------------------------------------------------------------------------------

def _check_board_decision(actor: Actor, registration: Registration) -> None:
    if not is_board(actor) or not actor.acts_at_gate(registration.gate_id, registration.gate.province_id):
        raise Forbidden(_("Only the management board of this gate can decide on a registration."))


def _trip_changed() -> dict[str, object]:
    """What every bulk change of trips also writes: a trip's `version` (and `updated_at`) move with any change of
    it, so an API client that compares versions sees a trip sent back, rejected or cancelled with its
    registration."""
    return {"version": F("version") + 1, "updated_at": timezone.now()}


def _transition(registration: Registration, expected: Sequence[str], version: int | None, **changes: object) -> None:
    query = Registration.objects.filter(pk=registration.pk, status__in=expected)
    if version is not None:
        query = query.filter(version=version)
    if not query.update(version=F("version") + 1, updated_at=timezone.now(), **changes):
        raise Conflict(_("The registration was changed by someone else; reload it and try again."),
                       "stale_version")
    registration.refresh_from_db()


def do_confirm_registration(actor: Actor, registration_id: int, version: int | None = None,
                            note: str = "") -> Registration:
    registration = get_registration(actor, registration_id)
    _check_board_decision(actor, registration)
    if registration.status != RegistrationStatus.SUBMITTED:
        raise Conflict(_("Only a submitted registration can be confirmed."), "wrong_status")
    with transaction.atomic():
        _transition(registration, [RegistrationStatus.SUBMITTED], version, status=RegistrationStatus.CONFIRMED,
                    return_reason="")
        now = timezone.now()
        hs_codes = list(Item.objects.filter(consignment__registration=registration).values_list("hs_code", flat=True))
        for trip in registration.trips.filter(outcome=Outcome.ACTIVE).select_related("registration"):
            Checkpoint.objects.filter(trip=trip, name="registration_confirmed", state=CheckpointState.PENDING).update(
                state=CheckpointState.CONFIRMED, confirmed_at=now, confirmed_by=actor.user, agency=actor.agency)
            Trip.objects.filter(pk=trip.pk).update(stage=Stage.REGISTERED, version=F("version") + 1, updated_at=now)
            assess_fee(trip, hs_codes)
        audit.record(actor, "registration.confirmed", registration_number=registration.number, note=note)
    return registration


def do_return_registration(actor: Actor, registration_id: int, reason: str, version: int | None = None) -> Registration:
    registration = get_registration(actor, registration_id)
    _check_board_decision(actor, registration)
    if not reason.strip():
        raise ValidationFailed({"reason": [_("Say what the enterprise must correct.")]})
    if registration.status != RegistrationStatus.SUBMITTED:
        raise Conflict(_("Only a submitted registration can be returned for correction."), "wrong_status")
    with transaction.atomic():
        _transition(registration, [RegistrationStatus.SUBMITTED], version, status=RegistrationStatus.RETURNED,
                    return_reason=reason)
        registration.trips.filter(outcome=Outcome.ACTIVE).update(outcome=Outcome.RETURNED, **_trip_changed())
        audit.record(actor, "registration.returned", registration_number=registration.number, note=reason)
    return registration


def do_reject_registration(actor: Actor, registration_id: int, reason: str, version: int | None = None) -> Registration:
    registration = get_registration(actor, registration_id)
    _check_board_decision(actor, registration)
    if not reason.strip():
        raise ValidationFailed({"reason": [_("Give the reason for rejection.")]})
    open_statuses = [RegistrationStatus.SUBMITTED, RegistrationStatus.RETURNED]
    if registration.status not in open_statuses:
        raise Conflict(_("Only a registration awaiting a decision can be rejected."), "wrong_status")
    with transaction.atomic():
        _transition(registration, open_statuses, version, status=RegistrationStatus.REJECTED, reject_reason=reason)
        registration.trips.exclude(outcome=Outcome.CANCELLED).update(outcome=Outcome.REJECTED, is_open=False,
                                                                     **_trip_changed())
        audit.record(actor, "registration.rejected", registration_number=registration.number, note=reason)
    return registration


def do_cancel_registration(actor: Actor, registration_id: int, version: int | None = None) -> Registration:
    """The enterprise withdraws every truck; refused once any truck has entered the gate."""
    registration = get_registration(actor, registration_id)
    if actor.enterprise is None or registration.declarant_id != actor.enterprise.pk:
        raise Forbidden(_("Only the declaring enterprise can cancel its registration."))
    open_statuses = [RegistrationStatus.SUBMITTED, RegistrationStatus.RETURNED, RegistrationStatus.CONFIRMED]
    if registration.status not in open_statuses:
        raise Conflict(_("This registration is already closed."), "wrong_status")
    with transaction.atomic():
        # Lock the registration, then its trips (the order every action takes): a gate entry being confirmed
        # right now commits first and is seen below, or waits and then finds its trip cancelled.
        Registration.objects.select_for_update().filter(pk=registration.pk).values_list("pk").first()
        list(Trip.objects.select_for_update().filter(registration=registration).values_list("pk", flat=True))
        if Checkpoint.objects.filter(trip__registration=registration, name__in=wf.GATE_ENTRY_STEPS,
                                     state=CheckpointState.CONFIRMED).exists():
            raise Conflict(_("A truck of this registration has already entered the gate; it cannot be cancelled."),
                           "already_entered")
        _transition(registration, open_statuses, version, status=RegistrationStatus.CANCELLED)
        registration.trips.exclude(outcome=Outcome.CANCELLED).update(outcome=Outcome.CANCELLED, is_open=False,
                                                                     **_trip_changed())
        audit.record(actor, "registration.cancelled", registration_number=registration.number,
                     gate_code=registration.gate.code)
    return registration
