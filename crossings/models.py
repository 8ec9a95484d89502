"""One truck on one registration (a trip), its checkpoints, and the audit trail of every change."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency
from declarations.models import Registration
from enterprises.models import Driver, LoadClass, Vehicle


class Journey(models.TextChoices):
    STANDARD = "standard", _("To or from the gate area")
    INLAND = "inland", _("Foreign truck going inland")
    TRANSSHIP = "transship", _("Transshipment in the yard only")


class Stage(models.TextChoices):
    """What the enterprise sees, derived from the confirmed checkpoints (see workflow.derive_stage)."""

    DECLARED = "declared", _("Declared")
    REGISTERED = "registered", _("Registration confirmed")
    AT_GATE = "at_gate", _("Entered the gate")
    IN_YARD = "in_yard", _("In the yard")
    PAID = "paid", _("Fee paid")
    LEFT_YARD = "left_yard", _("Left the yard")
    LEFT_GATE = "left_gate", _("Left the gate")


class Outcome(models.TextChoices):
    ACTIVE = "active", _("In progress")
    COMPLETED = "completed", _("Completed")
    RETURNED = "returned", _("Returned for correction")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


class Trip(models.Model):
    # Indexed by trip_position_unique (registration, position), whose first column it is.
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="trips", db_index=False)
    position = models.PositiveSmallIntegerField(_("truck number"))
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="trips", verbose_name=_("vehicle"))
    driver = models.ForeignKey(Driver, on_delete=models.PROTECT, related_name="trips", verbose_name=_("driver"))
    load_class = models.CharField(_("load class"), max_length=8, choices=LoadClass.choices)
    trailer_plate = models.CharField(_("trailer plate"), max_length=16, blank=True)
    container_number = models.CharField(_("container number"), max_length=11, blank=True)
    seal_number = models.CharField(_("customs seal"), max_length=30, blank=True)
    permit_number = models.CharField(_("cross-border transport permit"), max_length=30, blank=True)
    journey = models.CharField(_("journey"), max_length=10, choices=Journey.choices, default=Journey.STANDARD)
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices, default=Stage.DECLARED)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.ACTIVE)
    # True until the truck has left the gate or the trip ended otherwise; a partial unique
    # index on it keeps one truck from being on two open trips, even under concurrent writes.
    is_open = models.BooleanField(default=True)
    ticket_token = models.CharField(max_length=43, unique=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("trip")
        verbose_name_plural = _("trips")
        ordering = ["-created_at", "position"]
        constraints = [
            models.UniqueConstraint(fields=["vehicle"], condition=models.Q(is_open=True),
                                    name="one_open_trip_per_vehicle"),
            models.UniqueConstraint(fields=["registration", "position"], name="trip_position_unique"),
        ]
        indexes = [
            # The live board counts active trips per stage with an index-only scan of this one, and the officers'
            # lists ask for active trips at a stage. (An index on the stage alone, for the API's filter by stage
            # whatever the outcome, cost every confirmation that moves a trip on one more page.)
            models.Index(fields=["outcome", "stage", "registration"], name="trip_outcome_stage_reg"),
        ]

    def __str__(self) -> str:
        return f"{self.registration.number}/{self.position}"


class CheckpointState(models.TextChoices):
    PENDING = "pending", _("Pending")
    CONFIRMED = "confirmed", _("Confirmed")
    NOT_REQUIRED = "not_required", _("Not required")


class Checkpoint(models.Model):
    # Indexed by checkpoint_unique_per_trip (trip, name), whose first column it is: a second index would only
    # be one more to write at every new trip (fourteen rows) and, on PostgreSQL, at every confirmation.
    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="checkpoints", db_index=False)
    name = models.CharField(_("checkpoint"), max_length=32)
    position = models.PositiveSmallIntegerField()
    state = models.CharField(_("state"), max_length=12, choices=CheckpointState.choices)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    # No index on who confirmed: no page looks checkpoints up by officer or agency (the audit trail answers
    # "what did this officer do"), and each index of a column a confirmation sets costs it two more pages
    # written (the entry leaves the NULLs, joins its value). Only deleting a user or an agency, which
    # PROTECT refuses anyway once they confirmed anything, scans the table for them.
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", db_index=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               db_index=False)
    automatic = models.BooleanField(_("automatic"), default=False)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["trip", "position"]
        constraints = [models.UniqueConstraint(fields=["trip", "name"], name="checkpoint_unique_per_trip")]
        indexes = [
            # "Cleared in the last hour" on the live board, the day's entries and exits in the statistics. Only
            # confirmed steps, which those queries ask for: a confirmation then adds an entry instead of moving
            # one out of the pending NULLs, and the index holds a fraction of the rows.
            models.Index(fields=["name", "confirmed_at"], name="checkpoint_name_confirmed_at",
                         condition=models.Q(confirmed_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.trip_id}/{self.name}: {self.state}"


class TransshipmentVehicle(models.Model):
    """A Vietnamese truck that enters the yard to take over the goods of a foreign truck."""

    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="receiving_vehicles")
    plate = models.CharField(_("plate"), max_length=16)
    driver_name = models.CharField(_("driver name"), max_length=100)
    driver_identity_document = models.CharField(_("driver ID or passport"), max_length=20)
    driver_phone = models.CharField(_("driver phone"), max_length=20)
    entered_at = models.DateTimeField(_("entered at"), null=True, blank=True)
    exited_at = models.DateTimeField(_("left at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("receiving vehicle")
        verbose_name_plural = _("receiving vehicles")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.plate


class AuditEvent(models.Model):
    """Append-only; each row's hash covers its content and the previous row's hash."""

    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    actor_name = models.CharField(_("who"), max_length=150)
    role = models.CharField(_("role"), max_length=32)
    agency_code = models.CharField(_("agency"), max_length=64, blank=True)
    gate_code = models.CharField(_("gate"), max_length=32, blank=True)
    ip_address = models.CharField(_("address"), max_length=45, blank=True)
    action = models.CharField(_("action"), max_length=64)
    registration_number = models.CharField(_("registration"), max_length=32, blank=True, db_index=True)
    trip_id_ref = models.BigIntegerField(null=True, blank=True, db_index=True)
    checkpoint = models.CharField(_("checkpoint"), max_length=32, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    automatic = models.BooleanField(_("automatic"), default=False)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.registration_number}"


class AuditHead(models.Model):
    """A single row: the chain's last id and hash. Locking it serialises appends, and comparing it
    with the table reveals a deleted tail."""

    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit head #{self.last_id}"
