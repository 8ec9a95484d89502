"""Infrastructure-use fees: a tariff kept as data, the fee of each trip, and its payment."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crossings.models import Journey, Trip
from enterprises.models import LoadClass


class GoodsType(models.TextChoices):
    GENERAL = "general", _("General goods")
    AGRICULTURAL = "agricultural", _("Agricultural, forestry and fishery products")
    REEXPORT_TRANSIT = "reexport_transit", _("Temporary import for re-export, transit, transshipment")


class Tariff(models.Model):
    """Fee per trip in VND by load class and goods type (modelled on Lạng Sơn resolution 09/2025)."""

    load_class = models.CharField(_("load class"), max_length=8, choices=LoadClass.choices)
    goods_type = models.CharField(_("goods type"), max_length=20, choices=GoodsType.choices)
    amount_vnd = models.PositiveIntegerField(_("amount (VND)"))

    class Meta:
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        constraints = [models.UniqueConstraint(fields=["load_class", "goods_type"], name="tariff_unique")]
        ordering = ["goods_type", "load_class"]

    def __str__(self) -> str:
        return f"{self.get_goods_type_display()} · {self.get_load_class_display()}: {self.amount_vnd:,} ₫"


class JourneyFactor(models.Model):
    """Percent of the tariff a journey pays: going inland 130 %, transshipping only 30 %."""

    journey = models.CharField(_("journey"), max_length=10, choices=Journey.choices, unique=True)
    percent = models.PositiveSmallIntegerField(_("percent of tariff"))

    class Meta:
        verbose_name = _("journey factor")
        verbose_name_plural = _("journey factors")

    def __str__(self) -> str:
        return f"{self.get_journey_display()}: {self.percent}%"


class TripFee(models.Model):
    trip = models.OneToOneField(Trip, on_delete=models.CASCADE, related_name="fee")
    goods_type = models.CharField(_("goods type"), max_length=20, choices=GoodsType.choices)
    tariff_vnd = models.PositiveIntegerField(_("tariff (VND)"))
    percent = models.PositiveSmallIntegerField(_("percent of tariff"))
    amount_vnd = models.PositiveIntegerField(_("fee (VND)"))
    receipt_number = models.CharField(_("receipt number"), max_length=40, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")

    class Meta:
        verbose_name = _("trip fee")
        verbose_name_plural = _("trip fees")
        constraints = [
            models.UniqueConstraint(fields=["receipt_number"], condition=~models.Q(receipt_number=""),
                                    name="receipt_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.trip_id}: {self.amount_vnd:,} ₫"
