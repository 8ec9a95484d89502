from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from gates.models import Gate
from gates.services import gate_is_open


def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    gates = [{"gate": gate, "open": gate_is_open(gate, now)} for gate in Gate.objects.select_related("province")]
    return render(request, "web/home.html", {"gates": gates})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True, "database": connection.vendor})
