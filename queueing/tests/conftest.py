"""Builders for queueing tests: confirmed trips in bulk, gates using slots, fixed hours."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from crossings.models import Trip
from crossings.services import do_confirm_checkpoint
from declarations.schemas import RegistrationIn
from declarations.services import do_confirm_registration, do_submit_registration
from gates.models import Gate, WorkingHours
from queueing.models import PerishableHeading
from tests.conftest import *  # noqa: F403  (personas, submit, reference, autouse settings)
from tests.conftest import Personas, consignment, item, registration_payload, vehicle

NON_PERISHABLE = "85176249"  # network equipment
MANGO = "08045020"  # fresh fruit: green lane
TOMATO = "07020000"  # fresh vegetables: green lane

_counter = {"n": 0}


def _next() -> int:
    _counter["n"] += 1
    return _counter["n"]


def truck(n: int | None = None, **overrides: Any) -> dict[str, Any]:
    n = _next() if n is None else n
    return vehicle(plate=f"29C{10000 + n % 90000}", container_number="", seal_number="",
                   driver={"name": "Trần Văn Bình", "identity_document": f"001089{n % 1_000_000:06d}",
                           "phone": "0912 345 678"}, **overrides)


def local(days: int, hour: int, minute: int = 0) -> dt.datetime:
    """Local time `days` from today at hour:minute (Asia/Ho_Chi_Minh)."""
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return timezone.localtime(today + dt.timedelta(days=days, hours=hour, minutes=minute))


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


@pytest.fixture
def perishables(db) -> None:  # type: ignore[no-untyped-def]
    """The green-lane headings the migration seeds (a transactional test's flush removes them)."""
    seed = importlib.import_module("queueing.migrations.0002_perishables")
    for prefix, vi, zh, en in seed.PERISHABLES:
        PerishableHeading.objects.get_or_create(hs_prefix=prefix, defaults={"name_vi": vi, "name_zh": zh,
                                                                           "name_en": en})


@pytest.fixture
def slot_gate(reference, perishables) -> Gate:  # type: ignore[no-untyped-def]
    """Hữu Nghị with arrival slots required, open 07:00–24:00 every day (import lanes: 60 trucks/h)."""
    gate = Gate.objects.get(code="huu-nghi")
    Gate.objects.filter(pk=gate.pk).update(uses_slots=True)
    WorkingHours.objects.filter(gate=gate).update(opens=dt.time(7, 0), closes=dt.time(0, 0))
    gate.refresh_from_db()
    return gate


@pytest.fixture
def confirmed_trips(personas: Personas) -> Callable[..., list[Trip]]:
    """Submit one registration with `count` trucks as `as_`, have the board confirm it, return its trips."""

    def _make(count: int = 1, *, as_: str = "firm1", hs_code: str = NON_PERISHABLE, direction: str = "import",
              gate: str = "huu-nghi", yard: str = "huu-nghi-kiem-hoa") -> list[Trip]:
        payload = registration_payload(
            gate=gate, yard=yard, direction=direction,
            planned_arrival=local(1, 9).isoformat(),
            consignments=[consignment(items=[item(hs_code=hs_code, description="Hàng mẫu")])],
            vehicles=[truck() for _ in range(count)])
        registration = do_submit_registration(personas.actor(as_), RegistrationIn.model_validate(payload))
        board = {"huu-nghi": "bql.huunghi", "tan-thanh": "bql.tanthanh"}[gate]
        do_confirm_registration(personas.actor(board), registration.pk)
        return list(Trip.objects.filter(registration=registration).select_related("registration__gate")
                    .order_by("position"))

    return _make


def enter_gate(personas: Personas, trip: Trip, gate: str = "huunghi") -> None:
    for who, step in ((f"border.{gate}", "gate_entry_border_guard"), (f"customs.{gate}", "gate_entry_customs")):
        do_confirm_checkpoint(personas.actor(who), trip.pk, step)
