"""Errors that services raise and the edges (API, web) turn into 4xx answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

Message = str | Promise


class ServiceError(Exception):
    status = 400
    default_code = "bad_request"

    def __init__(self, message: Message, code: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code or self.default_code


class NotFound(ServiceError):
    status = 404
    default_code = "not_found"


class Forbidden(ServiceError):
    status = 403
    default_code = "forbidden"


class Conflict(ServiceError):
    """The state changed under the caller, or the step is already done."""

    status = 409
    default_code = "conflict"


class ValidationFailed(ServiceError):
    """One or more fields are wrong; `errors` maps a dotted field path to its messages."""

    status = 422
    default_code = "invalid"

    def __init__(self, errors: Mapping[str, Sequence[Message]], message: Message | None = None) -> None:
        super().__init__(message or _("Please correct the errors below."))
        self.errors = {field: list(messages) for field, messages in errors.items()}


class FieldErrors:
    """Collects messages per field, then raises them all at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[Message]] = {}

    def add(self, field: str, message: Message) -> None:
        self.errors.setdefault(field, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)
