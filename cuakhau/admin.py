"""Admin building blocks shared by the apps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.db import transaction


class AuditedModelAdmin(admin.ModelAdmin):
    """Every change made in the admin also goes on the platform's hash-chained audit trail, in the same transaction:
    Django's own admin log can be edited without trace and misses bulk deletions. Recorded: who, from where, which
    row of which table, which fields and inline rows changed; never the values, which may be personal data."""

    def log_addition(self, request, obj, message):  # type: ignore[no-untyped-def]
        _record(admin_actor(request), "admin.added", obj, message)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):  # type: ignore[no-untyped-def]
        _record(admin_actor(request), "admin.changed", obj, message)
        return super().log_change(request, obj, message)

    def delete_model(self, request, obj):  # type: ignore[no-untyped-def]
        with transaction.atomic():
            _record(admin_actor(request), "admin.deleted", obj, [])
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        actor = admin_actor(request)
        with transaction.atomic():  # the "delete selected" action runs outside the admin's own transactions
            for obj in queryset:
                _record(actor, "admin.deleted", obj, [])
            super().delete_queryset(request, queryset)


def admin_actor(request: Any) -> Any:
    """Who acts in the admin, for the audit trail: a staff member without a profile acts as an administrator."""
    from accounts.services import ADMIN, Actor, actor_for, client_ip

    return actor_for(request.user, client_ip(request)) or Actor(request.user, ADMIN, ip_address=client_ip(request))


def _record(actor: Any, action: str, obj: Any, message: Any) -> None:
    from crossings import audit

    changes = []
    for entry in message if isinstance(message, list) else []:
        for kind, detail in entry.items():  # {"changed": {"fields": […]}} or an inline's {"added": {"name": …}}
            # The inline row's own text is left out: it could show personal data.
            changes.append({"kind": kind, **{k: str(v) if k == "name" else [str(f) for f in v]
                                            for k, v in detail.items() if k in ("name", "fields")}})
    audit.record(actor, action, data={"model": obj._meta.label_lower, "object_id": str(obj.pk), "changes": changes})


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
