"""Capacity, booking, moving, cancelling and swapping an arrival hour through the services and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from crossings import audit
from crossings.models import AuditEvent, Checkpoint, Trip
from gates.models import Closure
from queueing import services
from queueing.capacity import CapacityPlan, ensure_slot
from queueing.models import Booking, BookingStatus, CapacityOverride, HourSlot
from queueing.tests.conftest import MANGO, enter_gate, local


def slot_booked_state(trip: Trip) -> str:
    return Checkpoint.objects.get(trip=trip, name="slot_booked").state


def hour_json(moment: dt.datetime) -> str:
    return timezone.localtime(moment).isoformat()


# --- capacity -----------------------------------------------------------------------------------

def test_capacity_follows_entry_lanes_working_hours_and_closures(slot_gate):
    plan = CapacityPlan.load([slot_gate.pk], local(1, 0), local(3, 0))
    assert plan.capacity(slot_gate.pk, "import", local(1, 9)) == 60  # two import entry lanes × 30
    assert plan.capacity(slot_gate.pk, "export", local(1, 9)) == 30
    assert plan.capacity(slot_gate.pk, "import", local(1, 3)) == 0  # before 07:00
    assert plan.capacity(slot_gate.pk, "import", local(1, 23)) == 60  # open to midnight
    Closure.objects.create(gate=slot_gate, starts_at=local(2, 0), ends_at=local(3, 0), reason="Tết")
    plan = CapacityPlan.load([slot_gate.pk], local(1, 0), local(3, 0))
    assert plan.capacity(slot_gate.pk, "import", local(2, 9)) == 0


def test_supervisor_override_sets_capacity_but_never_below_what_is_booked(slot_gate, personas, confirmed_trips):
    trip = confirmed_trips(1)[0]
    services.do_book(personas.actor("firm1"), trip.pk, local(1, 9))
    HourSlot.objects.filter(hour_start=local(1, 9)).update(booked=20)
    response = personas.api("bql.huunghi").post("/capacity-overrides", {
        "gate": "huu-nghi", "direction": "import", "starts_at": local(1, 8).isoformat(),
        "ends_at": local(1, 12).isoformat(), "trucks_per_hour": 10, "reason": "Sửa đường"})
    assert response.status_code == 201, response.json()
    assert HourSlot.objects.get(hour_start=local(1, 9)).capacity == 20  # the booked trucks keep their places
    plan = CapacityPlan.load([slot_gate.pk], local(1, 0), local(2, 0))
    assert plan.capacity(slot_gate.pk, "import", local(1, 10)) == 10
    assert plan.capacity(slot_gate.pk, "import", local(1, 13)) == 60
    denied = personas.api("customs.huunghi").post("/capacity-overrides", {
        "gate": "huu-nghi", "direction": "import", "starts_at": local(1, 8).isoformat(),
        "ends_at": local(1, 12).isoformat(), "trucks_per_hour": 10, "reason": "x"})
    assert denied.status_code == 403
    assert AuditEvent.objects.filter(action="capacity.overridden").count() == 1


def test_a_retried_capacity_override_is_recorded_once(slot_gate, personas):
    body = {"gate": "huu-nghi", "direction": "import", "starts_at": local(1, 8).isoformat(),
            "ends_at": local(1, 12).isoformat(), "trucks_per_hour": 10, "reason": "Sửa đường"}
    board = personas.api("bql.huunghi")
    first = board.post("/capacity-overrides", body, **{"Idempotency-Key": "override-1"})
    assert first.status_code == 201, first.json()
    retry = board.post("/capacity-overrides", body, **{"Idempotency-Key": "override-1"})
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert CapacityOverride.objects.count() == 1
    assert AuditEvent.objects.filter(action="capacity.overridden").count() == 1
    assert board.post("/capacity-overrides", body).status_code == 201, "without the key it is a new override"
    assert CapacityOverride.objects.count() == 2


def test_the_province_supervisor_sets_capacity_but_another_gates_board_does_not(slot_gate, personas):
    body = {"gate": "huu-nghi", "direction": "export", "starts_at": local(1, 8).isoformat(),
            "ends_at": local(1, 10).isoformat(), "trucks_per_hour": 7, "reason": "Tăng ca"}
    assert personas.api("bql.tanthanh").post("/capacity-overrides", body).status_code == 403
    response = personas.api("province").post("/capacity-overrides", body)
    assert response.status_code == 201, response.json()
    plan = CapacityPlan.load([slot_gate.pk], local(1, 0), local(2, 0))
    assert plan.capacity(slot_gate.pk, "export", local(1, 9)) == 7


# --- booking ------------------------------------------------------------------------------------

def test_booking_confirms_the_slot_step_and_gate_entry_needs_it(slot_gate, personas, confirmed_trips):
    trip = confirmed_trips(1)[0]
    early = personas.api("border.huunghi").post(f"/trips/{trip.pk}/checkpoints/gate_entry_border_guard")
    assert early.status_code == 409 and early.json()["code"] == "prerequisites_missing"

    response = personas.api("firm1").post(f"/trips/{trip.pk}/booking", {"hour_start": hour_json(local(1, 9))},
                                          **{"Idempotency-Key": "book-1"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["green"] is False and body["status"] == "booked" and body["version"] == 1
    assert timezone.localtime(dt.datetime.fromisoformat(body["arrive_by"])) == local(1, 10, 30)
    assert slot_booked_state(trip) == "confirmed"
    again = personas.api("firm1").post(f"/trips/{trip.pk}/booking", {"hour_start": hour_json(local(1, 9))},
                                       **{"Idempotency-Key": "book-1"})
    assert again.status_code == 201 and again.json()["id"] == body["id"]
    assert HourSlot.objects.get(hour_start=local(1, 9)).booked == 1
    twice = personas.api("firm1").post(f"/trips/{trip.pk}/booking", {"hour_start": hour_json(local(1, 10))})
    assert twice.status_code == 409 and twice.json()["code"] == "already_booked"

    enter_gate(personas, trip)
    assert Trip.objects.get(pk=trip.pk).stage == "at_gate"
    late_cancel = personas.api("firm1").delete(f"/trips/{trip.pk}/booking")
    assert late_cancel.status_code == 409 and late_cancel.json()["code"] == "already_entered"
    assert audit.verify() == []


def test_the_booking_answer_is_what_a_later_read_shows(slot_gate, personas, confirmed_trips):
    general = confirmed_trips(1)[0]
    fruit = confirmed_trips(1, hs_code=MANGO)[0]
    api = personas.api("firm1")
    for trip, green in ((general, False), (fruit, True)):
        booked = api.post(f"/trips/{trip.pk}/booking", {"hour_start": hour_json(local(1, 9))})
        assert booked.status_code == 201, booked.json()
        assert booked.json()["green"] is green
        assert api.get(f"/trips/{trip.pk}/queue").json()["booking"] == booked.json()
        moved = api.patch(f"/trips/{trip.pk}/booking", {"hour_start": hour_json(local(1, 10)), "version": 1})
        assert moved.status_code == 200, moved.json()
        assert api.get(f"/trips/{trip.pk}/queue").json()["booking"] == moved.json()
    # The counters say what the booking rows say: one general and one green-lane truck at 10:00, none at 9:00.
    hours = {slot.hour_start: slot for slot in HourSlot.objects.all()}
    assert (hours[local(1, 9)].booked, hours[local(1, 9)].green_booked) == (0, 0)
    assert (hours[local(1, 10)].booked, hours[local(1, 10)].green_booked) == (2, 1)
    for trip in (general, fruit):
        assert slot_booked_state(trip) == "confirmed"
        assert Trip.objects.get(pk=trip.pk).version == trip.version + 1  # the slot step flipped once
    cancelled = api.delete(f"/trips/{fruit.pk}/booking")
    assert cancelled.status_code == 200 and api.get(f"/trips/{fruit.pk}/queue").json()["booking"] == cancelled.json()
    slot = HourSlot.objects.get(hour_start=local(1, 10))
    assert (slot.booked, slot.green_booked) == (1, 0)
    assert slot_booked_state(fruit) == "pending"
    assert audit.verify() == []


def test_only_the_declaring_enterprise_books_and_nothing_moves_to_another(slot_gate, personas, confirmed_trips):
    trip = confirmed_trips(1)[0]
    other = personas.api("firm2").post(f"/trips/{trip.pk}/booking", {"hour_start": hour_json(local(1, 9))})
    assert other.status_code == 404  # another firm's trip does not exist for it
    officer = personas.api("bql.huunghi").post(f"/trips/{trip.pk}/booking", {"hour_start": hour_json(local(1, 9))})
    assert officer.status_code == 403
    assert personas.api("firm1").post(f"/trips/{trip.pk}/booking",
                                      {"hour_start": hour_json(local(1, 9))}).status_code == 201
    assert personas.api("firm2").delete(f"/trips/{trip.pk}/booking").status_code == 404
    assert personas.api("firm2").patch(f"/trips/{trip.pk}/booking",
                                       {"hour_start": hour_json(local(1, 10)), "version": 1}).status_code == 404


def test_unconfirmed_registration_and_bad_hours_are_refused(slot_gate, personas, submit):
    registration = submit()
    trip_id = registration["trips"][0]["id"]
    api = personas.api("firm1")
    response = api.post(f"/trips/{trip_id}/booking", {"hour_start": hour_json(local(1, 9))})
    assert response.status_code == 409 and response.json()["code"] == "registration_not_confirmed"
    personas.api("bql.huunghi").post(f"/registrations/{registration['id']}/confirm")
    half = api.post(f"/trips/{trip_id}/booking", {"hour_start": hour_json(local(1, 9, 30))})
    assert half.status_code == 422 and "hour_start" in half.json()["errors"]
    past = api.post(f"/trips/{trip_id}/booking", {"hour_start": hour_json(local(-1, 9))})
    assert past.status_code == 422
    missing = api.post(f"/trips/{trip_id}/booking", {})
    assert missing.status_code == 422 and "hour_start" in missing.json()["errors"]


def test_a_full_hour_says_so_and_offers_the_next_free_hours(slot_gate, personas, confirmed_trips):
    trip = confirmed_trips(1)[0]
    slot = ensure_slot(slot_gate, "import", local(1, 9))
    HourSlot.objects.filter(pk=slot.pk).update(booked=slot.capacity)
    HourSlot.objects.filter(pk=ensure_slot(slot_gate, "import", local(1, 10)).pk).update(booked=60)
    response = personas.api("firm1").post(f"/trips/{trip.pk}/booking", {"hour_start": hour_json(local(1, 9))})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "slot_full"
    assert body["detail"] == "Khung giờ này đã kín chỗ."
    starts = [timezone.localtime(dt.datetime.fromisoformat(h["hour_start"])) for h in body["next_free"]]
    assert starts[0] == local(1, 11)  # 10:00 is full too
    assert len(starts) == 5
    night = personas.api("firm1").post(f"/trips/{trip.pk}/booking", {"hour_start": hour_json(local(2, 3))})
    assert night.status_code == 409 and night.json()["code"] == "slot_closed"
    assert not Booking.objects.exists()


def test_free_hours_listing_is_public_and_skips_closed_and_full_hours(slot_gate, client):
    HourSlot.objects.filter(pk=ensure_slot(slot_gate, "import", local(1, 8)).pk).update(booked=60)
    response = client.get("/api/v1/slots", {"gate": "huu-nghi", "direction": "import",
                                            "from": local(1, 0).isoformat(), "hours": 24})
    assert response.status_code == 200, response.json()
    starts = [timezone.localtime(dt.datetime.fromisoformat(h["hour_start"])).hour for h in response.json()]
    assert starts == [7, *range(9, 24)]
    assert client.get("/api/v1/slots", {"gate": "nowhere"}).status_code == 404


def test_cancelling_frees_the_place_at_once_and_reopens_the_slot_step(slot_gate, personas, confirmed_trips):
    first, second = confirmed_trips(2)
    HourSlot.objects.filter(pk=ensure_slot(slot_gate, "import", local(1, 9)).pk).update(booked=59, reserved=0)
    assert personas.api("firm1").post(f"/trips/{first.pk}/booking",
                                      {"hour_start": hour_json(local(1, 9))}).status_code == 201
    full = personas.api("firm1").post(f"/trips/{second.pk}/booking", {"hour_start": hour_json(local(1, 9))})
    assert full.status_code == 409
    cancelled = personas.api("firm1").delete(f"/trips/{first.pk}/booking")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert slot_booked_state(first) == "pending"
    assert personas.api("firm1").post(f"/trips/{second.pk}/booking",
                                      {"hour_start": hour_json(local(1, 9))}).status_code == 201
    assert HourSlot.objects.get(hour_start=local(1, 9)).booked == 60


# --- moving -------------------------------------------------------------------------------------

def test_moving_is_one_atomic_step_and_a_stale_version_gets_409(slot_gate, personas, confirmed_trips):
    trip = confirmed_trips(1)[0]
    api = personas.api("firm1")
    booked = api.post(f"/trips/{trip.pk}/booking", {"hour_start": hour_json(local(1, 9))}).json()
    moved = api.patch(f"/trips/{trip.pk}/booking", {"hour_start": hour_json(local(1, 11)), "version": 1})
    assert moved.status_code == 200, moved.json()
    assert moved.json()["version"] == 2 and moved.json()["id"] == booked["id"]
    assert HourSlot.objects.get(hour_start=local(1, 9)).booked == 0
    assert HourSlot.objects.get(hour_start=local(1, 11)).booked == 1

    stale = api.patch(f"/trips/{trip.pk}/booking", {"hour_start": hour_json(local(1, 12)), "version": 1})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    assert HourSlot.objects.filter(hour_start=local(1, 12), booked__gt=0).count() == 0

    HourSlot.objects.filter(pk=ensure_slot(slot_gate, "import", local(1, 14)).pk).update(booked=60)
    to_full = api.patch(f"/trips/{trip.pk}/booking", {"hour_start": hour_json(local(1, 14)), "version": 2})
    assert to_full.status_code == 409 and to_full.json()["code"] == "slot_full"
    assert to_full.json()["next_free"]
    # Nothing changed: the old hour is still held, the full one not over-booked, the version unchanged.
    assert HourSlot.objects.get(hour_start=local(1, 11)).booked == 1
    assert HourSlot.objects.get(hour_start=local(1, 14)).booked == 60
    booking = Booking.objects.get(pk=booked["id"])
    assert (booking.version, booking.slot.hour_start, booking.status) == (2, local(1, 11), BookingStatus.BOOKED)
    assert AuditEvent.objects.filter(action="booking.moved").count() == 1


# --- swapping the truck ---------------------------------------------------------------------------

SWAP = {"plate": "29C-987.65", "driver": {"name": "Lê Văn Cường", "identity_document": "001089999001",
                                          "phone": "0987 654 321"}}


def booked_for_nine(personas, confirmed_trips):  # type: ignore[no-untyped-def]
    """A confirmed trip of firm1 booked for 09:00 tomorrow, and firm1's API client."""
    trip = confirmed_trips(1)[0]
    api = personas.api("firm1")
    assert api.post(f"/trips/{trip.pk}/booking", {"hour_start": hour_json(local(1, 9))}).status_code == 201
    return trip, api

def test_swapping_truck_and_driver_until_the_hour_starts(slot_gate, personas, confirmed_trips):
    trip, api = booked_for_nine(personas, confirmed_trips)
    response = api.post(f"/trips/{trip.pk}/swap", SWAP)
    assert response.status_code == 200, response.json()
    assert response.json()["plate"] == "29C98765"
    trip.refresh_from_db()
    assert trip.vehicle.plate == "29C98765" and trip.driver.enterprise_id == trip.registration.declarant_id
    assert personas.api("firm2").post(f"/trips/{trip.pk}/swap", SWAP).status_code == 404
    event = AuditEvent.objects.get(action="trip.truck_swapped")
    assert "Cường" not in str(event.data) and "001089999001" not in str(event.data)

    with pytest.raises(services.Conflict) as error:
        services.do_swap_truck(personas.actor("firm1"), trip.pk, plate="29C11111", driver_name="Lê Văn Cường",
                               driver_identity_document="001089999001", driver_phone="0987654321",
                               now=local(1, 9, 5))
    assert error.value.code == "hour_started"


def test_a_retried_swap_swaps_once(slot_gate, personas, confirmed_trips):
    trip, api = booked_for_nine(personas, confirmed_trips)
    first = api.post(f"/trips/{trip.pk}/swap", SWAP, **{"Idempotency-Key": "swap-1"})
    assert first.status_code == 200, first.json()
    retry = api.post(f"/trips/{trip.pk}/swap", SWAP, **{"Idempotency-Key": "swap-1"})
    assert retry.status_code == 200
    assert retry.json() == first.json()
    trip.refresh_from_db()
    assert trip.version == first.json()["version"], "the retry changed the trip no further"
    assert AuditEvent.objects.filter(action="trip.truck_swapped").count() == 1


def test_swapping_to_a_truck_on_another_open_trip_is_refused(slot_gate, personas, confirmed_trips):
    first, second = confirmed_trips(2)
    response = personas.api("firm1").post(f"/trips/{first.pk}/swap", {
        "plate": second.vehicle.plate,
        "driver": {"name": "Lê Văn Cường", "identity_document": "001089999002", "phone": "0987 654 321"}})
    assert response.status_code == 409 and response.json()["code"] == "truck_busy"


def test_registration_step_is_told_when_the_asked_hour_is_full(slot_gate, client):
    HourSlot.objects.filter(pk=ensure_slot(slot_gate, "import", local(1, 9)).pk).update(booked=60)
    full = client.get("/api/v1/slots/availability", {"gate": "huu-nghi", "direction": "temp_import",
                                                     "hour_start": local(1, 9).isoformat()})
    assert full.status_code == 200, full.json()
    body = full.json()
    assert body["available"] is False and body["message"] == "Khung giờ này đã kín chỗ."
    assert timezone.localtime(dt.datetime.fromisoformat(body["next_free"][0]["hour_start"])) == local(1, 10)
    free = client.get("/api/v1/slots/availability", {"gate": "huu-nghi", "hour_start": local(1, 10).isoformat()},
                      headers={"Accept-Language": "zh-hans"})
    assert free.json()["available"] is True and free.json()["next_free"] == []
    night = client.get("/api/v1/slots/availability", {"gate": "huu-nghi", "hour_start": local(1, 3).isoformat(),
                                                      "direction": "export"})
    assert night.json()["available"] is False and night.json()["hour"]["capacity"] == 0
    bad = client.get("/api/v1/slots/availability", {"gate": "huu-nghi", "hour_start": local(1, 3, 30).isoformat()})
    assert bad.status_code == 422

