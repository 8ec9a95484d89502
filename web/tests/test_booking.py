"""Booking an arrival hour from the registration page, as the enterprise's clerk does it."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from crossings.models import Trip
from queueing import services
from queueing.models import Booking, BookingStatus, HourSlot
from queueing.tests.conftest import local

HTMX = {"HX-Request": "true"}


def page(client, trip: Trip) -> str:
    response = client.get(f"/registrations/{trip.registration_id}/")
    assert response.status_code == 200
    return response.content.decode()


def panel(body: str, trip: Trip) -> str:
    """The booking panel of one truck on the page."""
    start = body.index(f'id="booking-{trip.pk}"')
    return body[start:body.index("</section>\n</section>", start) if "</section>\n</section>" in body[start:]
                else len(body)]


def places_offered(html: str, hour) -> int | None:  # type: ignore[no-untyped-def]
    """The free places shown for an hour in the choice list (None if the hour is not offered)."""
    value = hour.strftime("%Y-%m-%dT%H:%M")
    found = re.search(rf'<option value="{value}">[^<]*· \D*(\d+)\D*</option>', html)
    return int(found.group(1)) if found else None


def test_the_page_says_not_booked_and_offers_the_free_hours_of_the_gate(slot_gate, login, confirmed_trips):
    trip = confirmed_trips(1)[0]
    body = page(login("firm1"), trip)
    assert "Chưa đặt khung giờ đến." in body
    # 60 import places at 09:00, 20 % held for perishable goods: 48 for this truck.
    assert places_offered(body, local(1, 9)) == 48
    assert places_offered(body, local(1, 3)) is None, "the gate is closed at night"


def test_booking_moving_and_cancelling_through_the_page_changes_the_free_places(slot_gate, login,
                                                                                confirmed_trips):
    first, second = confirmed_trips(2)
    client = login("firm1")
    response = client.post(f"/trips/{first.pk}/booking/", {"hour_start": local(1, 9).strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    assert response["Location"] == f"/registrations/{first.registration_id}/#booking-{first.pk}"
    body = page(client, first)
    assert local(1, 9).strftime("%d/%m/%Y 09:00") in body and "Chưa đặt khung giờ đến." in body  # second truck
    assert places_offered(panel(body, second), local(1, 9)) == 47

    booking = Booking.objects.get(trip=first)
    moved = client.post(f"/trips/{first.pk}/booking/move/", {
        "hour_start": local(1, 11).strftime("%Y-%m-%dT%H:%M"), "version": booking.version}, headers=HTMX)
    assert moved.status_code == 200
    assert local(1, 11).strftime("%d/%m/%Y 11:00") in moved.content.decode()
    body = page(client, first)
    assert places_offered(panel(body, second), local(1, 9)) == 48
    assert places_offered(panel(body, second), local(1, 11)) == 47

    stale = client.post(f"/trips/{first.pk}/booking/move/", {
        "hour_start": local(1, 12).strftime("%Y-%m-%dT%H:%M"), "version": booking.version}, headers=HTMX)
    assert stale.status_code == 409
    assert "Lượt đặt chỗ vừa bị thay đổi" in stale.content.decode()
    assert HourSlot.objects.get(hour_start=local(1, 11)).booked == 1, "nothing changed"

    cancelled = client.post(f"/trips/{first.pk}/booking/cancel/", headers=HTMX)
    assert cancelled.status_code == 200
    html = cancelled.content.decode()
    assert "Đã hủy" in html and "/booking/move/" not in html and "Đặt khung giờ này" in html, "book again"
    # The truck's timeline is refreshed with it: the "arrival hour booked" step is pending again.
    assert f'id="timeline-{first.pk}" hx-swap-oob="true"' in html
    assert re.search(r'class="state-pending">\s*<span[^>]*>[^<]*</span>\s*<strong>Đã đặt khung giờ đến</strong>', html)
    assert HourSlot.objects.get(hour_start=local(1, 11)).booked == 0
    assert places_offered(panel(page(client, first), second), local(1, 11)) == 48
    # A move from a page left open in another tab: said in the panel, which offers booking again.
    late = client.post(f"/trips/{first.pk}/booking/move/", {
        "hour_start": local(1, 12).strftime("%Y-%m-%dT%H:%M"), "version": "3"}, headers=HTMX)
    assert late.status_code == 404
    assert f'id="booking-{first.pk}"' in late.content.decode() and "Đặt khung giờ này" in late.content.decode()


def test_a_full_hour_is_refused_next_to_the_control_with_the_next_free_hours(slot_gate, login, confirmed_trips):
    trip = confirmed_trips(1)[0]
    slot = services.ensure_slot(slot_gate, "import", local(1, 9))
    HourSlot.objects.filter(pk=slot.pk).update(booked=slot.capacity)
    response = login("firm1").post(f"/trips/{trip.pk}/booking/", {
        "hour_start": local(1, 9).strftime("%Y-%m-%dT%H:%M")}, headers=HTMX)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Khung giờ này đã kín chỗ." in html
    assert f'name="hour_start" value="{local(1, 10).strftime("%Y-%m-%dT%H:%M")}"' in html, "the next free hour"
    assert not Booking.objects.filter(trip=trip).exists()


def test_without_javascript_an_error_comes_back_on_the_page(slot_gate, login, confirmed_trips):
    trip = confirmed_trips(1)[0]
    client = login("firm1")
    response = client.post(f"/trips/{trip.pk}/booking/", {"hour_start": "not a time"}, follow=True)
    assert response.status_code == 200
    assert "Chọn khung giờ đến." in response.content.decode()


def test_only_the_declaring_enterprise_sees_and_uses_the_controls(slot_gate, login, personas, confirmed_trips):
    trip = confirmed_trips(1)[0]
    services.do_book(personas.actor("firm1"), trip.pk, local(1, 9))
    hour = {"hour_start": local(1, 10).strftime("%Y-%m-%dT%H:%M"), "version": "1"}
    for url in (f"/trips/{trip.pk}/booking/", f"/trips/{trip.pk}/booking/move/",
                f"/trips/{trip.pk}/booking/cancel/", f"/trips/{trip.pk}/swap/"):
        assert login("firm2").post(url, hour).status_code == 404, url
        assert login("firm2").post(url, hour, headers=HTMX).status_code == 404, url
        assert login("customs.huunghi").post(url, hour).status_code == 403, url
    assert Booking.objects.get(trip=trip).status == BookingStatus.BOOKED
    officer_page = page(login("bql.huunghi"), trip)
    assert local(1, 9).strftime("%d/%m/%Y 09:00") in officer_page
    assert "/booking/cancel/" not in officer_page and 'name="hour_start"' not in officer_page



def test_swapping_the_truck_keeps_the_booking_until_the_hour_starts(slot_gate, login, personas, confirmed_trips):
    trip = confirmed_trips(1)[0]
    booking = services.do_book(personas.actor("firm1"), trip.pk, local(1, 9))
    client = login("firm1")
    new_truck = {"plate": "29C-555.66", "driver_name": "Lê Văn Cường", "driver_identity_document": "001089077777",
                 "driver_phone": "0988 777 666"}
    bad = client.post(f"/trips/{trip.pk}/swap/", {**new_truck, "plate": "ABC"}, headers=HTMX)
    assert bad.status_code == 422
    assert "Biển số" in bad.content.decode() and 'value="ABC"' in bad.content.decode(), "typed values kept"
    response = client.post(f"/trips/{trip.pk}/swap/", new_truck, headers=HTMX)
    assert response.status_code == 200 and response["HX-Refresh"] == "true"
    trip.refresh_from_db()
    assert trip.vehicle.plate == "29C55566" and trip.driver.name == "Lê Văn Cường"
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.BOOKED
    assert "29C-555.66" in page(client, trip)

    HourSlot.objects.filter(pk=booking.slot_id).update(hour_start=timezone.now() - dt.timedelta(minutes=10))
    assert "/swap/" not in page(client, trip), "no swap control once the hour has started"
    late = client.post(f"/trips/{trip.pk}/swap/", {**new_truck, "plate": "29C-555.67"}, headers=HTMX)
    assert late.status_code == 409
    assert "Khung giờ đã đặt đã bắt đầu; không thể đổi xe nữa." in late.content.decode()


def test_the_registration_form_warns_of_a_full_hour_and_offers_the_next_free_ones(slot_gate, login):
    from web.tests.test_enterprise import form_data

    client = login("firm1")
    data = {**form_data(), "planned_arrival": local(1, 9).strftime("%Y-%m-%dT%H:%M")}
    free = client.post("/registrations/check/", data, headers=HTMX).content.decode()
    assert "48" in free and "kín chỗ" not in free
    slot = services.ensure_slot(slot_gate, "import", local(1, 9))
    HourSlot.objects.filter(pk=slot.pk).update(booked=slot.capacity)
    full = client.post("/registrations/check/", data, headers=HTMX).content.decode()
    assert "Khung giờ này đã kín chỗ." in full
    assert f'data-arrival="{local(1, 10).strftime("%Y-%m-%dT%H:%M")}"' in full, "the next free hour, clickable"
    assert "getElementById('f-arrival')" in full
    # Perishable goods: the places held for the green lane are theirs, but a booked-out hour is full for all.
    mango = {**data, "consignments.0.items.0.hs_code": "08045020"}
    assert "Khung giờ này đã kín chỗ." in client.post("/registrations/check/", mango, headers=HTMX).content.decode()
    HourSlot.objects.filter(pk=slot.pk).update(booked=slot.capacity - slot.reserved, reserved=slot.reserved)
    assert "kín chỗ" in client.post("/registrations/check/", data, headers=HTMX).content.decode()
    assert "kín chỗ" not in client.post("/registrations/check/", mango, headers=HTMX).content.decode()


def _called_forward(personas, confirmed_trips):  # type: ignore[no-untyped-def]
    from queueing import timers
    from queueing.tests.conftest import TOMATO, enter_gate

    trip = confirmed_trips(1, hs_code=TOMATO)[0]
    services.do_book(personas.actor("firm1"), trip.pk, local(1, 9))
    enter_gate(personas, trip)
    timers.call_forward()
    return trip


def test_the_ticket_shows_the_call_forward_in_both_languages_without_personal_data(slot_gate, client, personas,
                                                                                     confirmed_trips):
    trip = _called_forward(personas, confirmed_trips)
    body = client.get(f"/t/{trip.ticket_token}/").content.decode()
    assert "Bãi chờ Hữu Nghị" in body and "友谊口岸等候区" in body, "where the truck waits, in both languages"
    assert "Được gọi vào bãi lúc" in body and "叫号进场" in body
    assert "Luồng xanh" in body and "绿色通道" in body
    assert 'role="status"' in body
    driver = trip.driver
    for secret in (driver.identity_document, driver.phone, driver.name, driver.identity_document[-6:]):
        assert secret not in body, secret


def test_the_console_card_shows_the_call_forward_its_waiting_area_and_the_green_lane(slot_gate, login, personas,
                                                                                       confirmed_trips):
    trip = _called_forward(personas, confirmed_trips)
    body = login("customs.huunghi").get(f"/console/trips/{trip.pk}/").content.decode()
    assert "Được gọi vào bãi lúc" in body and "Bãi chờ Hữu Nghị" in body and "Bãi kiểm hóa Hữu Nghị" in body
    assert "Luồng xanh" in body
    assert local(1, 9).strftime("%d/%m/%Y 09:00") in body


def test_the_board_sets_an_hours_capacity_on_the_gate_page(slot_gate, login, confirmed_trips):
    trip = confirmed_trips(1)[0]
    board = login("bql.huunghi")
    assert "Đặt công suất cho một khoảng thời gian" in board.get("/province/gates/huu-nghi/").content.decode()
    form = {"direction": "import", "starts_at": local(1, 9).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": local(1, 11).strftime("%Y-%m-%dT%H:%M"), "trucks_per_hour": "5", "reason": "Sửa đường"}
    response = board.post("/province/gates/huu-nghi/capacity/", form, headers=HTMX)
    assert response.status_code == 200, response.content.decode()
    assert "Sửa đường" in response.content.decode()
    # The enterprise sees it at once: 5 places, 20 % (1) held for perishable goods.
    assert places_offered(page(login("firm1"), trip), local(1, 9)) == 4

    bad = board.post("/province/gates/huu-nghi/capacity/", {**form, "ends_at": form["starts_at"]}, headers=HTMX)
    assert bad.status_code == 422 and 'value="Sửa đường"' in bad.content.decode()
    province = login("province").post("/province/gates/huu-nghi/capacity/", {**form, "trucks_per_hour": "6"})
    assert province.status_code == 302, "the province supervisor sets capacity too"
    assert login("bql.tanthanh").post("/province/gates/huu-nghi/capacity/", form).status_code == 404
    assert login("customs.huunghi").post("/province/gates/huu-nghi/capacity/", form).status_code == 403


def test_a_closed_gate_is_said_once_and_the_next_free_hours_are_still_offered(login, reference):
    client = login("firm1")
    night = (timezone.localtime() + dt.timedelta(days=1)).replace(hour=2, minute=0, second=0, microsecond=0)
    data = {"gate": "huu-nghi", "direction": "import", "planned_arrival": night.strftime("%Y-%m-%dT%H:%M")}
    answer = client.post("/registrations/check/", data, headers=HTMX).content.decode()
    assert answer.count('class="notice warning') == 1  # the closed gate, once
    assert "data-arrival=" in answer  # and the hours a truck can come instead
