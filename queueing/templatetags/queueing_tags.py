"""`{% load queueing_tags %}{% queue_status trip %}`: the booked hour and the call-forward of a trip,
for the driver ticket (`bilingual=True`: Vietnamese and Chinese side by side), the officer console and
the registration page (no personal data)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone, translation

from crossings.models import Trip
from queueing import services
from queueing.capacity import HOUR
from queueing.timers import instruction_text

register = template.Library()

TICKET_LANGUAGES = ("vi", "zh-hans")
EARLY_NOTICE = dt.timedelta(hours=2)


def status_context(trip: Trip, status: services.QueueStatus) -> dict[str, Any]:
    """What `queueing/_queue_status.html` shows; the green flag follows the goods when nothing is booked."""
    booking = status.booking
    window = services.arrival_window(booking) if booking is not None else None
    call = status.call_forward
    if booking is not None:
        green = booking.green
    elif call is not None:
        green = call.green
    else:
        green = services.is_green(trip.registration_id)
    return {
        "booking": booking,
        "hour_start": timezone.localtime(window[0]) if window else None,
        "hour_end": timezone.localtime(window[0] + HOUR) if window else None,
        "arrive_by": timezone.localtime(window[1]) if window else None,
        # "Too early" is advice for a truck already driving up, not for a booking days ahead.
        "arrival_status": "" if status.arrival_status == "early" and window is not None
        and window[0] - timezone.now() > EARLY_NOTICE else status.arrival_status,
        "green": green,
        "call": call,
        "called_at": timezone.localtime(call.called_at) if call else None,
        "instruction": instruction_text(call.yard) if call else "",
    }


@register.inclusion_tag("queueing/_queue_status.html")
def queue_status(trip: Trip) -> dict[str, Any]:
    return status_context(trip, services.queue_status(trip))


@register.simple_tag
def queue_status_bilingual(trip: Trip) -> str:
    """The same fragment once per ticket language, side by side (the driver and the Chinese officer)."""
    from django.template.loader import render_to_string
    from django.utils.html import format_html, format_html_join

    context = status_context(trip, services.queue_status(trip))
    parts = []
    for language in TICKET_LANGUAGES:
        with translation.override(language):
            lang = "zh-Hans" if language.startswith("zh") else language
            context["instruction"] = instruction_text(context["call"].yard) if context["call"] else ""
            parts.append((lang, render_to_string("queueing/_queue_status.html", {**context, "ticket": True})))
    return format_html('<div class="bilingual queue-status-ticket">{}</div>',
                       format_html_join("", '<div lang="{}">{}</div>', parts))
