"""Anti-hoarding and rate limits: bots and hoarders cannot sweep a day's places."""

from __future__ import annotations

import pytest

from crossings.models import Trip
from cuakhau.errors import Conflict
from queueing import services
from queueing.capacity import ensure_slot
from queueing.models import Booking, BookingStatus
from queueing.tests.conftest import local


def test_booking_requests_are_rate_limited_per_enterprise(slot_gate, personas, confirmed_trips, settings):
    settings.QUEUEING_RATE_LIMIT_REQUESTS = 3
    trips = confirmed_trips(5)
    api = personas.api("firm1")
    statuses = [api.post(f"/trips/{trip.pk}/booking", {"hour_start": local(1, 9).isoformat()}).status_code
                for trip in trips]
    assert statuses == [201, 201, 201, 429, 429]
    limited = api.post(f"/trips/{trips[4].pk}/booking", {"hour_start": local(1, 9).isoformat()})
    assert limited.json()["code"] == "rate_limited"
    assert limited.json()["detail"] != "Too many booking requests from your enterprise; wait a minute and try again."
    assert Booking.objects.count() == 3
    # Another enterprise has its own budget.
    other = confirmed_trips(1, as_="firm2")[0]
    assert personas.api("firm2").post(f"/trips/{other.pk}/booking",
                                      {"hour_start": local(1, 9).isoformat()}).status_code == 201


def test_sliding_window_forgets_old_requests(personas, reference, settings):
    settings.QUEUEING_RATE_LIMIT_REQUESTS = 2
    settings.QUEUEING_RATE_LIMIT_WINDOW_SECONDS = 60
    actor = personas.actor("firm1")
    services.check_rate(actor, now=1000.0)
    services.check_rate(actor, now=1001.0)
    with pytest.raises(services.RateLimited):
        services.check_rate(actor, now=1002.0)
    services.check_rate(actor, now=1200.0)  # two windows later: a fresh budget


def test_cap_of_open_bookings_per_enterprise_and_day(slot_gate, personas, confirmed_trips, settings):
    settings.QUEUEING_MAX_OPEN_BOOKINGS_PER_DAY = 2
    trips = confirmed_trips(4)
    actor = personas.actor("firm1")
    services.do_book(actor, trips[0].pk, local(1, 9))
    services.do_book(actor, trips[1].pk, local(1, 12))
    with pytest.raises(Conflict) as error:
        services.do_book(actor, trips[2].pk, local(1, 13))
    assert error.value.code == "booking_cap"
    services.do_book(actor, trips[2].pk, local(2, 13))  # another day has its own cap
    with pytest.raises(Conflict):
        services.do_move(actor, trips[2].pk, local(1, 14), 1)  # moving into a full day counts too
    services.do_move(actor, trips[0].pk, local(1, 10), 1)  # moving within the day does not
    services.do_cancel_booking(actor, trips[1].pk)
    services.do_book(actor, trips[3].pk, local(1, 13))  # a cancelled booking frees the cap


def test_peak_hours_cap_is_lower_for_enterprises_that_often_do_not_show_up(slot_gate, personas, confirmed_trips,
                                                                          settings):
    settings.QUEUEING_PEAK_HOURS = (9,)
    settings.QUEUEING_PEAK_CAP_FOR_HIGH_NO_SHOW = 1
    settings.QUEUEING_NO_SHOW_MIN_BOOKINGS = 4
    actor = personas.actor("firm1")
    history = confirmed_trips(4)
    # Four past bookings, three of them no-shows (75 %). Yesterday, so the hour is over whatever the time
    # of day the test runs (today's midnight is not yet a finished hour before 01:00).
    past = ensure_slot(slot_gate, "import", local(-1, 0))
    for index, trip in enumerate(history):
        Booking.objects.create(trip=trip, enterprise=actor.enterprise, slot=past,
                               status=BookingStatus.NO_SHOW if index < 3 else BookingStatus.BOOKED)
    Trip.objects.filter(pk__in=[t.pk for t in history]).update(is_open=False, outcome="no_show")
    rate, counted = services.no_show_rate(actor.enterprise, local(1, 0))
    assert (round(rate, 2), counted) == (0.75, 4)

    trips = confirmed_trips(3)
    services.do_book(actor, trips[0].pk, local(1, 9))
    with pytest.raises(Conflict) as error:
        services.do_book(actor, trips[1].pk, local(1, 9), now=local(1, 0))
    assert error.value.code == "booking_cap"
    services.do_book(actor, trips[1].pk, local(1, 11), now=local(1, 0))  # off-peak: the normal cap
    # A firm that shows up is not affected.
    firm2_trips = confirmed_trips(2, as_="firm2")
    for trip in firm2_trips:
        services.do_book(personas.actor("firm2"), trip.pk, local(1, 9))
