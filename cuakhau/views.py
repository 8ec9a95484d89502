from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.services import actor_for
from gates import rules
from gates.models import Gate
from gates.services import gate_is_open


def home(request: HttpRequest) -> HttpResponse:
    """Signed-in users go to their role's page; everyone else sees the gates and whether they are open."""
    from web.views import home_for

    if request.user.is_authenticated:
        target = home_for(actor_for(request.user))
        if target:
            return redirect(target)
    now, reference = timezone.now(), rules.current()
    gates = [{"gate": gate, "open": gate_is_open(gate, now, reference)}
             for gate in Gate.objects.select_related("province")]
    return render(request, "web/home.html", {"gates": gates})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True, "database": connection.vendor})
