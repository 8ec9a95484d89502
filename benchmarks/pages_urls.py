"""The platform's URLs plus two bare views: the baselines of pages.py.

`/bench/bare-public` answers a few bytes of HTML; `/bench/bare-signed-in` does the same after
touching `request.user` (the session and user lookups every signed-in page pays). Nothing else:
what any page costs before its own work, through the same middleware in the same run.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def bare_public(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<!doctype html><title>ok</title><p>ok</p>")


def bare_signed_in(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    return HttpResponse(f"<!doctype html><title>ok</title><p>{request.user.get_username()}</p>")


urlpatterns = [
    path("bench/bare-public", bare_public),
    path("bench/bare-signed-in", bare_signed_in),
    path("", include("cuakhau.urls")),
]
