"""Read models for the pages: timelines, the console's waiting list, the province overview.

Only reads; every change goes through the services of declarations/ and crossings/.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from django.db.models import BooleanField, Case, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum, Value, When
from django.db.models.expressions import Window
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import Actor, is_board, may_see_personal_data, trip_scope
from crossings import workflow as wf
from crossings.models import AuditEvent, Checkpoint, CheckpointState, Outcome, Stage, TransshipmentVehicle, Trip
from crossings.services import STEP_LABELS, labels
from cuakhau.lib.errors import InvalidValue
from cuakhau.lib.people import mask_identity, mask_phone
from cuakhau.lib.plates import normalize_plate, shown_plate
from declarations.models import RegistrationStatus
from fees.models import TripFee
from gates.models import Gate, Yard
from web.helpers import bounded_count

# --- one truck --------------------------------------------------------------------------------


@dataclass
class TimelineStep:
    name: str
    label: Any
    state: str
    state_label: Any
    at: dt.datetime | None = None
    by: str = ""
    agency: str = ""
    note: str = ""
    automatic: bool = False


def timeline(trip: Trip) -> list[TimelineStep]:
    """Every checkpoint in workflow order: done (who, when), pending, or not required."""
    steps = []
    shown = labels()
    step_labels, state_labels = shown.steps, shown.states
    checkpoints = getattr(trip, "_prefetched_objects_cache", {}).get("checkpoints")  # see with_timelines()
    if checkpoints is None:
        checkpoints = Checkpoint.objects.filter(trip=trip).select_related("confirmed_by", "agency").order_by("position")
    for checkpoint in checkpoints:
        steps.append(TimelineStep(
            name=checkpoint.name, label=step_labels.get(checkpoint.name, checkpoint.name), state=checkpoint.state,
            state_label=state_labels.get(checkpoint.state, checkpoint.state), at=checkpoint.confirmed_at,
            by=checkpoint.confirmed_by.get_username() if checkpoint.confirmed_by else "",
            agency=checkpoint.agency.name if checkpoint.agency else "", note=checkpoint.note,
            automatic=checkpoint.automatic))
    return steps


def with_timelines(trips: QuerySet[Trip]) -> QuerySet[Trip]:
    """What truck_view() and the queue status show of each trip, read for all the trips at once: their
    checkpoints (who, which agency), bookings and call-forward — instead of three queries per truck."""
    from queueing.services import with_queue_status

    return with_queue_status(trips).prefetch_related(
        Prefetch("checkpoints", queryset=Checkpoint.objects.select_related("confirmed_by", "agency")
                 .order_by("position")))


def fee_of(trip: Trip) -> TripFee | None:
    try:
        return trip.fee  # cached when the trip was loaded with select_related("fee")
    except TripFee.DoesNotExist:
        return None


@dataclass
class DriverView:
    name: str
    identity_document: str
    phone: str
    masked: bool


def driver_view(actor: Actor, trip: Trip) -> DriverView:
    driver = trip.driver
    registration = trip.registration
    if may_see_personal_data(actor, registration.declarant_id, registration.gate_id):
        return DriverView(driver.name, driver.identity_document, driver.phone, masked=False)
    return DriverView(driver.name, mask_identity(driver.identity_document), mask_phone(driver.phone), masked=True)


@dataclass
class TruckView:
    trip: Trip
    steps: list[TimelineStep]
    ready: list[tuple[str, Any]]
    driver: DriverView
    fee: TripFee | None
    next_step: list[Any] = field(default_factory=list)
    can_decide: bool = False  # the gate's management board may confirm or return the registration
    receiving: list[Any] = field(default_factory=list)  # Vietnamese trucks taking over the goods
    can_transship: bool = False  # the gate's board records the receiving trucks

    @property
    def entered_gate(self) -> bool:
        return any(step.name in wf.GATE_ENTRY_STEPS and step.state == CheckpointState.CONFIRMED for step in self.steps)

    @property
    def cancellable(self) -> bool:
        """The enterprise may still withdraw the truck: open, and not yet through the gate."""
        return self.trip.is_open and self.trip.outcome in (Outcome.ACTIVE, Outcome.RETURNED) and not self.entered_gate


def truck_view(actor: Actor, trip: Trip) -> TruckView:
    steps = timeline(trip)
    states = {step.name: step.state for step in steps}
    ready: list[tuple[str, Any]] = []
    gate = trip.registration.gate
    if (actor.agency is not None and trip.registration.status == RegistrationStatus.CONFIRMED
            and trip.outcome == Outcome.ACTIVE and actor.acts_at_gate(gate.pk, gate.province_id)):
        ready = [(name, STEP_LABELS[name]) for name in wf.steps_ready_for(actor.kind, states)
                 if name in wf.OFFICER_STEPS]
    can_decide = is_board(actor) and actor.acts_at_gate(gate.pk, gate.province_id)
    transships = states.get("transshipment") not in (None, CheckpointState.NOT_REQUIRED)
    receiving = []
    if transships:
        personal = may_see_personal_data(actor, trip.registration.declarant_id, gate.pk)
        for vehicle in TransshipmentVehicle.objects.filter(trip=trip):
            receiving.append({"vehicle": vehicle, "identity_document": vehicle.driver_identity_document if personal
                              else mask_identity(vehicle.driver_identity_document),
                              "phone": vehicle.driver_phone if personal else mask_phone(vehicle.driver_phone)})
    return TruckView(trip=trip, steps=steps, ready=ready, driver=driver_view(actor, trip), fee=fee_of(trip),
                     next_step=next_step(trip, states), can_decide=can_decide, receiving=receiving,
                     can_transship=transships and can_decide and trip.outcome == Outcome.ACTIVE)


def next_step(trip: Trip, states: dict[str, str]) -> list[Any]:
    """What the truck is waiting for, as lazily translated phrases."""
    status = trip.registration.status
    if trip.outcome != Outcome.ACTIVE:
        return [Outcome(trip.outcome).label]
    if status == RegistrationStatus.SUBMITTED:
        return [_("Waiting for the management board to confirm the registration")]
    if status == RegistrationStatus.RETURNED:
        return [_("Returned for correction: the enterprise must correct the registration")]
    pending = [step.name for step in wf.WORKFLOW if states.get(step.name) == CheckpointState.PENDING]
    if not pending:
        return [_("All steps done")]
    ready = [STEP_LABELS[name] for name in pending
             if all(wf.is_settled(states.get(r, wf.State.PENDING)) for r in wf.STEPS[name].requires)]
    return ready or [STEP_LABELS[pending[0]]]


# --- the truck's place in the queue (queueing/) ------------------------------------------------

def booked_window(trip: Trip) -> tuple[dt.datetime, dt.datetime] | None:
    """The booked arrival hour with its grace period, for the driver's ticket (the call-forward and the
    rest of the queue status come from `{% queue_status_bilingual %}`)."""
    from queueing.services import BookingStatus, active_booking, arrival_window, prefetched_bookings

    prefetched = prefetched_bookings(trip)  # see with_timelines()
    booking = (next((b for b in prefetched if b.status == BookingStatus.BOOKED), None) if prefetched is not None
               else active_booking(trip.pk))
    return arrival_window(booking) if booking else None


# --- finding a truck --------------------------------------------------------------------------

TOKEN = re.compile(r"[A-Za-z0-9_-]{30,64}")


@dataclass
class Search:
    query: str
    trips: list[Trip] = field(default_factory=list)
    problem: Any = None


def search_trips(actor: Actor, query: str) -> Search:
    """A plate in any usual writing, a ticket URL (from the QR code), or the bare ticket token."""
    query = query.strip()
    result = Search(query)
    if not query:
        return result
    scope = console_trips(actor)
    token = ""
    if "/t/" in query:
        token = query.split("/t/", 1)[1].strip("/").split("/")[0].split("?")[0]
    elif TOKEN.fullmatch(query) and not _looks_like_plate(query):
        token = query
    if token:
        result.trips = list(scope.filter(ticket_token=token)[:1])
        if not result.trips:
            result.problem = _("No truck of your gate has this ticket.")
        return result
    try:
        plate = normalize_plate(query)
    except InvalidValue:
        result.problem = _("Not a valid plate or ticket code.")
        return result
    # Open trips first, then the most recent closed ones.
    result.trips = list(scope.filter(vehicle__plate=plate).order_by("-is_open", "-created_at")[:5])
    if not result.trips:
        result.problem = _("No truck with this plate at your gate.")
    return result


def console_trips(actor: Actor) -> QuerySet[Trip]:
    """The actor's trips with all that the console's truck card shows, its queue status included.

    Few joins: PostgreSQL's planning time grows steeply with every table joined (with the eleven joined
    before, planning took longer than running the query), so the call-forward comes by prefetch with the
    bookings, and the declarant, shown only to the board deciding a submitted registration, when shown."""
    return with_timelines(Trip.objects.filter(trip_scope(actor))
                          .select_related("registration__gate", "registration__yard", "vehicle", "driver", "fee"))


def _looks_like_plate(text: str) -> bool:
    try:
        normalize_plate(text)
    except InvalidValue:
        return False
    return True


# --- the officer's waiting list ---------------------------------------------------------------

@dataclass
class Waiting:
    """One row of the waiting list, ready to show (a long list is rendered often: every 10 s per console)."""
    trip_id: int
    plate: str  # as written on the plate, e.g. 29C-123.45
    search: str  # the stored plate, quoted for the console's search link
    steps: str  # what this agency may confirm now, in the reader's language
    since: dt.datetime | None


WAITING_PAGE = 50  # rows shown first; "show more" adds as many again
WAITING_MAX = 1000  # never more rows on one page, however many trucks wait


class WaitingList(list[Waiting]):
    """The rows shown (a list), and how many trucks wait in all."""

    def __init__(self, rows: list[Waiting], total: int, limit: int) -> None:
        super().__init__(rows)
        self.total = total
        self.limit = limit

    @property
    def has_more(self) -> bool:
        return self.total > self.limit and self.limit < WAITING_MAX

    @property
    def expanded(self) -> bool:
        """More than the first page was asked for: the periodic refresh keeps that many."""
        return self.limit > WAITING_PAGE

    @property
    def next_limit(self) -> int:
        return min(self.limit + WAITING_PAGE, WAITING_MAX)


@functools.lru_cache(maxsize=16)
def possible_stages(actor_kind: str) -> tuple[str, ...]:
    """The stages a trip can be in while one of this agency kind's steps is ready, from the workflow.

    A step is ready only when its prerequisites are settled, so at least the prerequisites every
    trip needs (recursively) are confirmed; the stage derived from those alone is the lowest the
    trip can be in (derive_stage only rises as more is confirmed). It lets the waiting list skip,
    in SQL, the trucks that cannot be waiting for this agency yet (the board's 1,000 trucks not
    through the gate) before testing each one's checkpoints.
    """
    variants = [wf.TripFacts(direction=direction, hs_codes=codes, journey=journey, gate_uses_slots=slots)
                for direction in ("import", "export", "transit") for codes in ((), ("08109050",), ("020714",))
                for journey in ("standard", "transship", "inland") for slots in (False, True)]
    always = {step.name for step in wf.WORKFLOW if all(step.required_when(facts) for facts in variants)}

    def needed(name: str) -> set[str]:
        found: set[str] = set()
        for required in wf.STEPS[name].requires:
            if required in always:
                found |= {required, *needed(required)}
        return found

    order = list(Stage.values)
    lowest = min((order.index(wf.derive_stage({n: wf.State.CONFIRMED for n in needed(step.name)}))
                  for step in wf.WORKFLOW if actor_kind in step.confirmed_by and step.name in wf.OFFICER_STEPS),
                 default=len(order))
    return tuple(order[lowest:])


def waiting_limit(value: str | None) -> int:
    """How many rows of the waiting list were asked for ("show more"), within bounds."""
    return bounded_count(value, WAITING_PAGE, WAITING_MAX)


def waiting_for(actor: Actor, limit: int = WAITING_PAGE) -> WaitingList:
    """Trucks with a step this officer's agency may confirm now, the longest-waiting first.

    "Ready" is decided in SQL from the workflow table (the agency's step pending, none of its
    prerequisites pending), so the list stays fast with thousands of open trips at a gate;
    "since" is the trip's last change (a confirmation moves it on). The ready trips are read as
    ids only (all of them: the sort needs them anyway, and their number is the total shown), then
    the rows of the first `limit` with what the page shows.
    """
    if actor.agency is None or actor.agency.gate_id is None:
        return WaitingList([], 0, limit)  # the province supervisor sees every gate but confirms at none
    ready_somewhere = Q(pk__in=[])
    names: set[str] = set()  # the agency's steps and what they require: all the rows need to know
    for step in wf.WORKFLOW:
        if actor.kind not in step.confirmed_by or step.name not in wf.OFFICER_STEPS:
            continue
        names |= {step.name, *step.requires}
        pending = Checkpoint.objects.filter(trip=OuterRef("pk"), name=step.name, state=CheckpointState.PENDING)
        blocked = Checkpoint.objects.filter(trip=OuterRef("pk"), name__in=step.requires, state=CheckpointState.PENDING)
        ready_somewhere |= Q(Exists(pending)) & ~Q(Exists(blocked))
    # Only the rows shown leave the database, each with the number of all ready trucks: at a busy gate the
    # ready trucks number thousands, and reading each id into Python cost more than finding them.
    first_ready = list(
        Trip.objects.filter(trip_scope(actor), ready_somewhere, is_open=True, outcome=Outcome.ACTIVE,
                            stage__in=possible_stages(actor.kind), registration__status=RegistrationStatus.CONFIRMED)
        .annotate(ready_total=Window(Count("pk"))).order_by("updated_at", "pk")
        .values_list("pk", "ready_total")[:limit])
    shown_ids = [trip_id for trip_id, _ in first_ready]
    total = first_ready[0][1] if first_ready else 0
    rows = {trip_id: (plate, since) for trip_id, plate, since in Trip.objects.filter(pk__in=shown_ids).order_by()
            .values_list("pk", "vehicle__plate", "updated_at")}
    states: dict[int, dict[str, str]] = defaultdict(dict)
    # order_by(): the default ordering would join every checkpoint to its trip for nothing.
    for trip_id, name, state in (Checkpoint.objects.filter(trip_id__in=shown_ids, name__in=names).order_by()
                                 .values_list("trip_id", "name", "state")):
        states[trip_id][name] = state
    waiting = []
    step_labels = labels().steps
    for trip_id in shown_ids:
        if trip_id not in rows:
            continue
        plate, since = rows[trip_id]
        steps = [s for s in wf.steps_ready_for(actor.kind, states[trip_id]) if s in wf.OFFICER_STEPS]
        if steps:
            waiting.append(Waiting(trip_id, shown_plate(plate), quote(plate, safe=""),
                                   ", ".join(step_labels[s] for s in steps), since))
    return WaitingList(waiting, total, limit)


# --- the province overview --------------------------------------------------------------------

def congestion(waiting: int) -> tuple[str, Any]:
    """The national single window's grades: green < 500 trucks waiting, yellow 500–1,000,
    orange 1,000–5,000, red > 5,000 (a bound belongs to the lower grade)."""
    if waiting < 500:
        return "green", _("Green")
    if waiting <= 1000:
        return "yellow", _("Yellow")
    if waiting <= 5000:
        return "orange", _("Orange")
    return "red", _("Red")


@dataclass
class GateRow:
    gate: Gate
    by_stage: list[tuple[Any, int]]
    in_yard: int
    places: int
    entered_today: int
    left_today: int
    waiting: int
    level: str
    level_label: Any
    yards: list[dict[str, Any]]

    @property
    def occupancy_percent(self) -> int:
        return round(100 * self.in_yard / self.places) if self.places else 0


IN_YARD_STAGES = (Stage.IN_YARD, Stage.PAID)


def gates_for_board(actor: Actor) -> QuerySet[Gate]:
    """The gates of the board's province: the overview shows counts only, no trip's details."""
    if actor.agency is None:
        return Gate.objects.none()
    return Gate.objects.filter(province_id=actor.agency.province_id, handles_goods=True).select_related("province")


def covers_gate(actor: Actor, gate: Gate) -> bool:
    """The supervisor covers every gate of the province, a gate's own units that gate."""
    if actor.agency is None:
        return False
    if actor.agency.gate_id is None:
        return actor.agency.province_id == gate.province_id
    return actor.agency.gate_id == gate.pk


def covered_gate(actor: Actor, code: str) -> Gate | None:
    """The gate with this code, if the actor's board covers it (its own gate, or any of the province's)."""
    gate = Gate.objects.filter(code=code).select_related("province").first()
    return gate if gate is not None and covers_gate(actor, gate) else None


def province_overview(gates: Iterable[Gate], now: dt.datetime | None = None) -> list[GateRow]:
    """Per gate: trucks by stage now, yard occupancy, in and out today, and the congestion level.

    "Waiting" counts the trucks of the gate that have not left it: those inside the gate area,
    and those declared for a time already passed that have not entered yet.
    """
    now = now or timezone.now()
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    gates = list(gates)
    gate_ids = [gate.pk for gate in gates]
    # One grouped read of the active trips gives the stages, the waiting count and the yard load;
    # one of today's confirmations gives trucks in and out (instead of three and two queries).
    arrived = Case(When(Q(registration__planned_arrival__lte=now) | ~Q(stage__in=[Stage.DECLARED, Stage.REGISTERED]),
                        then=Value(True)), default=Value(False), output_field=BooleanField())
    stages: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    waiting: dict[int, int] = defaultdict(int)
    yard_load: dict[int, int] = defaultdict(int)
    for gate_id, yard_id, stage, is_waiting, n in (
            Trip.objects.filter(registration__gate_id__in=gate_ids, is_open=True, outcome=Outcome.ACTIVE)
            .annotate(waiting=arrived).order_by()
            .values_list("registration__gate_id", "registration__yard_id", "stage", "waiting").annotate(n=Count("pk"))):
        stages[gate_id][stage] += n
        if is_waiting:
            waiting[gate_id] += n
        if stage in IN_YARD_STAGES:
            yard_load[yard_id] += n
    entered: dict[int, int] = defaultdict(int)
    left: dict[int, int] = defaultdict(int)
    for gate_id, name, n in (Checkpoint.objects.filter(name__in=["gate_entry_border_guard", "left_gate"],
                                                       state=CheckpointState.CONFIRMED, confirmed_at__gte=day_start,
                                                       trip__registration__gate_id__in=gate_ids)
                             .order_by().values_list("trip__registration__gate_id", "name").annotate(n=Count("pk"))):
        (entered if name == "gate_entry_border_guard" else left)[gate_id] += n
    yards: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for yard in Yard.objects.filter(gate_id__in=gate_ids).order_by("code"):
        yards[yard.gate_id].append({"yard": yard, "in_yard": yard_load.get(yard.pk, 0)})
    rows = []
    for gate in gates:
        n_waiting = waiting.get(gate.pk, 0)
        level, label = congestion(n_waiting)
        gate_yards = yards.get(gate.pk, [])
        rows.append(GateRow(
            gate=gate,
            by_stage=[(stage.label, stages[gate.pk].get(stage.value, 0)) for stage in Stage
                      if stage != Stage.LEFT_GATE],  # trucks that left are counted in "left today"
            in_yard=sum(y["in_yard"] for y in gate_yards), places=sum(y["yard"].places for y in gate_yards),
            entered_today=entered.get(gate.pk, 0), left_today=left.get(gate.pk, 0), waiting=n_waiting,
            level=level, level_label=label, yards=gate_yards))
    return rows


def yard_places(gate: Gate) -> int:
    return Yard.objects.filter(gate=gate).aggregate(n=Sum("places"))["n"] or 0


# --- audit trail ------------------------------------------------------------------------------

ACTION_LABELS = {
    "registration.submitted": _("Registration submitted"),
    "registration.amended": _("Registration corrected"),
    "registration.confirmed": _("Registration confirmed"),
    "registration.returned": _("Returned for correction"),
    "registration.rejected": _("Registration rejected"),
    "registration.cancelled": _("Registration cancelled"),
    "checkpoint.confirmed": _("Checkpoint confirmed"),
    "trip.cancelled": _("Truck cancelled"),
    "transshipment.vehicle_added": _("Receiving truck added"),
    "transshipment.vehicle_entered": _("Receiving truck entered the yard"),
    "transshipment.vehicle_exited": _("Receiving truck left the yard"),
}


def audit_trail(trip: Trip) -> list[dict[str, Any]]:
    """The trip's own events and those of its registration as a whole, oldest first."""
    events = AuditEvent.objects.filter(
        Q(trip_id_ref=trip.pk) | Q(registration_number=trip.registration.number, trip_id_ref__isnull=True)
    ).order_by("pk")
    return [{"event": event, "action": ACTION_LABELS.get(event.action, event.action),
             "checkpoint": STEP_LABELS.get(event.checkpoint, event.checkpoint)} for event in events]
