"""`{% load booking_tags %}{% booking_panel trip owner %}`: a truck's arrival hour on the registration page,
with the controls to book, move, cancel or swap the truck for the declaring enterprise."""

from __future__ import annotations

from typing import Any

from django import template

from crossings.models import Trip
from gates.models import Gate
from web.booking import panel_context

register = template.Library()


@register.inclusion_tag("web/partials/booking.html", takes_context=True)
def booking_panel(context: template.Context, trip: Trip, owner: bool) -> dict[str, Any]:
    request = context.get("request")
    memo = getattr(request, "_free_hours_memo", None)
    if request is not None and memo is None:
        memo = {}
        request._free_hours_memo = memo  # trucks of one registration share their free hours
    return {**panel_context(trip, owner=bool(owner), memo=memo), "csrf_token": context.get("csrf_token"),
            "request": request}


@register.inclusion_tag("web/partials/capacity.html", takes_context=True)
def capacity_panel(context: template.Context, gate: Gate) -> dict[str, Any]:
    """On a gate's management page: the next hours' capacity, and the override form for those who may."""
    from accounts.services import actor_for
    from web.capacity import capacity_context

    request = context.get("request")
    actor = actor_for(request.user) if request is not None else None
    if actor is None:
        return {}
    return {**capacity_context(actor, gate), "csrf_token": context.get("csrf_token")}
