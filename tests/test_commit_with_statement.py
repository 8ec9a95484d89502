"""A confirmation's last statement carries its COMMIT on PostgreSQL (cuakhau.db.postgresql).

Every audited change locks the chain's head until COMMIT. When a confirmation is the outermost transaction,
its one statement (compare-and-set, stage, fee, event) and the COMMIT go to PostgreSQL together, so the
head is free as soon as the statement is done rather than once the server's thread runs again. These tests
run outside any test transaction, as the server does; on SQLite the same calls keep their usual
transaction, and each test says what SQLite does instead.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from django.db.transaction import TransactionManagementError

from crossings import audit
from crossings import services as crossing_services
from crossings.models import AuditEvent, AuditHead, Checkpoint, Trip
from cuakhau.errors import Conflict, ValidationFailed
from declarations import services as declaration_services
from fees.models import TripFee
from tests.conftest import vehicle
from tests.test_audit import _confirming as flip  # the compare-and-set and the trip's version bump
from tests.test_transshipment_and_fees import into_the_yard

pytestmark = pytest.mark.django_db(transaction=True)

POSTGRESQL = "postgresql"


def confirmed_trip(personas, submit, **registration) -> int:  # type: ignore[no-untyped-def]
    created = submit(**registration)
    declaration_services.do_confirm_registration(personas.actor("bql.huunghi"), created["id"])
    return int(created["trips"][0]["id"])


def on_another_connection(read):  # type: ignore[no-untyped-def]
    """What `read()` returns on a connection of its own (another thread), i.e. what is committed."""
    found = []

    def run() -> None:
        try:
            found.append(read())
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    return found[0]


def test_the_change_is_committed_and_the_head_free_before_the_block_ends(personas, submit):
    trip_id = confirmed_trip(personas, submit)
    audit_events = AuditEvent.objects.count()
    officer, other_officer = personas.actor("customs.huunghi"), personas.actor("border.huunghi")

    def append_elsewhere() -> tuple[str, int]:
        with transaction.atomic():
            if connection.vendor == POSTGRESQL:  # waiting on the head's lock would be the failure
                connection.cursor().execute("SET LOCAL lock_timeout = '5s'")
            audit.record(other_officer, "checkpoint.confirmed", note="at the same time")
        return Checkpoint.objects.get(trip_id=trip_id, name="gate_entry_customs").state, AuditEvent.objects.count()

    with transaction.atomic():
        assert audit.record_change(flip(trip_id, "gate_entry_customs", "ok"), officer, "checkpoint.confirmed",
                                   ends_transaction=True, trip_id=trip_id, checkpoint="gate_entry_customs")
        if connection.vendor == POSTGRESQL:
            # Still inside the block, yet committed: another connection sees the change and appends after it.
            assert on_another_connection(append_elsewhere) == ("confirmed", audit_events + 2)
    if connection.vendor != POSTGRESQL:  # SQLite's single writer: the other append comes after the block
        assert on_another_connection(append_elsewhere) == ("confirmed", audit_events + 2)
    assert [event.note for event in AuditEvent.objects.order_by("-pk")[:2]] == ["at the same time", ""]
    assert audit.verify() == []


def test_nothing_runs_between_the_early_commit_and_the_end_of_the_block(personas, submit):
    """A statement there would run in a transaction of its own, outside the one committed: it is refused."""
    trip_id = confirmed_trip(personas, submit)
    officer = personas.actor("customs.huunghi")

    def confirm_then_write() -> None:
        with transaction.atomic():
            audit.record_change(flip(trip_id, "gate_entry_customs", "ok"), officer, "checkpoint.confirmed",
                                ends_transaction=True, trip_id=trip_id)
            Trip.objects.filter(pk=trip_id).update(permit_number="written after the commit")

    if connection.vendor == POSTGRESQL:
        with pytest.raises(TransactionManagementError):
            confirm_then_write()
        assert Trip.objects.get(pk=trip_id).permit_number != "written after the commit"
    else:  # SQLite commits at the end of the block, as always: the later write is part of the transaction
        confirm_then_write()
        assert Trip.objects.get(pk=trip_id).permit_number == "written after the commit"
    # The confirmation itself stands, and the connection works on as usual.
    assert Checkpoint.objects.get(trip_id=trip_id, name="gate_entry_customs").state == "confirmed"
    crossing_services.do_confirm_checkpoint(personas.actor("border.huunghi"), trip_id, "gate_entry_border_guard")
    assert Trip.objects.get(pk=trip_id).stage == "at_gate"
    assert audit.verify() == []


def test_inside_another_transaction_the_commit_waits_for_it(personas, submit):
    """Not the outermost block: the caller's own later writes must commit with the change, so nothing is
    committed early."""
    trip_id = confirmed_trip(personas, submit)
    officer = personas.actor("customs.huunghi")
    with transaction.atomic():
        with transaction.atomic():
            assert audit.record_change(flip(trip_id, "gate_entry_customs", "ok"), officer,
                                       "checkpoint.confirmed", ends_transaction=True, trip_id=trip_id)
        Trip.objects.filter(pk=trip_id).update(permit_number="GP-0001")
        assert on_another_connection(
            lambda: Checkpoint.objects.get(trip_id=trip_id, name="gate_entry_customs").state) == "pending"
    assert Trip.objects.get(pk=trip_id).permit_number == "GP-0001"
    assert Checkpoint.objects.get(trip_id=trip_id, name="gate_entry_customs").state == "confirmed"
    assert audit.verify() == []


def test_a_confirmation_that_loses_the_race_commits_nothing(personas, submit):
    trip_id = confirmed_trip(personas, submit)
    officer = personas.actor("customs.huunghi")
    crossing_services.do_confirm_checkpoint(officer, trip_id, "gate_entry_customs", note="first")
    version, events, head = (Trip.objects.get(pk=trip_id).version, AuditEvent.objects.count(),
                             AuditHead.objects.get(pk=1).last_hash)
    with pytest.raises(Conflict):
        crossing_services.do_confirm_checkpoint(officer, trip_id, "gate_entry_customs", note="second")
    assert Checkpoint.objects.get(trip_id=trip_id, name="gate_entry_customs").note == "first"
    assert (Trip.objects.get(pk=trip_id).version, AuditEvent.objects.count(),
            AuditHead.objects.get(pk=1).last_hash) == (version, events, head)
    assert audit.verify() == []


def test_the_first_confirmation_of_a_new_database_starts_the_chain(personas, submit):
    """No head row yet: the statement that would commit writes nothing, and the confirmation is made again the
    long way, which creates the head."""
    trip_id = confirmed_trip(personas, submit)
    version = Trip.objects.get(pk=trip_id).version
    AuditEvent.objects.all().delete()
    AuditHead.objects.all().delete()
    crossing_services.do_confirm_checkpoint(personas.actor("customs.huunghi"), trip_id, "gate_entry_customs")
    assert Checkpoint.objects.get(trip_id=trip_id, name="gate_entry_customs").state == "confirmed"
    assert list(AuditEvent.objects.values_list("pk", "prev_hash", "checkpoint")) == [
        (1, audit.GENESIS, "gate_entry_customs")]
    assert Trip.objects.get(pk=trip_id).version == version + 1, "the trip's stage was written once"
    assert audit.verify() == []


def test_a_receipt_already_recorded_leaves_nothing_behind_and_the_next_payment_goes_through(personas, submit):
    registration = submit(vehicles=[vehicle(), vehicle(plate="12C-999.99")])
    into_the_yard(personas, registration)
    first, second = (int(trip["id"]) for trip in registration["trips"])
    board = personas.actor("bql.huunghi")
    crossing_services.do_confirm_checkpoint(board, first, "fee_paid", receipt_number="BL-2026-000123")
    events, version = AuditEvent.objects.count(), Trip.objects.get(pk=second).version
    with pytest.raises(ValidationFailed) as refused:
        crossing_services.do_confirm_checkpoint(board, second, "fee_paid", receipt_number="BL-2026-000123")
    assert list(refused.value.errors) == ["receipt_number"]
    assert Checkpoint.objects.get(trip_id=second, name="fee_paid").state == "pending"
    assert TripFee.objects.get(trip_id=second).receipt_number == ""
    assert (AuditEvent.objects.count(), Trip.objects.get(pk=second).version) == (events, version)
    paid = crossing_services.do_confirm_checkpoint(board, second, "fee_paid", receipt_number="BL-2026-000124")
    assert paid.trip["fee_receipt_number"] == "BL-2026-000124"
    assert TripFee.objects.get(trip_id=second).receipt_number == "BL-2026-000124"
    assert TripFee.objects.get(trip_id=second).recorded_by == board.user
    assert audit.verify() == []


def test_behind_a_pooler_without_prepared_statements_the_commit_still_goes_with_the_statement(
        personas, submit, settings):  # type: ignore[no-untyped-def]
    settings.PG_PREPARED_STATEMENTS = False  # CUAKHAU_PG_PREPARED_STATEMENTS=0: Django's client-side cursors
    trip_id = confirmed_trip(personas, submit)
    officer = personas.actor("customs.huunghi")
    with transaction.atomic():
        assert audit.record_change(flip(trip_id, "gate_entry_customs", "ok"), officer, "checkpoint.confirmed",
                                   ends_transaction=True, trip_id=trip_id)
        committed = on_another_connection(
            lambda: Checkpoint.objects.get(trip_id=trip_id, name="gate_entry_customs").state)
    assert committed == ("confirmed" if connection.vendor == POSTGRESQL else "pending")
    crossing_services.do_confirm_checkpoint(personas.actor("border.huunghi"), trip_id, "gate_entry_border_guard")
    assert Trip.objects.get(pk=trip_id).stage == "at_gate"
    assert audit.verify() == []
