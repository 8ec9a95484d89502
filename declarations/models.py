"""Pre-arrival transport registrations: the online declaration that replaced five paper forms."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprises.models import Enterprise
from gates.models import Direction, Gate, Yard


class RegistrationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted, awaiting confirmation")
    RETURNED = "returned", _("Returned for correction")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class Registration(models.Model):
    number = models.CharField(_("number"), max_length=32, unique=True)
    gate = models.ForeignKey(Gate, on_delete=models.PROTECT, related_name="registrations", verbose_name=_("gate"))
    direction = models.CharField(_("direction"), max_length=20, choices=Direction.choices)
    planned_arrival = models.DateTimeField(_("planned arrival"))
    declarant = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="registrations",
                                  verbose_name=_("declaring enterprise"))
    fee_payer = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="paid_registrations",
                                  verbose_name=_("fee-paying enterprise"))
    yard = models.ForeignKey(Yard, on_delete=models.PROTECT, related_name="registrations", verbose_name=_("yard"))
    status = models.CharField(_("status"), max_length=12, choices=RegistrationStatus.choices,
                              default=RegistrationStatus.SUBMITTED)
    # Bumped on every change: an amendment or decision made against an older version gets a 409.
    version = models.PositiveIntegerField(_("version"), default=1)
    return_reason = models.TextField(_("reason for return"), blank=True)
    reject_reason = models.TextField(_("reason for rejection"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["gate", "status"]), models.Index(fields=["declarant", "-created_at"])]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open_for_amendment(self) -> bool:
        return self.status in (RegistrationStatus.SUBMITTED, RegistrationStatus.RETURNED)


class Consignment(models.Model):
    """A goods group covered by one customs (VNACCS) declaration."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="consignments")
    declaration_number = models.CharField(_("customs declaration number"), max_length=12)
    declaration_type = models.CharField(_("declaration type code"), max_length=3)
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("consignment")
        verbose_name_plural = _("consignments")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.declaration_number


class Item(models.Model):
    consignment = models.ForeignKey(Consignment, on_delete=models.CASCADE, related_name="items")
    hs_code = models.CharField(_("HS code"), max_length=10)
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=20)
    gross_weight_kg = models.DecimalField(_("gross weight (kg)"), max_digits=12, decimal_places=2)
    value = models.DecimalField(_("value"), max_digits=16, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="USD")

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.hs_code} {self.description}"


class DailySequence(models.Model):
    """The last number handed out per gate and local day; incremented in the registering transaction."""

    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["gate", "day"], name="daily_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.gate_id} {self.day}: {self.last}"
