"""Simultaneous requests on real threads and real database connections (SQLite and PostgreSQL alike)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection, transaction

from crossings import audit
from crossings.models import AuditEvent, Checkpoint, Trip
from declarations import services as declaration_services
from declarations.models import Registration
from tests.conftest import ApiClient, make_user, registration_payload, vehicle

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Start every call at the same moment, each on its own thread and database connection."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        try:
            barrier.wait(timeout=30)
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        return [future.result(timeout=120) for future in futures]


def confirmed_trip(personas, submit) -> int:  # type: ignore[no-untyped-def]
    registration = submit()
    declaration_services.do_confirm_registration(personas.actor("bql.huunghi"), registration["id"])
    return registration["trips"][0]["id"]


def test_two_officers_confirming_the_same_checkpoint_at_once_give_one_confirmation_and_one_409(personas, submit):
    trip_id = confirmed_trip(personas, submit)
    officers = [personas.api("customs.huunghi"), ApiClient(make_user("customs2.huunghi",
                                                                     agency_code="customs.huu-nghi"))]
    responses = run_together([
        lambda api=api: api.post(f"/trips/{trip_id}/checkpoints/gate_entry_customs", {"note": "làn 1"})
        for api in officers
    ])
    assert sorted(r.status_code for r in responses) == [200, 409], [r.content for r in responses]
    refused = next(r for r in responses if r.status_code == 409)
    assert refused.json()["code"] == "already_confirmed"
    checkpoint = Checkpoint.objects.get(trip_id=trip_id, name="gate_entry_customs")
    assert checkpoint.state == "confirmed"
    assert checkpoint.confirmed_by.username in {"customs.huunghi", "customs2.huunghi"}
    assert AuditEvent.objects.filter(trip_id_ref=trip_id, checkpoint="gate_entry_customs").count() == 1
    assert audit.verify() == []


def test_border_guard_and_customs_confirming_gate_entry_at_once_both_count(personas, submit):
    trip_id = confirmed_trip(personas, submit)
    border, customs = personas.api("border.huunghi"), personas.api("customs.huunghi")
    responses = run_together([
        lambda: border.post(f"/trips/{trip_id}/checkpoints/gate_entry_border_guard"),
        lambda: customs.post(f"/trips/{trip_id}/checkpoints/gate_entry_customs"),
    ])
    assert [r.status_code for r in responses] == [200, 200], [r.content for r in responses]
    # Neither confirmation hid the other: the derived stage sees both.
    assert Trip.objects.get(pk=trip_id).stage == "at_gate"
    assert audit.verify() == []


def test_twenty_parallel_registrations_at_one_gate_get_twenty_distinct_numbers(personas):
    clients = [personas.api("firm1") for _ in range(20)]
    payloads = [registration_payload(vehicles=[vehicle(plate=f"12C-{100 + n:03d}.{n:02d}")]) for n in range(20)]
    responses = run_together([
        lambda api=api, payload=payload: api.post("/registrations", payload)
        for api, payload in zip(clients, payloads, strict=True)
    ])
    assert [r.status_code for r in responses] == [201] * 20, [r.content for r in responses if r.status_code != 201]
    numbers = [r.json()["number"] for r in responses]
    assert len(set(numbers)) == 20
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, 21))
    assert Registration.objects.count() == 20
    assert audit.verify() == []


def test_the_same_truck_registered_twice_at_once_is_accepted_once(personas):
    first, second = personas.api("firm1"), personas.api("firm2")
    responses = run_together([
        lambda: first.post("/registrations", registration_payload()),
        lambda: second.post("/registrations", registration_payload()),
    ])
    assert sorted(r.status_code for r in responses) == [201, 422], [r.content for r in responses]
    refused = next(r for r in responses if r.status_code == 422)
    assert any(field.startswith("vehicles") for field in refused.json()["errors"])
    assert Registration.objects.count() == 1
    assert Trip.objects.filter(is_open=True).count() == 1


def test_the_same_request_with_the_same_idempotency_key_sent_twice_at_once_registers_once(personas):
    clients = [personas.api("firm1"), personas.api("firm1")]
    payload = registration_payload()
    responses = run_together([
        lambda api=api: api.post("/registrations", payload, **{"Idempotency-Key": "erp-2026-000042"})
        for api in clients
    ])
    assert [r.status_code for r in responses] == [201, 201], [r.content for r in responses]
    assert responses[0].json() == responses[1].json(), "the retry gets the first answer"
    assert Registration.objects.count() == 1
    assert AuditEvent.objects.filter(action="registration.submitted").count() == 1


@pytest.mark.parametrize("cancel", ["registration", "trip"])
def test_a_cancellation_racing_the_gate_entry_never_leaves_an_entered_truck_cancelled(personas, submit, cancel):
    firm, border = personas.api("firm1"), personas.api("border.huunghi")
    for round_ in range(4):
        registration = submit(vehicles=[vehicle(plate=f"12C-{round_ + 1}00.00")])
        declaration_services.do_confirm_registration(personas.actor("bql.huunghi"), registration["id"])
        trip_id = registration["trips"][0]["id"]
        path = f"/registrations/{registration['id']}/cancel" if cancel == "registration" else f"/trips/{trip_id}/cancel"
        cancelled, entered = run_together([
            lambda path=path: firm.post(path),
            lambda trip_id=trip_id: border.post(f"/trips/{trip_id}/checkpoints/gate_entry_border_guard"),
        ])
        assert sorted([cancelled.status_code, entered.status_code]) == [200, 409], (
            cancelled.content, entered.content)
        trip = Trip.objects.get(pk=trip_id)
        gate_entry = Checkpoint.objects.get(trip_id=trip_id, name="gate_entry_border_guard").state
        if entered.status_code == 200:
            assert (trip.outcome, gate_entry) == ("active", "confirmed")
        else:
            assert (trip.outcome, gate_entry) == ("cancelled", "pending")
    assert audit.verify() == []


def test_the_board_confirming_and_returning_at_once_gives_one_decision(personas, submit):
    registration = submit()
    board = [personas.api("bql.huunghi"), ApiClient(make_user("bql2.huunghi", agency_code="management_board.huu-nghi"))]
    confirm, send_back = run_together([
        lambda: board[0].post(f"/registrations/{registration['id']}/confirm"),
        lambda: board[1].post(f"/registrations/{registration['id']}/return", {"reason": "Thiếu seal"}),
    ])
    assert sorted([confirm.status_code, send_back.status_code]) == [200, 409], (confirm.content, send_back.content)
    status = Registration.objects.get(pk=registration["id"]).status
    assert status == ("confirmed" if confirm.status_code == 200 else "returned")
    decisions = AuditEvent.objects.filter(action__in=["registration.confirmed", "registration.returned"]).count()
    assert decisions == 1


def test_the_enterprise_cancelling_while_the_board_confirms_gives_one_consistent_outcome(personas, submit):
    firm, board = personas.api("firm1"), personas.api("bql.huunghi")
    for round_ in range(3):
        registration = submit(vehicles=[vehicle(plate=f"12C-{round_ + 1}11.11"),
                                        vehicle(plate=f"12C-{round_ + 1}22.22")])
        cancelled, confirmed = run_together([
            lambda rid=registration["id"]: firm.post(f"/registrations/{rid}/cancel"),
            lambda rid=registration["id"]: board.post(f"/registrations/{rid}/confirm"),
        ])
        assert cancelled.status_code == 200 and confirmed.status_code in (200, 409), (cancelled.content,
                                                                                      confirmed.content)
        stored = Registration.objects.get(pk=registration["id"])
        assert stored.status == "cancelled"
        assert set(stored.trips.values_list("outcome", flat=True)) == {"cancelled"}
        assert not stored.trips.filter(is_open=True).exists()


def test_cancelling_a_truck_while_the_registration_is_amended_keeps_it_cancelled(personas, submit):
    firm = personas.api("firm1")
    for round_ in range(3):
        registration = submit(vehicles=[vehicle(plate=f"12C-{round_ + 1}33.33"),
                                        vehicle(plate=f"12C-{round_ + 1}44.44")])
        trip_id = registration["trips"][0]["id"]
        cancelled, amended = run_together([
            lambda trip_id=trip_id: firm.post(f"/trips/{trip_id}/cancel"),
            lambda rid=registration["id"]: firm.patch(f"/registrations/{rid}", {"version": 1,
                                                                                 "yard": "huu-nghi-chuyen-tai"}),
        ])
        assert cancelled.status_code == 200, cancelled.content
        assert amended.status_code in (200, 409, 422), amended.content
        trip = Trip.objects.get(pk=trip_id)
        assert (trip.outcome, trip.is_open) == ("cancelled", False)


def test_thirty_audit_appends_at_once_form_one_unbroken_chain(personas):
    """Every append waits for the one before it at the chain's head (on PostgreSQL, inside a single statement
    that hashes in the database): no two events share an id or a predecessor, and verify finds nothing."""
    officer = personas.actor("customs.huunghi")
    audit.verify()  # a clean start
    before = AuditEvent.objects.count()

    def append(n: int) -> int:
        with transaction.atomic():
            return audit.record(officer, "checkpoint.confirmed", trip_id=n, checkpoint="gate_entry_customs",
                                note=f"lần {n} — 第{n}次 \"quoted\" \\ back", data={"n": n, "tên": "Hữu Nghị"}).pk

    ids = run_together([lambda n=n: append(n) for n in range(30)])
    assert sorted(ids) == list(range(before + 1, before + 31))
    events = list(AuditEvent.objects.order_by("pk"))
    assert [event.prev_hash for event in events[1:]] == [event.hash for event in events[:-1]]
    assert audit.verify() == []
