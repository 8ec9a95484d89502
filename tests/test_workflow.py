"""The checkpoint table and its guards, as pure functions: no database, no Django."""

from __future__ import annotations

import pytest

from crossings import workflow as wf
from crossings.workflow import GuardError, State, TripFacts


def states_for(facts: TripFacts, *confirmed: str) -> dict[str, str]:
    states = {name: str(state) for name, state in wf.initial_states(facts).items()}
    for name in confirmed:
        states[name] = State.CONFIRMED
    return states


def guard_code(step: str, states: dict[str, str], kind: str) -> str:
    with pytest.raises(GuardError) as caught:
        wf.check_can_confirm(step, states, kind)
    return caught.value.code


IMPORT = TripFacts(direction="import", hs_codes=("85176249",))
EXPORT_DURIAN = TripFacts(direction="export", hs_codes=("08106000",))
IMPORT_CHICKEN = TripFacts(direction="import", hs_codes=("02071400",))
TRANSSHIP = TripFacts(direction="import", hs_codes=("85176249",), journey="transship")


def test_every_step_of_the_design_table_is_in_workflow_order():
    assert [step.name for step in wf.WORKFLOW] == [
        "declared", "registration_confirmed", "slot_booked", "gate_entry_border_guard", "gate_entry_customs",
        "yard_entry", "medical_quarantine", "plant_quarantine", "animal_quarantine", "transshipment", "fee_paid",
        "yard_exit_customs", "yard_exit_border_guard", "left_gate",
    ]
    for step in wf.WORKFLOW:
        for required in step.requires:
            assert wf.POSITION[required] < wf.POSITION[step.name], (step.name, required)


@pytest.mark.parametrize("step, agency", [
    ("registration_confirmed", wf.BOARD),
    ("gate_entry_border_guard", wf.BORDER_GUARD),
    ("gate_entry_customs", wf.CUSTOMS),
    ("yard_entry", wf.BOARD),
    ("medical_quarantine", wf.MEDICAL),
    ("plant_quarantine", wf.PLANT),
    ("animal_quarantine", wf.ANIMAL),
    ("transshipment", wf.BOARD),
    ("fee_paid", wf.BOARD),
    ("yard_exit_customs", wf.CUSTOMS),
    ("yard_exit_border_guard", wf.BORDER_GUARD),
    ("left_gate", wf.BOARD),
])
def test_each_step_is_confirmed_by_exactly_its_own_agency(step, agency):
    assert wf.STEPS[step].confirmed_by == {agency}


@pytest.mark.parametrize("facts, expected", [
    (IMPORT, {"medical_quarantine": "pending", "plant_quarantine": "not_required",
              "animal_quarantine": "not_required", "transshipment": "not_required"}),
    (EXPORT_DURIAN, {"medical_quarantine": "not_required", "plant_quarantine": "pending",
                     "animal_quarantine": "not_required", "transshipment": "not_required"}),
    (IMPORT_CHICKEN, {"medical_quarantine": "pending", "plant_quarantine": "not_required",
                      "animal_quarantine": "pending", "transshipment": "not_required"}),
    (TRANSSHIP, {"transshipment": "pending"}),
    (TripFacts(direction="transshipment", hs_codes=("85176249",)), {"transshipment": "pending",
                                                                     "medical_quarantine": "pending"}),
    (TripFacts(direction="export", hs_codes=("44031100",)), {"plant_quarantine": "pending"}),  # raw logs
    (TripFacts(direction="export", hs_codes=("44071100",)), {"plant_quarantine": "not_required"}),  # sawn wood
    (TripFacts(direction="export", hs_codes=("03061100",)), {"animal_quarantine": "pending"}),  # lobster
])
def test_which_checks_a_trip_needs_follows_from_direction_and_goods(facts, expected):
    states = wf.initial_states(facts)
    for name, state in expected.items():
        assert states[name] == state, name
    assert states["declared"] == State.CONFIRMED
    for always in ("registration_confirmed", "gate_entry_border_guard", "gate_entry_customs", "yard_entry",
                   "fee_paid", "yard_exit_customs", "yard_exit_border_guard", "left_gate"):
        assert states[always] == State.PENDING, always


def test_slot_booking_is_required_only_where_the_gate_uses_slots():
    assert wf.initial_states(IMPORT)["slot_booked"] == State.NOT_REQUIRED
    assert wf.initial_states(TripFacts(direction="import", gate_uses_slots=True))["slot_booked"] == State.PENDING
    states = states_for(TripFacts(direction="import", gate_uses_slots=True), "registration_confirmed")
    assert guard_code("gate_entry_customs", states, wf.CUSTOMS) == "prerequisites_missing"
    states["slot_booked"] = State.CONFIRMED
    assert wf.check_can_confirm("gate_entry_customs", states, wf.CUSTOMS).name == "gate_entry_customs"


def test_a_check_that_does_not_apply_is_not_required_never_passed():
    states = wf.initial_states(EXPORT_DURIAN)
    assert states["medical_quarantine"] == State.NOT_REQUIRED
    assert states["medical_quarantine"] != State.CONFIRMED
    assert guard_code("medical_quarantine", states_for(EXPORT_DURIAN, "registration_confirmed",
                                                       "gate_entry_border_guard", "gate_entry_customs",
                                                       "yard_entry"), wf.MEDICAL) == "not_required"


def test_guards_refuse_the_wrong_agency_an_unknown_step_and_a_second_confirmation():
    states = states_for(IMPORT, "registration_confirmed")
    assert guard_code("gate_entry_customs", states, wf.BORDER_GUARD) == "not_your_step"
    assert guard_code("gate_entry_customs", states, wf.ENTERPRISE) == "not_your_step"
    assert guard_code("teleport", states, wf.CUSTOMS) == "unknown_step"
    states["gate_entry_customs"] = State.CONFIRMED
    assert guard_code("gate_entry_customs", states, wf.CUSTOMS) == "already_confirmed"


def test_gate_entry_needs_the_registration_confirmed_first():
    states = wf.initial_states(IMPORT)
    with pytest.raises(GuardError) as caught:
        wf.check_can_confirm("gate_entry_border_guard", states, wf.BORDER_GUARD)
    assert caught.value.code == "prerequisites_missing"
    assert caught.value.missing == ("registration_confirmed",)


def test_border_guard_and_customs_may_confirm_gate_entry_in_either_order():
    states = states_for(IMPORT, "registration_confirmed")
    assert wf.steps_ready_for(wf.CUSTOMS, states) == ["gate_entry_customs"]
    assert wf.steps_ready_for(wf.BORDER_GUARD, states) == ["gate_entry_border_guard"]
    customs_first = states_for(IMPORT, "registration_confirmed", "gate_entry_customs")
    assert wf.check_can_confirm("gate_entry_border_guard", customs_first, wf.BORDER_GUARD)
    guard_first = states_for(IMPORT, "registration_confirmed", "gate_entry_border_guard")
    assert wf.check_can_confirm("gate_entry_customs", guard_first, wf.CUSTOMS)


def test_yard_entry_waits_for_both_gate_entries():
    one = states_for(IMPORT, "registration_confirmed", "gate_entry_customs")
    with pytest.raises(GuardError) as caught:
        wf.check_can_confirm("yard_entry", one, wf.BOARD)
    assert caught.value.missing == ("gate_entry_border_guard",)
    both = states_for(IMPORT, "registration_confirmed", "gate_entry_customs", "gate_entry_border_guard")
    assert wf.check_can_confirm("yard_entry", both, wf.BOARD).name == "yard_entry"


def test_yard_exit_waits_for_every_required_check_and_only_those():
    in_yard = ("registration_confirmed", "gate_entry_customs", "gate_entry_border_guard", "yard_entry")
    states = states_for(IMPORT_CHICKEN, *in_yard, "fee_paid", "medical_quarantine")
    with pytest.raises(GuardError) as caught:
        wf.check_can_confirm("yard_exit_customs", states, wf.CUSTOMS)
    assert caught.value.missing == ("animal_quarantine",)
    states["animal_quarantine"] = State.CONFIRMED
    assert wf.check_can_confirm("yard_exit_customs", states, wf.CUSTOMS)
    # Plant quarantine is not required for chicken wings, so it does not hold the truck.
    assert states["plant_quarantine"] == State.NOT_REQUIRED

    unpaid = states_for(IMPORT, *in_yard, "medical_quarantine")
    assert guard_code("yard_exit_border_guard", unpaid, wf.BORDER_GUARD) == "prerequisites_missing"


def test_transshipment_must_be_recorded_before_the_yard_exit_of_a_transshipping_truck():
    states = states_for(TRANSSHIP, "registration_confirmed", "gate_entry_customs", "gate_entry_border_guard",
                        "yard_entry", "medical_quarantine", "fee_paid")
    with pytest.raises(GuardError) as caught:
        wf.check_can_confirm("yard_exit_customs", states, wf.CUSTOMS)
    assert caught.value.missing == ("transshipment",)


def test_left_gate_needs_both_yard_exits():
    done = ("registration_confirmed", "gate_entry_customs", "gate_entry_border_guard", "yard_entry",
            "medical_quarantine", "fee_paid")
    assert guard_code("left_gate", states_for(IMPORT, *done, "yard_exit_customs"), wf.BOARD) == \
        "prerequisites_missing"
    assert wf.check_can_confirm("left_gate", states_for(IMPORT, *done, "yard_exit_customs",
                                                        "yard_exit_border_guard"), wf.BOARD)


@pytest.mark.parametrize("confirmed, stage", [
    ((), "declared"),
    (("registration_confirmed",), "registered"),
    (("registration_confirmed", "gate_entry_customs"), "registered"),  # one agency is not entry
    (("registration_confirmed", "gate_entry_border_guard"), "registered"),
    (("registration_confirmed", "gate_entry_border_guard", "gate_entry_customs"), "at_gate"),
    (("registration_confirmed", "gate_entry_border_guard", "gate_entry_customs", "yard_entry"), "in_yard"),
    (("registration_confirmed", "gate_entry_border_guard", "gate_entry_customs", "yard_entry", "fee_paid"), "paid"),
    (("registration_confirmed", "gate_entry_border_guard", "gate_entry_customs", "yard_entry", "fee_paid",
      "yard_exit_customs"), "paid"),
    (("registration_confirmed", "gate_entry_border_guard", "gate_entry_customs", "yard_entry", "fee_paid",
      "yard_exit_customs", "yard_exit_border_guard"), "left_yard"),
    (("registration_confirmed", "gate_entry_border_guard", "gate_entry_customs", "yard_entry", "fee_paid",
      "yard_exit_customs", "yard_exit_border_guard", "left_gate"), "left_gate"),
])
def test_the_stage_an_enterprise_sees_is_derived_from_confirmed_steps(confirmed, stage):
    assert wf.derive_stage(states_for(IMPORT, *confirmed)) == stage


def test_finishing_the_paperwork_is_not_leaving_the_gate():
    done = ("registration_confirmed", "gate_entry_customs", "gate_entry_border_guard", "yard_entry",
            "medical_quarantine", "fee_paid", "yard_exit_customs", "yard_exit_border_guard")
    states = states_for(IMPORT, *done)
    assert wf.derive_stage(states) == "left_yard"
    assert wf.steps_ready_for(wf.BOARD, states) == ["left_gate"]


def test_recomputing_after_an_amendment_keeps_confirmed_steps_and_follows_the_new_goods():
    states = states_for(IMPORT, "registration_confirmed")
    recomputed = wf.recompute_requirements(IMPORT_CHICKEN, states)
    assert recomputed["registration_confirmed"] == State.CONFIRMED
    assert recomputed["animal_quarantine"] == State.PENDING
    back = wf.recompute_requirements(IMPORT, {**states, "animal_quarantine": State.PENDING})
    assert back["animal_quarantine"] == State.NOT_REQUIRED
    kept = wf.recompute_requirements(IMPORT, {**states, "animal_quarantine": State.CONFIRMED})
    assert kept["animal_quarantine"] == State.CONFIRMED


def test_steps_ready_for_lists_in_workflow_order_and_nothing_for_the_enterprise():
    states = states_for(IMPORT_CHICKEN, "registration_confirmed", "gate_entry_customs", "gate_entry_border_guard",
                        "yard_entry")
    assert wf.steps_ready_for(wf.BOARD, states) == ["fee_paid"]
    assert wf.steps_ready_for(wf.ANIMAL, states) == ["animal_quarantine"]
    assert wf.steps_ready_for(wf.PLANT, states) == []
    assert wf.steps_ready_for(wf.ENTERPRISE, states) == []


def test_quarantine_by_hs_code_takes_the_longest_prefix():
    assert wf.quarantine_for_hs("02071400") == wf.ANIMAL
    assert wf.quarantine_for_hs("08106000") == wf.PLANT
    assert wf.quarantine_for_hs("44039900") == wf.PLANT
    assert wf.quarantine_for_hs("44079900") is None
    assert wf.quarantine_for_hs("85176249") is None
    assert wf.quarantine_for_hs("15179090") is None  # chapter 15 (fats) needs none here


def test_the_workflow_module_has_no_django_or_orm_import():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(wf))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert not imported & {"django", "crossings", "declarations", "accounts", "gates", "fees", "enterprises"}
