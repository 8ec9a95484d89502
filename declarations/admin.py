from django.contrib import admin

from cuakhau.admin import ReadOnlyModelAdmin
from declarations.models import Consignment, DailySequence, Item, Registration


class ViewOnlyMixin:
    """Registrations change only through the services, which validate and write the audit trail."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class ConsignmentInline(ViewOnlyMixin, admin.StackedInline):
    model = Consignment
    extra = 0
    show_change_link = True


class ItemInline(ViewOnlyMixin, admin.TabularInline):
    model = Item
    extra = 0


@admin.register(Registration)
class RegistrationAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["number", "gate", "direction", "planned_arrival", "declarant", "status", "version", "created_at"]
    list_filter = ["status", "direction", "gate"]
    search_fields = ["number", "declarant__name", "declarant__tax_code", "consignments__declaration_number",
                     "trips__vehicle__plate"]
    date_hierarchy = "planned_arrival"
    list_select_related = ["gate", "declarant"]
    inlines = [ConsignmentInline]


@admin.register(Consignment)
class ConsignmentAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["declaration_number", "declaration_type", "description", "registration"]
    list_filter = ["declaration_type"]
    search_fields = ["declaration_number", "description", "registration__number"]
    list_select_related = ["registration"]
    inlines = [ItemInline]


@admin.register(Item)
class ItemAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["hs_code", "description", "quantity", "unit", "gross_weight_kg", "value", "currency",
                    "consignment"]
    search_fields = ["hs_code", "description", "consignment__declaration_number"]
    list_select_related = ["consignment"]


@admin.register(DailySequence)
class DailySequenceAdmin(ReadOnlyModelAdmin):
    """The registration number counters: deleting one would start a day's numbers again, into the numbers given."""

    list_display = ["gate", "day", "last"]
    list_filter = ["gate"]
    date_hierarchy = "day"
