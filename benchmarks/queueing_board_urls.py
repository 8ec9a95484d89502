"""The platform's URLs plus `/bench/bare-public`: the baseline of queueing_board.py.

A public Django JSON view with nothing in it — what any request costs before the board's own work.
"""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path


def bare_public(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [
    path("bench/bare-public", bare_public),
    path("", include("cuakhau.urls")),
]
