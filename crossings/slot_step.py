"""The `slot_booked` checkpoint, set by the booking of an arrival hour (queueing) through the workflow table.

Both functions run inside the caller's transaction (the booking's), after the caller has locked
the trip row, and write their audit row there. They do nothing for a trip whose gate does not
use slots (the step is then not required).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import Actor
from crossings import audit
from crossings import workflow as wf
from crossings.models import Checkpoint, CheckpointState, Trip
from cuakhau.db.prepared import Increment, PreparedUpdate
from cuakhau.errors import Conflict

STEP = "slot_booked"

# Every booking flips the step and bumps the trip's version: compare-and-sets compiled once (see cuakhau.db.prepared).
_flip_step = PreparedUpdate(Checkpoint, where=("trip", "name", "state"))
_update_trip = PreparedUpdate(Trip, where=("id",))


def confirm_slot_booked(actor: Actor, trip: Trip, *, note: str = "", states: dict[str, str] | None = None,
                        audited_by_caller: bool = False) -> bool:
    """Confirm the step if it is pending; True if it was flipped now. `states`: the trip's checkpoint
    states if the caller has just read them under the trip's lock. With `audited_by_caller`, the
    caller's own audit row (same transaction) names the checkpoint instead of a row of its own."""
    if states is None:
        states = dict(Checkpoint.objects.filter(trip=trip).values_list("name", "state"))
    if states.get(STEP) != CheckpointState.PENDING:
        return False
    kind = wf.ENTERPRISE if actor.kind == wf.ENTERPRISE else wf.SYSTEM
    try:
        wf.check_can_confirm(STEP, states, kind)
    except wf.GuardError as error:
        raise Conflict(_("The registration is not confirmed."), error.code) from error
    automatic = kind == wf.SYSTEM
    now = timezone.now()
    flipped = _flip_step((trip.pk, STEP, CheckpointState.PENDING), {
        "state": CheckpointState.CONFIRMED, "confirmed_at": now, "confirmed_by": actor.user, "agency": None,
        "automatic": automatic, "note": note[:500]})
    if flipped:
        _update_trip((trip.pk,), {"version": Increment(), "updated_at": now})
        if not audited_by_caller:
            audit.record(actor, "checkpoint.confirmed", registration_number=trip.registration.number,
                         trip_id=trip.pk, checkpoint=STEP, note=note, automatic=automatic)
    return bool(flipped)


def reopen_slot_booked(actor: Actor, trip: Trip, *, note: str = "", states: dict[str, str] | None = None) -> bool:
    """Set the step back to pending (booking cancelled or lapsed) unless the truck already entered the gate."""
    if states is None:
        states = dict(Checkpoint.objects.filter(trip=trip).values_list("name", "state"))
    if states.get(STEP) != CheckpointState.CONFIRMED:
        return False
    if any(states.get(step) == CheckpointState.CONFIRMED for step in wf.GATE_ENTRY_STEPS):
        return False
    flipped = _flip_step((trip.pk, STEP, CheckpointState.CONFIRMED), {
        "state": CheckpointState.PENDING, "confirmed_at": None, "confirmed_by": None, "automatic": False, "note": ""})
    if flipped:
        _update_trip((trip.pk,), {"version": Increment(), "updated_at": timezone.now()})
        audit.record(actor, "checkpoint.reopened", registration_number=trip.registration.number, trip_id=trip.pk,
                     checkpoint=STEP, note=note, automatic=actor.kind == wf.SYSTEM)
    return bool(flipped)
