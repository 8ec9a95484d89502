"""Agencies at the gates, who belongs where, API credentials and idempotent API writes."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gates.models import Gate, MultilingualName, Province


class AgencyKind(models.TextChoices):
    MANAGEMENT_BOARD = "management_board", _("Border gate management board")
    CUSTOMS = "customs", _("Customs")
    BORDER_GUARD = "border_guard", _("Border guard")
    MEDICAL_QUARANTINE = "medical_quarantine", _("Medical quarantine")
    PLANT_QUARANTINE = "plant_quarantine", _("Plant quarantine")
    ANIMAL_QUARANTINE = "animal_quarantine", _("Animal quarantine")


class Agency(MultilingualName):
    """One agency's unit: at one gate, or province-wide when `gate` is empty (supervisors)."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=AgencyKind.choices)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="agencies",
                                 verbose_name=_("province"))
    gate = models.ForeignKey(Gate, on_delete=models.PROTECT, null=True, blank=True, related_name="agencies",
                             verbose_name=_("gate"), help_text=_("Empty for a province-wide unit."))

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["province", "gate", "kind"]


class Profile(models.Model):
    """What a user acts for: an enterprise, or an agency (and through it a gate or a province)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="members", verbose_name=_("enterprise"))
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="officers",
                               verbose_name=_("agency"))
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="vi")

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        constraints = [
            models.CheckConstraint(
                condition=~(models.Q(enterprise__isnull=False) & models.Q(agency__isnull=False)),
                name="profile_enterprise_or_agency",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)


class TokenKind(models.TextChoices):
    SESSION = "session", _("Sign-in token")
    API_KEY = "api_key", _("API key")


def hash_secret(secret: str) -> str:
    # Secrets are 256-bit random strings, so a fast hash is enough: no dictionary to guess from.
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    kind = models.CharField(_("kind"), max_length=10, choices=TokenKind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=12)
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.get_kind_display()})"

    @staticmethod
    def new_secret(kind: str) -> str:
        return f"ck_{'k' if kind == TokenKind.API_KEY else 't'}_{secrets.token_urlsafe(32)}"


class IdempotencyRecord(models.Model):
    """The first successful answer to a POST carrying an Idempotency-Key, replayed on retries."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
