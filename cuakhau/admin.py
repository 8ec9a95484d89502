"""Admin building blocks shared by the apps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """Rows the platform writes itself (fees, revisions): shown in the admin, never edited there."""

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


def masked(field: str, mask: Callable[[str], str], description: Any) -> Callable[[Any, Any], str]:
    """A read-only admin column showing a personal-data field masked (`cuakhau.lib.people`): the admin is not
    among those who may read a driver's ID or phone in clear."""

    @admin.display(description=description)
    def show(model_admin: Any, obj: Any) -> str:
        return mask(getattr(obj, field))

    return show
