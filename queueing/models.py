"""Arrival hours and their capacity, bookings, the green lane, waiting areas and call-forward.

Capacity is counted per gate × flow × local hour in `HourSlot` rows. A flow is the lane
direction a truck uses: "import" for every direction entering Vietnam (import, temporary
import, transit, transshipment), "export" otherwise. Places are taken and given back only by
conditional UPDATEs on `HourSlot.booked` (see services.py), so an hour is never over-booked.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crossings.models import Trip
from enterprises.models import Enterprise
from gates.models import Direction, Gate, MultilingualName, Yard

FLOWS = (Direction.IMPORT, Direction.EXPORT)


def flow_of(direction: str) -> str:
    """The lane direction a registration's direction uses."""
    return Direction.IMPORT if direction in Direction.entering_vietnam() else Direction.EXPORT


class GateQueuePolicy(models.Model):
    """A gate's own thresholds and green-lane share; without a row the settings' defaults apply."""

    gate = models.OneToOneField(Gate, on_delete=models.CASCADE, related_name="queue_policy", verbose_name=_("gate"))
    green_share_percent = models.PositiveSmallIntegerField(_("green lane share (%)"), null=True, blank=True)
    congestion_yellow_from = models.PositiveIntegerField(_("yellow from (trucks waiting)"), default=500)
    congestion_orange_from = models.PositiveIntegerField(_("orange from (trucks waiting)"), default=1000)
    congestion_red_above = models.PositiveIntegerField(_("red above (trucks waiting)"), default=5000)

    class Meta:
        verbose_name = _("queue policy")
        verbose_name_plural = _("queue policies")

    def __str__(self) -> str:
        return str(self.gate)


class CapacityOverride(models.Model):
    """A supervisor's capacity for every hour starting in [starts_at, ends_at); the latest row wins."""

    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="capacity_overrides",
                             verbose_name=_("gate"))
    direction = models.CharField(_("direction"), max_length=20, choices=[(f, f.label) for f in FLOWS])
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    trucks_per_hour = models.PositiveIntegerField(_("trucks per hour"))
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("capacity override")
        verbose_name_plural = _("capacity overrides")
        ordering = ["gate", "direction", "starts_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                   name="capacity_override_ends_after_start"),
        ]
        indexes = [models.Index(fields=["gate", "direction", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.gate.code} {self.direction} {self.trucks_per_hour}/h"


class HourSlot(models.Model):
    """One local hour at one gate and flow: its capacity and the places taken.

    `reserved` places are held for the green lane: other trucks may use only
    capacity − max(reserved, green_booked). Releasing the green lane sets `reserved` to 0.
    """

    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="hour_slots", verbose_name=_("gate"))
    direction = models.CharField(_("direction"), max_length=20, choices=[(f, f.label) for f in FLOWS])
    hour_start = models.DateTimeField(_("hour"))
    day = models.DateField(_("local day"))
    capacity = models.PositiveIntegerField(_("capacity"))
    booked = models.PositiveIntegerField(_("booked"), default=0)
    reserved = models.PositiveIntegerField(_("held for the green lane"), default=0)
    green_booked = models.PositiveIntegerField(_("booked by the green lane"), default=0)
    green_released_at = models.DateTimeField(_("green lane released at"), null=True, blank=True)

    class Meta:
        verbose_name = _("arrival hour")
        verbose_name_plural = _("arrival hours")
        ordering = ["gate", "direction", "hour_start"]
        constraints = [
            models.UniqueConstraint(fields=["gate", "direction", "hour_start"], name="hour_slot_unique"),
            # The last line of defence: the database itself refuses an over-booked hour.
            models.CheckConstraint(condition=models.Q(booked__lte=models.F("capacity")),
                                   name="hour_slot_not_overbooked"),
            models.CheckConstraint(condition=models.Q(green_booked__lte=models.F("booked")),
                                   name="hour_slot_green_within_booked"),
        ]
        indexes = [models.Index(fields=["hour_start", "gate"]), models.Index(fields=["reserved", "hour_start"])]

    def __str__(self) -> str:
        return f"{self.gate.code} {self.direction} {timezone.localtime(self.hour_start):%Y-%m-%d %H:%M}"

    @property
    def free(self) -> int:
        return max(self.capacity - self.booked, 0)

    @property
    def free_general(self) -> int:
        """Places a truck without perishable goods may still take."""
        return max(self.capacity - max(self.reserved, self.green_booked) - (self.booked - self.green_booked), 0)


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


class Booking(models.Model):
    """A trip's arrival hour. Moving keeps the row (and bumps `version`); cancelling or a no-show ends it."""

    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="bookings", verbose_name=_("trip"))
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="bookings",
                                   verbose_name=_("enterprise"))
    slot = models.ForeignKey(HourSlot, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("hour"))
    green = models.BooleanField(_("green lane"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=BookingStatus.choices, default=BookingStatus.BOOKED)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["trip"], condition=models.Q(status="booked"),
                                    name="one_booking_per_trip"),
        ]
        indexes = [models.Index(fields=["status", "slot"]), models.Index(fields=["enterprise", "status"])]

    def __str__(self) -> str:
        return f"{self.trip_id} @ {self.slot}"


class PerishableHeading(MultilingualName):
    """Goods that earn the green lane, by HS chapter or heading (data, editable in the admin)."""

    hs_prefix = models.CharField(_("HS code prefix"), max_length=8, unique=True)

    class Meta:
        verbose_name = _("perishable goods heading")
        verbose_name_plural = _("perishable goods headings")
        ordering = ["hs_prefix"]


class WaitingArea(MultilingualName):
    """Where trucks that entered the gate wait while the yard is full."""

    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="waiting_areas", verbose_name=_("gate"))
    code = models.SlugField(_("code"), max_length=32, unique=True)

    class Meta:
        verbose_name = _("waiting area")
        verbose_name_plural = _("waiting areas")
        ordering = ["gate", "code"]


class CallForward(models.Model):
    """The call that sends a waiting truck on into its yard: shown on the ticket and the officer console."""

    trip = models.OneToOneField(Trip, on_delete=models.CASCADE, related_name="call_forward", verbose_name=_("trip"))
    yard = models.ForeignKey(Yard, on_delete=models.PROTECT, related_name="+", verbose_name=_("yard"))
    waiting_area = models.ForeignKey(WaitingArea, on_delete=models.PROTECT, related_name="calls",
                                     verbose_name=_("waiting area"))
    called_at = models.DateTimeField(_("called at"))
    green = models.BooleanField(_("green lane"), default=False)
    instruction = models.CharField(_("instruction"), max_length=300)

    class Meta:
        verbose_name = _("call-forward")
        verbose_name_plural = _("call-forwards")
        ordering = ["called_at"]
        indexes = [models.Index(fields=["yard", "called_at"])]

    def __str__(self) -> str:
        return f"{self.trip_id} → {self.yard.code}"
