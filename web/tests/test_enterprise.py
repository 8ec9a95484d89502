"""The enterprise's pages: trips by status, the registration form, the registration page, corrections."""

from __future__ import annotations

from typing import Any

from crossings.models import Outcome, Stage, Trip
from declarations.models import Registration
from tests.conftest import consignment, item, next_open_morning, registration_payload, vehicle
from web.forms import local_input_value
from web.helpers import nest


def flatten(data: Any, prefix: str = "") -> dict[str, str]:
    """The form fields a browser posts for a registration in the API's shape."""
    out: dict[str, str] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            out.update(flatten(value, f"{prefix}.{index}"))
    else:
        out[prefix] = str(data)
    return out


def form_data(**overrides: Any) -> dict[str, str]:
    payload = registration_payload(**overrides)
    payload["planned_arrival"] = local_input_value(next_open_morning())
    return flatten(payload)


def test_nest_compacts_rows_added_and_removed_in_the_browser():
    data = nest({"vehicles.1700000000001.plate": "B", "vehicles.3.plate": "A", "vehicles.3.driver.name": "An",
                 "consignments.0.items.9.hs_code": "1", "csrfmiddlewaretoken": "x"})
    assert data == {"vehicles": [{"plate": "A", "driver": {"name": "An"}}, {"plate": "B"}],
                    "consignments": [{"items": [{"hs_code": "1"}]}]}


def test_form_renders_for_an_enterprise_and_not_for_an_officer(login):
    response = login("firm1").get("/registrations/new/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="vehicles.0.plate"' in body
    assert 'name="consignments.0.items.0.hs_code"' in body
    assert "htmx.min.js" in body
    assert login("customs.huunghi").get("/registrations/new/").status_code == 403


def test_rows_are_added_in_place(login):
    client = login("firm1")
    vehicle_row = client.get("/registrations/new/vehicle/", {"n": "7"}, headers={"HX-Request": "true"})
    assert 'name="vehicles.7.plate"' in vehicle_row.content.decode()
    item_row = client.get("/registrations/new/item/", {"n": "5", "parent": "consignments.2"})
    assert 'name="consignments.2.items.5.hs_code"' in item_row.content.decode()
    consignment_row = client.get("/registrations/new/consignment/", {"n": "4"})
    assert 'name="consignments.4.items.0.hs_code"' in consignment_row.content.decode()
    assert client.get("/registrations/new/item/", {"parent": "../x"}).status_code == 404


def test_posting_a_valid_registration_submits_it(login):
    two_trucks = [vehicle(), vehicle(plate="29C-678.90", driver={"name": "Trần Văn Bình",
                                                                 "identity_document": "001089054321",
                                                                 "phone": "0987654321"})]
    data = form_data(vehicles=two_trucks)
    response = login("firm1").post("/registrations/new/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    registration = Registration.objects.get()
    assert response["Location"] == f"/registrations/{registration.pk}/"
    assert [t.vehicle.plate for t in registration.trips.order_by("position")] == ["12C12345", "29C67890"]
    page = login("firm1").get(response["Location"]).content.decode()
    assert registration.number in page
    assert "12C-123.45" in page and "29C-678.90" in page


def test_each_field_error_is_shown_next_to_its_input(login):
    data = form_data(vehicles=[vehicle(plate="ABC"), vehicle(plate="29C-678.90")],
                     consignments=[consignment(items=[item(), item(hs_code="12")])])
    response = login("firm1").post("/registrations/new/", data)
    assert response.status_code == 422
    body = response.content.decode()
    plate_input = body.index('name="vehicles.0.plate"')
    error = body.index('id="err-vehicles.0.plate"')
    assert plate_input < error < body.index('name="vehicles.0.load_class"'), "the plate's error is next to it"
    assert 'id="err-vehicles.1.plate"' not in body
    assert 'id="err-consignments.0.items.1.hs_code"' in body
    assert 'value="ABC"' in body, "what the user typed is kept"
    assert Registration.objects.count() == 0


def test_whole_registration_errors_come_back_per_field(login):
    nests = consignment(items=[item(hs_code="04109010", description="Tổ yến")])
    response = login("firm1").post("/registrations/new/", form_data(consignments=[nests], direction="export",
                                                                    gate="tan-thanh", yard="xuan-cuong"))
    assert response.status_code == 422
    assert 'id="err-consignments.0.items.0.hs_code"' in response.content.decode()


def test_live_check_warns_of_closed_gate_and_goods_not_permitted(login):
    client = login("firm1")
    night = next_open_morning().replace(hour=3)
    data = form_data(gate="tan-thanh", direction="export", yard="xuan-cuong",
                     consignments=[consignment(items=[item(hs_code="04109010")])])
    data["planned_arrival"] = local_input_value(night)
    response = client.post("/registrations/check/", data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('class="notice warning"') == 2, body
    assert "04109010" in body
    ok = client.post("/registrations/check/", form_data(), headers={"HX-Request": "true"})
    assert "notice" not in ok.content.decode()


def test_trips_list_filters_by_status_and_shows_only_own(login, declared):
    mine = declared()
    theirs = declared(as_="firm2", vehicles=[vehicle(plate="29C-999.99")])
    client = login("firm1")
    body = client.get("/trips/").content.decode()
    assert mine.number in body and theirs.number not in body
    assert mine.number in client.get("/trips/", {"status": "declared"}).content.decode()
    assert mine.number not in client.get("/trips/", {"status": "completed"}).content.decode()


def test_another_firms_registration_is_not_found(login, declared):
    theirs = declared(as_="firm2")
    client = login("firm1")
    assert client.get(f"/registrations/{theirs.pk}/").status_code == 404
    assert client.get(f"/registrations/{theirs.pk}/edit/").status_code == 404
    assert client.post(f"/registrations/{theirs.pk}/cancel/").status_code == 404
    assert client.post(f"/trips/{theirs.trips.get().pk}/cancel/").status_code == 404


def test_registration_page_shows_timeline_fee_and_return_reason(login, declared, personas):
    from declarations.services import do_return_registration

    registration = declared(confirm=True)
    body = login("firm1").get(f"/registrations/{registration.pk}/").content.decode()
    assert "500.000 ₫" in body or "₫" in body
    token = registration.trips.get().ticket_token
    assert f'<img src="/t/{token}/qr.svg"' in body, "the ticket's QR code, fetched when the ticket is opened"
    assert "bql.huunghi" in body, "who confirmed the registration"
    returned = declared(vehicles=[vehicle(plate="29C-555.55")])
    do_return_registration(personas.actor("bql.huunghi"), returned.pk, "Sai số niêm phong")
    body = login("firm1").get(f"/registrations/{returned.pk}/").content.decode()
    assert "Sai số niêm phong" in body
    assert f"/registrations/{returned.pk}/edit/" in body


def test_a_large_registration_shows_ten_trucks_then_more_on_request(login, declared):
    trucks = [vehicle(plate=f"29C-{700 + i:03d}.{i:02d}", container_number="", seal_number="",
                      driver={"name": "Nguyễn Văn An", "identity_document": f"0010890{i:05d}", "phone": "0912 345 678"})
              for i in range(12)]
    registration = declared(confirm=True, vehicles=trucks)
    ids = list(registration.trips.order_by("position").values_list("pk", flat=True))
    client = login("firm1")
    first = client.get(f"/registrations/{registration.pk}/").content.decode()
    assert first.count('<article class="truck"') == 10
    assert "29C-709.09" in first and "29C-710.10" not in first, "in truck order"
    assert "Đang hiển thị 10 trong số 12 xe." in first
    assert f'href="?trucks=20#truck-{ids[9]}"' in first, "more, back at the last truck seen"
    every = client.get(f"/registrations/{registration.pk}/", {"trucks": "20"}).content.decode()
    assert every.count('<article class="truck"') == 12
    assert "?trucks=" not in every, "nothing more to show"


def test_correct_and_resubmit(login, declared, personas):
    from declarations.services import do_return_registration

    registration = declared()
    do_return_registration(personas.actor("bql.huunghi"), registration.pk, "Sai biển số")
    registration.refresh_from_db()
    client = login("firm1")
    form = client.get(f"/registrations/{registration.pk}/edit/").content.decode()
    assert 'value="12C12345"' in form
    assert f'name="version" value="{registration.version}"' in form
    data = form_data(vehicles=[vehicle(plate="12C-543.21")])
    data["version"] = str(registration.version)
    response = client.post(f"/registrations/{registration.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    registration.refresh_from_db()
    assert registration.status == "submitted"
    assert registration.trips.get().vehicle.plate == "12C54321"
    stale = client.post(f"/registrations/{registration.pk}/edit/", data)
    assert stale.status_code == 409


def test_cancel_a_truck_and_the_registration(login, declared):
    registration = declared(vehicles=[vehicle(), vehicle(plate="29C-678.90")])
    client = login("firm1")
    first = registration.trips.order_by("position").first()
    assert client.post(f"/trips/{first.pk}/cancel/").status_code == 302
    first.refresh_from_db()
    assert first.outcome == Outcome.CANCELLED
    registration.refresh_from_db()
    response = client.post(f"/registrations/{registration.pk}/cancel/", {"version": registration.version})
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == "cancelled"
    again = client.post(f"/registrations/{registration.pk}/cancel/")
    assert again.status_code == 409


def test_home_sends_each_role_to_its_page(login, client, reference):
    assert login("firm1").get("/")["Location"] == "/trips/"
    assert login("customs.huunghi").get("/")["Location"] == "/console/"
    assert login("province").get("/")["Location"] == "/province/"
    assert client.get("/").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/favicon.ico")["Content-Type"] == "image/svg+xml", "no 404 in the browser console"


def test_no_cancel_button_once_the_truck_entered_and_no_edit_once_confirmed(login, declared, personas):
    from crossings.services import do_confirm_checkpoint

    registration = declared(confirm=True)
    trip = registration.trips.get()
    client = login("firm1")
    assert f"/trips/{trip.pk}/cancel/" in client.get(f"/registrations/{registration.pk}/").content.decode()
    do_confirm_checkpoint(personas.actor("customs.huunghi"), trip.pk, "gate_entry_customs")
    assert f"/trips/{trip.pk}/cancel/" not in client.get(f"/registrations/{registration.pk}/").content.decode()
    assert client.post(f"/trips/{trip.pk}/cancel/").status_code == 409
    assert client.get(f"/registrations/{registration.pk}/edit/").status_code == 409


def test_errors_without_an_input_are_listed_at_the_top(login, declared):
    registration = declared()
    data = form_data()
    data["version"] = "abc"
    response = login("firm1").post(f"/registrations/{registration.pk}/edit/", data)
    assert response.status_code == 422
    top = response.content.decode().split('id="regform"')[0]
    assert top.count("<li>") == 1, "the bad version is reported above the form"


def test_a_stage_lists_the_trucks_at_it_and_a_truck_that_left_the_gate_is_under_both_its_names(login, declared):
    done = declared(confirm=True)
    Trip.objects.filter(registration=done).update(stage=Stage.LEFT_GATE, outcome=Outcome.COMPLETED)  # as left_gate does
    waiting = declared(vehicles=[vehicle(plate="29C-999.99")])
    cancelled = declared(vehicles=[vehicle(plate="29C-888.88")])
    Trip.objects.filter(registration=cancelled).update(outcome=Outcome.CANCELLED)
    client = login("firm1")

    def listed(status: str) -> set[str]:
        body = client.get("/trips/", {"status": status}).content.decode()
        return {r.number for r in (done, waiting, cancelled) if r.number in body}

    assert listed(Stage.LEFT_GATE) == listed(Outcome.COMPLETED) == {done.number}
    assert listed(Stage.DECLARED) == {waiting.number}, "a cancelled truck is no longer waiting at 'declared'"
    assert listed(Outcome.CANCELLED) == {cancelled.number}
