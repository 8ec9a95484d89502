"""The officer's gate console: find a truck in one search, confirm the step in one click."""

from __future__ import annotations

import re

from crossings import workflow as wf
from crossings.models import Checkpoint, CheckpointState


def state(trip_id: int, name: str) -> str:
    return Checkpoint.objects.get(trip_id=trip_id, name=name).state


def test_console_finds_a_truck_by_plate_in_any_writing(login, declared):
    registration = declared(confirm=True, vehicles=[{**_vehicle(), "plate": "29C12345"}])
    client = login("customs.huunghi")
    for query in ("29c-123.45", "29C12345", "29C 123.45"):
        response = client.get("/console/", {"q": query}, headers={"HX-Request": "true"})
        assert response.status_code == 200
        body = response.content.decode()
        assert "29C-123.45" in body, query
        assert registration.number in body
    assert registration.number in client.get("/console/", {"q": "29c-123.45"}).content.decode(), "without JS too"


def test_console_finds_a_chinese_truck_and_a_ticket_url(login, declared):
    registration = declared(confirm=True, vehicles=[{**_vehicle(), "plate": "桂A12345"}])
    trip = registration.trips.get()
    client = login("border.huunghi")
    assert "桂A·12345" in client.get("/console/", {"q": "桂A·12345"}, headers={"HX-Request": "true"}).content.decode()
    by_url = client.get("/console/", {"q": f"http://testserver/t/{trip.ticket_token}/"})
    assert registration.number in by_url.content.decode()
    by_token = client.get("/console/", {"q": trip.ticket_token}, headers={"HX-Request": "true"})
    assert registration.number in by_token.content.decode()


def test_confirm_with_one_htmx_post_returns_the_updated_fragment(login, declared):
    registration = declared(confirm=True, vehicles=[{**_vehicle(), "plate": "29C12345"}])
    trip = registration.trips.get()
    client = login("customs.huunghi")
    page = client.get("/console/", {"q": "29c-123.45"}).content.decode()
    url = f"/console/trips/{trip.pk}/confirm/gate_entry_customs/"
    assert url in page, "the step customs may confirm is offered"
    assert "/confirm/gate_entry_border_guard/" not in page, "another agency's step is not"

    response = client.post(url, {"note": "Làn 2"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = response.content.decode()
    assert "<html" not in fragment, "a fragment, not a page"
    assert f'id="truck-{trip.pk}"' in fragment
    assert response["HX-Trigger"] == "truckConfirmed"
    assert "đã xác nhận" in fragment.lower() or "confirmed" in fragment.lower()
    assert url not in fragment, "the confirmed step is no longer offered"
    assert state(trip.pk, "gate_entry_customs") == CheckpointState.CONFIRMED
    assert Checkpoint.objects.get(trip=trip, name="gate_entry_customs").note == "Làn 2"

    again = client.post(url, headers={"HX-Request": "true"})
    assert again.status_code == 409
    assert f'id="truck-{trip.pk}"' in again.content.decode()
    assert 'role="alert"' in again.content.decode()


def test_fee_paid_asks_the_receipt_number(login, declared):
    registration = declared(confirm=True)
    trip = registration.trips.get()
    for who, step in (("border.huunghi", "gate_entry_border_guard"), ("customs.huunghi", "gate_entry_customs"),
                      ("bql.huunghi", "yard_entry")):
        assert login(who).post(f"/console/trips/{trip.pk}/confirm/{step}/",
                               headers={"HX-Request": "true"}).status_code == 200
    board = login("bql.huunghi")
    page = board.get("/console/", {"q": trip.vehicle.plate}).content.decode()
    assert 'name="receipt_number"' in page
    assert "500.000 ₫" in page or "₫" in page
    missing = board.post(f"/console/trips/{trip.pk}/confirm/fee_paid/", headers={"HX-Request": "true"})
    assert missing.status_code == 422
    assert state(trip.pk, "fee_paid") == CheckpointState.PENDING
    paid = board.post(f"/console/trips/{trip.pk}/confirm/fee_paid/", {"receipt_number": "BL-1"},
                      headers={"HX-Request": "true"})
    assert paid.status_code == 200
    assert state(trip.pk, "fee_paid") == CheckpointState.CONFIRMED


def test_officer_sees_only_trucks_of_his_gate(login, declared):
    declared(confirm=True, vehicles=[{**_vehicle(), "plate": "29C12345"}])
    body = login("customs.tanthanh").get("/console/", {"q": "29C12345"}, headers={"HX-Request": "true"})
    assert "29C-123.45" not in body.content.decode()
    trip_id = Checkpoint.objects.first().trip_id
    assert login("customs.tanthanh").post(f"/console/trips/{trip_id}/confirm/gate_entry_customs/",
                                          headers={"HX-Request": "true"}).status_code == 404


def test_console_is_for_officers_only(login, client):
    assert login("firm1").get("/console/").status_code == 403
    assert client.get("/console/").status_code == 302


def test_waiting_list_shows_trucks_for_this_agency_oldest_first(login, declared):
    first = declared(confirm=True, vehicles=[{**_vehicle(), "plate": "29C11111"}])
    second = declared(confirm=True, vehicles=[{**_vehicle(), "plate": "29C22222"}])
    body = login("customs.huunghi").get("/console/waiting/").content.decode()
    assert body.index("29C-111.11") < body.index("29C-222.22")
    assert "29C-111.11" not in login("medical.huunghi").get("/console/waiting/").content.decode()
    assert first and second


def test_waiting_list_shows_the_first_fifty_and_more_on_request(login, declared):
    from tests.conftest import vehicle

    vehicles = [vehicle(plate=f"29C-{500 + i:03d}.{i:02d}", container_number="", seal_number="",
                        driver={"name": "Nguyễn Văn An", "identity_document": f"0010890{i:05d}",
                                "phone": "0912 345 678"}) for i in range(60)]
    declared(confirm=True, vehicles=vehicles)
    client = login("customs.huunghi")
    first = client.get("/console/waiting/", headers={"HX-Request": "true"}).content.decode()
    assert first.count('<td><a href="/console/?q=') == 50
    assert "29C-500.00" in first and "29C-559.59" not in first, "the longest-waiting first"
    assert "50 xe chờ lâu nhất trong tổng số 60 xe" in first
    assert 'hx-get="/console/waiting/?shown=100"' in first and "Xem thêm" in first

    more = client.get("/console/waiting/", {"shown": "100"}, headers={"HX-Request": "true"}).content.decode()
    assert more.count('<td><a href="/console/?q=') == 60
    assert "Xem thêm" not in more, "nothing more to show"
    assert 'id="waiting" hx-get="/console/waiting/?shown=100"' in more, "the refresh keeps all rows shown"
    without_js = client.get("/console/", {"shown": "100"}).content.decode()
    assert without_js.count('<td><a href="/console/?q=') == 60


def test_each_agency_sees_a_truck_in_its_waiting_list_once_its_step_is_ready(login, declared, personas):
    from crossings.services import do_confirm_checkpoint
    from tests.conftest import consignment, item

    fruit = consignment(items=[item(hs_code="08109050", description="Mít tươi")])
    trip = declared(confirm=True, consignments=[fruit], vehicles=[{**_vehicle(), "plate": "29C12345"}]).trips.get()

    def waiting(who: str) -> bool:
        return "29C-123.45" in login(who).get("/console/waiting/").content.decode()

    assert waiting("border.huunghi") and waiting("customs.huunghi")
    assert not waiting("bql.huunghi") and not waiting("plant.huunghi")
    do_confirm_checkpoint(personas.actor("border.huunghi"), trip.pk, "gate_entry_border_guard")
    assert not waiting("bql.huunghi"), "yard entry needs both gate entries"
    do_confirm_checkpoint(personas.actor("customs.huunghi"), trip.pk, "gate_entry_customs")
    assert waiting("bql.huunghi") and not waiting("plant.huunghi")
    do_confirm_checkpoint(personas.actor("bql.huunghi"), trip.pk, "yard_entry")
    assert waiting("plant.huunghi") and waiting("medical.huunghi") and waiting("bql.huunghi"), "fee, quarantines"
    assert not waiting("customs.huunghi"), "yard exit waits for the quarantines and the fee"


def test_board_returns_a_registration_for_correction_from_the_console(login, declared):
    registration = declared()
    board = login("bql.huunghi")
    page = board.get("/console/").content.decode()
    assert registration.number in page
    response = board.post(f"/registrations/{registration.pk}/return/", {"reason": "Sai số container",
                                                                        "version": registration.version},
                          headers={"HX-Request": "true"})
    assert response.status_code == 200
    registration.refresh_from_db()
    assert registration.status == "returned"
    assert registration.return_reason == "Sai số container"
    no_reason = board.post(f"/registrations/{registration.pk}/return/", {}, headers={"HX-Request": "true"})
    assert no_reason.status_code in (409, 422)


def _vehicle() -> dict:
    from tests.conftest import vehicle

    return vehicle()


def test_board_records_receiving_trucks_of_a_transshipment(login, declared, personas):
    from crossings.models import TransshipmentVehicle
    from crossings.services import do_confirm_checkpoint
    from tests.conftest import vehicle

    chinese = vehicle(plate="桂A·12345", journey="transship",
                      driver={"name": "王伟", "identity_document": "E12345678", "phone": "+86 138 0013 8000"})
    registration = declared(confirm=True, vehicles=[chinese])
    trip = registration.trips.get()
    for who, step in (("border.huunghi", "gate_entry_border_guard"), ("customs.huunghi", "gate_entry_customs"),
                      ("bql.huunghi", "yard_entry")):
        do_confirm_checkpoint(personas.actor(who), trip.pk, step)
    board = login("bql.huunghi")
    fragment = board.get("/console/", {"q": "桂A12345"}, headers={"HX-Request": "true"}).content.decode()
    assert f"/console/trips/{trip.pk}/receiving/" in fragment
    bad = board.post(f"/console/trips/{trip.pk}/receiving/", {"plate": "桂A·54321", "driver_name": "Lê Văn C",
                                                               "driver_identity_document": "001089099999",
                                                               "driver_phone": "0912000111"},
                     headers={"HX-Request": "true"})
    assert bad.status_code == 422, "a receiving truck must be Vietnamese"
    added = board.post(f"/console/trips/{trip.pk}/receiving/", {"plate": "29C-111.22", "driver_name": "Lê Văn C",
                                                                 "driver_identity_document": "001089099999",
                                                                 "driver_phone": "0912000111"},
                       headers={"HX-Request": "true"})
    assert added.status_code == 200
    receiving = TransshipmentVehicle.objects.get(trip=trip)
    assert "29C-111.22" in added.content.decode()
    entered = board.post(f"/console/trips/{trip.pk}/receiving/{receiving.pk}/entered/", headers={"HX-Request": "true"})
    assert entered.status_code == 200
    receiving.refresh_from_db()
    assert receiving.entered_at is not None
    assert login("customs.huunghi").post(f"/console/trips/{trip.pk}/receiving/{receiving.pk}/exited/",
                                         headers={"HX-Request": "true"}).status_code == 403


def test_back_button_restores_the_whole_console_page(login, declared):
    declared(confirm=True)
    client = login("customs.huunghi")
    restore = client.get("/console/", {"q": "12C12345"},
                         headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.content.decode()


def test_a_found_truck_comes_first_and_the_waiting_list_follows_in_its_own_request(login, declared):
    declared(confirm=True, vehicles=[{**_vehicle(), "plate": "29C11111"}])
    declared(confirm=True, vehicles=[{**_vehicle(), "plate": "29C22222"}])
    client = login("customs.huunghi")
    page = client.get("/console/", {"q": "29C11111"}).content.decode()
    assert "29C-111.11" in page, "the truck asked for"
    assert "29C-222.22" not in page, "the waiting list is not in the first answer"
    assert 'hx-get="/console/waiting/" hx-trigger="load, every 10s' in page
    assert "Đang tải danh sách xe chờ…" in page
    assert '<noscript><p><a href="/console/">Xem danh sách xe chờ</a>' in page, "without JavaScript: a link"
    waiting = client.get("/console/waiting/", headers={"HX-Request": "true"}).content.decode()
    assert "29C-111.11" in waiting and "29C-222.22" in waiting
    assert "29C-222.22" in client.get("/console/").content.decode(), "without a search the list is in the page"


def test_a_chinese_truck_in_the_waiting_list_links_to_its_search(login, declared):
    declared(confirm=True, vehicles=[{**_vehicle(), "plate": "桂A12345"}])
    client = login("border.huunghi")
    waiting = client.get("/console/waiting/", headers={"HX-Request": "true"}).content.decode()
    assert ">桂A·12345</a>" in waiting, "the plate as people write it"
    assert 'href="/console/?q=%E6%A1%82A12345"' in waiting, "the link searches for it, percent-encoded"
    found = client.get("/console/?q=%E6%A1%82A12345", headers={"HX-Request": "true"}).content.decode()
    assert "桂A·12345" in found


def test_the_timeline_lists_every_step_in_workflow_order_and_never_shows_a_skipped_check_as_passed(login, declared):
    registration = declared(confirm=True, vehicles=[{**_vehicle(), "plate": "29C12345"}])  # electronics, import
    trip = registration.trips.get()
    client = login("customs.huunghi")
    client.post(f"/console/trips/{trip.pk}/confirm/gate_entry_customs/")  # before the border guard's step
    page = client.get(f"/console/trips/{trip.pk}/").content.decode()
    shown = re.findall(r'<li class="state-(\w+)">\s*<span class="mark" aria-hidden="true">(.)</span>\s*'
                       r"<strong>[^<]*</strong> · ([^\n<]*)", page)
    states = dict(Checkpoint.objects.filter(trip=trip).values_list("name", "state"))
    expected = [step.name for step in wf.WORKFLOW if step.name in states]
    assert [state for state, _, _ in shown] == [states[name] for name in expected]
    by_name = dict(zip(expected, shown, strict=True))
    for name in ("plant_quarantine", "animal_quarantine"):  # no plant nor animal goods
        assert by_name[name] == ("not_required", "–", "Không yêu cầu"), name
    assert by_name["medical_quarantine"] == ("pending", "…", "Đang chờ")  # an import: medical quarantine applies
    assert by_name["gate_entry_customs"][:2] == ("confirmed", "✔")
    assert by_name["gate_entry_border_guard"][0] == "pending"
