"""Enterprises that declare trucks, their vehicles and drivers."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Country(models.TextChoices):
    VIETNAM = "VN", _("Vietnam")
    CHINA = "CN", _("China")


class Enterprise(models.Model):
    """Identified by a Vietnamese tax code or a Chinese unified social credit code."""

    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    tax_code = models.CharField(_("tax code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=250)
    name_zh = models.CharField(_("name (Chinese)"), max_length=250, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.tax_code})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from cuakhau.lib.codes import normalize_tax_code
        from cuakhau.lib.errors import InvalidValue

        try:
            self.tax_code = normalize_tax_code(self.tax_code, self.country)
        except InvalidValue as error:
            raise ValidationError({"tax_code": error.message}) from error


class LoadClass(models.TextChoices):
    UNDER_4T = "lt4", _("Under 4 t")
    FROM_4_TO_10T = "4to10", _("4–10 t")
    FROM_10_TO_18T = "10to18", _("10–18 t")
    OVER_18T = "ge18", _("18 t and over / 20′ container")
    CONTAINER_40FT = "c40", _("40′ container")


class Vehicle(models.Model):
    """A truck known to the platform, by its normalised plate."""

    plate = models.CharField(_("plate"), max_length=16, unique=True)
    country = models.CharField(_("nationality"), max_length=2, choices=Country.choices)
    load_class = models.CharField(_("load class"), max_length=8, choices=LoadClass.choices)
    owner = models.ForeignKey(Enterprise, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="vehicles", verbose_name=_("owner"))

    class Meta:
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        ordering = ["plate"]

    def __str__(self) -> str:
        from cuakhau.lib.plates import format_plate

        return format_plate(self.plate)

    def clean(self) -> None:
        # "29C-123.45", "29c12345" and "29C 123.45" are one truck: stored in one form, whoever types it.
        from django.core.exceptions import ValidationError

        from cuakhau.lib.errors import InvalidValue
        from cuakhau.lib.plates import normalize_plate, plate_country

        try:
            self.plate = normalize_plate(self.plate)
        except InvalidValue as error:
            raise ValidationError({"plate": error.message}) from error
        self.country = plate_country(self.plate)


class Driver(models.Model):
    """Personal data: identity document and phone are shown only to the declaring enterprise and
    to the officers of the gate a trip goes through."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="drivers",
                                   verbose_name=_("enterprise"))
    name = models.CharField(_("name"), max_length=100)
    identity_document = models.CharField(_("ID or passport number"), max_length=20)
    phone = models.CharField(_("phone"), max_length=20)

    class Meta:
        verbose_name = _("driver")
        verbose_name_plural = _("drivers")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "identity_document"], name="driver_unique_per_enterprise"),
        ]

    def __str__(self) -> str:
        return self.name
