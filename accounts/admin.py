from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, ApiToken, IdempotencyRecord, Profile
from cuakhau.admin import AuditedModelAdmin, admin_actor


@admin.register(Agency)
class AgencyAdmin(AuditedModelAdmin):
    list_display = ["code", "name_vi", "name_zh", "kind", "gate", "province"]
    list_filter = ["kind", "province", "gate"]
    search_fields = ["code", "name_vi", "name_zh", "name_en"]
    list_select_related = ["gate", "province"]


@admin.register(Profile)
class ProfileAdmin(AuditedModelAdmin):
    list_display = ["user", "enterprise", "agency", "language"]
    list_filter = ["language", "agency__kind", "agency__gate"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "enterprise__name",
                     "enterprise__tax_code", "agency__code"]
    list_select_related = ["user", "enterprise", "agency"]
    autocomplete_fields = ["user", "enterprise", "agency"]


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedModelAdmin):
    """Tokens are issued by the API (the secret is shown once); here they can only be read and revoked."""

    list_display = ["prefix", "user", "kind", "name", "created_at", "expires_at", "revoked_at"]
    list_filter = ["kind", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "name", "user__username"]
    list_select_related = ["user"]
    fields = ["user", "kind", "name", "prefix", "created_at", "expires_at", "revoked_at"]
    # Revoked only by the action below (audited), never by editing the date: clearing it would bring a key back.
    readonly_fields = ["user", "kind", "name", "prefix", "created_at", "expires_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):  # type: ignore[no-untyped-def]
        from accounts.services import do_revoke_token

        actor = admin_actor(request)
        for token in queryset.filter(revoked_at__isnull=True).select_related("user"):
            do_revoke_token(actor, token)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ["key", "user", "status_code", "created_at"]
    search_fields = ["key", "user__username"]
    list_filter = ["status_code"]
    list_select_related = ["user"]
    # Not the kept answer: it may hold a driver's ID and phone as the caller saw them (personal data).
    fields = ("user", "key", "status_code", "created_at")
    readonly_fields = ("user", "key", "status_code", "created_at")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


# Accounts and their permissions (superuser, staff, groups) are changed here: on the audit trail like the rest.
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class AuditedUserAdmin(AuditedModelAdmin, UserAdmin):  # type: ignore[type-arg]
    pass


@admin.register(Group)
class AuditedGroupAdmin(AuditedModelAdmin, GroupAdmin):
    pass
