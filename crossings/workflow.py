"""The checkpoint workflow as data, and pure guard functions over it (no ORM, no Django models).

A trip passes the checkpoints in WORKFLOW. Each step says which agencies confirm it, which
steps must be settled (confirmed, or not required) before it, and when the trip needs it.
Services read this table; nothing else encodes the order of the steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

# Agency kinds and directions are plain strings here so that this module stays framework-free;
# they are the values of accounts.models.AgencyKind and gates.models.Direction.
BOARD = "management_board"
CUSTOMS = "customs"
BORDER_GUARD = "border_guard"
MEDICAL = "medical_quarantine"
PLANT = "plant_quarantine"
ANIMAL = "animal_quarantine"
ENTERPRISE = "enterprise"
SYSTEM = "system"

ENTERING_VIETNAM = frozenset({"import", "temp_import", "transit", "transshipment"})

# Goods needing plant or animal quarantine, by HS prefix (chapters 01–05 animal products;
# 06–14 plants and plant products; raw wood 4401–4403). Longest prefix wins.
QUARANTINE_BY_HS_PREFIX: Mapping[str, str] = {
    **{f"{chapter:02d}": ANIMAL for chapter in range(1, 6)},
    **{f"{chapter:02d}": PLANT for chapter in range(6, 15)},
    "4401": PLANT,
    "4402": PLANT,
    "4403": PLANT,
}


@dataclass(frozen=True)
class TripFacts:
    """What decides which steps a trip needs."""

    direction: str
    hs_codes: tuple[str, ...] = ()
    journey: str = "standard"
    gate_uses_slots: bool = False

    @property
    def quarantines(self) -> frozenset[str]:
        return frozenset(q for code in self.hs_codes if (q := quarantine_for_hs(code)))


def quarantine_for_hs(hs_code: str) -> str | None:
    for length in (4, 2):
        found = QUARANTINE_BY_HS_PREFIX.get(hs_code[:length])
        if found:
            return found
    return None


class State(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    NOT_REQUIRED = "not_required"


@dataclass(frozen=True)
class Step:
    name: str
    confirmed_by: frozenset[str]
    requires: tuple[str, ...]
    required_when: Callable[[TripFacts], bool]
    by_camera: bool = False  # may be confirmed automatically from a plate read


def _always(_: TripFacts) -> bool:
    return True


WORKFLOW: tuple[Step, ...] = (
    Step("declared", frozenset({ENTERPRISE}), (), _always),
    Step("registration_confirmed", frozenset({BOARD}), ("declared",), _always),
    Step("slot_booked", frozenset({ENTERPRISE, SYSTEM}), ("registration_confirmed",),
         lambda facts: facts.gate_uses_slots),
    Step("gate_entry_border_guard", frozenset({BORDER_GUARD}), ("registration_confirmed", "slot_booked"),
         _always, by_camera=True),
    Step("gate_entry_customs", frozenset({CUSTOMS}), ("registration_confirmed", "slot_booked"),
         _always, by_camera=True),
    Step("yard_entry", frozenset({BOARD}), ("gate_entry_border_guard", "gate_entry_customs"),
         _always, by_camera=True),
    Step("medical_quarantine", frozenset({MEDICAL}), ("yard_entry",),
         lambda facts: facts.direction in ENTERING_VIETNAM),
    Step("plant_quarantine", frozenset({PLANT}), ("yard_entry",), lambda facts: PLANT in facts.quarantines),
    Step("animal_quarantine", frozenset({ANIMAL}), ("yard_entry",), lambda facts: ANIMAL in facts.quarantines),
    Step("transshipment", frozenset({BOARD}), ("yard_entry",),
         lambda facts: facts.journey == "transship" or facts.direction == "transshipment"),
    Step("fee_paid", frozenset({BOARD}), ("yard_entry",), _always),
    Step("yard_exit_customs", frozenset({CUSTOMS}),
         ("medical_quarantine", "plant_quarantine", "animal_quarantine", "transshipment", "fee_paid"), _always),
    Step("yard_exit_border_guard", frozenset({BORDER_GUARD}),
         ("medical_quarantine", "plant_quarantine", "animal_quarantine", "transshipment", "fee_paid"), _always),
    Step("left_gate", frozenset({BOARD}), ("yard_exit_customs", "yard_exit_border_guard"), _always, by_camera=True),
)

GATE_ENTRY_STEPS = ("gate_entry_border_guard", "gate_entry_customs")
STEPS: Mapping[str, Step] = {step.name: step for step in WORKFLOW}
POSITION: Mapping[str, int] = {step.name: index for index, step in enumerate(WORKFLOW)}
# Steps an officer confirms at a gate lane; the others are set by the registration's life.
OFFICER_STEPS = tuple(s.name for s in WORKFLOW if s.name not in ("declared", "registration_confirmed", "slot_booked"))


def initial_states(facts: TripFacts) -> dict[str, State]:
    """The state of every step for a newly declared trip."""
    states = {s.name: State.PENDING if s.required_when(facts) else State.NOT_REQUIRED for s in WORKFLOW}
    states["declared"] = State.CONFIRMED
    return states


def recompute_requirements(facts: TripFacts, states: Mapping[str, str]) -> dict[str, State]:
    """After an amendment: steps already confirmed stay confirmed, the rest follow the new facts."""
    fresh = initial_states(facts)
    return {name: State.CONFIRMED if states.get(name) == State.CONFIRMED else fresh[name] for name in fresh}


def is_settled(state: str) -> bool:
    return state in (State.CONFIRMED, State.NOT_REQUIRED)


class GuardError(Exception):
    """Why a step cannot be confirmed now. `code` is stable for API clients."""

    def __init__(self, code: str, missing: Iterable[str] = ()) -> None:
        self.code = code
        self.missing = tuple(missing)
        super().__init__(code)


def check_can_confirm(step_name: str, states: Mapping[str, str], actor_kind: str) -> Step:
    """Raise GuardError unless `actor_kind` may confirm `step_name` given the trip's `states`."""
    step = STEPS.get(step_name)
    if step is None:
        raise GuardError("unknown_step")
    if actor_kind not in step.confirmed_by:
        raise GuardError("not_your_step")
    state = states.get(step_name)
    if state == State.CONFIRMED:
        raise GuardError("already_confirmed")
    if state == State.NOT_REQUIRED:
        raise GuardError("not_required")
    missing = [name for name in step.requires if not is_settled(states.get(name, State.PENDING))]
    if missing:
        raise GuardError("prerequisites_missing", missing)
    return step


def steps_ready_for(actor_kind: str, states: Mapping[str, str]) -> list[str]:
    """Steps this kind of actor could confirm right now, in workflow order."""
    ready = []
    for step in WORKFLOW:
        try:
            check_can_confirm(step.name, states, actor_kind)
        except GuardError:
            continue
        ready.append(step.name)
    return ready


def derive_stage(states: Mapping[str, str]) -> str:
    """The progress an enterprise sees: entered gate → in yard → paid → left yard → left gate."""
    confirmed = {name for name, state in states.items() if state == State.CONFIRMED}
    if "left_gate" in confirmed:
        return "left_gate"
    if {"yard_exit_customs", "yard_exit_border_guard"} <= confirmed:
        return "left_yard"
    if "fee_paid" in confirmed:
        return "paid"
    if "yard_entry" in confirmed:
        return "in_yard"
    # Gate entry counts only when both agencies have confirmed it.
    if {"gate_entry_border_guard", "gate_entry_customs"} <= confirmed:
        return "at_gate"
    if "registration_confirmed" in confirmed:
        return "registered"
    return "declared"
