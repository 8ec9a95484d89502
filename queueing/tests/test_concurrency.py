"""Places under concurrency: real threads, real transactions, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection

from crossings.models import Checkpoint
from cuakhau.errors import ServiceError
from queueing import services
from queueing.capacity import ensure_slot
from queueing.models import Booking, BookingStatus, HourSlot
from queueing.tests.conftest import MANGO, local

pytestmark = pytest.mark.django_db(transaction=True)


def run_at_once(calls: list[Callable[[], object]]) -> Counter[str]:
    """Start every call at the same moment (a barrier), each in its own thread and connection."""
    barrier = threading.Barrier(len(calls))
    results: Counter[str] = Counter()
    lock = threading.Lock()

    def worker(call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            call()
            outcome = "ok"
        except ServiceError as error:
            outcome = error.code
        except Exception as error:  # noqa: BLE001 - reported in the counter, asserted by the test
            outcome = f"crash:{type(error).__name__}:{error}"
        finally:
            connection.close()
        with lock:
            results[outcome] += 1

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_fifty_concurrent_bookings_for_the_last_five_places(slot_gate, personas, confirmed_trips):
    trips = confirmed_trips(50)
    hour = local(1, 9)
    slot = ensure_slot(slot_gate, "import", hour)
    HourSlot.objects.filter(pk=slot.pk).update(booked=slot.capacity - 5, reserved=0)
    actor = personas.actor("firm1")

    results = run_at_once([lambda trip_id=trip.pk: services.do_book(actor, trip_id, hour) for trip in trips])

    assert results == Counter({"ok": 5, "slot_full": 45}), results
    slot.refresh_from_db()
    assert slot.booked == slot.capacity
    assert Booking.objects.filter(slot=slot, status=BookingStatus.BOOKED).count() == 5
    assert Checkpoint.objects.filter(name="slot_booked", state="confirmed").count() == 5


def test_green_lane_and_other_trucks_at_once_keep_the_counters_exact(slot_gate, personas, confirmed_trips):
    general = confirmed_trips(10)
    fruit = confirmed_trips(12, hs_code=MANGO)
    hour = local(1, 9)
    slot = ensure_slot(slot_gate, "import", hour)
    # 16 places left, 12 of them held for the green lane: 4 for other trucks.
    HourSlot.objects.filter(pk=slot.pk).update(booked=44, green_booked=0, reserved=12)
    actor = personas.actor("firm1")

    results = run_at_once([lambda trip_id=trip.pk: services.do_book(actor, trip_id, hour)
                           for trip in [*general, *fruit]])

    assert results == Counter({"ok": 16, "slot_full": 6}), results
    slot.refresh_from_db()
    booked = Booking.objects.filter(slot=slot, status=BookingStatus.BOOKED)
    assert (slot.booked, slot.green_booked) == (60, 12)
    assert (booked.count(), booked.filter(green=True).count()) == (16, 12)  # 44 places were taken beforehand
    assert {b.trip_id for b in booked.filter(green=False)} <= {t.pk for t in general}
    assert Checkpoint.objects.filter(name="slot_booked", state="confirmed").count() == 16


def test_one_enterprise_booking_at_once_stays_within_its_daily_cap(slot_gate, personas, confirmed_trips, settings):
    settings.QUEUEING_MAX_OPEN_BOOKINGS_PER_DAY = 3
    trips = confirmed_trips(8)
    actor = personas.actor("firm1")

    hours = [local(1, 9 + index) for index in range(len(trips))]  # a free hour each: only the cap refuses

    results = run_at_once([lambda trip_id=trip.pk, hour=hour: services.do_book(actor, trip_id, hour)
                           for trip, hour in zip(trips, hours, strict=True)])

    assert results == Counter({"ok": 3, "booking_cap": 5}), results
    assert Booking.objects.filter(status=BookingStatus.BOOKED).count() == 3
    assert sum(HourSlot.objects.values_list("booked", flat=True)) == 3


def test_concurrent_moves_into_one_last_place(slot_gate, personas, confirmed_trips):
    trips = confirmed_trips(10)
    actor = personas.actor("firm1")
    for trip in trips:
        services.do_book(actor, trip.pk, local(1, 9))
    target = ensure_slot(slot_gate, "import", local(1, 15))
    HourSlot.objects.filter(pk=target.pk).update(booked=target.capacity - 1, reserved=0)

    results = run_at_once([lambda trip_id=trip.pk: services.do_move(actor, trip_id, local(1, 15), 1)
                           for trip in trips])

    assert results == Counter({"ok": 1, "slot_full": 9}), results
    assert HourSlot.objects.get(pk=target.pk).booked == target.capacity
    # The nine that lost keep their old hour; the winner's old place was given back.
    assert HourSlot.objects.get(hour_start=local(1, 9)).booked == 9
    assert Booking.objects.filter(status=BookingStatus.BOOKED).count() == 10


def test_the_same_trip_booked_twice_at_once_holds_one_place(slot_gate, personas, confirmed_trips):
    trip = confirmed_trips(1)[0]
    actor = personas.actor("firm1")
    results = run_at_once([lambda: services.do_book(actor, trip.pk, local(1, 9)),
                           lambda: services.do_book(actor, trip.pk, local(1, 10))])
    assert results == Counter({"ok": 1, "already_booked": 1}), results
    assert sum(HourSlot.objects.values_list("booked", flat=True)) == 1


def test_two_workers_at_once_call_forward_once_and_mark_each_no_show_once(reference, perishables, personas,
                                                                          confirmed_trips):
    from crossings.models import AuditEvent
    from gates.models import Yard
    from queueing import timers
    from queueing.models import CallForward
    from queueing.tests.conftest import enter_gate

    actor = personas.actor("firm1")
    Yard.objects.filter(code="huu-nghi-kiem-hoa").update(places=2)
    waiting = confirmed_trips(4)
    for trip in waiting:
        enter_gate(personas, trip)
    absent = confirmed_trips(6)
    for trip in absent:
        services.do_book(actor, trip.pk, local(1, 9))
    round_time = local(1, 10, 31)

    results = run_at_once([lambda: timers.run_once(round_time), lambda: timers.run_once(round_time)])

    assert results == Counter({"ok": 2}), results
    assert CallForward.objects.count() == 2  # two free places, two calls, whoever ran them
    assert Booking.objects.filter(status=BookingStatus.NO_SHOW).count() == 6
    assert AuditEvent.objects.filter(action="booking.no_show").count() == 6
    assert AuditEvent.objects.filter(action="queue.called_forward").count() == 2
    assert HourSlot.objects.get(hour_start=local(1, 9)).booked == 0
