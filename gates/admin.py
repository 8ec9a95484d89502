from django.contrib import admin

from cuakhau.admin import AuditedModelAdmin, ReadOnlyModelAdmin
from gates.models import (
    Closure,
    Gate,
    GoodsProtocol,
    Lane,
    ProtocolGate,
    Province,
    ReferenceRevision,
    WorkingHours,
    Yard,
)


class LaneInline(admin.TabularInline):
    model = Lane
    extra = 0


class YardInline(admin.TabularInline):
    model = Yard
    extra = 0


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0


@admin.register(Province)
class ProvinceAdmin(AuditedModelAdmin):
    list_display = ["code", "name_vi", "name_zh", "name_en", "country"]
    search_fields = ["code", "name_vi", "name_zh", "name_en"]
    list_filter = ["country"]


@admin.register(Gate)
class GateAdmin(AuditedModelAdmin):
    list_display = ["code", "name_vi", "name_zh", "counterpart_name_vi", "counterpart_name_zh", "province", "kind",
                    "transport_mode", "handles_goods", "uses_slots"]
    list_filter = ["province", "kind", "transport_mode", "handles_goods", "uses_slots"]
    search_fields = ["code", "name_vi", "name_zh", "name_en", "counterpart_name_vi", "counterpart_name_zh", "markers"]
    list_select_related = ["province"]
    inlines = [LaneInline, YardInline, WorkingHoursInline, ClosureInline]


@admin.register(Lane)
class LaneAdmin(AuditedModelAdmin):
    list_display = ["__str__", "gate", "kind", "direction", "automated", "trucks_per_hour"]
    list_filter = ["gate", "kind", "direction", "automated"]
    search_fields = ["code", "gate__code", "gate__name_vi"]
    list_select_related = ["gate"]


@admin.register(Yard)
class YardAdmin(AuditedModelAdmin):
    list_display = ["code", "name_vi", "name_zh", "gate", "operator", "places"]
    list_filter = ["gate"]
    search_fields = ["code", "name_vi", "name_zh", "name_en", "operator", "gate__name_vi"]
    list_select_related = ["gate"]


@admin.register(WorkingHours)
class WorkingHoursAdmin(AuditedModelAdmin):
    list_display = ["gate", "weekday", "opens", "closes"]
    list_filter = ["gate", "weekday"]
    search_fields = ["gate__code", "gate__name_vi"]
    list_select_related = ["gate"]


@admin.register(Closure)
class ClosureAdmin(AuditedModelAdmin):
    list_display = ["gate", "reason", "starts_at", "ends_at"]
    list_filter = ["gate"]
    search_fields = ["reason", "gate__code", "gate__name_vi"]
    date_hierarchy = "starts_at"
    list_select_related = ["gate"]


class ProtocolGateInline(admin.TabularInline):
    model = ProtocolGate
    extra = 0
    autocomplete_fields = ["gate"]


@admin.register(GoodsProtocol)
class GoodsProtocolAdmin(AuditedModelAdmin):
    list_display = ["hs_prefix", "name_vi", "name_zh", "name_en", "directions"]
    search_fields = ["hs_prefix", "name_vi", "name_zh", "name_en"]
    inlines = [ProtocolGateInline]


@admin.register(ProtocolGate)
class ProtocolGateAdmin(AuditedModelAdmin):
    list_display = ["protocol", "gate", "since"]
    list_filter = ["protocol", "gate"]
    search_fields = ["protocol__hs_prefix", "protocol__name_vi", "gate__code", "gate__name_vi"]
    list_select_related = ["protocol", "gate"]


@admin.register(ReferenceRevision)
class ReferenceRevisionAdmin(ReadOnlyModelAdmin):
    """Shown so an operator can see when reference data last changed; written only by the platform."""

    list_display = ("token", "changed_at")
