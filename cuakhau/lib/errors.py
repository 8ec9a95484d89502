"""The single exception type raised by the validation helpers in ``cuakhau.lib``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class InvalidValue(ValueError):
    """A user-supplied value failed validation.

    ``message`` is kept lazy (``gettext_lazy``) so raising never needs Django
    settings and the text is rendered in whatever language is active when it is
    finally displayed. It never contains the rejected value: many inputs are
    personal data (ID and phone numbers).
    """

    def __init__(self, message: StrOrPromise) -> None:
        # Pass the lazy object, not str(message): str() would translate right now,
        # which fails outside a configured Django project (scripts, simulator).
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)
