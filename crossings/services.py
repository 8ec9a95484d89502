"""Confirming checkpoints, cancelling trips and transshipment: each one transaction with its audit row.

A confirmation locks the trip row (so concurrent confirmations of one trip queue), checks the
guards of the workflow table, then flips the checkpoint with a compare-and-set
(`UPDATE … WHERE state = 'pending'`): two officers clicking at once give one confirmation and
one 409, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.services import ADMIN, ENTERPRISE, Actor, is_board, trip_scope
from crossings import audit, reads
from crossings import workflow as wf
from crossings.models import Checkpoint, CheckpointState, Outcome, Stage, TransshipmentVehicle, Trip
from cuakhau.db.prepared import Increment, PreparedUpdate
from cuakhau.errors import Conflict, Forbidden, Message, NotFound, ValidationFailed
from cuakhau.lib.errors import InvalidValue
from cuakhau.lib.people import normalize_identity_document, normalize_person_name, normalize_phone
from cuakhau.lib.plates import normalize_plate
from declarations.models import RegistrationStatus
from fees.models import TripFee

GUARD_MESSAGES = {
    "unknown_step": _("There is no such checkpoint."),
    "not_your_step": _("Your agency does not confirm this checkpoint."),
    "already_confirmed": _("This checkpoint is already confirmed."),
    "not_required": _("This checkpoint is not required for this trip."),
    "prerequisites_missing": _("Earlier steps are not confirmed yet."),
}
GUARD_STATUS = {"unknown_step": NotFound, "not_your_step": Forbidden}


def trips_for(actor: Actor) -> QuerySet[Trip]:
    return (Trip.objects.filter(trip_scope(actor))
            .select_related("registration__gate", "registration__declarant", "vehicle", "driver"))


# Trips that ended before crossing: they stay at the stage they reached, but are no longer "at" it.
ENDED_BEFORE_CROSSING = (Outcome.RETURNED, Outcome.REJECTED, Outcome.CANCELLED, Outcome.NO_SHOW)
TRIP_STATUSES = frozenset(Stage.values) | frozenset(Outcome.values)


def with_status(trips: QuerySet[Trip], status: str) -> QuerySet[Trip]:
    """Trips with a status as the lists offer it: a stage (the trucks at it, on their way or, at `left_gate`,
    done) or an outcome. The API, the pages and the exports filter alike."""
    if status in Stage.values:
        return trips.filter(stage=status).exclude(outcome__in=ENDED_BEFORE_CROSSING)
    if status in Outcome.values:
        return trips.filter(outcome=status)
    raise ValueError(status)


def get_trip(actor: Actor, trip_id: int) -> Trip:
    trip = trips_for(actor).select_related("fee").filter(pk=trip_id).first()
    if trip is None:
        raise NotFound(_("Trip not found."))
    return trip


def states_of(trip_id: int) -> dict[str, str]:
    return dict(Checkpoint.objects.filter(trip_id=trip_id).order_by().values_list("name", "state"))


def _check_officer_at_gate(actor: Actor, gate_id: int, province_id: int) -> None:
    if not actor.acts_at_gate(gate_id, province_id):
        raise Forbidden(_("You can confirm checkpoints only at your own gate."))


def check_confirm(actor: Actor, trip: dict[str, Any], name: str, states: dict[str, str]) -> wf.Step:
    """Raise the error an officer would see if `name` cannot be confirmed now.

    `trip` is a row of `reads.trip_row` (gate, province, registration status, outcome)."""
    if actor.kind in (ENTERPRISE, ADMIN) or name not in wf.OFFICER_STEPS:
        if name not in wf.STEPS:
            raise NotFound(GUARD_MESSAGES["unknown_step"], "unknown_step")
        raise Forbidden(GUARD_MESSAGES["not_your_step"], "not_your_step")
    _check_officer_at_gate(actor, trip["gate_id"], trip["province_id"])
    if trip["registration_status"] != RegistrationStatus.CONFIRMED:
        raise Conflict(_("The registration is not confirmed."), "registration_not_confirmed")
    if trip["outcome"] != Outcome.ACTIVE:
        raise Conflict(_("This trip is closed (%(outcome)s).") % {"outcome": Outcome(trip["outcome"]).label},
                       "trip_closed")
    try:
        return wf.check_can_confirm(name, states, actor.kind)
    except wf.GuardError as error:
        error_class = GUARD_STATUS.get(error.code, Conflict)
        message: Message = GUARD_MESSAGES[error.code]
        if error.missing:
            labels = ", ".join(str(STEP_LABELS.get(m, m)) for m in error.missing)
            message = _("Waiting for: %(steps)s.") % {"steps": labels}
        raise error_class(message, error.code) from error


# The compare-and-set and the trip's new stage: the writes of every confirmation, and the fee's receipt at
# fee_paid (see cuakhau.db.prepared).
_flip_checkpoint = PreparedUpdate(Checkpoint, where=("trip", "name", "state"))
_update_trip = PreparedUpdate(Trip, where=("id",))
_record_payment = PreparedUpdate(TripFee, where=("trip",))


@dataclass(frozen=True)
class Confirmation:
    """The trip as stored after the confirmation: its row and timeline (see `reads`)."""

    trip: dict[str, Any]
    timeline: list[dict[str, Any]]

    def document(self, actor: Actor) -> dict[str, Any]:
        """The API's answer (`schemas.TripOut`)."""
        return reads.trip_document(actor, self.trip, self.timeline,
                                   reads.receiving_vehicle_rows(self.trip["id"], self.timeline))


def do_confirm_checkpoint(actor: Actor, trip_id: int, name: str, *, note: str = "", automatic: bool = False,
                          receipt_number: str = "") -> Confirmation:
    receipt_number = receipt_number.strip()
    if name == "fee_paid" and not receipt_number:
        raise ValidationFailed({"receipt_number": [_("Enter the receipt number of the payment.")]})
    try:
        return _confirm(actor, trip_id, name, note=note, automatic=automatic, receipt_number=receipt_number,
                        ends_transaction=True)
    except audit.ChainNotStarted:  # a new database's first event: nothing was written, go the long way
        return _confirm(actor, trip_id, name, note=note, automatic=automatic, receipt_number=receipt_number,
                        ends_transaction=False)


def _confirm(actor: Actor, trip_id: int, name: str, *, note: str, automatic: bool, receipt_number: str,
             ends_transaction: bool) -> Confirmation:
    try:
        with transaction.atomic():
            # One scoped read that also locks the trip row: a trip the actor may not see is a 404, and
            # concurrent confirmations of one trip queue here, so each sees the other's result when it
            # reads the states (and the derived stage never misses a step). Plain rows, not model
            # instances: they are also the answer (see `reads`).
            trip = reads.trip_row(actor, trip_id, lock=True)
            if trip is None:
                raise NotFound(_("Trip not found."))
            timeline = reads.timeline_rows(trip_id)
            states = {step["name"]: step["state"] for step in timeline}
            check_confirm(actor, trip, name, states)
            now = timezone.now()
            note = note[:500]
            stage = wf.derive_stage({**states, name: CheckpointState.CONFIRMED})
            changes: dict[str, object] = {"stage": stage, "version": Increment(), "updated_at": now}
            if name == "left_gate":
                changes.update(outcome=Outcome.COMPLETED, is_open=False)
            # The compare-and-set, then (only if it flipped the checkpoint) the trip's new stage, the fee's
            # receipt and the audit event: one statement on PostgreSQL, which also carries the COMMIT when
            # it can (nothing is written after it).
            writes = [_flip_checkpoint.statement((trip_id, name, CheckpointState.PENDING), {
                "state": CheckpointState.CONFIRMED, "confirmed_at": now, "confirmed_by": actor.user,
                "agency": actor.agency, "automatic": automatic, "note": note}),
                _update_trip.statement((trip_id,), changes)]
            if name == "fee_paid":
                writes.append(_record_payment.statement((trip_id,), {
                    "receipt_number": receipt_number, "paid_at": now, "recorded_by": actor.user}))
            if not audit.record_change(
                    writes, actor, "checkpoint.confirmed", ends_transaction=ends_transaction,
                    registration_number=trip["registration_number"], trip_id=trip_id, checkpoint=name, note=note,
                    automatic=automatic, data={"receipt_number": receipt_number} if receipt_number else None):
                raise Conflict(GUARD_MESSAGES["already_confirmed"], "already_confirmed")
    except IntegrityError as error:
        raise ValidationFailed({"receipt_number": [_("This receipt number is already recorded for another trip.")]}
                               ) from error
    # The row is locked until commit, so the values written are the values stored: set them in memory
    # instead of reading the trip and its timeline again.
    trip.update(stage=stage, version=trip["version"] + 1)
    if name == "left_gate":
        trip["outcome"] = Outcome.COMPLETED
    if name == "fee_paid" and trip["fee_id"] is not None:
        trip.update(fee_receipt_number=receipt_number, fee_paid_at=now)
    for step in timeline:
        if step["name"] == name:
            agency, user = actor.agency, actor.user
            step.update(state=CheckpointState.CONFIRMED, confirmed_at=now,
                        confirmed_by_name=user.get_username() if user else "",
                        automatic=automatic, note=note, agency_name_vi=agency.name_vi if agency else None,
                        agency_name_zh=agency.name_zh if agency else None,
                        agency_name_en=agency.name_en if agency else None)
    return Confirmation(trip, timeline)


def do_cancel_trip(actor: Actor, trip_id: int) -> Trip:
    """The declaring enterprise withdraws one truck before it has entered the gate."""
    trip = get_trip(actor, trip_id)
    if actor.enterprise is None or trip.registration.declarant_id != actor.enterprise.pk:
        raise Forbidden(_("Only the declaring enterprise can cancel its truck."))
    with transaction.atomic():
        # The registration first, then the trip, as every action locks them: an amendment or a cancellation
        # of the whole registration running now finishes first.
        type(trip.registration).objects.select_for_update().filter(pk=trip.registration_id).values_list("pk").first()
        Trip.objects.select_for_update().filter(pk=trip.pk).values_list("pk").first()
        states = states_of(trip.pk)
        if any(states.get(step) == CheckpointState.CONFIRMED for step in wf.GATE_ENTRY_STEPS):
            raise Conflict(_("The truck has already entered the gate; it can no longer be cancelled."),
                           "already_entered")
        if not Trip.objects.filter(pk=trip.pk, is_open=True).exclude(outcome=Outcome.CANCELLED).update(
                outcome=Outcome.CANCELLED, is_open=False, version=F("version") + 1, updated_at=timezone.now()):
            raise Conflict(_("This trip is already closed."), "trip_closed")
        # The registration changed too (one truck fewer), so an amendment read before this is refused as stale
        # instead of bringing the truck back; with its last truck it is cancelled as a whole.
        registration = trip.registration
        changes: dict[str, object] = {"version": F("version") + 1, "updated_at": timezone.now()}
        if not registration.trips.exclude(outcome=Outcome.CANCELLED).exists():
            changes["status"] = RegistrationStatus.CANCELLED
        type(registration).objects.filter(pk=registration.pk).update(**changes)
        audit.record(actor, "trip.cancelled", registration_number=registration.number, trip_id=trip.pk,
                     gate_code=registration.gate.code)
    trip.refresh_from_db()
    return trip


# --- transshipment ----------------------------------------------------------------------------

def do_add_receiving_vehicle(actor: Actor, trip_id: int, *, plate: str, driver_name: str,
                             driver_identity_document: str, driver_phone: str) -> TransshipmentVehicle:
    trip = get_trip(actor, trip_id)
    _check_transshipment_officer(actor, trip)
    errors: dict[str, list] = {}
    values: dict[str, str] = {}
    for field, raw, normalize in (("plate", plate, normalize_plate),
                                  ("driver_name", driver_name, normalize_person_name),
                                  ("driver_identity_document", driver_identity_document, normalize_identity_document),
                                  ("driver_phone", driver_phone, normalize_phone)):
        try:
            values[field] = normalize(raw or "")
        except InvalidValue as error:
            errors[field] = [error.message]
    if "plate" in values and not values["plate"][0].isdigit():
        errors.setdefault("plate", []).append(_("A receiving truck must be a Vietnamese truck."))
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        _check_still_transshipping(trip)
        vehicle = TransshipmentVehicle.objects.create(trip=trip, **values)
        audit.record(actor, "transshipment.vehicle_added", registration_number=trip.registration.number,
                     trip_id=trip.pk, data={"plate": values["plate"]})
    return vehicle


def do_mark_receiving_vehicle(actor: Actor, trip_id: int, vehicle_id: int, event: str) -> TransshipmentVehicle:
    """Record a receiving truck's entry into or exit from the yard, once each, entry first."""
    trip = get_trip(actor, trip_id)
    _check_transshipment_officer(actor, trip)
    now = timezone.now()
    with transaction.atomic():
        _check_still_transshipping(trip)
        query = TransshipmentVehicle.objects.filter(pk=vehicle_id, trip=trip)
        if not query.exists():
            raise NotFound(_("Receiving truck not found."))
        if event == "entered":
            changed = query.filter(entered_at__isnull=True).update(entered_at=now)
        elif event == "exited":
            changed = query.filter(entered_at__isnull=False, exited_at__isnull=True).update(exited_at=now)
        else:
            raise NotFound(_("Unknown event."))
        if not changed:
            raise Conflict(_("This was already recorded, or the truck has not entered yet."), "wrong_state")
        audit.record(actor, f"transshipment.vehicle_{event}", registration_number=trip.registration.number,
                     trip_id=trip.pk, data={"vehicle": vehicle_id})
    return TransshipmentVehicle.objects.get(pk=vehicle_id)


def _check_transshipment_officer(actor: Actor, trip: Trip) -> None:
    if not is_board(actor):
        raise Forbidden(_("Only the management board records transshipment."))
    _check_officer_at_gate(actor, trip.registration.gate_id, trip.registration.gate.province_id)


def _check_still_transshipping(trip: Trip) -> None:
    """Inside the transaction, with the trip locked: a receiving truck is never recorded on a trip completed or
    cancelled since it was read."""
    outcome = Trip.objects.select_for_update().filter(pk=trip.pk).values_list("outcome", flat=True).first()
    if outcome != Outcome.ACTIVE:
        raise Conflict(_("This trip is closed."), "trip_closed")
    if states_of(trip.pk).get("transshipment") in (None, CheckpointState.NOT_REQUIRED):
        raise Conflict(_("This trip does not transship."), "not_required")


# --- labels -----------------------------------------------------------------------------------

STEP_LABELS = {
    "declared": _("Declared"),
    "registration_confirmed": _("Registration confirmed"),
    "slot_booked": _("Arrival slot booked"),
    "gate_entry_border_guard": _("Gate entry — border guard"),
    "gate_entry_customs": _("Gate entry — customs"),
    "yard_entry": _("Entered the yard"),
    "medical_quarantine": _("Medical quarantine"),
    "plant_quarantine": _("Plant quarantine"),
    "animal_quarantine": _("Animal quarantine"),
    "transshipment": _("Transshipment"),
    "fee_paid": _("Fee paid"),
    "yard_exit_customs": _("Yard exit — customs"),
    "yard_exit_border_guard": _("Yard exit — border guard"),
    "left_gate": _("Left the gate"),
}


@dataclass(frozen=True)
class Labels:
    """The workflow's labels in one language, by value: steps, checkpoint states, stages, outcomes."""

    steps: dict[str, str]
    states: dict[str, str]
    stages: dict[str, str]
    outcomes: dict[str, str]


@functools.lru_cache(maxsize=8)
def labels_in(language: str) -> Labels:
    """Translated once per process and language: a lazy label is looked up in the catalogue again at every
    str(), and one trip's answer shows sixteen of them (a registration page of ten trucks, 140)."""
    with translation.override(language):
        return Labels(steps={name: str(label) for name, label in STEP_LABELS.items()},
                      states={str(value): str(label) for value, label in CheckpointState.choices},
                      stages={str(value): str(label) for value, label in Stage.choices},
                      outcomes={str(value): str(label) for value, label in Outcome.choices})


def labels() -> Labels:
    """`labels_in` the active language."""
    return labels_in(translation.get_language() or "vi")
