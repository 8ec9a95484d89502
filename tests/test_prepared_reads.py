"""The confirm path's compiled statements read and write what the ORM would, and see what its scope lets see."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.services import may_see_registration, registration_scope
from crossings import reads
from crossings.models import AuditEvent, Checkpoint, TransshipmentVehicle, Trip
from cuakhau.db.prepared import Increment, PreparedRead, PreparedUpdate, insert_rows
from declarations.models import Registration
from tests.conftest import vehicle

ROLES = ["firm1", "firm2", "admin", "province", "bql.huunghi", "customs.huunghi", "border.huunghi",
         "medical.huunghi", "plant.huunghi", "animal.huunghi", "bql.tanthanh", "customs.tanthanh"]


def test_the_python_visibility_rule_is_the_scope_filter(personas, submit):
    submit()
    submit(as_="firm2", gate="tan-thanh", yard="bao-nguyen", vehicles=[vehicle(plate="14C-222.33")])
    registrations = list(Registration.objects.values("pk", "declarant_id", "gate_id", "gate__province_id"))
    assert len(registrations) == 2
    for role in ROLES:
        actor = personas.actor(role)
        by_filter = set(Registration.objects.filter(registration_scope(actor)).values_list("pk", flat=True))
        by_rule = {r["pk"] for r in registrations
                   if may_see_registration(actor, r["declarant_id"], r["gate_id"], r["gate__province_id"])}
        assert by_rule == by_filter, role


def test_a_compiled_read_returns_the_rows_the_orm_returns(personas, submit):
    registration = submit()
    trip_id = registration["trips"][0]["id"]
    personas.api("bql.huunghi").post(f"/registrations/{registration['id']}/confirm")
    fields = ("name", "state", "confirmed_at", "automatic", "note", "confirmed_by__username")
    timeline = PreparedRead(lambda trip_id: Checkpoint.objects.filter(trip_id=trip_id).order_by("position")
                            .values(*fields))
    expected = list(Checkpoint.objects.filter(trip_id=trip_id).order_by("position").values(*fields))
    assert timeline(trip_id=trip_id) == expected
    assert timeline(trip_id=trip_id) == expected  # the second call runs the cached statement
    confirmed = [step for step in expected if step["state"] == "confirmed"]
    assert confirmed and all(step["confirmed_at"].tzinfo is not None for step in confirmed)
    assert timeline(trip_id=trip_id + 1000) == []
    assert timeline(trip_id=2**70) == []  # no 64-bit key can match: no row, not a database error


def test_the_trip_row_is_hidden_from_whoever_may_not_see_it(personas, submit):
    trip_id = submit()["trips"][0]["id"]
    assert reads.trip_row(personas.actor("firm1"), trip_id)["plate"] == "12C12345"
    assert reads.trip_row(personas.actor("customs.huunghi"), trip_id) is not None
    assert reads.trip_row(personas.actor("firm2"), trip_id) is None
    assert reads.trip_row(personas.actor("customs.tanthanh"), trip_id) is None


@pytest.mark.django_db(transaction=True)
def test_a_locking_read_locks_inside_a_transaction_only(personas, submit):
    trip_id = submit()["trips"][0]["id"]
    locking = PreparedRead(lambda trip_id: Trip.objects.filter(pk=trip_id).select_for_update().values("version"))
    with transaction.atomic():
        assert locking(trip_id=trip_id) == [{"version": 1}]
    if connection.features.has_select_for_update:  # PostgreSQL: FOR UPDATE outside a transaction is a bug
        with pytest.raises(RuntimeError):
            locking(trip_id=trip_id)


def test_a_builder_that_does_not_use_its_argument_is_refused(reference):
    with pytest.raises(ValueError):
        PreparedRead(lambda trip_id: Trip.objects.values("pk"))(trip_id=1)


def test_a_prepared_update_writes_what_the_orm_would(personas, submit):
    trip_id = submit()["trips"][0]["id"]
    user = personas.user("customs.huunghi")
    at = timezone.now()
    flip = PreparedUpdate(Checkpoint, where=("trip", "name", "state"))
    values = {"state": "confirmed", "confirmed_at": at, "confirmed_by": user, "automatic": True, "note": "Làn 2"}
    assert flip((trip_id, "declared", "pending"), values) == 0  # already confirmed at submission: no row matches
    assert flip((trip_id, "gate_entry_customs", "pending"), values) == 1
    assert flip((trip_id, "gate_entry_customs", "pending"), values) == 0  # compare-and-set: only once
    step = Checkpoint.objects.get(trip_id=trip_id, name="gate_entry_customs")
    assert (step.state, step.confirmed_at, step.confirmed_by, step.automatic, step.note) == (
        "confirmed", at, user, True, "Làn 2")
    bump = PreparedUpdate(Trip, where=("id",))
    assert bump((trip_id,), {"version": Increment(), "stage": "at_gate"}) == 1
    assert bump((trip_id,), {"version": Increment(2)}) == 1
    assert Trip.objects.values_list("version", "stage").get(pk=trip_id) == (4, "at_gate")
    with pytest.raises(ValueError):
        bump((None,), {"stage": "at_gate"})


def test_an_inserted_row_reads_back_as_saved(personas):
    event = AuditEvent(id=10_000, at=timezone.now(), actor=personas.user("firm1"), actor_name="firm1",
                       role="enterprise", action="test.inserted", trip_id_ref=7, automatic=True,
                       data={"plate": "桂A12345", "n": 2}, prev_hash="0" * 64, hash="f" * 64)
    insert_rows([event])
    stored = AuditEvent.objects.get(pk=10_000)
    assert [getattr(stored, f.attname) for f in AuditEvent._meta.concrete_fields] == \
        [getattr(event, f.attname) for f in AuditEvent._meta.concrete_fields]


def test_rows_without_keys_are_inserted_in_one_statement_and_get_keys_from_the_database(personas, submit):
    trip_id = submit()["trips"][0]["id"]
    vehicles = [TransshipmentVehicle(trip_id=trip_id, plate=plate, driver_name="Lê Văn Cường",
                                     driver_identity_document="001089099999", driver_phone="+84912000000")
                for plate in ("12C11111", "12C22222")]
    with CaptureQueriesContext(connection) as queries:
        insert_rows(vehicles)
    assert len(queries) == 1
    stored = list(TransshipmentVehicle.objects.filter(trip_id=trip_id).order_by("pk").values_list("plate", flat=True))
    assert stored == ["12C11111", "12C22222"]
    with pytest.raises(ValueError):
        insert_rows([vehicles[0], AuditEvent(id=1)])


def test_compiled_statements_are_prepared_on_the_postgresql_server(personas, submit, settings):
    """Planned once per connection, not per call; Django's other queries stay unprepared (poolers)."""
    from cuakhau.db.prepared import server_prepares

    registration = submit()
    trip_id = registration["trips"][0]["id"]
    board = personas.actor("bql.huunghi")
    with transaction.atomic():
        assert reads.trip_row(board, trip_id, lock=True) is not None
    if connection.vendor != "postgresql":
        assert not server_prepares(connection)
        return
    assert server_prepares(connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "crossings_trip"' in statement and "FOR UPDATE" in statement for statement in prepared)
    settings.PG_PREPARED_STATEMENTS = False
    assert not server_prepares(connection)
