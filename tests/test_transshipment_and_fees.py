"""Transshipment in the yard (sang tải) and the infrastructure fee of each trip."""

from __future__ import annotations

import pytest

from crossings.models import AuditEvent, TransshipmentVehicle
from fees.models import JourneyFactor, Tariff
from tests.conftest import consignment, item, vehicle

CHINESE_DRIVER = {"name": "王伟", "identity_document": "E12345678", "phone": "+86 138 0013 8000"}
RECEIVING = {"plate": "12C-456.78", "driver_name": "Trần Văn Bình", "driver_identity_document": "001090054321",
             "driver_phone": "0987 654 321"}


def chinese_truck(**overrides):  # type: ignore[no-untyped-def]
    return vehicle(plate="桂A·12345", driver=CHINESE_DRIVER, **overrides)


def confirm(personas, who: str, trip_id: int, step: str, **body):  # type: ignore[no-untyped-def]
    response = personas.api(who).post(f"/trips/{trip_id}/checkpoints/{step}", body or None)
    assert response.status_code == 200, (who, step, response.json())
    return response.json()


def into_the_yard(personas, registration: dict) -> None:
    confirmed = personas.api("bql.huunghi").post(f"/registrations/{registration['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.json()
    for trip in registration["trips"]:
        confirm(personas, "border.huunghi", trip["id"], "gate_entry_border_guard")
        confirm(personas, "customs.huunghi", trip["id"], "gate_entry_customs")
        confirm(personas, "bql.huunghi", trip["id"], "yard_entry")


def states(trip: dict) -> dict[str, str]:
    return {step["name"]: step["state"] for step in trip["timeline"]}


def test_a_chinese_truck_transships_to_vietnamese_trucks_in_the_yard(personas, submit):
    registration = submit(vehicles=[chinese_truck(journey="transship")])
    trip_id = registration["trips"][0]["id"]
    into_the_yard(personas, registration)
    firm, board = personas.api("firm1"), personas.api("bql.huunghi")
    trip = firm.get(f"/trips/{trip_id}").json()
    assert states(trip)["transshipment"] == "pending"
    assert trip["fee"]["percent"] == 30
    assert trip["fee"]["amount_vnd"] == 240_000  # general goods, ≥ 18 t: 800,000 × 30 %

    added = board.post(f"/trips/{trip_id}/receiving-vehicles", RECEIVING)
    assert added.status_code == 201, added.json()
    first = added.json()
    assert first["plate"] == "12C45678"
    assert first["entered_at"] is None
    second = board.post(f"/trips/{trip_id}/receiving-vehicles",
                        {**RECEIVING, "plate": "14C 111.22", "driver_name": "Lê Văn Cường"}).json()

    # Exit before entry is refused; entry and exit are recorded once each.
    assert board.post(f"/trips/{trip_id}/receiving-vehicles/{first['id']}/exited").status_code == 409
    entered = board.post(f"/trips/{trip_id}/receiving-vehicles/{first['id']}/entered")
    assert entered.status_code == 200, entered.json()
    assert entered.json()["entered_at"] is not None
    assert board.post(f"/trips/{trip_id}/receiving-vehicles/{first['id']}/entered").status_code == 409
    exited = board.post(f"/trips/{trip_id}/receiving-vehicles/{first['id']}/exited")
    assert exited.status_code == 200
    assert exited.json()["exited_at"] >= exited.json()["entered_at"]
    assert board.post(f"/trips/{trip_id}/receiving-vehicles/{first['id']}/teleported").status_code == 404

    trip = firm.get(f"/trips/{trip_id}").json()
    assert [(v["plate"], v["driver_name"]) for v in trip["receiving_vehicles"]] == [
        ("12C45678", "Trần Văn Bình"), ("14C11122", "Lê Văn Cường")]
    assert trip["receiving_vehicles"][0]["exited_at"] is not None
    assert trip["receiving_vehicles"][1]["entered_at"] is None
    assert second["id"] != first["id"]

    # The truck may not leave the yard until the transshipment is confirmed.
    confirm(personas, "medical.huunghi", trip_id, "medical_quarantine")
    confirm(personas, "bql.huunghi", trip_id, "fee_paid", receipt_number="BL-TS-1")
    early = personas.api("customs.huunghi").post(f"/trips/{trip_id}/checkpoints/yard_exit_customs")
    assert early.status_code == 409
    confirm(personas, "bql.huunghi", trip_id, "transshipment", note="Sang tải sang 2 xe")
    confirm(personas, "customs.huunghi", trip_id, "yard_exit_customs")
    confirm(personas, "border.huunghi", trip_id, "yard_exit_border_guard")
    assert confirm(personas, "bql.huunghi", trip_id, "left_gate")["outcome"] == "completed"
    actions = list(AuditEvent.objects.filter(trip_id_ref=trip_id, action__startswith="transshipment.")
                   .values_list("action", flat=True))
    assert actions == ["transshipment.vehicle_added", "transshipment.vehicle_added",
                       "transshipment.vehicle_entered", "transshipment.vehicle_exited"]


@pytest.mark.parametrize("plate", ["桂A·54321", "粤B12345"])
def test_a_receiving_truck_must_be_vietnamese(personas, submit, plate):
    registration = submit(vehicles=[chinese_truck(journey="transship")])
    into_the_yard(personas, registration)
    response = personas.api("bql.huunghi").post(f"/trips/{registration['trips'][0]['id']}/receiving-vehicles",
                                                {**RECEIVING, "plate": plate})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["plate"]
    assert TransshipmentVehicle.objects.count() == 0


def test_a_receiving_truck_is_validated_field_by_field(personas, submit):
    registration = submit(vehicles=[chinese_truck(journey="transship")])
    into_the_yard(personas, registration)
    response = personas.api("bql.huunghi").post(f"/trips/{registration['trips'][0]['id']}/receiving-vehicles", {
        "plate": "??", "driver_name": "", "driver_identity_document": "12", "driver_phone": "0"})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"plate", "driver_name", "driver_identity_document", "driver_phone"}
    missing = personas.api("bql.huunghi").post(f"/trips/{registration['trips'][0]['id']}/receiving-vehicles",
                                               {"plate": "12C-456.78"})
    assert missing.status_code == 422
    assert {"driver_name", "driver_identity_document", "driver_phone"} <= set(missing.json()["errors"])


def test_transshipment_is_required_only_for_a_transshipping_truck(personas, submit):
    registration = submit(vehicles=[chinese_truck(journey="inland", permit_number="GX-VN-2026-0099"),
                                    vehicle(plate="12C-999.99")])
    into_the_yard(personas, registration)
    for trip in registration["trips"]:
        detail = personas.api("firm1").get(f"/trips/{trip['id']}").json()
        assert states(detail)["transshipment"] == "not_required"
        step = next(s for s in detail["timeline"] if s["name"] == "transshipment")
        assert step["required"] is False
        response = personas.api("bql.huunghi").post(f"/trips/{trip['id']}/receiving-vehicles", RECEIVING)
        assert response.status_code == 409
        assert response.json()["code"] == "not_required"
        refused = personas.api("bql.huunghi").post(f"/trips/{trip['id']}/checkpoints/transshipment")
        assert refused.status_code == 409
        assert refused.json()["code"] == "not_required"


def test_only_the_board_records_receiving_trucks(personas, submit):
    registration = submit(vehicles=[chinese_truck(journey="transship")])
    into_the_yard(personas, registration)
    trip_id = registration["trips"][0]["id"]
    for who in ("customs.huunghi", "border.huunghi", "firm1"):
        assert personas.api(who).post(f"/trips/{trip_id}/receiving-vehicles", RECEIVING).status_code == 403, who
    assert personas.api("bql.tanthanh").post(f"/trips/{trip_id}/receiving-vehicles", RECEIVING).status_code == 404
    assert TransshipmentVehicle.objects.count() == 0


@pytest.mark.parametrize("action", ["add", "mark"])
def test_a_receiving_truck_is_not_recorded_on_a_trip_closed_a_moment_before(personas, submit, monkeypatch, action):
    """The trip is checked again under its lock: closed between the first check and the write (here, cancelled by
    another request at that very moment), nothing is recorded."""
    from crossings import services
    from crossings.models import Trip

    registration = submit(vehicles=[chinese_truck(journey="transship")])
    into_the_yard(personas, registration)
    trip_id = registration["trips"][0]["id"]
    board = personas.api("bql.huunghi")
    receiving = board.post(f"/trips/{trip_id}/receiving-vehicles", RECEIVING).json()
    checked_first = services._check_transshipment_officer

    def then_closed(actor, trip):  # type: ignore[no-untyped-def]
        checked_first(actor, trip)
        Trip.objects.filter(pk=trip.pk).update(outcome="cancelled", is_open=False)

    monkeypatch.setattr(services, "_check_transshipment_officer", then_closed)
    before = (TransshipmentVehicle.objects.count(), AuditEvent.objects.count())
    if action == "add":
        response = board.post(f"/trips/{trip_id}/receiving-vehicles", {**RECEIVING, "plate": "12C-456.79"})
    else:
        response = board.post(f"/trips/{trip_id}/receiving-vehicles/{receiving['id']}/entered")
    assert response.status_code == 409
    assert response.json()["code"] == "trip_closed"
    assert (TransshipmentVehicle.objects.count(), AuditEvent.objects.count()) == before
    assert TransshipmentVehicle.objects.get(pk=receiving["id"]).entered_at is None


# --- fees --------------------------------------------------------------------------------------------

ELECTRONICS = [consignment(items=[item(hs_code="85176249")])]
DURIAN = [consignment(items=[item(hs_code="08106000", description="Sầu riêng tươi")])]
MIXED = [consignment(items=[item(hs_code="08106000", description="Sầu riêng tươi"), item(hs_code="85176249")])]

FEE_CASES = [
    # id, direction, goods, vehicle overrides, goods type, tariff, percent, fee
    ("general standard", "import", ELECTRONICS, {}, "general", 800_000, 100, 800_000),
    ("general small truck", "export", ELECTRONICS, {"load_class": "lt4"}, "general", 150_000, 100, 150_000),
    ("agricultural", "export", DURIAN, {}, "agricultural", 500_000, 100, 500_000),
    ("mixed goods pay the general rate", "export", MIXED, {}, "general", 800_000, 100, 800_000),
    ("agricultural 40' container", "export", DURIAN, {"load_class": "c40"}, "agricultural", 700_000, 100, 700_000),
    ("general inland", "import", ELECTRONICS,
     {"plate": "桂A12345", "driver": CHINESE_DRIVER, "journey": "inland", "permit_number": "GX-1"},
     "general", 800_000, 130, 1_040_000),
    ("general transship", "import", ELECTRONICS, {"plate": "桂A12345", "driver": CHINESE_DRIVER,
                                                  "journey": "transship"}, "general", 800_000, 30, 240_000),
    ("agricultural transship 4-10 t", "import", DURIAN,
     {"plate": "桂A12345", "driver": CHINESE_DRIVER, "journey": "transship", "load_class": "4to10"},
     "agricultural", 200_000, 30, 60_000),
    ("re-export", "temp_import", ELECTRONICS, {}, "reexport_transit", 2_000_000, 100, 2_000_000),
    ("re-export inland 40'", "temp_import", ELECTRONICS,
     {"plate": "桂A12345", "driver": CHINESE_DRIVER, "journey": "inland", "permit_number": "GX-1",
      "load_class": "c40"}, "reexport_transit", 2_500_000, 130, 3_250_000),
    ("transit", "transit", DURIAN, {}, "reexport_transit", 2_000_000, 100, 2_000_000),
    ("border transshipment", "transshipment", ELECTRONICS, {"plate": "桂A12345", "driver": CHINESE_DRIVER,
                                                            "journey": "transship"},
     "reexport_transit", 2_000_000, 30, 600_000),
]


@pytest.mark.parametrize("case, direction, goods, overrides, goods_type, tariff, percent, fee", FEE_CASES,
                         ids=[c[0] for c in FEE_CASES])
def test_the_fee_is_the_tariff_times_the_journey_percent(personas, submit, case, direction, goods, overrides,
                                                          goods_type, tariff, percent, fee):
    registration = submit(direction=direction, consignments=goods, vehicles=[vehicle(**overrides)])
    confirmed = personas.api("bql.huunghi").post(f"/registrations/{registration['id']}/confirm")
    assert confirmed.json()["trips"][0]["fee_vnd"] == fee
    trip = personas.api("firm1").get(f"/trips/{registration['trips'][0]['id']}").json()
    assert trip["fee"] == {"goods_type": goods_type, "tariff_vnd": tariff, "percent": percent, "amount_vnd": fee,
                           "receipt_number": "", "paid_at": None}


def test_the_tariff_is_data_a_supervisor_can_change(personas, submit):
    Tariff.objects.filter(load_class="ge18", goods_type="general").update(amount_vnd=900_000)
    JourneyFactor.objects.filter(journey="inland").update(percent=150)
    registration = submit(vehicles=[chinese_truck(journey="inland", permit_number="GX-1")])
    confirmed = personas.api("bql.huunghi").post(f"/registrations/{registration['id']}/confirm").json()
    assert confirmed["trips"][0]["fee_vnd"] == 1_350_000


def test_no_fee_is_shown_before_the_registration_is_confirmed(personas, submit):
    registration = submit()
    assert registration["trips"][0]["fee_vnd"] is None
    assert personas.api("firm1").get(f"/trips/{registration['trips'][0]['id']}").json()["fee"] is None


def test_fee_paid_needs_a_receipt_number(personas, submit):
    registration = submit()
    into_the_yard(personas, registration)
    trip_id = registration["trips"][0]["id"]
    for body in (None, {"receipt_number": ""}, {"receipt_number": "   "}):
        response = personas.api("bql.huunghi").post(f"/trips/{trip_id}/checkpoints/fee_paid", body)
        assert response.status_code == 422, body
        assert list(response.json()["errors"]) == ["receipt_number"]
    trip = personas.api("firm1").get(f"/trips/{trip_id}").json()
    assert states(trip)["fee_paid"] == "pending"
    paid = confirm(personas, "bql.huunghi", trip_id, "fee_paid", receipt_number=" BL-2026-000777 ")
    assert paid["fee"]["receipt_number"] == "BL-2026-000777"
    assert paid["fee"]["paid_at"] is not None
    assert paid["stage"] == "paid"


def test_a_receipt_number_is_recorded_for_one_trip_only(personas, submit):
    registration = submit(vehicles=[vehicle(), vehicle(plate="12C-999.99")])
    into_the_yard(personas, registration)
    first, second = (t["id"] for t in registration["trips"])
    confirm(personas, "bql.huunghi", first, "fee_paid", receipt_number="BL-2026-000123")
    duplicate = personas.api("bql.huunghi").post(f"/trips/{second}/checkpoints/fee_paid",
                                                 {"receipt_number": "BL-2026-000123"})
    assert duplicate.status_code == 422, duplicate.json()
    assert list(duplicate.json()["errors"]) == ["receipt_number"]
    trip = personas.api("firm1").get(f"/trips/{second}").json()
    assert states(trip)["fee_paid"] == "pending", "the refused payment left nothing behind"
    assert trip["fee"]["receipt_number"] == ""
    assert not AuditEvent.objects.filter(trip_id_ref=second, checkpoint="fee_paid").exists()
    confirm(personas, "bql.huunghi", second, "fee_paid", receipt_number="BL-2026-000124")
