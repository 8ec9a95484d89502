from django.contrib import admin

from cuakhau.admin import AuditedModelAdmin, ReadOnlyModelAdmin
from fees.models import JourneyFactor, Tariff, TripFee


@admin.register(Tariff)
class TariffAdmin(AuditedModelAdmin):
    list_display = ["goods_type", "load_class", "amount_vnd"]
    list_filter = ["goods_type", "load_class"]
    list_editable = ["amount_vnd"]


@admin.register(JourneyFactor)
class JourneyFactorAdmin(AuditedModelAdmin):
    list_display = ["journey", "percent"]
    list_editable = ["percent"]


@admin.register(TripFee)
class TripFeeAdmin(ReadOnlyModelAdmin):
    """Fees are assessed when a registration is confirmed and paid at the fee_paid checkpoint."""

    list_display = ["trip", "goods_type", "tariff_vnd", "percent", "amount_vnd", "receipt_number", "paid_at"]
    list_filter = ["goods_type", ("paid_at", admin.EmptyFieldListFilter)]
    search_fields = ["receipt_number", "trip__registration__number", "trip__vehicle__plate"]
    list_select_related = ["trip__registration"]
