"""Drivers' ID and phone numbers: seen only by the declaring enterprise and the officers of that gate."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import IdempotencyRecord
from crossings import services as crossing_services
from crossings.models import AuditEvent, TransshipmentVehicle, Trip
from declarations import services as declaration_services
from enterprises.models import Driver
from tests.conftest import ApiClient, make_user, registration_payload, vehicle

ID_NUMBER = "001089012345"
PHONE = "+84912345678"
HUU_NGHI = ["bql.huunghi", "customs.huunghi", "border.huunghi", "medical.huunghi", "plant.huunghi",
            "animal.huunghi"]
TAN_THANH = ["bql.tanthanh", "customs.tanthanh", "border.tanthanh", "medical.tanthanh", "plant.tanthanh",
             "animal.tanthanh"]
RECEIVING = {"plate": "12C-456.78", "driver_name": "Trần Văn Bình", "driver_identity_document": "079090054321",
             "driver_phone": "0987 654 321"}


@pytest.fixture
def huu_nghi_trip(personas, submit) -> int:  # type: ignore[no-untyped-def]
    registration = submit(vehicles=[vehicle(plate="桂A12345", journey="transship",
                                            driver={"name": "Nguyễn Văn An", "identity_document": ID_NUMBER,
                                                    "phone": "0912 345 678"})])
    declaration_services.do_confirm_registration(personas.actor("bql.huunghi"), registration["id"])
    trip_id = registration["trips"][0]["id"]
    crossing_services.do_add_receiving_vehicle(personas.actor("bql.huunghi"), trip_id, **RECEIVING)
    return trip_id


def assert_hidden(text: str) -> None:
    for secret in (ID_NUMBER, PHONE, "0912345678", "912345678", "079090054321", "+84987654321", "987654321"):
        assert secret not in text, secret


@pytest.mark.parametrize("role", ["firm1", *HUU_NGHI])
def test_the_declaring_enterprise_and_the_officers_of_that_gate_see_id_and_phone(personas, huu_nghi_trip, role):
    trip = personas.api(role).get(f"/trips/{huu_nghi_trip}").json()
    assert trip["driver"]["identity_document"] == ID_NUMBER
    assert trip["driver"]["phone"] == PHONE
    assert trip["receiving_vehicles"][0]["driver_identity_document"] == "079090054321"
    assert trip["receiving_vehicles"][0]["driver_phone"] == "+84987654321"


@pytest.mark.parametrize("role", ["province", "admin"])
def test_the_province_supervisor_and_the_admin_see_them_masked(personas, huu_nghi_trip, role):
    response = personas.api(role).get(f"/trips/{huu_nghi_trip}")
    assert response.status_code == 200
    trip = response.json()
    assert trip["driver"]["name"] == "Nguyễn Văn An"
    assert trip["driver"]["identity_document"].endswith("345")
    assert "*" in trip["driver"]["identity_document"]
    assert "*" in trip["driver"]["phone"]
    assert "*" in trip["receiving_vehicles"][0]["driver_phone"]
    assert_hidden(response.content.decode())


@pytest.mark.parametrize("role", [*TAN_THANH, "firm2"])
def test_officers_of_another_gate_and_other_firms_never_get_them(personas, huu_nghi_trip, role):
    api = personas.api(role)
    detail = api.get(f"/trips/{huu_nghi_trip}")
    assert detail.status_code == 404
    listing = api.get("/trips")
    assert huu_nghi_trip not in {t["id"] for t in listing.json()}
    for response in (detail, listing, api.get("/trips?plate=桂A12345"), api.get("/registrations")):
        assert_hidden(response.content.decode())


def test_officers_of_tan_thanh_see_the_drivers_of_their_own_gate(personas, submit):
    registration = submit(gate="tan-thanh", yard="xuan-cuong")
    trip_id = registration["trips"][0]["id"]
    trip = personas.api("customs.tanthanh").get(f"/trips/{trip_id}").json()
    assert (trip["driver"]["identity_document"], trip["driver"]["phone"]) == (ID_NUMBER, PHONE)
    masked = personas.api("customs.huunghi").get(f"/trips/{trip_id}")
    assert masked.status_code == 404
    province = personas.api("province").get(f"/trips/{trip_id}")
    assert_hidden(province.content.decode())


@pytest.mark.parametrize("role", ["firm1", "bql.huunghi", "province", "admin"])
def test_lists_carry_no_personal_data_at_all(personas, huu_nghi_trip, role):
    api = personas.api(role)
    for path in ("/trips", "/registrations"):
        assert_hidden(api.get(path).content.decode())


BAD_PHONE = "0999 888 77"
BAD_ID = "110105194912310021"  # a Chinese resident ID with a wrong check character (X is right)


def test_a_rejected_phone_or_id_is_never_echoed_nor_logged(personas, caplog):
    caplog.set_level(logging.DEBUG)
    payload = registration_payload(vehicles=[vehicle(driver={"name": "Nguyễn Văn An", "identity_document": BAD_ID,
                                                             "phone": BAD_PHONE})])
    response = personas.api("firm1").post("/registrations", payload)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"vehicles.0.driver.phone", "vehicles.0.driver.identity_document"}
    body = response.content.decode()
    for secret in (BAD_PHONE, "099988877", BAD_ID, "11010519491231002"):
        assert secret not in body
        assert secret not in caplog.text


def test_a_rejected_phone_on_an_amendment_is_not_echoed(personas, submit):
    registration = submit()
    response = personas.api("firm1").patch(f"/registrations/{registration['id']}", {
        "version": 1, "vehicles": [vehicle(driver={"name": "Nguyễn Văn An", "identity_document": ID_NUMBER,
                                                   "phone": BAD_PHONE})]})
    assert response.status_code == 422
    assert BAD_PHONE not in response.content.decode()
    assert "099988877" not in response.content.decode()


def test_a_rejected_receiving_driver_is_not_echoed(personas, huu_nghi_trip):
    response = personas.api("bql.huunghi").post(f"/trips/{huu_nghi_trip}/receiving-vehicles", {
        **RECEIVING, "plate": "12C-777.77", "driver_identity_document": BAD_ID, "driver_phone": BAD_PHONE})
    assert response.status_code == 422
    text = response.content.decode()
    assert BAD_PHONE not in text
    assert BAD_ID not in text


def test_a_truck_conflict_does_not_reveal_the_other_firms_driver(personas, huu_nghi_trip):
    response = personas.api("firm2").post("/registrations", registration_payload(vehicles=[vehicle(plate="桂A12345")]))
    assert response.status_code == 422
    assert_hidden(response.content.decode())


def test_the_public_gate_pages_carry_no_personal_data(personas, huu_nghi_trip):
    anonymous = ApiClient(None)
    for path in ("/gates", "/gates/huu-nghi"):
        response = anonymous.get(path)
        assert response.status_code == 200
        assert_hidden(response.content.decode())


def test_the_django_admin_shows_them_masked(huu_nghi_trip):
    client = Client()
    client.force_login(make_user("root", superuser=True))
    trip = Trip.objects.select_related("registration", "driver").get(pk=huu_nghi_trip)
    receiving = TransshipmentVehicle.objects.get(trip=trip)
    pages = [reverse("admin:enterprises_driver_change", args=[trip.driver.pk]),
             reverse("admin:crossings_transshipmentvehicle_change", args=[receiving.pk]),
             reverse("admin:crossings_trip_change", args=[trip.pk]),
             reverse("admin:declarations_registration_change", args=[trip.registration.pk])]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_hidden(response.content.decode())
    driver_page = client.get(pages[0]).content.decode()
    assert "Nguyễn Văn An" in driver_page and "*" in driver_page
    # Staff find a driver by a number they already have (echoed in the search box): the list shows the name only.
    found = client.get(reverse("admin:enterprises_driver_changelist"), {"q": ID_NUMBER}).content.decode()
    start = found.index("<tbody>", found.index('id="result_list"'))
    rows = found[start:found.index("</tbody>", start)].replace(f"q%3D{ID_NUMBER}", "")  # links keep the query
    assert "Nguyễn Văn An" in rows
    assert_hidden(rows)
    assert client.get(reverse("admin:enterprises_driver_add")).status_code == 403  # drivers come from registrations


def test_the_admin_finds_a_driver_by_the_whole_id_only(huu_nghi_trip):
    """A search by part of the number would let staff read it out digit by digit from which drivers stay listed."""
    client = Client()
    client.force_login(make_user("root", superuser=True))
    changelist = reverse("admin:enterprises_driver_changelist")
    for part in ("001089", "08901", "9012"):  # parts of ID_NUMBER found nowhere else (the tax code has "2345")
        assert "Nguyễn Văn An" not in client.get(changelist, {"q": part}).content.decode(), part
    assert "Nguyễn Văn An" in client.get(changelist, {"q": ID_NUMBER}).content.decode()


def test_an_answer_kept_for_retries_is_not_shown_in_the_admin(personas, huu_nghi_trip):
    officer = personas.api("bql.huunghi")
    answer = officer.post(f"/trips/{huu_nghi_trip}/receiving-vehicles", {**RECEIVING, "plate": "12C-456.79"},
                          **{"Idempotency-Key": "yard-0001"})
    assert answer.status_code == 201 and answer.json()["driver_phone"] == "+84987654321", "its officer sees it"
    record = IdempotencyRecord.objects.get(key="yard-0001")
    client = Client()
    client.force_login(make_user("root", superuser=True))
    page = client.get(reverse("admin:accounts_idempotencyrecord_change", args=[record.pk]))
    assert page.status_code == 200 and "yard-0001" in page.content.decode()
    assert_hidden(page.content.decode())


def test_renaming_a_driver_in_the_admin_keeps_the_id_and_phone(huu_nghi_trip):
    client = Client()
    client.force_login(make_user("root", superuser=True))
    driver = Trip.objects.get(pk=huu_nghi_trip).driver
    response = client.post(reverse("admin:enterprises_driver_change", args=[driver.pk]),
                           {"name": "Nguyễn Văn Ân", "enterprise": driver.enterprise_id})
    assert response.status_code == 302, response.content.decode()[:2000]
    renamed = Driver.objects.get(pk=driver.pk)
    assert renamed.name == "Nguyễn Văn Ân"
    assert (renamed.identity_document, renamed.phone) == (driver.identity_document, driver.phone) == (ID_NUMBER, PHONE)


def test_a_whole_crossing_leaves_no_id_or_phone_in_the_logs_or_the_audit_trail(personas, submit, caplog):
    caplog.set_level(logging.DEBUG)
    registration = submit(vehicles=[vehicle(plate="桂A12345", journey="transship",
                                            driver={"name": "Nguyễn Văn An", "identity_document": ID_NUMBER,
                                                    "phone": "0912 345 678"})])
    assert personas.api("bql.huunghi").post(f"/registrations/{registration['id']}/confirm").status_code == 200
    trip_id = registration["trips"][0]["id"]
    for role, step in (("border.huunghi", "gate_entry_border_guard"), ("customs.huunghi", "gate_entry_customs"),
                       ("bql.huunghi", "yard_entry")):
        assert personas.api(role).post(f"/trips/{trip_id}/checkpoints/{step}").status_code == 200
    added = personas.api("bql.huunghi").post(f"/trips/{trip_id}/receiving-vehicles", RECEIVING)
    assert added.status_code in (200, 201), added.json()
    events = list(AuditEvent.objects.values())
    assert len(events) >= 5
    assert_hidden(json.dumps(events, default=str, ensure_ascii=False))
    assert_hidden(caplog.text)
