from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from crossings.models import AuditEvent, AuditHead, Checkpoint, TransshipmentVehicle, Trip
from cuakhau.admin import masked
from cuakhau.lib.people import mask_identity, mask_phone


class ReadOnlyAdmin(admin.ModelAdmin):
    """Trips change only through the services, each change with its audit row; the audit trail itself is
    append-only and hash-chained. Nobody adds, changes or deletes these rows here."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class CheckpointInline(admin.TabularInline):
    """Checkpoints are confirmed by officers through the platform, never edited here."""

    model = Checkpoint
    extra = 0
    can_delete = False
    readonly_fields = ("name", "state", "confirmed_at", "confirmed_by", "agency", "automatic", "note")
    fields = readonly_fields
    ordering = ["position"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class TransshipmentVehicleInline(admin.TabularInline):
    model = TransshipmentVehicle
    extra = 0
    can_delete = False
    readonly_fields = ("plate", "driver_name", "entered_at", "exited_at")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Trip)
class TripAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "vehicle", "load_class", "journey", "stage", "outcome", "created_at"]
    list_filter = ["stage", "outcome", "journey", "load_class", "registration__gate"]
    search_fields = ["registration__number", "vehicle__plate", "container_number", "driver__name"]
    list_select_related = ["registration", "vehicle"]
    exclude = ["ticket_token"]
    inlines = [CheckpointInline, TransshipmentVehicleInline]


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    list_display = ["trip", "name", "state", "confirmed_at", "confirmed_by", "agency", "automatic"]
    list_filter = ["name", "state", "automatic", "agency__kind"]
    search_fields = ["trip__registration__number", "trip__vehicle__plate"]
    list_select_related = ["trip__registration", "confirmed_by", "agency"]


@admin.register(TransshipmentVehicle)
class TransshipmentVehicleAdmin(ReadOnlyAdmin):
    list_display = ["plate", "driver_name", "trip", "entered_at", "exited_at"]
    search_fields = ["plate", "driver_name", "trip__registration__number"]
    list_select_related = ["trip__registration"]
    # The driver's ID and phone are personal data (enterprises.admin.DriverAdmin): masked here too.
    fields = ["trip", "plate", "driver_name", "masked_identity_document", "masked_phone", "entered_at", "exited_at"]
    readonly_fields = ["masked_identity_document", "masked_phone"]

    masked_identity_document = masked("driver_identity_document", mask_identity, _("driver ID or passport"))
    masked_phone = masked("driver_phone", mask_phone, _("driver phone"))


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "at", "actor_name", "role", "agency_code", "gate_code", "action", "registration_number",
                    "checkpoint", "automatic"]
    list_filter = ["action", "role", "gate_code", "automatic"]
    search_fields = ["actor_name", "registration_number", "agency_code", "note"]
    date_hierarchy = "at"
    actions = None


@admin.register(AuditHead)
class AuditHeadAdmin(ReadOnlyAdmin):
    list_display = ["last_id", "last_hash", "count"]
    actions = None
