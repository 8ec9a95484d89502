"""A gate's hourly capacity on its management page: the next hours' places and a capacity override form.

The override itself is `queueing.services.do_override_capacity` (the same as POST /api/v1/capacity-overrides):
the gate's own management board or the province supervisor sets the capacity of every hour starting in a
range, for import or export; hours already booked beyond it keep their booked trucks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pydantic
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.services import Actor
from cuakhau.api import pydantic_errors
from cuakhau.errors import NotFound, ServiceError, ValidationFailed
from gates.models import Gate
from queueing import services
from queueing.capacity import HOUR, CapacityPlan, local_hour_start
from queueing.models import FLOWS, CapacityOverride
from queueing.schemas import CapacityOverrideIn
from web import queries
from web.helpers import is_htmx, with_actor

PANEL = "web/partials/capacity.html"
HOURS_SHOWN = 12
DIRECTION_LABELS = {flow.value: flow.label for flow in FLOWS}


def capacity_context(actor: Actor, gate: Gate, *, error: ServiceError | None = None, message: str = "",
                     values: Any = None) -> dict[str, Any]:
    """The next hours' capacity and places booked per direction, the overrides still to come, the form."""
    now = timezone.now()
    start = local_hour_start(now)
    plan = CapacityPlan.load([gate.pk], start, start + HOURS_SHOWN * HOUR)  # both directions in one read
    by_direction = {flow: services.free_hours(gate, flow, start, hours=HOURS_SHOWN, now=now, only_free=False,
                                              plan=plan)
                    for flow in FLOWS}
    rows = [{"start": timezone.localtime(hours[0].hour_start),
             "end": timezone.localtime(hours[0].hour_start + HOUR),
             "cells": [(h.capacity, h.booked) for h in hours]}
            for hours in zip(*by_direction.values(), strict=True)]
    upcoming = CapacityOverride.objects.filter(gate=gate, ends_at__gt=now).order_by("starts_at")[:20]
    first = start + HOUR
    return {"gate": gate, "rows": rows, "directions": [DIRECTION_LABELS[flow] for flow in FLOWS],
            "direction_choices": [(flow.value, flow.label) for flow in FLOWS], "overrides": upcoming,
            "may_override": services.may_override_capacity(actor, gate), "error": error, "message": message,
            "field_errors": getattr(error, "errors", {}) if error else {},
            "values": values or {"direction": FLOWS[0].value, "starts_at": _local(first),
                                 "ends_at": _local(first + 4 * HOUR)}}


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _gate(actor: Actor, code: str) -> Gate:
    gate = queries.covered_gate(actor, code)
    if gate is None:
        raise NotFound(_("Gate not found."))
    return gate


@require_POST
@with_actor
def override(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    gate = _gate(actor, code)
    values = {name: request.POST.get(name, "").strip()
              for name in ("direction", "starts_at", "ends_at", "trucks_per_hour", "reason")}
    error: ServiceError | None = None
    message = ""
    try:
        try:
            data = CapacityOverrideIn.model_validate({**values, "gate": gate.code})
        except pydantic.ValidationError as invalid:
            raise ValidationFailed(pydantic_errors(list(invalid.errors()))) from invalid  # type: ignore[arg-type]
        result = services.do_override_capacity(actor, gate.code, data.direction, data.starts_at, data.ends_at,
                                               data.trucks_per_hour, data.reason)
        message = _("Capacity set to %(n)d trucks per hour from %(start)s to %(end)s.") % {
            "n": data.trucks_per_hour, "start": f"{timezone.localtime(data.starts_at):%d/%m/%Y %H:%M}",
            "end": f"{timezone.localtime(data.ends_at):%d/%m/%Y %H:%M}"}
        if result.kept_for_bookings:
            message += " " + _("%(n)d hour(s) keep more places, as trucks have already booked them.") % {
                "n": len(result.kept_for_bookings)}
    except NotFound:
        raise
    except ServiceError as failure:
        error = failure
    if not is_htmx(request):
        if error is not None:
            raise error  # the error page, in the user's language (with_actor)
        messages.success(request, message)
        return redirect("web:board_gate", gate.code)
    context = capacity_context(actor, gate, error=error, message=message, values=values if error else None)
    return render(request, PANEL, context, status=error.status if error else 200)
