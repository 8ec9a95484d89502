"""Who may do what: every role against every action, including reaching another firm's record by its id.

Records that a role may not see answer 404 (never revealing that they exist); records it sees but may
not change answer 403; no credentials answer 401.
"""

from __future__ import annotations

import pytest

from crossings import services as crossing_services
from crossings.models import AuditEvent, Checkpoint, TransshipmentVehicle
from declarations import services as declaration_services
from declarations.models import Registration
from tests.conftest import ApiClient, consignment, item, vehicle

HUU_NGHI = ["bql.huunghi", "customs.huunghi", "border.huunghi", "medical.huunghi", "plant.huunghi",
            "animal.huunghi"]
TAN_THANH = ["bql.tanthanh", "customs.tanthanh", "border.tanthanh", "medical.tanthanh", "plant.tanthanh",
             "animal.tanthanh"]
ROLES = ["firm1", "firm2", *HUU_NGHI, *TAN_THANH, "province", "admin", "anonymous"]
# Who sees firm1's registration at Hữu Nghị (and its trips).
SEES = frozenset({"firm1", *HUU_NGHI, "province", "admin"})


def client(personas, role: str) -> ApiClient:  # type: ignore[no-untyped-def]
    return ApiClient(None) if role == "anonymous" else personas.api(role)


def expected_status(role: str, allowed: set[str] | frozenset[str], ok: int = 200) -> int:
    if role in allowed:
        return ok
    if role == "anonymous":
        return 401
    if role not in SEES:
        return 404
    return 403


def confirmed_registration(personas, submit, **overrides):  # type: ignore[no-untyped-def]
    registration = submit(**overrides)
    declaration_services.do_confirm_registration(personas.actor("bql.huunghi"), registration["id"])
    return registration


# --- registrations -----------------------------------------------------------------------------------
#
# Each action is tried by every role on a fresh registration of firm1 at Hữu Nghị: the refusals first
# (they must change nothing), the allowed role last. A table of every (role, status) that differs from
# the expected one is the failure message.

def try_every_role(personas, allowed, call, ok: int = 200) -> dict[str, tuple[int, str]]:  # type: ignore[no-untyped-def]
    order = [r for r in ROLES if r not in allowed] + [r for r in ROLES if r in allowed]
    wrong = {}
    for role in order:
        response = call(client(personas, role), role)
        if response.status_code != expected_status(role, allowed, ok):
            wrong[role] = (response.status_code, response.content.decode()[:200])
    return wrong


def test_list_registrations(personas, submit):
    registration = submit()
    other = submit(as_="firm2", gate="tan-thanh", yard="xuan-cuong", vehicles=[vehicle(plate="14C-222.33")])
    for role in ROLES:
        response = client(personas, role).get("/registrations")
        if role == "anonymous":
            assert response.status_code == 401
            continue
        assert response.status_code == 200, role
        numbers = {r["number"] for r in response.json()}
        assert (registration["number"] in numbers) == (role in SEES), role
        assert (other["number"] in numbers) == (role in {"firm2", *TAN_THANH, "province", "admin"}), role


def test_get_registration(personas, submit):
    registration = submit()
    wrong = try_every_role(personas, SEES, lambda api, role: api.get(f"/registrations/{registration['id']}"))
    assert not wrong, wrong


def test_another_firm_reaching_a_registration_by_id_learns_nothing(personas, submit):
    registration = submit()
    mine = personas.api("firm2").get(f"/registrations/{registration['id']}")
    missing = personas.api("firm2").get("/registrations/987654")
    assert mine.status_code == missing.status_code == 404
    assert mine.json() == missing.json()


AMEND = {"version": 1, "yard": "huu-nghi-chuyen-tai"}


def test_amend_registration(personas, submit):
    registration = submit()

    def amend(api, role):  # type: ignore[no-untyped-def]
        response = api.patch(f"/registrations/{registration['id']}", AMEND)
        changed = Registration.objects.get(pk=registration["id"]).yard.code == "huu-nghi-chuyen-tai"
        assert changed == (role == "firm1"), role
        return response

    wrong = try_every_role(personas, {"firm1"}, amend)
    assert not wrong, wrong


DECISIONS = {
    "confirm": ({}, "confirmed"),
    "return": ({"reason": "Thiếu số seal"}, "returned"),
    "reject": ({"reason": "Hàng cấm"}, "rejected"),
}


@pytest.mark.parametrize("decision", list(DECISIONS))
def test_decide_on_a_registration(personas, submit, decision):
    """Only the management board of the registration's gate decides; the province supervisor only watches."""
    registration = submit()
    body, status_after = DECISIONS[decision]

    def decide(api, role):  # type: ignore[no-untyped-def]
        response = api.post(f"/registrations/{registration['id']}/{decision}", body)
        status = Registration.objects.get(pk=registration["id"]).status
        assert status == (status_after if role == "bql.huunghi" else "submitted"), role
        return response

    wrong = try_every_role(personas, {"bql.huunghi"}, decide)
    assert not wrong, wrong


def test_cancel_registration(personas, submit):
    registration = submit()

    def cancel(api, role):  # type: ignore[no-untyped-def]
        response = api.post(f"/registrations/{registration['id']}/cancel")
        status = Registration.objects.get(pk=registration["id"]).status
        assert status == ("cancelled" if role == "firm1" else "submitted"), role
        return response

    wrong = try_every_role(personas, {"firm1"}, cancel)
    assert not wrong, wrong


def test_the_board_of_another_gate_cannot_decide_even_knowing_the_id(personas, submit):
    registration = submit()
    for decision, (body, _) in DECISIONS.items():
        response = personas.api("bql.tanthanh").post(f"/registrations/{registration['id']}/{decision}", body)
        assert response.status_code == 404, decision
    assert Registration.objects.get(pk=registration["id"]).status == "submitted"


# --- trips -------------------------------------------------------------------------------------------

def test_list_trips(personas, submit):
    registration = confirmed_registration(personas, submit)
    other = submit(as_="firm2", gate="tan-thanh", yard="xuan-cuong", vehicles=[vehicle(plate="14C-222.33")])
    declaration_services.do_confirm_registration(personas.actor("bql.tanthanh"), other["id"])
    for role in ROLES:
        response = client(personas, role).get("/trips")
        if role == "anonymous":
            assert response.status_code == 401
            continue
        assert response.status_code == 200, role
        ids = {t["id"] for t in response.json()}
        assert (registration["trips"][0]["id"] in ids) == (role in SEES), role
        assert (other["trips"][0]["id"] in ids) == (role in {"firm2", *TAN_THANH, "province", "admin"}), role
        by_plate = client(personas, role).get("/trips?plate=12C-123.45").json()
        assert bool(by_plate) == (role in SEES), role


def test_the_province_supervisor_sees_trips_of_every_gate_of_the_province(personas, submit):
    huu_nghi = submit()
    tan_thanh = submit(as_="firm2", gate="tan-thanh", yard="bao-nguyen", vehicles=[vehicle(plate="14C-222.33")])
    # Móng Cái is in Quảng Ninh, not in Lạng Sơn: not the Lạng Sơn supervisor's.
    mong_cai = submit(as_="firm2", gate="mong-cai", yard="mong-cai", vehicles=[vehicle(plate="14C-333.44")])
    province = personas.api("province")
    gates = {t["gate"] for t in province.get("/trips").json()}
    assert gates == {"huu-nghi", "tan-thanh"}
    assert {t["plate"] for t in province.get("/trips?gate=tan-thanh").json()} == {"14C22233"}
    assert province.get("/trips?gate=mong-cai").json() == []
    for registration in (huu_nghi, tan_thanh):
        assert province.get(f"/trips/{registration['trips'][0]['id']}").status_code == 200
        assert province.get(f"/registrations/{registration['id']}").status_code == 200
    assert province.get(f"/trips/{mong_cai['trips'][0]['id']}").status_code == 404
    assert province.get(f"/registrations/{mong_cai['id']}").status_code == 404
    assert mong_cai["number"] not in {r["number"] for r in province.get("/registrations").json()}


def test_trips_are_found_by_their_status(personas, submit):
    confirmed = confirmed_registration(personas, submit)
    declared = submit(vehicles=[vehicle(plate="14C-222.33")])
    cancelled = submit(vehicles=[vehicle(plate="14C-333.44")])
    assert personas.api("firm1").post(f"/registrations/{cancelled['id']}/cancel").status_code == 200
    board = personas.api("bql.huunghi")

    def plates(status: str) -> set[str]:
        response = board.get(f"/trips?status={status}")
        assert response.status_code == 200, response.json()
        return {t["plate"] for t in response.json()}

    assert plates("registered") == {"12C12345"}
    assert plates("declared") == {"14C22233"}  # a stage: the trucks at it, not the ones cancelled there
    assert plates("cancelled") == {"14C33344"}  # an outcome
    assert plates("active") == {"12C12345", "14C22233"}
    assert confirmed["trips"][0]["id"] in {t["id"] for t in board.get("/trips?status=registered&gate=huu-nghi").json()}
    assert declared["number"] != confirmed["number"]


def test_get_trip(personas, submit):
    registration = confirmed_registration(personas, submit)
    trip_id = registration["trips"][0]["id"]
    wrong = try_every_role(personas, SEES, lambda api, role: api.get(f"/trips/{trip_id}"))
    assert not wrong, wrong


def test_cancel_trip(personas, submit):
    registration = confirmed_registration(personas, submit)
    trip_id = registration["trips"][0]["id"]

    def cancel(api, role):  # type: ignore[no-untyped-def]
        response = api.post(f"/trips/{trip_id}/cancel")
        outcome = Registration.objects.get(pk=registration["id"]).trips.get().outcome
        assert outcome == ("cancelled" if role == "firm1" else "active"), role
        return response

    wrong = try_every_role(personas, {"firm1"}, cancel)
    assert not wrong, wrong


RECEIVING = {"plate": "12C-456.78", "driver_name": "Trần Văn Bình", "driver_identity_document": "001090054321",
             "driver_phone": "0987 654 321"}
CHINESE_TRANSSHIPPING = vehicle(plate="桂A12345", journey="transship",
                                driver={"name": "王伟", "identity_document": "E12345678",
                                        "phone": "+86 138 0013 8000"})


def test_add_receiving_vehicle(personas, submit):
    registration = confirmed_registration(personas, submit, vehicles=[CHINESE_TRANSSHIPPING])
    trip_id = registration["trips"][0]["id"]

    def add(api, role):  # type: ignore[no-untyped-def]
        response = api.post(f"/trips/{trip_id}/receiving-vehicles", RECEIVING)
        assert TransshipmentVehicle.objects.count() == (1 if role == "bql.huunghi" else 0), role
        return response

    wrong = try_every_role(personas, {"bql.huunghi"}, add, ok=201)
    assert not wrong, wrong


def test_mark_receiving_vehicle(personas, submit):
    registration = confirmed_registration(personas, submit, vehicles=[CHINESE_TRANSSHIPPING])
    trip_id = registration["trips"][0]["id"]
    receiving = crossing_services.do_add_receiving_vehicle(personas.actor("bql.huunghi"), trip_id, **RECEIVING)

    def mark(api, role):  # type: ignore[no-untyped-def]
        response = api.post(f"/trips/{trip_id}/receiving-vehicles/{receiving.pk}/entered")
        receiving.refresh_from_db()
        assert (receiving.entered_at is not None) == (role == "bql.huunghi"), role
        return response

    wrong = try_every_role(personas, {"bql.huunghi"}, mark)
    assert not wrong, wrong


# --- checkpoints: each step, every role ------------------------------------------------------------

STEP_OWNER = {
    "gate_entry_border_guard": "border.huunghi",
    "gate_entry_customs": "customs.huunghi",
    "yard_entry": "bql.huunghi",
    "medical_quarantine": "medical.huunghi",
    "plant_quarantine": "plant.huunghi",
    "animal_quarantine": "animal.huunghi",
    "transshipment": "bql.huunghi",
    "fee_paid": "bql.huunghi",
    "yard_exit_customs": "customs.huunghi",
    "yard_exit_border_guard": "border.huunghi",
    "left_gate": "bql.huunghi",
}
# Chicken wings and durian on a Chinese truck that transships: every check is required.
EVERY_CHECK = dict(consignments=[consignment(items=[item(hs_code="02071400", description="Cánh gà đông lạnh"),
                                                    item(hs_code="08106000", description="Sầu riêng")])],
                   vehicles=[CHINESE_TRANSSHIPPING])


def body_for(step: str) -> dict[str, str]:
    return {"receipt_number": f"BL-{step}"} if step == "fee_paid" else {"note": "kiểm tra"}


@pytest.mark.parametrize("step", list(STEP_OWNER))
def test_only_the_owning_agency_of_that_gate_confirms_each_checkpoint(personas, submit, step):
    registration = confirmed_registration(personas, submit, **EVERY_CHECK)
    trip_id = registration["trips"][0]["id"]
    for earlier in list(STEP_OWNER)[:list(STEP_OWNER).index(step)]:
        crossing_services.do_confirm_checkpoint(personas.actor(STEP_OWNER[earlier]), trip_id, earlier,
                                                receipt_number=body_for(earlier).get("receipt_number", ""))
    owner = STEP_OWNER[step]

    def confirm(api, role):  # type: ignore[no-untyped-def]
        response = api.post(f"/trips/{trip_id}/checkpoints/{step}", body_for(step))
        state = Checkpoint.objects.get(trip_id=trip_id, name=step).state
        assert state == ("confirmed" if role == owner else "pending"), role
        return response

    wrong = try_every_role(personas, {owner}, confirm)
    assert not wrong, wrong
    checkpoint = Checkpoint.objects.get(trip_id=trip_id, name=step)
    assert checkpoint.state == "confirmed"
    assert checkpoint.confirmed_by.username == owner
    assert AuditEvent.objects.filter(trip_id_ref=trip_id, checkpoint=step).count() == 1


def test_an_officer_of_tan_thanh_cannot_confirm_at_huu_nghi_even_by_service_call(personas, submit):
    registration = confirmed_registration(personas, submit)
    trip_id = registration["trips"][0]["id"]
    from cuakhau.errors import ServiceError

    for role in ("border.tanthanh", "customs.tanthanh"):
        step = "gate_entry_border_guard" if role.startswith("border") else "gate_entry_customs"
        with pytest.raises(ServiceError) as caught:
            crossing_services.do_confirm_checkpoint(personas.actor(role), trip_id, step)
        assert caught.value.status in (403, 404)
    assert not Checkpoint.objects.filter(trip_id=trip_id, name__startswith="gate_entry", state="confirmed").exists()


def test_the_province_supervisor_confirms_no_checkpoint(personas, submit):
    registration = confirmed_registration(personas, submit)
    trip_id = registration["trips"][0]["id"]
    for step in ("gate_entry_border_guard", "gate_entry_customs"):
        crossing_services.do_confirm_checkpoint(personas.actor(STEP_OWNER[step]), trip_id, step)
    response = personas.api("province").post(f"/trips/{trip_id}/checkpoints/yard_entry")
    assert response.status_code == 403
    assert Checkpoint.objects.get(trip_id=trip_id, name="yard_entry").state == "pending"


# --- API keys ----------------------------------------------------------------------------------------

def test_create_api_key(personas):
    for role in ROLES:
        response = client(personas, role).post("/api-keys", {"name": f"ERP {role}"})
        expected = 201 if role in {"firm1", "firm2"} else 401 if role == "anonymous" else 403
        assert response.status_code == expected, (role, response.content)


def test_list_api_keys_shows_only_ones_own(personas):
    personas.api("firm1").post("/api-keys", {"name": "ERP firm1"})
    for role in ROLES:
        response = client(personas, role).get("/api-keys")
        if role == "anonymous":
            assert response.status_code == 401
            continue
        assert response.status_code == 200, role
        assert [k["name"] for k in response.json()] == (["ERP firm1"] if role == "firm1" else []), role


def test_another_firm_cannot_revoke_a_key_by_its_id(personas):
    key = personas.api("firm1").post("/api-keys", {"name": "ERP"}).json()
    assert personas.api("firm2").delete(f"/api-keys/{key['id']}").status_code == 404
    assert personas.api("customs.huunghi").delete(f"/api-keys/{key['id']}").status_code == 404
    assert ApiClient(None).delete(f"/api-keys/{key['id']}").status_code == 401
    assert ApiClient(None).get("/registrations", Authorization=f"Bearer {key['key']}").status_code == 200
