"""`{% load queueing_tags %}{% queue_status trip %}`: the booked hour and the call-forward of a trip,
for the driver ticket and the officer console (no personal data)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from crossings.models import Trip
from queueing import services
from queueing.capacity import HOUR
from queueing.timers import instruction_text

register = template.Library()


@register.inclusion_tag("queueing/_queue_status.html")
def queue_status(trip: Trip) -> dict[str, Any]:
    status = services.queue_status(trip)
    booking = status.booking
    window = services.arrival_window(booking) if booking is not None else None
    call = status.call_forward
    return {
        "booking": booking,
        "hour_start": timezone.localtime(window[0]) if window else None,
        "hour_end": timezone.localtime(window[0] + HOUR) if window else None,
        "arrive_by": timezone.localtime(window[1]) if window else None,
        "arrival_status": status.arrival_status,
        "call": call,
        "instruction": instruction_text(call.yard) if call else "",
    }
