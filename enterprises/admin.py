from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cuakhau.admin import AuditedModelAdmin, masked
from cuakhau.lib.people import mask_identity, mask_phone
from enterprises.models import Driver, Enterprise, Vehicle


@admin.register(Enterprise)
class EnterpriseAdmin(AuditedModelAdmin):
    list_display = ["tax_code", "name", "name_zh", "country", "created_at"]
    list_filter = ["country"]
    search_fields = ["tax_code", "name", "name_zh", "address"]
    readonly_fields = ["created_at"]


@admin.register(Vehicle)
class VehicleAdmin(AuditedModelAdmin):
    list_display = ["__str__", "country", "load_class", "owner"]
    list_filter = ["country", "load_class"]
    search_fields = ["plate", "owner__name", "owner__tax_code"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]
    # Follows from the plate (Vehicle.clean), as in a registration.
    readonly_fields = ["country"]


@admin.register(Driver)
class DriverAdmin(AuditedModelAdmin):
    # Identity documents and phones are personal data, shown in clear only to the declaring enterprise and the
    # officers of the trip's gate: staff find a driver by a number they already have, and see it masked.
    # Drivers come from registrations, so none is added here.
    list_display = ["name", "enterprise"]
    # The whole number only ("="): a search by part of it would reveal it digit by digit through the results.
    search_fields = ["name", "=identity_document", "enterprise__name", "enterprise__tax_code"]
    list_select_related = ["enterprise"]
    autocomplete_fields = ["enterprise"]
    fields = ["name", "enterprise", "masked_identity_document", "masked_phone"]
    readonly_fields = ["masked_identity_document", "masked_phone"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    masked_identity_document = masked("identity_document", mask_identity, _("ID or passport number"))
    masked_phone = masked("phone", mask_phone, _("phone"))
