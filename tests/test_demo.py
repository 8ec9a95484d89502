"""`cuakhau demo`: documented accounts, trucks in every state, built through the services, twice in a row."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.utils import timezone

from accounts.services import actor_for
from crossings import audit
from crossings.models import Outcome, Stage, TransshipmentVehicle, Trip
from cuakhau.demo import PASSWORD, demo_accounts
from declarations.models import Registration, RegistrationStatus
from fees.models import TripFee

# The accounts the issue asks for and README lists: a newcomer signs in with these names, not with the code's.
DOCUMENTED_ACCOUNTS = {"admin", "province", "firm1", "firm2"} | {
    f"{agency}.{gate}" for agency in ("bql", "customs", "border", "medical", "plant", "animal")
    for gate in ("huunghi", "tanthanh")}


def test_the_demo_accounts_are_the_documented_ones():
    assert PASSWORD == "demo12345"
    assert {account.username for account in demo_accounts()} == DOCUMENTED_ACCOUNTS
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert "**`demo12345`**" in readme
    for username in DOCUMENTED_ACCOUNTS:
        assert f"| `{username}` |" in readme, username


@pytest.mark.django_db
def test_demo_builds_every_state_and_can_run_twice():
    out = StringIO()
    call_command("demo", stdout=out)
    assert "Demo ready" in out.getvalue()
    trips = Trip.objects.count()
    assert 40 <= trips <= 80

    # Every documented account signs in with the documented password and acts for the right unit.
    for account in demo_accounts():
        user = authenticate(username=account.username, password=PASSWORD)
        assert user is not None, account.username
        if account.superuser:
            assert user.is_superuser and user.is_staff
            continue
        actor = actor_for(user)
        assert actor is not None, account.username
        if account.agency:
            assert actor.agency is not None and actor.agency.code == account.agency
        else:
            assert actor.enterprise is not None and actor.enterprise.tax_code == account.enterprise
    assert len({a.enterprise for a in demo_accounts() if a.enterprise}) == 2

    for gate in ("huu-nghi", "tan-thanh"):
        at_gate = Trip.objects.filter(registration__gate__code=gate)
        active_stages = set(at_gate.filter(outcome=Outcome.ACTIVE).values_list("stage", flat=True))
        assert {Stage.DECLARED, Stage.REGISTERED, Stage.AT_GATE, Stage.IN_YARD, Stage.PAID,
                Stage.LEFT_YARD} <= active_stages, gate
        outcomes = set(at_gate.values_list("outcome", flat=True))
        assert {Outcome.COMPLETED, Outcome.RETURNED, Outcome.REJECTED, Outcome.CANCELLED} <= outcomes, gate
    statuses = set(Registration.objects.values_list("status", flat=True))
    assert statuses == set(RegistrationStatus.values)
    assert set(Trip.objects.values_list("journey", flat=True)) == {"standard", "inland", "transship"}
    assert TransshipmentVehicle.objects.exists()
    assert TripFee.objects.filter(paid_at__isnull=False).exclude(receipt_number="").exists()
    # History of the last days, nothing in the future, and an intact audit chain.
    assert Trip.objects.filter(stage=Stage.LEFT_GATE, updated_at__lt=timezone.now()).exists()
    assert not Registration.objects.filter(created_at__gt=timezone.now()).exists()
    assert audit.verify() == []

    out = StringIO()
    call_command("demo", stdout=out)
    assert "exist already" in out.getvalue()
    assert Trip.objects.count() == trips
    assert audit.verify() == []
