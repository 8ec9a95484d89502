from django.contrib import admin

from enterprises.models import Driver, Enterprise, Vehicle


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ["tax_code", "name", "name_zh", "country", "created_at"]
    list_filter = ["country"]
    search_fields = ["tax_code", "name", "name_zh", "address"]
    readonly_fields = ["created_at"]


@admin.register(Vehicle)
class VehicleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "country", "load_class", "owner"]
    list_filter = ["country", "load_class"]
    search_fields = ["plate", "owner__name", "owner__tax_code"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]


@admin.register(Driver)
class DriverAdmin(admin.ModelAdmin):
    # Identity documents and phones are personal data: searchable by staff, not listed.
    list_display = ["name", "enterprise"]
    search_fields = ["name", "identity_document", "enterprise__name", "enterprise__tax_code"]
    list_select_related = ["enterprise"]
    autocomplete_fields = ["enterprise"]
