"""Registering trucks: every field checked with its own message, then the registration as a whole."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.translation import gettext, override

from cuakhau.lib import codes, containers, people, plates
from declarations.models import Registration
from declarations.schemas import RegistrationIn
from declarations.services import check_registration
from gates.models import Closure, Gate
from gates.reference import load_reference_data
from tests.conftest import (
    FIRM2_TAX_CODE,
    FIRM3_TAX_CODE,
    consignment,
    item,
    make_enterprise,
    next_open_morning,
    registration_payload,
    vehicle,
)


def vi(message) -> str:  # type: ignore[no-untyped-def]
    """A message as a Vietnamese user reads it (the default language)."""
    with override("vi"):
        return gettext(str(message)) if isinstance(message, str) else str(message)


def errors_of(response) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 422, response.content.decode()
    body = response.json()
    assert body["code"] == "invalid"
    for field, messages in body["errors"].items():
        assert messages and all(isinstance(m, str) and m.strip() for m in messages), field
    return body["errors"]


def post(personas, **overrides):  # type: ignore[no-untyped-def]
    return personas.api("firm1").post("/registrations", registration_payload(**overrides))


def driver(**overrides):  # type: ignore[no-untyped-def]
    return {"name": "Nguyễn Văn An", "identity_document": "001089012345", "phone": "0912 345 678", **overrides}


# --- one message per field ------------------------------------------------------------------------

FIELD_CASES = [
    ("plate", dict(vehicles=[vehicle(plate="ABC-123")]), "vehicles.0.plate", plates.MSG_INVALID_PLATE),
    ("plate: province 00", dict(vehicles=[vehicle(plate="00C-123.45")]), "vehicles.0.plate",
     plates.MSG_INVALID_PLATE),
    ("trailer plate", dict(vehicles=[vehicle(trailer_plate="R-1")]), "vehicles.0.trailer_plate",
     plates.MSG_INVALID_PLATE),
    ("container format", dict(vehicles=[vehicle(container_number="CSQU305438")]), "vehicles.0.container_number",
     containers.MSG_INVALID_CONTAINER),
    ("container check digit", dict(vehicles=[vehicle(container_number="CSQU3054384")]),
     "vehicles.0.container_number", containers.MSG_CONTAINER_CHECK_DIGIT),
    ("fee payer tax code format", dict(fee_payer_tax_code="01012345"), "fee_payer_tax_code",
     codes.MSG_INVALID_VN_TAX_CODE),
    ("fee payer tax code check digit", dict(fee_payer_tax_code="0101234566"), "fee_payer_tax_code",
     codes.MSG_VN_TAX_CODE_CHECK_DIGIT),
    ("HS code length", dict(consignments=[consignment(items=[item(hs_code="8517624")])]),
     "consignments.0.items.0.hs_code", codes.MSG_INVALID_HS_CODE),
    ("HS chapter 77", dict(consignments=[consignment(items=[item(hs_code="77010000")])]),
     "consignments.0.items.0.hs_code", codes.MSG_INVALID_HS_CHAPTER),
    ("declaration number", dict(consignments=[consignment(declaration_number="10512345678")]),
     "consignments.0.declaration_number", codes.MSG_INVALID_DECLARATION_NUMBER),
    ("declaration type", dict(consignments=[consignment(declaration_type="11A")]),
     "consignments.0.declaration_type", codes.MSG_INVALID_DECLARATION_TYPE),
    ("phone", dict(vehicles=[vehicle(driver=driver(phone="0123"))]), "vehicles.0.driver.phone",
     people.MSG_INVALID_PHONE),
    ("identity document", dict(vehicles=[vehicle(driver=driver(identity_document="12-34"))]),
     "vehicles.0.driver.identity_document", people.MSG_INVALID_IDENTITY_DOCUMENT),
    ("Chinese resident ID check character",
     dict(vehicles=[vehicle(driver=driver(identity_document="11010519491231002A"))]),
     "vehicles.0.driver.identity_document", people.MSG_INVALID_IDENTITY_DOCUMENT),
    ("driver name", dict(vehicles=[vehicle(driver=driver(name="A"))]), "vehicles.0.driver.name",
     people.MSG_NAME_LENGTH),
]


@pytest.mark.parametrize("case, overrides, field, message", FIELD_CASES, ids=[c[0] for c in FIELD_CASES])
def test_a_wrong_field_gets_422_with_its_own_message_in_vietnamese(personas, case, overrides, field, message):
    errors = errors_of(post(personas, **overrides))
    assert list(errors) == [field]
    assert errors[field] == [vi(message)]
    assert Registration.objects.count() == 0


def test_every_wrong_field_is_reported_at_once(personas):
    errors = errors_of(post(personas, direction="smuggling", planned_arrival="tomorrow",
                            consignments=[consignment(declaration_number="1", items=[item(hs_code="12",
                                                                                          quantity="-1")])],
                            vehicles=[vehicle(plate="??", load_class="huge", container_number="X",
                                              driver=driver(phone="1"))]))
    assert {"direction", "planned_arrival", "consignments.0.declaration_number", "consignments.0.items.0.hs_code",
            "consignments.0.items.0.quantity", "vehicles.0.plate", "vehicles.0.load_class",
            "vehicles.0.container_number", "vehicles.0.driver.phone"} <= set(errors)


@pytest.mark.parametrize("missing", ["gate", "direction", "planned_arrival", "yard", "consignments", "vehicles"])
def test_a_missing_field_is_named(personas, missing):
    payload = registration_payload()
    del payload[missing]
    response = personas.api("firm1").post("/registrations", payload)
    with override("vi"):
        assert errors_of(response) == {missing: [gettext("This field is required.")]}
    assert "Trường này là bắt buộc." in errors_of(response)[missing]  # Django's own Vietnamese catalogue


@pytest.mark.parametrize("field", ["name", "identity_document", "phone"])
def test_a_missing_driver_field_is_named_with_its_path(personas, field):
    payload = registration_payload(vehicles=[vehicle(driver={k: v for k, v in driver().items() if k != field})])
    assert list(errors_of(personas.api("firm1").post("/registrations", payload))) == [f"vehicles.0.driver.{field}"]


def test_empty_lists_are_refused(personas):
    errors = errors_of(post(personas, consignments=[], vehicles=[]))
    assert set(errors) == {"consignments", "vehicles"}
    errors = errors_of(post(personas, consignments=[consignment(items=[])]))
    assert set(errors) == {"consignments.0.items"}


@pytest.mark.parametrize("written", ["29C-123.45", "29c12345", "29C 123.45", " 29C12345 "])
def test_plates_written_differently_are_one_truck(personas, written):
    first = post(personas, vehicles=[vehicle(plate="29C-123.45")])
    assert first.status_code == 201, first.json()
    assert first.json()["trips"][0]["plate"] == "29C12345"
    errors = errors_of(post(personas, vehicles=[vehicle(plate=written)]))
    with override("vi"):
        assert errors == {"vehicles.0.plate": [gettext("This truck is already on another open trip.")]}


def test_chinese_plates_with_and_without_the_interpunct_are_one_truck(personas):
    assert post(personas, vehicles=[vehicle(plate="桂A·12345")]).status_code == 201
    assert set(errors_of(post(personas, vehicles=[vehicle(plate="桂A12345")]))) == {"vehicles.0.plate"}


def test_values_are_stored_normalised(personas):
    response = post(personas, vehicles=[vehicle(plate="29c 123.45", container_number="csqu 305438-3",
                                                driver=driver(phone="0912.345.678"))],
                    consignments=[consignment(items=[item(hs_code="8517.62.49")])])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["trips"][0]["plate"] == "29C12345"
    assert body["consignments"][0]["items"][0]["hs_code"] == "85176249"
    trip = personas.api("firm1").get(f"/trips/{body['trips'][0]['id']}").json()
    assert trip["container_number"] == "CSQU3054383"
    assert trip["driver"]["phone"] == "+84912345678"


# --- the registration as a whole ------------------------------------------------------------------

def test_the_gate_must_be_open_at_the_planned_time(personas):
    errors = errors_of(post(personas, planned_arrival=next_open_morning(hour=22).isoformat()))
    assert list(errors) == ["planned_arrival"]
    with override("vi"):
        expected = gettext("The gate is closed at that time (open %(hours)s that day).") % {"hours": "07:00–19:00"}
    assert errors["planned_arrival"] == [expected]
    assert post(personas, planned_arrival=next_open_morning(hour=18).isoformat()).status_code == 201


def test_a_time_without_offset_is_vietnam_local_time(personas):
    naive_evening = next_open_morning(hour=20).replace(tzinfo=None).isoformat()
    assert list(errors_of(post(personas, planned_arrival=naive_evening))) == ["planned_arrival"]
    # 02:00 UTC is 09:00 in Lạng Sơn: open.
    utc_morning = next_open_morning(hour=9).astimezone(dt.UTC).isoformat()
    assert post(personas, planned_arrival=utc_morning).status_code == 201


def test_a_closure_such_as_tet_closes_the_gate_whatever_the_working_hours(personas):
    gate = Gate.objects.get(code="huu-nghi")
    start = next_open_morning(hour=0)
    Closure.objects.create(gate=gate, starts_at=start, ends_at=start + dt.timedelta(days=2), reason="Nghỉ Tết")
    assert list(errors_of(post(personas, planned_arrival=next_open_morning(hour=9).isoformat()))) == \
        ["planned_arrival"]
    # Another gate without the closure takes the truck.
    assert post(personas, gate="tan-thanh", yard="xuan-cuong").status_code == 201


def test_the_reference_tet_2027_closure_is_enforced(personas):
    load_reference_data()  # the tests' reference data leaves the sample closure out; a real load has it
    actor = personas.actor("firm1")
    tz = timezone.get_default_timezone()
    now = timezone.make_aware(dt.datetime(2027, 2, 1, 10, 0), tz)
    during_tet = registration_payload(planned_arrival=timezone.make_aware(dt.datetime(2027, 2, 6, 9, 0), tz))
    after_tet = registration_payload(planned_arrival=timezone.make_aware(dt.datetime(2027, 2, 10, 9, 0), tz))
    from cuakhau.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        check_registration(actor, RegistrationIn.model_validate(during_tet), now=now)
    assert list(caught.value.errors) == ["planned_arrival"]
    check_registration(actor, RegistrationIn.model_validate(after_tet), now=now)


def test_planned_arrival_in_the_past_or_too_far_ahead_is_refused(personas):
    assert list(errors_of(post(personas, planned_arrival=next_open_morning(days=-2).isoformat()))) == \
        ["planned_arrival"]
    assert list(errors_of(post(personas, planned_arrival=next_open_morning(days=60).isoformat()))) == \
        ["planned_arrival"]


def test_fresh_durian_may_not_be_exported_through_binh_nghi(personas):
    durian = [consignment(items=[item(hs_code="85176249"), item(hs_code="08106000", description="Sầu riêng tươi")])]
    errors = errors_of(post(personas, gate="binh-nghi", yard="binh-nghi", direction="export", consignments=durian))
    assert list(errors) == ["consignments.0.items.1.hs_code"]
    assert "Bình Nghi" in errors["consignments.0.items.1.hs_code"][0]
    # Through Hữu Nghị, a listed gate, the same goods pass.
    assert post(personas, direction="export", consignments=durian).status_code == 201


def test_a_protocol_binds_only_its_directions(personas):
    # Durian's protocol is for export: importing it through Bình Nghi is not restricted by it.
    durian = [consignment(items=[item(hs_code="08106000", description="Sầu riêng tươi")])]
    response = post(personas, gate="binh-nghi", yard="binh-nghi", direction="import", consignments=durian)
    assert response.status_code == 201, response.json()


def test_seafood_may_pass_coc_nam_but_not_binh_nghi(personas):
    shrimp = [consignment(items=[item(hs_code="03061700", description="Tôm đông lạnh")])]
    assert post(personas, gate="coc-nam", yard="coc-nam", consignments=shrimp).status_code == 201
    errors = errors_of(post(personas, gate="binh-nghi", yard="binh-nghi", consignments=shrimp,
                            vehicles=[vehicle(plate="12C-555.55")]))
    assert list(errors) == ["consignments.0.items.0.hs_code"]


def test_the_same_truck_may_not_be_on_two_open_trips(personas, submit):
    submit()
    errors = errors_of(post(personas))
    assert list(errors) == ["vehicles.0.plate"]
    # Another enterprise cannot book that truck either.
    response = personas.api("firm2").post("/registrations", registration_payload())
    assert list(errors_of(response)) == ["vehicles.0.plate"]


def test_the_same_truck_twice_in_one_registration_is_refused(personas):
    errors = errors_of(post(personas, vehicles=[vehicle(), vehicle(plate="12c 12345",
                                                                   driver=driver(identity_document="001089054321"))]))
    assert list(errors) == ["vehicles.1.plate"]
    with override("vi"):
        assert errors["vehicles.1.plate"] == [gettext("This truck is already listed as truck %(n)d.") % {"n": 1}]


def test_a_truck_is_free_again_once_its_trip_is_cancelled(personas, submit):
    registration = submit()
    cancel = personas.api("firm1").post(f"/trips/{registration['trips'][0]['id']}/cancel")
    assert cancel.status_code == 200, cancel.json()
    assert post(personas).status_code == 201


def test_the_yard_must_belong_to_the_gate(personas):
    errors = errors_of(post(personas, yard="xuan-cuong"))
    with override("vi"):
        assert errors == {"yard": [gettext("This yard does not belong to the chosen gate.")]}
    assert list(errors_of(post(personas, yard="no-such-yard"))) == ["yard"]


@pytest.mark.parametrize("gate", ["no-such-gate", "po-peo"])  # Pò Peo does not handle goods yet
def test_the_gate_must_exist_and_handle_goods(personas, gate):
    assert "gate" in errors_of(post(personas, gate=gate))


def test_the_fee_payer_must_be_registered_on_the_platform(personas):
    errors = errors_of(post(personas, fee_payer_tax_code=FIRM3_TAX_CODE))
    with override("vi"):
        assert errors == {"fee_payer_tax_code": [gettext(
            "No enterprise with this tax code is registered on the platform.")]}


def test_another_registered_enterprise_may_pay_the_fee(personas):
    personas.user("firm2")
    response = post(personas, fee_payer_tax_code=FIRM2_TAX_CODE)
    assert response.status_code == 201, response.json()
    assert response.json()["fee_payer_tax_code"] == FIRM2_TAX_CODE
    assert response.json()["declarant_tax_code"] != FIRM2_TAX_CODE


def test_a_chinese_enterprise_may_pay_the_fee_by_its_unified_social_credit_code(personas):
    errors = errors_of(post(personas, fee_payer_tax_code="91350100M000100Y43"))  # valid, but not on the platform
    assert list(errors) == ["fee_payer_tax_code"]
    errors = errors_of(post(personas, fee_payer_tax_code="91350100M000100Y44"))
    assert errors == {"fee_payer_tax_code": [vi(codes.MSG_CN_USCC_CHECK_CHARACTER)]}
    make_enterprise(tax_code="91440300708461136T", name="深圳市腾讯计算机系统有限公司", country="CN")
    response = post(personas, fee_payer_tax_code="91440300708461136t")
    assert response.status_code == 201, response.json()
    assert response.json()["fee_payer_tax_code"] == "91440300708461136T"


def test_a_chinese_truck_going_inland_needs_its_permit(personas):
    chinese = dict(plate="桂A·12345", journey="inland",
                   driver={"name": "王伟", "identity_document": "E12345678", "phone": "+86 138 0013 8000"})
    errors = errors_of(post(personas, vehicles=[vehicle(**chinese)]))
    with override("vi"):
        assert errors == {"vehicles.0.permit_number": [gettext(
            "A truck going inland needs its cross-border transport permit number.")]}
    assert post(personas, vehicles=[vehicle(**chinese, permit_number="GX-VN-2026-0099")]).status_code == 201


def test_only_a_chinese_truck_entering_vietnam_goes_inland_or_transships(personas):
    errors = errors_of(post(personas, vehicles=[vehicle(journey="transship")]))  # a Vietnamese truck
    assert list(errors) == ["vehicles.0.journey"]
    errors = errors_of(post(personas, direction="export",
                            vehicles=[vehicle(plate="桂A12345", journey="transship")]))
    assert list(errors) == ["vehicles.0.journey"]


def test_only_an_enterprise_declares(personas):
    response = personas.api("bql.huunghi").post("/registrations", registration_payload())
    assert response.status_code == 403
    assert Registration.objects.count() == 0


# --- numbering --------------------------------------------------------------------------------------

def test_the_number_is_date_gate_and_a_sequence_per_gate(personas):
    today = timezone.localdate().strftime("%Y%m%d")
    first = post(personas, vehicles=[vehicle(plate="12C-111.11")]).json()["number"]
    second = post(personas, vehicles=[vehicle(plate="12C-222.22")]).json()["number"]
    other_gate = post(personas, gate="tan-thanh", yard="bao-nguyen", vehicles=[vehicle(plate="12C-333.33")]).json()
    assert first == f"{today}-HUU-NGHI-0001"
    assert second == f"{today}-HUU-NGHI-0002"
    assert other_gate["number"] == f"{today}-TAN-THANH-0001"


def test_a_refused_registration_does_not_use_up_a_number(personas):
    today = timezone.localdate().strftime("%Y%m%d")
    errors_of(post(personas, yard="xuan-cuong"))
    assert post(personas).json()["number"] == f"{today}-HUU-NGHI-0001"


def test_a_known_truck_and_driver_are_updated_not_duplicated(personas, submit):
    """The truck is one row by plate: it keeps its owner and nationality, takes the declared load class.
    The driver is one row per enterprise and document: he takes the declared name and phone."""
    from enterprises.models import Driver, Vehicle

    first = submit()
    assert personas.api("firm1").post(f"/trips/{first['trips'][0]['id']}/cancel").status_code == 200
    again = submit(vehicles=[vehicle(plate="12c 123.45", load_class="10to18",
                                     driver={"name": "Nguyễn Văn Anh", "identity_document": "001089012345",
                                             "phone": "0988 000 111"})])
    assert again["trips"][0]["plate"] == first["trips"][0]["plate"] == "12C12345"
    truck = Vehicle.objects.get(plate="12C12345")
    assert (Vehicle.objects.count(), truck.load_class, truck.country) == (1, "10to18", "VN")
    assert truck.owner is not None and truck.owner.tax_code == personas.user("firm1").profile.enterprise.tax_code
    firm1_drivers = Driver.objects.filter(identity_document="001089012345")
    assert [(d.name, d.phone) for d in firm1_drivers] == [("Nguyễn Văn Anh", "+84988000111")]
    # Another enterprise's record of the same person is its own row.
    assert personas.api("firm1").post(f"/trips/{again['trips'][0]['id']}/cancel").status_code == 200
    assert personas.api("firm2").post("/registrations", registration_payload()).status_code == 201
    assert Driver.objects.filter(identity_document="001089012345").count() == 2
    assert Vehicle.objects.count() == 1
