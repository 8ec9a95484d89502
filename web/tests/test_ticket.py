"""The driver's ticket: public by unguessable token, bilingual, without personal data."""

from __future__ import annotations

import re

from tests.conftest import vehicle


def test_ticket_shows_plate_gate_yard_next_step_in_both_languages(client, declared):
    registration = declared(confirm=True, vehicles=[vehicle(driver={"name": "Nguyễn Văn An",
                                                                    "identity_document": "001089012345",
                                                                    "phone": "0912 345 678"})])
    trip = registration.trips.get()
    response = client.get(f"/t/{trip.ticket_token}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "12C-123.45" in body
    assert "Hữu Nghị" in body and "友谊" in body
    assert "Bãi kiểm hóa Hữu Nghị · 友谊口岸查验货场" in body, "the yard in both languages, as the gate"
    assert "<svg" in body, "the QR code, inline"
    assert f"http://testserver/t/{trip.ticket_token}/" in body
    assert 'lang="zh-Hans"' in body
    # No personal data on a public page.
    for secret in ("001089012345", "012345", "0912", "345 678", "345678", "Nguyễn Văn An"):
        assert secret not in body, secret


def test_ticket_needs_the_exact_token(client, declared):
    trip = declared().trips.get()
    assert client.get(f"/t/{trip.ticket_token[:-1]}/").status_code == 404
    assert client.get(f"/t/{trip.pk}/").status_code == 404


def test_ticket_shows_the_booked_hour_and_the_call_forward(client, declared):

    from django.utils import timezone

    from gates.models import Yard
    from queueing.models import Booking, CallForward, HourSlot, WaitingArea

    registration = declared(confirm=True)
    trip = registration.trips.get()
    hour = timezone.localtime(registration.planned_arrival).replace(minute=0)
    slot = HourSlot.objects.create(gate=registration.gate, direction="import", hour_start=hour, day=hour.date(),
                                   capacity=10, booked=1)
    Booking.objects.create(trip=trip, enterprise=registration.declarant, slot=slot)
    body = client.get(f"/t/{trip.ticket_token}/").content.decode()
    assert hour.strftime("%d/%m %H:%M") in body
    assert "role=\"status\"" not in body, "not called forward yet"

    area = WaitingArea.objects.create(gate=registration.gate, code="hn-cho", name_vi="Bãi chờ Hữu Nghị",
                                      name_zh="友谊等候区")
    yard = Yard.objects.get(code="huu-nghi-kiem-hoa")
    CallForward.objects.create(trip=trip, yard=yard, waiting_area=area, called_at=timezone.now(),
                               instruction="x")
    body = client.get(f"/t/{trip.ticket_token}/").content.decode()
    assert "Bãi chờ Hữu Nghị" in body and "友谊等候区" in body
    assert "Bãi kiểm hóa Hữu Nghị" in body


def test_the_ticket_qr_code_is_an_svg_image_of_the_ticket_address(client, declared):
    trip = declared(confirm=True).trips.get()
    response = client.get(f"/t/{trip.ticket_token}/qr.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Cache-Control"] == "private, max-age=86400"
    image = response.content.decode()
    assert image.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in image
    # The same code the ticket page draws inline (both encode the ticket's address).
    page = client.get(f"/t/{trip.ticket_token}/").content.decode()
    drawn = re.search(r'<path [^>]*d="([^"]+)"', page)
    assert drawn and drawn.group(1) in image


def test_there_is_no_qr_code_for_a_ticket_that_does_not_exist(client, declared):
    trip = declared().trips.get()
    assert client.get(f"/t/{trip.ticket_token[:-1]}/qr.svg").status_code == 404
    assert client.get("/t/anything-else/qr.svg").status_code == 404
