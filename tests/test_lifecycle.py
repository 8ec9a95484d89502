"""Whole journeys of a truck through the API, as the enterprise and each agency live them."""

from __future__ import annotations

from crossings import audit
from tests.conftest import consignment, item, vehicle


def confirm(personas, who: str, trip_id: int, step: str, **body):  # type: ignore[no-untyped-def]
    response = personas.api(who).post(f"/trips/{trip_id}/checkpoints/{step}", body or None)
    assert response.status_code == 200, (who, step, response.json())
    return response.json()


def timeline_states(trip: dict) -> dict[str, str]:
    return {step["name"]: step["state"] for step in trip["timeline"]}


def test_full_import_lifecycle_through_the_api(personas, submit):
    registration = submit(consignments=[consignment(items=[item(hs_code="08106000", description="Sầu riêng tươi")])],
                          direction="export")
    assert registration["number"].endswith("-HUU-NGHI-0001")
    assert registration["status"] == "submitted"
    trip_id = registration["trips"][0]["id"]

    board = personas.api("bql.huunghi")
    confirmed = board.post(f"/registrations/{registration['id']}/confirm", {"version": registration["version"]})
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["trips"][0]["fee_vnd"] == 500_000  # agricultural, ≥ 18 t

    trip = personas.api("firm1").get(f"/trips/{trip_id}").json()
    states = timeline_states(trip)
    assert states["plant_quarantine"] == "pending"  # fresh fruit needs plant quarantine
    assert states["medical_quarantine"] == "not_required"  # export: not entering Vietnam
    assert states["animal_quarantine"] == "not_required"

    confirm(personas, "customs.huunghi", trip_id, "gate_entry_customs")
    trip = personas.api("firm1").get(f"/trips/{trip_id}").json()
    assert trip["stage"] == "registered", "gate entry counts only when both agencies confirmed"
    confirm(personas, "border.huunghi", trip_id, "gate_entry_border_guard")
    confirm(personas, "bql.huunghi", trip_id, "yard_entry")
    confirm(personas, "plant.huunghi", trip_id, "plant_quarantine", note="Đạt yêu cầu")
    confirm(personas, "bql.huunghi", trip_id, "fee_paid", receipt_number="BL-2026-000123")
    confirm(personas, "border.huunghi", trip_id, "yard_exit_border_guard")
    trip = confirm(personas, "customs.huunghi", trip_id, "yard_exit_customs")
    assert trip["stage"] == "left_yard"
    assert trip["outcome"] == "active", "finishing the paperwork is not leaving the gate"
    trip = confirm(personas, "bql.huunghi", trip_id, "left_gate")
    assert trip["stage"] == "left_gate"
    assert trip["outcome"] == "completed"
    assert trip["fee"]["receipt_number"] == "BL-2026-000123"
    names = [step["name"] for step in trip["timeline"]]
    assert names.index("gate_entry_border_guard") < names.index("gate_entry_customs") < names.index("yard_entry")
    assert audit.verify() == []


def test_full_import_lifecycle_with_quarantine_and_inland_chinese_truck(personas, submit):
    registration = submit(
        consignments=[consignment(items=[item(hs_code="02071400", description="Cánh gà đông lạnh")])],
        vehicles=[vehicle(plate="桂A·12345", journey="inland", permit_number="GX-VN-2026-0099",
                          driver={"name": "王伟", "identity_document": "E12345678", "phone": "+86 138 0013 8000"})],
    )
    trip_id = registration["trips"][0]["id"]
    assert registration["trips"][0]["plate"] == "桂A12345"
    personas.api("bql.huunghi").post(f"/registrations/{registration['id']}/confirm")
    trip = personas.api("firm1").get(f"/trips/{trip_id}").json()
    assert trip["fee"]["amount_vnd"] == 650_000  # agricultural 500,000 × 130 % inland
    states = timeline_states(trip)
    assert states["medical_quarantine"] == "pending"
    assert states["animal_quarantine"] == "pending"
    assert states["plant_quarantine"] == "not_required"

    confirm(personas, "border.huunghi", trip_id, "gate_entry_border_guard")
    confirm(personas, "customs.huunghi", trip_id, "gate_entry_customs")
    confirm(personas, "bql.huunghi", trip_id, "yard_entry")
    early = personas.api("customs.huunghi").post(f"/trips/{trip_id}/checkpoints/yard_exit_customs")
    assert early.status_code == 409
    assert early.json()["code"] == "prerequisites_missing"
    confirm(personas, "medical.huunghi", trip_id, "medical_quarantine")
    confirm(personas, "animal.huunghi", trip_id, "animal_quarantine")
    confirm(personas, "bql.huunghi", trip_id, "fee_paid", receipt_number="BL-1")
    confirm(personas, "customs.huunghi", trip_id, "yard_exit_customs")
    confirm(personas, "border.huunghi", trip_id, "yard_exit_border_guard")
    trip = confirm(personas, "bql.huunghi", trip_id, "left_gate")
    assert trip["outcome"] == "completed"
    # The truck is free again for a new trip.
    submit(vehicles=[vehicle(plate="桂A12345")])


def test_a_confirmations_answer_is_byte_for_byte_the_trip_as_read_afterwards(personas, submit):
    """The confirm answers from the rows it locked and renders them without ninja's second validation
    (crossings.reads builds TripOut's shape); GET /trips/{id} validates through TripOut. A field missing,
    renamed, reordered or formatted otherwise (a datetime's precision, a number as text) shows here."""
    registration = submit(consignments=[consignment(items=[item(hs_code="08106000", description="Sầu riêng tươi")])],
                          direction="export")
    trip_id = registration["trips"][0]["id"]
    board = personas.api("bql.huunghi")
    assert board.post(f"/registrations/{registration['id']}/confirm",
                      {"version": registration["version"]}).status_code == 200
    steps = [("customs.huunghi", "gate_entry_customs", {"note": "Lane 3 – làn số 3 «»"}),
             ("border.huunghi", "gate_entry_border_guard", {}),
             ("bql.huunghi", "yard_entry", {}),
             ("bql.huunghi", "fee_paid", {"receipt_number": "BL-2026-000777"})]
    for who, step, body in steps:
        answer = personas.api(who).post(f"/trips/{trip_id}/checkpoints/{step}", body or None)
        assert answer.status_code == 200, answer.json()
        assert answer["Content-Type"] == "application/json; charset=utf-8"
        as_read = personas.api(who).get(f"/trips/{trip_id}")
        assert answer.content == as_read.content, step
    assert answer.json()["fee"]["paid_at"] is not None
    assert {s["name"]: s["note"] for s in answer.json()["timeline"]}["gate_entry_customs"] == "Lane 3 – làn số 3 «»"


def test_a_confirmation_retried_with_its_key_answers_the_same_bytes(personas, submit):
    registration = submit()
    trip_id = registration["trips"][0]["id"]
    personas.api("bql.huunghi").post(f"/registrations/{registration['id']}/confirm",
                                     {"version": registration["version"]})
    customs = personas.api("customs.huunghi")
    first = customs.post(f"/trips/{trip_id}/checkpoints/gate_entry_customs", None, **{"Idempotency-Key": "k-1"})
    retry = customs.post(f"/trips/{trip_id}/checkpoints/gate_entry_customs", None, **{"Idempotency-Key": "k-1"})
    assert first.status_code == retry.status_code == 200
    assert first.content == retry.content == customs.get(f"/trips/{trip_id}").content
