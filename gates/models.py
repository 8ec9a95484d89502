"""Reference data of the border: provinces, gate pairs, lanes, yards, hours and goods protocols."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    IMPORT = "import", _("Import")
    EXPORT = "export", _("Export")
    TEMPORARY_IMPORT = "temp_import", _("Temporary import for re-export")
    TRANSIT = "transit", _("Transit")
    TRANSSHIPMENT = "transshipment", _("Border transshipment")

    @classmethod
    def entering_vietnam(cls) -> frozenset[str]:
        return frozenset({cls.IMPORT, cls.TEMPORARY_IMPORT, cls.TRANSIT, cls.TRANSSHIPMENT})


def localized_name(name_vi: str, name_zh: str, name_en: str) -> str:
    """The name in the active language, falling back to the Vietnamese name of record."""
    language = (get_language() or "vi").lower()
    if language.startswith("zh") and name_zh:
        return name_zh
    if language.startswith("en") and name_en:
        return name_en
    return name_vi


def bump_reference_revision() -> None:
    """Mark the reference data as changed, in the caller's transaction if any (see gates.rules)."""
    token = uuid.uuid4().hex
    if not ReferenceRevision.objects.filter(pk=1).update(token=token):
        ReferenceRevision.objects.update_or_create(pk=1, defaults={"token": token})


class ReferenceQuerySet(models.QuerySet):
    """Bulk writes skip save() and its signals: they mark the reference data as changed themselves."""

    def update(self, **kwargs):  # type: ignore[no-untyped-def]
        count = super().update(**kwargs)
        if count:
            bump_reference_revision()
        return count

    def bulk_create(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        created = super().bulk_create(*args, **kwargs)
        bump_reference_revision()
        return created

    def bulk_update(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        count = super().bulk_update(*args, **kwargs)
        bump_reference_revision()
        return count


ReferenceManager = models.Manager.from_queryset(ReferenceQuerySet)


class MultilingualName(models.Model):
    """Vietnamese is the name of record; Chinese and English are shown to those users."""

    name_vi = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localized_name(self.name_vi, self.name_zh, self.name_en)


class Province(MultilingualName):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    country = models.CharField(_("country"), max_length=2, default="VN")

    objects = ReferenceManager()

    class Meta:
        verbose_name = _("province")
        verbose_name_plural = _("provinces")
        ordering = ["code"]


class GateKind(models.TextChoices):
    INTERNATIONAL = "international", _("International")
    MAIN = "main", _("Main (bilateral)")
    AUXILIARY = "auxiliary", _("Auxiliary")
    CLEARANCE_ROUTE = "clearance_route", _("Auxiliary / clearance route")


class TransportMode(models.TextChoices):
    ROAD = "road", _("Road")
    RAIL = "rail", _("Rail")


class Gate(MultilingualName):
    """A Vietnamese border gate together with its Chinese counterpart (a gate pair)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="gates",
                                 verbose_name=_("province"))
    counterpart_name_vi = models.CharField(_("Chinese counterpart (Vietnamese name)"), max_length=200, blank=True)
    counterpart_name_zh = models.CharField(_("Chinese counterpart (Chinese name)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=GateKind.choices)
    transport_mode = models.CharField(_("transport mode"), max_length=10, choices=TransportMode.choices,
                                      default=TransportMode.ROAD)
    markers = models.CharField(_("border markers"), max_length=200, blank=True)
    clearance_routes = models.CharField(_("clearance routes"), max_length=300, blank=True)
    handles_goods = models.BooleanField(_("open for goods"), default=True)
    uses_slots = models.BooleanField(_("arrival slots required"), default=False)

    objects = ReferenceManager()

    class Meta:
        verbose_name = _("gate pair")
        verbose_name_plural = _("gate pairs")
        ordering = ["province__code", "code"]

    @property
    def counterpart_name(self) -> str:
        language = (get_language() or "vi").lower()
        return self.counterpart_name_zh if language.startswith("zh") else self.counterpart_name_vi


class LaneKind(models.TextChoices):
    ENTRY = "entry", _("Entry")
    EXIT = "exit", _("Exit")


class Lane(models.Model):
    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="lanes", verbose_name=_("gate"))
    code = models.SlugField(_("code"), max_length=32)
    kind = models.CharField(_("kind"), max_length=10, choices=LaneKind.choices)
    direction = models.CharField(_("direction"), max_length=20, choices=Direction.choices)
    automated = models.BooleanField(_("automated (plate recognition)"), default=False)
    trucks_per_hour = models.PositiveIntegerField(_("trucks per hour"), default=30)

    objects = ReferenceManager()

    class Meta:
        verbose_name = _("lane")
        verbose_name_plural = _("lanes")
        constraints = [models.UniqueConstraint(fields=["gate", "code"], name="lane_code_unique_per_gate")]
        ordering = ["gate", "code"]

    def __str__(self) -> str:
        return f"{self.gate.code}/{self.code}"


class Yard(MultilingualName):
    """A goods gathering yard (bãi tập kết) inside a gate area."""

    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="yards", verbose_name=_("gate"))
    code = models.SlugField(_("code"), max_length=32, unique=True)
    operator = models.CharField(_("operator"), max_length=200, blank=True)
    places = models.PositiveIntegerField(_("truck places"))

    objects = ReferenceManager()

    class Meta:
        verbose_name = _("yard")
        verbose_name_plural = _("yards")
        ordering = ["gate", "code"]


class WorkingHours(models.Model):
    """Regular opening hours for one weekday (0 = Monday). A row closing at 00:00 runs to midnight."""

    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="working_hours",
                             verbose_name=_("gate"))
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=[
        (0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")),
        (4, _("Friday")), (5, _("Saturday")), (6, _("Sunday")),
    ])
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    objects = ReferenceManager()

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["gate", "weekday", "opens"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Closure(models.Model):
    """A period when the gate is closed for goods regardless of working hours (Tết, weather, incidents)."""

    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="closures", verbose_name=_("gate"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    reason = models.CharField(_("reason"), max_length=200)

    objects = ReferenceManager()

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["gate", "starts_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                   name="closure_ends_after_start"),
        ]

    def __str__(self) -> str:
        local = timezone.localtime
        return f"{self.reason} ({local(self.starts_at):%d/%m/%Y %H:%M}–{local(self.ends_at):%d/%m/%Y %H:%M})"


class GoodsProtocol(MultilingualName):
    """Goods that may cross only through the gate pairs listed for them (e.g. fresh durian).

    Goods not covered by any protocol may cross at every gate open for goods.
    """

    hs_prefix = models.CharField(_("HS code prefix"), max_length=10,
                                 help_text=_("Chapter (2 digits), heading (4) or subheading (6–8)."))
    directions = models.JSONField(_("directions"), default=list,
                                  help_text=_("Directions the protocol governs, e.g. [\"export\"]."))

    objects = ReferenceManager()

    class Meta:
        verbose_name = _("goods protocol")
        verbose_name_plural = _("goods protocols")
        ordering = ["hs_prefix"]


class ProtocolGate(models.Model):
    protocol = models.ForeignKey(GoodsProtocol, on_delete=models.CASCADE, related_name="permits",
                                 verbose_name=_("goods protocol"))
    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="protocol_permits",
                             verbose_name=_("gate"))
    since = models.DateField(_("permitted since"), null=True, blank=True)

    objects = ReferenceManager()

    class Meta:
        verbose_name = _("gate permitted by a protocol")
        verbose_name_plural = _("gates permitted by protocols")
        constraints = [models.UniqueConstraint(fields=["protocol", "gate"], name="protocol_gate_unique")]

    def __str__(self) -> str:
        return f"{self.protocol} → {self.gate}"


class ReferenceRevision(models.Model):
    """A token that changes with every change to the gates' reference data (one row).

    Each server process keeps the rules it needs on every registration (gates, yards, hours, closures,
    protocols) in memory and re-reads them only when this token differs from the one they were read
    under (see gates.rules). A random token, not a counter: a rolled-back change can never be mistaken
    for a later, different one."""

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("reference data revision")
        verbose_name_plural = _("reference data revisions")

    def __str__(self) -> str:
        return self.token
