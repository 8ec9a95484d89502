"""No-shows, the midnight grace, the green lane and its release, call-forward order, the worker."""

from __future__ import annotations

import datetime as dt

from django.core.management import call_command

from crossings.models import AuditEvent, Checkpoint, Outcome, Stage, Trip
from gates.models import Yard
from queueing import services, timers
from queueing.capacity import ensure_slot
from queueing.models import Booking, BookingStatus, CallForward, HourSlot, WaitingArea
from queueing.tests.conftest import MANGO, TOMATO, enter_gate, local

# --- no-shows -------------------------------------------------------------------------------------

def test_no_show_sweep_after_the_hour_and_grace(slot_gate, personas, confirmed_trips):
    absent, present = confirmed_trips(2)
    actor = personas.actor("firm1")
    for trip in (absent, present):
        services.do_book(actor, trip.pk, local(1, 9))
    enter_gate(personas, present)

    assert timers.sweep_no_shows(now=local(1, 10, 29)) == 0  # still within 30 minutes' grace
    assert timers.sweep_no_shows(now=local(1, 10, 31)) == 1
    assert timers.sweep_no_shows(now=local(1, 10, 32)) == 0  # idempotent

    absent.refresh_from_db()
    assert (absent.outcome, absent.is_open) == (Outcome.NO_SHOW, False)
    assert Booking.objects.get(trip=absent).status == BookingStatus.NO_SHOW
    assert Booking.objects.get(trip=present).status == BookingStatus.BOOKED
    assert HourSlot.objects.get(hour_start=local(1, 9)).booked == 1  # the no-show's place is freed
    event = AuditEvent.objects.get(action="booking.no_show")
    assert event.trip_id_ref == absent.pk and event.automatic and event.role == "system"


def test_grace_period_is_configurable(slot_gate, personas, confirmed_trips, settings):
    settings.QUEUEING_NO_SHOW_GRACE_MINUTES = 5
    trip = confirmed_trips(1)[0]
    services.do_book(personas.actor("firm1"), trip.pk, local(1, 9))
    assert timers.sweep_no_shows(now=local(1, 10, 6)) == 1


def test_rebooking_after_a_no_show_reopens_the_same_trip_with_its_truck_and_goods(slot_gate, personas,
                                                                                    confirmed_trips):
    trip = confirmed_trips(1, hs_code=TOMATO)[0]
    actor = personas.actor("firm1")
    services.do_book(actor, trip.pk, local(1, 9))
    timers.sweep_no_shows(now=local(1, 10, 31))
    assert Checkpoint.objects.get(trip=trip, name="slot_booked").state == "confirmed"  # stays: the sweep ends the trip

    booking = services.do_book(actor, trip.pk, local(1, 13))
    reopened = Trip.objects.get(pk=trip.pk)
    assert (reopened.outcome, reopened.is_open) == (Outcome.ACTIVE, True)
    assert (reopened.vehicle_id, reopened.driver_id, reopened.ticket_token) == (trip.vehicle_id, trip.driver_id,
                                                                                 trip.ticket_token)
    assert reopened.registration.consignments.get().items.get().hs_code == TOMATO
    assert booking.green is True
    assert AuditEvent.objects.filter(action="trip.reopened", trip_id_ref=trip.pk).exists()


def test_a_2300_booking_admits_a_truck_at_0020_next_day(slot_gate, personas, confirmed_trips):
    trip, absent = confirmed_trips(2)
    actor = personas.actor("firm1")
    booking = services.do_book(actor, trip.pk, local(1, 23))
    services.do_book(actor, absent.pk, local(1, 23))
    start, arrive_by = services.arrival_window(booking)
    assert arrive_by == local(2, 0, 30)  # next calendar day, local time
    assert services.arrival_status(booking, local(2, 0, 20)) == "late"  # admitted within the grace
    assert services.arrival_status(booking, local(1, 23, 10)) == "on_time"
    assert services.arrival_status(booking, local(2, 0, 31)) == "expired"

    assert timers.sweep_no_shows(now=local(2, 0, 20)) == 0
    enter_gate(personas, trip)  # the truck is at the gate at 00:20
    assert timers.sweep_no_shows(now=local(2, 0, 31)) == 1  # only the truck that never came
    assert Trip.objects.get(pk=trip.pk).outcome == Outcome.ACTIVE
    assert Trip.objects.get(pk=absent.pk).outcome == Outcome.NO_SHOW


def test_a_cancelled_trip_gives_its_place_back_through_the_worker(slot_gate, personas, confirmed_trips):
    trip = confirmed_trips(1)[0]
    services.do_book(personas.actor("firm1"), trip.pk, local(1, 9))
    assert personas.api("firm1").post(f"/trips/{trip.pk}/cancel").status_code == 200
    assert timers.release_closed_trips() == 1
    assert HourSlot.objects.get(hour_start=local(1, 9)).booked == 0
    assert timers.sweep_no_shows(now=local(1, 11)) == 0  # a cancelled trip is never a no-show


# --- green lane -----------------------------------------------------------------------------------

def test_green_lane_share_is_reserved_for_perishables_and_released_before_the_hour(slot_gate, personas,
                                                                                     confirmed_trips):
    general, late_general = confirmed_trips(2)
    fruit = confirmed_trips(1, hs_code=MANGO, direction="export")[0]
    vegetables = confirmed_trips(1, hs_code=TOMATO)[0]
    actor = personas.actor("firm1")
    slot = ensure_slot(slot_gate, "import", local(1, 9), now=local(0, 8))
    assert (slot.capacity, slot.reserved) == (60, 12)  # 20 % of 60
    HourSlot.objects.filter(pk=slot.pk).update(booked=47)

    services.do_book(actor, general.pk, local(1, 9))  # the 48th general place: the last one
    refused = personas.api("firm1").post(f"/trips/{late_general.pk}/booking",
                                         {"hour_start": local(1, 9).isoformat(), "green": True})
    assert refused.status_code == 409  # asking for the green lane changes nothing: the goods decide
    green = services.do_book(actor, vegetables.pk, local(1, 9))
    assert green.green is True
    assert services.is_green(fruit.registration_id) and not services.is_green(general.registration_id)

    assert timers.release_green_lane(now=local(1, 8, 29)) == 0  # more than 30 minutes before
    assert timers.release_green_lane(now=local(1, 8, 30)) == 1
    assert timers.release_green_lane(now=local(1, 8, 31)) == 0
    slot.refresh_from_db()
    assert (slot.reserved, slot.green_booked, slot.booked) == (0, 1, 49)
    services.do_book(actor, late_general.pk, local(1, 9))  # the unused green places are everyone's now
    event = AuditEvent.objects.get(action="slot.green_released")
    assert event.data["places"] == 11


def test_green_share_is_configurable(slot_gate, settings):
    settings.QUEUEING_GREEN_SHARE_PERCENT = 50
    slot = ensure_slot(slot_gate, "import", local(2, 9))
    assert slot.reserved == 30


# --- call-forward ---------------------------------------------------------------------------------

def _arrive(personas, trip: Trip, at: dt.datetime) -> None:
    enter_gate(personas, trip)
    Checkpoint.objects.filter(trip=trip, name__in=["gate_entry_border_guard", "gate_entry_customs"]).update(
        confirmed_at=at)


def test_call_forward_order_green_then_booked_hour_then_arrival(reference, perishables, personas,
                                                                  confirmed_trips):
    actor = personas.actor("firm1")
    yard = Yard.objects.get(code="huu-nghi-kiem-hoa")
    Yard.objects.filter(pk=yard.pk).update(places=1)
    occupant = confirmed_trips(1)[0]
    enter_gate(personas, occupant)
    personas.api("bql.huunghi").post(f"/trips/{occupant.pk}/checkpoints/yard_entry")
    early_general, = confirmed_trips(1)
    late_green, = confirmed_trips(1, hs_code=TOMATO)
    early_hour, = confirmed_trips(1)
    unbooked, = confirmed_trips(1)
    services.do_book(actor, early_general.pk, local(1, 10))
    services.do_book(actor, late_green.pk, local(1, 11))
    services.do_book(actor, early_hour.pk, local(1, 8))
    base = local(0, 6)
    _arrive(personas, unbooked, base)
    _arrive(personas, early_general, base + dt.timedelta(minutes=1))
    _arrive(personas, late_green, base + dt.timedelta(minutes=2))
    _arrive(personas, early_hour, base + dt.timedelta(minutes=3))

    assert timers.call_forward() == []  # the yard is full: everyone waits
    expected = [late_green, early_hour, early_general, unbooked]
    assert [t.pk for t in timers.waiting_queue(yard)] == [t.pk for t in expected]

    called = []
    Trip.objects.filter(pk=occupant.pk).update(stage=Stage.LEFT_YARD)  # a place frees
    for truck in expected:
        calls = timers.call_forward()
        assert len(calls) == 1
        called.append(calls[0].trip_id)
        assert timers.call_forward() == []  # the called truck holds the place until it enters
        Trip.objects.filter(pk=truck.pk).update(stage=Stage.LEFT_YARD)
    assert called == [t.pk for t in expected]

    call = CallForward.objects.get(trip=late_green)
    assert call.green and call.yard == yard and "Bãi kiểm hóa Hữu Nghị" in call.instruction
    assert WaitingArea.objects.filter(gate=yard.gate).count() == 1
    assert AuditEvent.objects.filter(action="queue.called_forward").count() == 4
    status = personas.api("firm1").get(f"/trips/{late_green.pk}/queue").json()
    assert status["call_forward"]["yard"] == "huu-nghi-kiem-hoa"
    assert status["call_forward"]["instruction"]
    assert status["booking"]["green"] is True


def test_worker_round_twice_changes_nothing_more(slot_gate, personas, confirmed_trips):
    trip = confirmed_trips(1)[0]
    services.do_book(personas.actor("firm1"), trip.pk, local(1, 9))
    first = timers.run_once(now=local(1, 10, 31))
    second = timers.run_once(now=local(1, 10, 31))
    assert first["no_shows"] == 1 and second["no_shows"] == 0
    assert second["called_forward"] == 0 and second["green_released"] == 0
    call_command("worker", "--once")


def test_queue_status_fragment_for_ticket_and_console(reference, perishables, personas, confirmed_trips):
    from django.template import Context, Template
    from django.utils import translation

    trip = confirmed_trips(1, hs_code=TOMATO)[0]
    template = Template("{% load queueing_tags %}{% queue_status trip %}")
    with translation.override("vi"):
        assert "Chưa đặt khung giờ đến." in template.render(Context({"trip": trip}))
    services.do_book(personas.actor("firm1"), trip.pk, local(1, 9))
    enter_gate(personas, trip)
    timers.call_forward()
    with translation.override("zh-hans"):
        html = template.render(Context({"trip": trip}))
    assert "绿色通道" in html and "叫号" in html and "友谊口岸查验货场" in html, "the yard in the reader's language"
    assert trip.driver.name not in html and trip.driver.phone not in html


def test_worker_brings_future_hours_in_line_with_a_new_closure_but_keeps_booked_places(slot_gate, personas,
                                                                                         confirmed_trips):
    from gates.models import Closure

    trip = confirmed_trips(1)[0]
    services.do_book(personas.actor("firm1"), trip.pk, local(2, 9))
    untouched = ensure_slot(slot_gate, "import", local(2, 10))
    Closure.objects.create(gate=slot_gate, starts_at=local(2, 0), ends_at=local(3, 0), reason="Bão")
    timers.run_once()
    assert HourSlot.objects.get(hour_start=local(2, 9)).capacity == 1  # never below what is booked
    assert HourSlot.objects.get(pk=untouched.pk).capacity == 0
