"""Credentials: sign-in tokens for people, API keys for enterprises' own systems."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from accounts.models import ApiToken, TokenKind
from accounts.schemas import ApiKeyCreatedOut, ApiKeyIn, ApiKeyOut, ErrorOut, TokenIn, TokenOut
from accounts.services import do_create_api_key, do_revoke_token, issue_token
from cuakhau.api import current_actor, idempotent
from cuakhau.errors import NotFound, ServiceError

router = Router(tags=["auth"])


class Unauthorized(ServiceError):
    status = 401
    default_code = "unauthorized"


@router.post("/auth/token", auth=None,
             response={200: TokenOut, 400: ErrorOut, 401: ErrorOut, 409: ErrorOut, 422: ErrorOut})
def sign_in(request: HttpRequest, credentials: TokenIn):  # type: ignore[no-untyped-def]
    user = authenticate(request, username=credentials.username, password=credentials.password)
    if user is None:
        raise Unauthorized(_("Wrong username or password."))

    def sign_in_once():  # type: ignore[no-untyped-def]
        token, secret = issue_token(user, TokenKind.SESSION)  # type: ignore[arg-type]
        return 200, TokenOut(token=secret, expires_at=token.expires_at)

    # A retry with the same Idempotency-Key issues no second token, and (a secret being shown once) gets the
    # first one's expiry with the token blanked: a client that lost the answer signs in again with a new key.
    return idempotent(request, sign_in_once, secret_fields=("token",), user=user,
                      fingerprinted=credentials.username.encode())


@router.get("/api-keys", response={200: list[ApiKeyOut], 401: ErrorOut, 403: ErrorOut})
def list_api_keys(request: HttpRequest):  # type: ignore[no-untyped-def]
    actor = current_actor(request)
    return ApiToken.objects.filter(user=actor.user, kind=TokenKind.API_KEY).order_by("-created_at")


@router.post("/api-keys", response={201: ApiKeyCreatedOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut})
def create_api_key(request: HttpRequest, data: ApiKeyIn):  # type: ignore[no-untyped-def]
    actor = current_actor(request)

    def create():  # type: ignore[no-untyped-def]
        token, secret = do_create_api_key(actor, data.name)
        return 201, ApiKeyCreatedOut(id=token.pk, name=token.name, prefix=token.prefix, created_at=token.created_at,
                                     revoked_at=None, key=secret)

    return idempotent(request, create, secret_fields=("key",))


@router.delete("/api-keys/{key_id}", response={204: None, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def revoke_api_key(request: HttpRequest, key_id: int):  # type: ignore[no-untyped-def]
    actor = current_actor(request)
    token = ApiToken.objects.filter(pk=key_id, user=actor.user, kind=TokenKind.API_KEY).select_related("user").first()
    if token is None:
        raise NotFound(_("API key not found."))
    do_revoke_token(actor, token)
    return Status(204, None)
