from django.contrib import admin

from cuakhau.admin import AuditedModelAdmin
from queueing.models import (
    Booking,
    CallForward,
    CapacityOverride,
    GateQueuePolicy,
    HourSlot,
    PerishableHeading,
    WaitingArea,
)


@admin.register(GateQueuePolicy)
class GateQueuePolicyAdmin(AuditedModelAdmin):
    list_display = ["gate", "green_share_percent", "congestion_yellow_from", "congestion_orange_from",
                    "congestion_red_above"]


@admin.register(CapacityOverride)
class CapacityOverrideAdmin(AuditedModelAdmin):
    list_display = ["gate", "direction", "starts_at", "ends_at", "trucks_per_hour", "reason", "created_by"]
    list_filter = ["gate", "direction"]


@admin.register(PerishableHeading)
class PerishableHeadingAdmin(AuditedModelAdmin):
    list_display = ["hs_prefix", "name_vi", "name_zh", "name_en"]


@admin.register(WaitingArea)
class WaitingAreaAdmin(AuditedModelAdmin):
    list_display = ["code", "gate", "name_vi", "name_zh"]


class ReadOnly(admin.ModelAdmin):
    """Places, bookings and calls change only through the services, with their audit rows."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(HourSlot)
class HourSlotAdmin(ReadOnly):
    list_display = ["gate", "direction", "hour_start", "capacity", "booked", "reserved", "green_booked"]
    list_filter = ["gate", "direction", "day"]


@admin.register(Booking)
class BookingAdmin(ReadOnly):
    list_display = ["trip", "enterprise", "slot", "green", "status", "version"]
    list_filter = ["status", "green"]


@admin.register(CallForward)
class CallForwardAdmin(ReadOnly):
    list_display = ["trip", "yard", "waiting_area", "called_at", "green"]
