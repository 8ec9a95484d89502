"""The public live board page; with HTMX it refreshes its table every 30 seconds."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from queueing.board import build_board

LEVEL_LABELS = {"green": _("Green"), "yellow": _("Yellow"), "orange": _("Orange"), "red": _("Red")}
DIRECTION_LABELS = {"import": _("Entering Vietnam"), "export": _("Leaving Vietnam")}
REFRESH_SECONDS = 30


@never_cache
def board_page(request: HttpRequest) -> HttpResponse:
    gates = build_board()
    for gate in gates:
        gate.level_label = LEVEL_LABELS[gate.level]  # type: ignore[attr-defined]
        for row in gate.directions:
            row.level_label = LEVEL_LABELS[row.level]  # type: ignore[attr-defined]
            row.direction_label = DIRECTION_LABELS[row.direction]  # type: ignore[attr-defined]
    context = {"gates": gates, "generated_at": timezone.localtime(), "refresh_seconds": REFRESH_SECONDS}
    template = "queueing/_board_table.html" if getattr(request, "htmx", False) else "queueing/board.html"
    return render(request, template, context)
