"""The platform's URLs plus `/bench/bare`: the baseline of api_confirm.py.

The bare view authenticates the bearer token exactly as the API does
(accounts.services.user_for_secret) and answers a small JSON document; nothing else.
"""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from accounts.services import user_for_secret


@csrf_exempt
def bare(request: HttpRequest) -> JsonResponse:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    user = user_for_secret(secret.strip()) if scheme.lower() == "bearer" and secret.strip() else None
    if user is None:
        return JsonResponse({"detail": "unauthorized"}, status=401)
    return JsonResponse({"ok": True, "user": user.get_username()})


urlpatterns = [
    path("bench/bare", bare),
    path("", include("cuakhau.urls")),
]
