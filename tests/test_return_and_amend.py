"""The board sends a registration back, the enterprise corrects it, the board decides; the enterprise withdraws."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils.translation import gettext, override

from crossings.models import AuditEvent, Trip
from declarations.models import Registration
from tests.conftest import consignment, item, next_open_morning, vehicle

REASON = "Số container không khớp với tờ khai hải quan, đề nghị kiểm tra lại."


def test_return_for_correction_then_resubmit_then_confirm(personas, submit):
    firm, board = personas.api("firm1"), personas.api("bql.huunghi")
    registration = submit()
    rid, trip_id = registration["id"], registration["trips"][0]["id"]

    returned = board.post(f"/registrations/{rid}/return", {"reason": REASON, "version": registration["version"]})
    assert returned.status_code == 200, returned.json()
    assert returned.json()["status"] == "returned"

    # The enterprise sees why, on the registration and its trip.
    seen = firm.get(f"/registrations/{rid}").json()
    assert seen["status"] == "returned"
    assert seen["return_reason"] == REASON
    assert seen["trips"][0]["outcome"] == "returned"
    # A returned registration cannot be confirmed before it is corrected.
    assert board.post(f"/registrations/{rid}/confirm").status_code == 409

    corrected = firm.patch(f"/registrations/{rid}", {"version": seen["version"],
                                                      "vehicles": [vehicle(container_number="MSCU1234566")]})
    assert corrected.status_code == 200, corrected.json()
    body = corrected.json()
    assert body["status"] == "submitted"
    assert body["version"] == seen["version"] + 1
    assert body["trips"][0]["id"] == trip_id, "the driver's ticket stays valid"
    assert body["trips"][0]["outcome"] == "active"
    assert firm.get(f"/trips/{trip_id}").json()["container_number"] == "MSCU1234566"

    confirmed = board.post(f"/registrations/{rid}/confirm", {"version": body["version"]})
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["return_reason"] == ""
    trip = firm.get(f"/trips/{trip_id}").json()
    assert trip["stage"] == "registered"
    assert {s["name"]: s["state"] for s in trip["timeline"]}["registration_confirmed"] == "confirmed"
    actions = list(AuditEvent.objects.filter(registration_number=registration["number"])
                   .values_list("action", flat=True))
    assert actions == ["registration.submitted", "registration.returned", "registration.amended",
                       "registration.confirmed"]


def test_returning_needs_a_reason(personas, submit):
    registration = submit()
    board = personas.api("bql.huunghi")
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        response = board.post(f"/registrations/{registration['id']}/return", body)
        assert response.status_code == 422, (body, response.json())
        assert list(response.json()["errors"]) == ["reason"]
        with override("vi"):
            assert response.json()["errors"]["reason"] == [gettext("Say what the enterprise must correct.")]
    assert Registration.objects.get(pk=registration["id"]).status == "submitted"


def test_rejecting_needs_a_reason_and_closes_every_trip(personas, submit):
    registration = submit(vehicles=[vehicle(), vehicle(plate="12C-999.99")])
    board = personas.api("bql.huunghi")
    assert board.post(f"/registrations/{registration['id']}/reject", {"reason": ""}).status_code == 422
    rejected = board.post(f"/registrations/{registration['id']}/reject", {"reason": "Hàng cấm nhập khẩu"})
    assert rejected.status_code == 200, rejected.json()
    body = personas.api("firm1").get(f"/registrations/{registration['id']}").json()
    assert body["status"] == "rejected"
    assert body["reject_reason"] == "Hàng cấm nhập khẩu"
    assert {t["outcome"] for t in body["trips"]} == {"rejected"}
    # Closed: no more amendment, no decision, and the trucks are free for a new registration.
    assert personas.api("firm1").patch(f"/registrations/{registration['id']}", {"version": body["version"]}
                                       ).status_code == 409
    assert board.post(f"/registrations/{registration['id']}/confirm").status_code == 409
    submit(vehicles=[vehicle(), vehicle(plate="12C-999.99")])


def test_a_returned_registration_can_be_rejected(personas, submit):
    registration = submit()
    board = personas.api("bql.huunghi")
    board.post(f"/registrations/{registration['id']}/return", {"reason": REASON})
    assert board.post(f"/registrations/{registration['id']}/reject", {"reason": "Quá hạn sửa"}).status_code == 200


def test_an_amendment_against_a_stale_version_gets_409(personas, submit):
    firm = personas.api("firm1")
    registration = submit()
    rid = registration["id"]
    first = firm.patch(f"/registrations/{rid}", {"version": 1, "planned_arrival": next_open_morning(hour=10)
                                                 .isoformat()})
    assert first.status_code == 200, first.json()
    stale = firm.patch(f"/registrations/{rid}", {"version": 1, "planned_arrival": next_open_morning(hour=11)
                                                 .isoformat()})
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_version"
    kept = firm.get(f"/registrations/{rid}").json()["planned_arrival"]
    assert dt.datetime.fromisoformat(kept) == next_open_morning(hour=10)


def test_a_decision_against_a_stale_version_gets_409(personas, submit):
    registration = submit()
    rid = registration["id"]
    personas.api("firm1").patch(f"/registrations/{rid}", {"version": 1, "yard": "huu-nghi-chuyen-tai"})
    response = personas.api("bql.huunghi").post(f"/registrations/{rid}/confirm", {"version": 1})
    assert response.status_code == 409
    assert Registration.objects.get(pk=rid).status == "submitted"


def test_an_amendment_is_validated_like_a_new_registration(personas, submit):
    registration = submit()
    rid = registration["id"]
    firm = personas.api("firm1")
    response = firm.patch(f"/registrations/{rid}", {"version": 1, "yard": "xuan-cuong"})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["yard"]
    response = firm.patch(f"/registrations/{rid}", {"version": 1, "vehicles": [vehicle(plate="29C-12")]})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["vehicles.0.plate"]
    late = firm.patch(f"/registrations/{rid}", {"version": 1, "planned_arrival": next_open_morning(hour=21)
                                                .isoformat()})
    assert list(late.json()["errors"]) == ["planned_arrival"]
    assert Registration.objects.get(pk=rid).version == 1, "a refused amendment changes nothing"


def test_an_amendment_keeps_the_trucks_own_trip_and_may_add_trucks(personas, submit):
    registration = submit()
    firm = personas.api("firm1")
    amended = firm.patch(f"/registrations/{registration['id']}", {
        "version": 1, "vehicles": [vehicle(), vehicle(plate="12C-888.88")]})
    assert amended.status_code == 200, amended.json()
    trips = amended.json()["trips"]
    assert [t["plate"] for t in trips] == ["12C12345", "12C88888"]
    assert trips[0]["id"] == registration["trips"][0]["id"]
    # Swapping positions does not clash with the truck's own open trip.
    swapped = firm.patch(f"/registrations/{registration['id']}", {
        "version": 2, "vehicles": [vehicle(plate="12C-888.88"), vehicle()]})
    assert swapped.status_code == 200, swapped.json()
    assert [t["plate"] for t in swapped.json()["trips"]] == ["12C88888", "12C12345"]


def test_an_amendment_may_not_take_a_truck_on_another_registrations_open_trip(personas, submit):
    submit(vehicles=[vehicle(plate="12C-777.77")])
    registration = submit()
    amended = personas.api("firm1").patch(f"/registrations/{registration['id']}", {
        "version": 1, "vehicles": [vehicle(), vehicle(plate="12C-888.88"), vehicle(plate="12c 77777")]})
    assert amended.status_code == 422, amended.json()
    assert list(amended.json()["errors"]) == ["vehicles.2.plate"], "its own truck and a free one are fine"
    with override("vi"):
        assert amended.json()["errors"]["vehicles.2.plate"] == [gettext("This truck is already on another open trip.")]

def test_changing_the_goods_changes_the_quarantine_needed(personas, submit):
    registration = submit()
    trip_id = registration["trips"][0]["id"]
    firm = personas.api("firm1")
    states = {s["name"]: s["state"] for s in firm.get(f"/trips/{trip_id}").json()["timeline"]}
    assert states["animal_quarantine"] == "not_required"
    firm.patch(f"/registrations/{registration['id']}", {"version": 1, "consignments": [
        consignment(items=[item(hs_code="02071400", description="Cánh gà đông lạnh")])]})
    states = {s["name"]: s["state"] for s in firm.get(f"/trips/{trip_id}").json()["timeline"]}
    assert states["animal_quarantine"] == "pending"


def test_a_confirmed_registration_can_no_longer_be_amended(personas, submit):
    registration = submit()
    personas.api("bql.huunghi").post(f"/registrations/{registration['id']}/confirm")
    response = personas.api("firm1").patch(f"/registrations/{registration['id']}", {"version": 2, "yard":
                                                                                     "huu-nghi-chuyen-tai"})
    assert response.status_code == 409
    assert response.json()["code"] == "not_amendable"


def test_a_cancelled_registration_can_no_longer_be_amended(personas, submit):
    registration = submit()
    firm = personas.api("firm1")
    cancelled = firm.post(f"/registrations/{registration['id']}/cancel")
    assert cancelled.status_code == 200
    response = firm.patch(f"/registrations/{registration['id']}", {"version": cancelled.json()["version"],
                                                                   "yard": "huu-nghi-chuyen-tai"})
    assert response.status_code == 409
    assert response.json()["code"] == "not_amendable"
    assert firm.get(f"/registrations/{registration['id']}").json()["yard"] == registration["yard"]


def confirm_gate_entry(personas, trip_id: int) -> None:
    for who, step in (("border.huunghi", "gate_entry_border_guard"), ("customs.huunghi", "gate_entry_customs")):
        response = personas.api(who).post(f"/trips/{trip_id}/checkpoints/{step}")
        assert response.status_code == 200, response.json()


def test_the_enterprise_cancels_before_gate_entry(personas, submit):
    registration = submit()
    personas.api("bql.huunghi").post(f"/registrations/{registration['id']}/confirm")
    response = personas.api("firm1").post(f"/registrations/{registration['id']}/cancel")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "cancelled"
    assert {t["outcome"] for t in response.json()["trips"]} == {"cancelled"}
    # A cancelled trip cannot be confirmed at the gate.
    trip_id = registration["trips"][0]["id"]
    assert personas.api("border.huunghi").post(f"/trips/{trip_id}/checkpoints/gate_entry_border_guard"
                                               ).status_code == 409
    assert personas.api("firm1").post(f"/registrations/{registration['id']}/cancel").status_code == 409


def test_the_enterprise_cannot_cancel_once_a_truck_has_entered_the_gate(personas, submit):
    registration = submit()
    personas.api("bql.huunghi").post(f"/registrations/{registration['id']}/confirm")
    trip_id = registration["trips"][0]["id"]
    personas.api("border.huunghi").post(f"/trips/{trip_id}/checkpoints/gate_entry_border_guard")
    response = personas.api("firm1").post(f"/registrations/{registration['id']}/cancel")
    assert response.status_code == 409
    assert response.json()["code"] == "already_entered"
    assert personas.api("firm1").post(f"/trips/{trip_id}/cancel").status_code == 409
    assert Registration.objects.get(pk=registration["id"]).status == "confirmed"
    assert Trip.objects.get(pk=trip_id).outcome == "active"


def test_cancelling_one_truck_keeps_the_others(personas, submit):
    registration = submit(vehicles=[vehicle(), vehicle(plate="12C-777.77")])
    personas.api("bql.huunghi").post(f"/registrations/{registration['id']}/confirm")
    first, second = (t["id"] for t in registration["trips"])
    confirm_gate_entry(personas, second)
    firm = personas.api("firm1")
    response = firm.post(f"/trips/{first}/cancel")
    assert response.status_code == 200, response.json()
    assert response.json()["outcome"] == "cancelled"
    assert firm.post(f"/trips/{first}/cancel").status_code == 409, "already cancelled"
    assert firm.post(f"/trips/{second}/cancel").status_code == 409, "already entered the gate"
    body = firm.get(f"/registrations/{registration['id']}").json()
    assert body["status"] == "confirmed"
    assert [t["outcome"] for t in body["trips"]] == ["cancelled", "active"]
    # The cancelled truck is free for a new registration.
    submit()


def test_cancelling_the_last_truck_cancels_the_registration(personas, submit):
    registration = submit()
    response = personas.api("firm1").post(f"/trips/{registration['trips'][0]['id']}/cancel")
    assert response.status_code == 200
    assert personas.api("firm1").get(f"/registrations/{registration['id']}").json()["status"] == "cancelled"


def test_amending_after_cancelling_one_truck_keeps_it_cancelled_and_free(personas, submit):
    registration = submit(vehicles=[vehicle(), vehicle(plate="12C-777.77", driver={
        "name": "Lê Văn Cường", "identity_document": "001089054321", "phone": "0987 654 321"})])
    firm = personas.api("firm1")
    cancelled, kept = (t["id"] for t in registration["trips"])
    assert firm.post(f"/trips/{cancelled}/cancel").status_code == 200
    # The cancelled truck is booked on another registration meanwhile.
    submit(gate="tan-thanh", yard="xuan-cuong")
    version = firm.get(f"/registrations/{registration['id']}").json()["version"]
    amended = firm.patch(f"/registrations/{registration['id']}", {"version": version, "yard": "huu-nghi-chuyen-tai"})
    assert amended.status_code == 200, amended.json()
    trips = {t["id"]: t for t in amended.json()["trips"]}
    assert trips[cancelled]["outcome"] == "cancelled"
    assert trips[kept]["outcome"] == "active"
    assert Trip.objects.get(pk=cancelled).is_open is False


def test_replacing_the_trucks_after_a_cancellation_keeps_the_remaining_trucks_ticket(personas, submit):
    second_truck = vehicle(plate="12C-777.77", driver={"name": "Lê Văn Cường", "identity_document": "001089054321",
                                                       "phone": "0987 654 321"})
    registration = submit(vehicles=[vehicle(), second_truck])
    firm = personas.api("firm1")
    cancelled, kept = (t["id"] for t in registration["trips"])
    token = Trip.objects.get(pk=kept).ticket_token
    firm.post(f"/trips/{cancelled}/cancel")
    version = firm.get(f"/registrations/{registration['id']}").json()["version"]
    amended = firm.patch(f"/registrations/{registration['id']}", {
        "version": version, "vehicles": [{**second_truck, "seal_number": "VN-0099"},
                                         vehicle(plate="12C-555.55")]})
    assert amended.status_code == 200, amended.json()
    active = [t for t in amended.json()["trips"] if t["outcome"] == "active"]
    assert [t["plate"] for t in active] == ["12C77777", "12C55555"]
    assert active[0]["id"] == kept
    assert Trip.objects.get(pk=kept).ticket_token == token, "the driver's QR code stays valid"
    assert Trip.objects.get(pk=kept).seal_number == "VN-0099"
    assert Trip.objects.get(pk=cancelled).outcome == "cancelled"
    assert Trip.objects.get(pk=cancelled).vehicle.plate == "12C12345"


def test_rejecting_leaves_a_truck_the_enterprise_cancelled_as_cancelled(personas, submit):
    registration = submit(vehicles=[vehicle(), vehicle(plate="12C-777.77")])
    cancelled = registration["trips"][0]["id"]
    personas.api("firm1").post(f"/trips/{cancelled}/cancel")
    rejected = personas.api("bql.huunghi").post(f"/registrations/{registration['id']}/reject", {"reason": "Hàng cấm"})
    assert rejected.status_code == 200
    assert [t["outcome"] for t in rejected.json()["trips"]] == ["cancelled", "rejected"]


def test_no_truck_enters_before_the_board_confirms_its_registration(personas, submit):
    registration = submit()
    trip_id = registration["trips"][0]["id"]
    border = personas.api("border.huunghi")
    waiting = border.post(f"/trips/{trip_id}/checkpoints/gate_entry_border_guard")
    assert waiting.status_code == 409
    assert waiting.json()["code"] == "registration_not_confirmed"
    personas.api("bql.huunghi").post(f"/registrations/{registration['id']}/return", {"reason": REASON})
    returned = border.post(f"/trips/{trip_id}/checkpoints/gate_entry_border_guard")
    assert returned.status_code == 409
    corrected = personas.api("firm1").patch(f"/registrations/{registration['id']}",
                                            {"version": 2, "yard": "huu-nghi-chuyen-tai"})
    assert corrected.status_code == 200
    assert border.post(f"/trips/{trip_id}/checkpoints/gate_entry_border_guard").status_code == 409
    personas.api("bql.huunghi").post(f"/registrations/{registration['id']}/confirm", {"version": 3})
    assert border.post(f"/trips/{trip_id}/checkpoints/gate_entry_border_guard").status_code == 200


@pytest.mark.parametrize(("actor", "action", "outcome"), [
    ("bql.huunghi", "return", "returned"),
    ("bql.huunghi", "reject", "rejected"),
    ("firm1", "cancel", "cancelled"),
])
def test_a_decision_on_the_registration_moves_the_version_of_every_truck_it_changes(personas, submit, actor,
                                                                                   action, outcome):
    """An API client that keeps a trip's version sees the trip sent back, rejected or cancelled with its registration,
    and a truck cancelled before keeps its version."""
    firm = personas.api("firm1")
    registration = submit(vehicles=[vehicle(), vehicle(plate="12C-777.77")])
    first, second = (t["id"] for t in registration["trips"])
    if action == "cancel":
        personas.api("bql.huunghi").post(f"/registrations/{registration['id']}/confirm")
        assert firm.post(f"/trips/{first}/cancel").status_code == 200
    before = {trip_id: firm.get(f"/trips/{trip_id}").json() for trip_id in (first, second)}
    changed_at = Trip.objects.get(pk=second).updated_at

    response = personas.api(actor).post(f"/registrations/{registration['id']}/{action}", {"reason": REASON})
    assert response.status_code == 200, response.json()

    after = {trip_id: firm.get(f"/trips/{trip_id}").json() for trip_id in (first, second)}
    assert after[second]["outcome"] == outcome
    assert after[second]["version"] == before[second]["version"] + 1
    assert Trip.objects.get(pk=second).updated_at > changed_at
    if action == "cancel":
        assert after[first] == before[first], "the truck cancelled before is not changed again"
    else:
        assert after[first]["version"] == before[first]["version"] + 1


def test_cancelling_a_truck_moves_its_version(personas, submit):
    firm = personas.api("firm1")
    registration = submit(vehicles=[vehicle(), vehicle(plate="12C-777.77")])
    trip_id = registration["trips"][0]["id"]
    before, changed_at = firm.get(f"/trips/{trip_id}").json(), Trip.objects.get(pk=trip_id).updated_at
    cancelled = firm.post(f"/trips/{trip_id}/cancel")
    assert cancelled.status_code == 200, cancelled.json()
    assert cancelled.json()["version"] == before["version"] + 1
    assert Trip.objects.get(pk=trip_id).updated_at > changed_at


SWAP = {"plate": "29C-987.65", "driver": {"name": "Lê Văn Cường", "identity_document": "001089999001",
                                          "phone": "0912 000 111"}}


@pytest.mark.parametrize("change", ["cancel one truck", "swap a truck"])
def test_an_amendment_read_before_a_truck_changed_is_refused_as_stale(personas, submit, change):
    """Cancelling or swapping a truck changes the registration: an amendment built on what was read before (say, by
    the enterprise's own ERP) must not silently bring the old truck back."""
    firm = personas.api("firm1")
    registration = submit(vehicles=[vehicle(), vehicle(plate="12C-777.77")])
    rid, first = registration["id"], registration["trips"][0]["id"]
    if change == "cancel one truck":
        assert firm.post(f"/trips/{first}/cancel").status_code == 200
    else:
        assert firm.post(f"/trips/{first}/swap", SWAP).status_code == 200
    stale = firm.patch(f"/registrations/{rid}", {"version": registration["version"],
                                                 "vehicles": [vehicle(), vehicle(plate="12C-777.77")]})
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_version"
    now = firm.get(f"/registrations/{rid}").json()
    assert now["version"] == registration["version"] + 1
    trips = {t["id"]: t for t in now["trips"]}
    if change == "cancel one truck":
        assert trips[first]["outcome"] == "cancelled"
    else:
        assert firm.get(f"/trips/{first}").json()["plate"] == "29C98765"
