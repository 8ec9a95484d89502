"""The REST API: one NinjaAPI at /api/ (docs and OpenAPI), every router under /api/v1/."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import orjson
from django.db import DataError, IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import BaseRenderer, NinjaJSONEncoder
from ninja.security import HttpBearer, django_auth
from pydantic import BaseModel

from accounts.models import IdempotencyRecord
from accounts.services import Actor, actor_for, client_ip, idempotency_cutoff, user_for_secret
from cuakhau.errors import Conflict, Forbidden, ServiceError, ValidationFailed
from cuakhau.lib.errors import InvalidValue


class BearerAuth(HttpBearer):
    """A sign-in token from POST /auth/token, or an enterprise API key."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_secret(token)
        if user is not None:
            request.user = user
        return user


bearer_auth = BearerAuth()
AUTH = [bearer_auth, django_auth]

# What orjson does not write itself goes through ninja's own encoder: times (ISO 8601, milliseconds, "Z" for
# UTC, as Django writes them), decimals, lazy translations, schema instances.
_encode_other = NinjaJSONEncoder().default
_JSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def dump_json(data: Any) -> bytes:
    """The API's JSON: the text Django's encoder writes, but UTF-8 instead of \\u escapes (Vietnamese and
    Chinese names stay readable and shorter), written by orjson in a fraction of the time."""
    return orjson.dumps(data, default=_encode_other, option=_JSON_OPTIONS)


class JSONRenderer(BaseRenderer):
    """Every API answer: the trip after a confirmation, the gate board with thousands of trucks."""

    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return dump_json(data)


api = NinjaAPI(
    title="Cửa khẩu số API",
    version="1",
    description="Pre-arrival registrations and the multi-agency checkpoint workflow at Vietnam–China border gates.",
    urls_namespace="api",
    auth=AUTH,
    docs_url="/docs",
    openapi_url="/openapi.json",
    renderer=JSONRenderer(),
)


def current_actor(request: HttpRequest) -> Actor:
    actor = actor_for(request.auth if hasattr(request, "auth") and request.auth else request.user,  # type: ignore[attr-defined]
                      client_ip(request))
    if actor is None:
        raise Forbidden(_("Your account is not attached to an enterprise or an agency."))
    return actor


def error_body(message: str, code: str, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": message, "code": code}
    if errors:
        body["errors"] = errors
    return body


@api.exception_handler(ServiceError)
def _service_error(request: HttpRequest, error: ServiceError) -> HttpResponse:
    errors = None
    if isinstance(error, ValidationFailed):
        errors = {field: [str(m) for m in messages] for field, messages in error.errors.items()}
    return api.create_response(request, error_body(str(error.message), error.code, errors), status=error.status)


PYDANTIC_MESSAGES: dict[str, Callable[[dict[str, Any]], str]] = {
    "missing": lambda ctx: _("This field is required."),
    "string_too_short": lambda ctx: _("Enter at least %(n)s characters.") % {"n": ctx.get("min_length")},
    "string_too_long": lambda ctx: _("Enter at most %(n)s characters.") % {"n": ctx.get("max_length")},
    "too_short": lambda ctx: _("Add at least %(n)s.") % {"n": ctx.get("min_length")},
    "too_long": lambda ctx: _("At most %(n)s are allowed.") % {"n": ctx.get("max_length")},
    "greater_than": lambda ctx: _("Must be greater than %(n)s.") % {"n": ctx.get("gt")},
    "greater_than_equal": lambda ctx: _("Must be at least %(n)s.") % {"n": ctx.get("ge")},
    "less_than_equal": lambda ctx: _("Must be at most %(n)s.") % {"n": ctx.get("le")},
    "enum": lambda ctx: _("Choose one of: %(values)s.") % {"values": ctx.get("expected", "")},
    "literal_error": lambda ctx: _("Choose one of: %(values)s.") % {"values": ctx.get("expected", "")},
    "string_pattern_mismatch": lambda ctx: _("The format is not valid."),
    "decimal_max_digits": lambda ctx: _("Too many digits."),
    "decimal_max_places": lambda ctx: _("Too many decimal places."),
    "decimal_parsing": lambda ctx: _("Enter a number."),
    "decimal_type": lambda ctx: _("Enter a number."),
    "int_parsing": lambda ctx: _("Enter a whole number."),
    "int_type": lambda ctx: _("Enter a whole number."),
    "datetime_parsing": lambda ctx: _("Enter a date and time such as 2026-11-24T08:30."),
    "datetime_from_date_parsing": lambda ctx: _("Enter a date and time such as 2026-11-24T08:30."),
    "datetime_type": lambda ctx: _("Enter a date and time such as 2026-11-24T08:30."),
    "string_type": lambda ctx: _("Enter text."),
    "list_type": lambda ctx: _("Enter a list."),
    "model_attributes_type": lambda ctx: _("Enter an object."),
    "dict_type": lambda ctx: _("Enter an object."),
    "json_invalid": lambda ctx: _("The request body is not valid JSON."),
    "extra_forbidden": lambda ctx: _("Unknown field."),
}
LOCATION_PREFIXES = {"body", "query", "path", "header", "payload", "data", "filters"}


def translate_pydantic_error(error: dict[str, Any]) -> tuple[str, str]:
    """(dotted field path, message in the user's language) for one pydantic/ninja error."""
    location = [str(part) for part in error.get("loc", ())]
    if len(location) >= 2 and location[0] == "body":
        location = location[2:]  # ("body", <view parameter name>, field…): the parameter name is no field
    while location and location[0] in LOCATION_PREFIXES:
        location.pop(0)
    field = ".".join(location) or "__all__"
    ctx = error.get("ctx") or {}
    original = ctx.get("error")
    if isinstance(original, InvalidValue):  # our validators' lazily translated message
        return field, str(original.message)
    if error.get("type") == "value_error" and isinstance(original, str) and original:
        return field, original  # django-ninja hands over str(InvalidValue): already in the user's language
    make = PYDANTIC_MESSAGES.get(error.get("type", ""))
    return field, make(ctx) if make else _("This value is not valid.")


def pydantic_errors(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    collected: dict[str, list[str]] = {}
    for error in errors:
        field, message = translate_pydantic_error(error)
        collected.setdefault(field, []).append(message)
    return collected


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, error: ValidationError) -> HttpResponse:
    errors = pydantic_errors(list(error.errors))
    return api.create_response(request, error_body(_("Please correct the errors below."), "invalid", errors),
                               status=422)


@api.exception_handler(DataError)
def _unstorable_value(request: HttpRequest, error: DataError) -> HttpResponse:
    """A value the database refuses to store or compare (a NUL character on PostgreSQL, a number out of
    range): bad input, so a 422, never a 500."""
    errors = {"__all__": [_("This value is not valid.")]}
    return api.create_response(request, error_body(_("Please correct the errors below."), "invalid", errors),
                               status=422)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    return api.create_response(request, error_body(_("Sign in first: send a valid bearer token."), "unauthorized"),
                               status=401)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    messages = {400: _("The request is malformed."), 404: _("Not found."), 405: _("Method not allowed.")}
    return api.create_response(request, error_body(messages.get(error.status_code, str(error)), "http_error"),
                               status=error.status_code)


# --- idempotent writes ------------------------------------------------------------------------

IDEMPOTENCY_HEADER = "Idempotency-Key"


def idempotent(request: HttpRequest, action: Callable[[], tuple[int, BaseModel | dict[str, Any]]],
               secret_fields: tuple[str, ...] = (), user: Any = None,
               fingerprinted: bytes | None = None) -> Status[BaseModel | dict[str, Any]] | HttpResponse:
    """Run a write once per Idempotency-Key: a retry gets the first answer and changes nothing.

    The action answers with a schema instance, or with a dict that our own code built in the response
    schema's exact shape (crossings.reads.trip_document), which is rendered as ninja renders a validated
    answer, without validating it a second time.

    The action and the record of its answer commit in one transaction; a concurrent duplicate
    fails on the unique key, rolls back its own work and answers with the stored result.

    Keys belong to the signed-in user, or to `user` where the request carries no token (a sign-in). The
    request is told apart from another one with the same key by its line and body, or by `fingerprinted`
    instead of the body where the body holds a secret (a password must not be kept, even hashed quickly).
    """
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not key:
        status, body = action()
        if isinstance(body, dict):
            return api.create_response(request, body, status=status)
        # Nothing to store: hand the schema instance to ninja, which validates and renders it once.
        return Status(status, body)
    if len(key) > 200:
        raise ValidationFailed({IDEMPOTENCY_HEADER: [_("Use a key of at most 200 characters.")]})
    if user is None:
        user = request.auth  # type: ignore[attr-defined]
    request_line = f"{request.method} {request.path}\n".encode()
    fingerprint = hashlib.sha256(request_line + (request.body if fingerprinted is None else fingerprinted)).hexdigest()
    cutoff = idempotency_cutoff()
    try:
        with transaction.atomic():
            stored = IdempotencyRecord.objects.filter(user=user, key=key).first()
            if stored is not None and stored.created_at < cutoff:  # expired: the key is new again
                stored.delete()
                stored = None
            if stored is not None:
                return Status(*_replay(stored, fingerprint))
            status, body = action()
            payload = _as_json(body)
            # A secret (a new API key) is shown once and never kept in clear: a retry gets it blanked.
            kept = {name: "" if name in secret_fields else value for name, value in payload.items()}
            IdempotencyRecord.objects.create(user=user, key=key, fingerprint=fingerprint, status_code=status,
                                             response=kept)
            return Status(status, payload)
    except (IntegrityError, ServiceError):
        # A concurrent twin committed first: its record, or a refusal it caused (PostgreSQL lets both run
        # until the twin's rows collide, e.g. "this truck is already on an open trip"), means: replay it.
        stored = IdempotencyRecord.objects.filter(user=user, key=key, created_at__gte=cutoff).first()
        if stored is None:
            raise
        return Status(*_replay(stored, fingerprint))


def _replay(stored: IdempotencyRecord, fingerprint: str) -> tuple[int, dict[str, Any]]:
    if stored.fingerprint != fingerprint:
        raise Conflict(_("This Idempotency-Key was already used for a different request."), "idempotency_key_reused")
    return stored.status_code, stored.response


def _as_json(body: BaseModel | dict[str, Any]) -> dict[str, Any]:
    if isinstance(body, BaseModel):
        return json.loads(body.model_dump_json())
    return json.loads(dump_json(body))  # e.g. datetimes as text, as the first answer wrote them: storable as JSON


def mount_routers() -> None:
    from accounts.api import router as accounts_router
    from crossings.api import router as crossings_router
    from declarations.api import router as declarations_router
    from gates.api import router as gates_router
    from queueing.api import router as queueing_router

    api.add_router("/v1/", accounts_router)
    api.add_router("/v1/", gates_router)
    api.add_router("/v1/", declarations_router)
    api.add_router("/v1/", crossings_router)
    api.add_router("/v1/", queueing_router)


mount_routers()
