"""The platform's URLs plus `/bench/bare`: the baseline of api_confirm.py.

The bare view authenticates the bearer token exactly as the API does
(accounts.services.user_for_secret) and answers a small JSON document; nothing else.
`/bench/ninja/bare` answers the same through django-ninja with the API's bearer authentication:
the difference between the two is what ninja itself costs per request.
"""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI

from accounts.services import user_for_secret
from cuakhau.api import bearer_auth

ninja_bare = NinjaAPI(urls_namespace="bench", auth=[bearer_auth], docs_url=None, openapi_url=None)


@ninja_bare.get("/bare")
def bare_through_ninja(request: HttpRequest) -> dict[str, object]:
    return {"ok": True, "user": request.auth.get_username()}  # type: ignore[attr-defined]


@csrf_exempt
def bare(request: HttpRequest) -> JsonResponse:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    user = user_for_secret(secret.strip()) if scheme.lower() == "bearer" and secret.strip() else None
    if user is None:
        return JsonResponse({"detail": "unauthorized"}, status=401)
    return JsonResponse({"ok": True, "user": user.get_username()})


urlpatterns = [
    path("bench/bare", bare),
    path("bench/ninja/", ninja_bare.urls),
    path("", include("cuakhau.urls")),
]
