"""The compiled statements of the hot paths read and write what the ORM would, and see what its scope lets see."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.db.models import F, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.services import (
    actor_for,
    do_revoke_token,
    issue_token,
    may_see_registration,
    registration_scope,
    system_actor,
    user_for_secret,
)
from crossings import reads
from crossings.models import AuditEvent, Checkpoint, CheckpointState, TransshipmentVehicle, Trip
from cuakhau.db.prepared import (
    Increment,
    PreparedQuerysetUpdate,
    PreparedRead,
    PreparedUpdate,
    columns,
    insert_rows,
    instance,
)
from declarations.models import DailySequence, Registration
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


# --- arguments other than keys, conditional updates, keys read back --------------------------------

def test_text_moment_and_day_arguments_read_what_the_orm_reads(personas, submit):
    registration = submit()
    trip_id = registration["trips"][0]["id"]
    personas.api("bql.huunghi").post(f"/registrations/{registration['id']}/confirm")
    steps = PreparedRead(lambda trip_id, state, since: Checkpoint.objects.filter(
        trip_id=trip_id, state=state, confirmed_at__gte=since).order_by("position").values("name", "confirmed_at"))
    moments = sorted(Checkpoint.objects.filter(trip_id=trip_id, state="confirmed").values_list(
        "confirmed_at", flat=True))
    assert len(moments) >= 2
    for since in (moments[0], moments[-1], moments[-1] + dt.timedelta(microseconds=1)):
        expected = list(Checkpoint.objects.filter(trip_id=trip_id, state="confirmed", confirmed_at__gte=since)
                        .order_by("position").values("name", "confirmed_at"))
        assert steps(trip_id=trip_id, state="confirmed", since=since) == expected
    assert steps(trip_id=trip_id, state="confirmed", since=moments[-1] + dt.timedelta(microseconds=1)) == []
    # The same moment in local time, and a choices member for the text: the same rows.
    assert steps(trip_id=trip_id, state=CheckpointState.CONFIRMED, since=timezone.localtime(moments[0])) == \
        steps(trip_id=trip_id, state="confirmed", since=moments[0])
    assert steps(trip_id=trip_id, state="pending", since=moments[0]) == []

    sequence = DailySequence.objects.get()
    by_day = PreparedRead(lambda gate_id, day: DailySequence.objects.filter(gate_id=gate_id, day=day).values("last"))
    assert by_day(gate_id=sequence.gate_id, day=sequence.day) == [{"last": sequence.last}]
    assert by_day(gate_id=sequence.gate_id, day=sequence.day + dt.timedelta(days=1)) == []


@pytest.mark.parametrize("build", [
    lambda trip_id, since: Checkpoint.objects.filter(trip_id=trip_id, confirmed_at__date=since).values("name"),
    lambda trip_id, since: Checkpoint.objects.filter(trip_id=trip_id, confirmed_at__gte=since + dt.timedelta(
        hours=1)).values("name"),
    # Would freeze the moment of compilation into the statement for the connection's lifetime.
    lambda trip_id, since: Checkpoint.objects.filter(trip_id=trip_id, confirmed_at__gte=since,
                                                     confirmed_at__lt=timezone.now()).values("name"),
], ids=["transformed", "computed", "clock"])
def test_an_argument_the_statement_does_not_hold_as_given_is_refused(reference, build):
    with pytest.raises(ValueError):
        PreparedRead(build)(trip_id=1, since=timezone.now())


def test_arguments_of_other_kinds_are_refused(reference):
    read = PreparedRead(lambda trip_id, since: Checkpoint.objects.filter(
        trip_id=trip_id, confirmed_at__gte=since).values("name"))
    with pytest.raises(ValueError):
        read(trip_id=1, since=dt.datetime(2026, 11, 24, 8, 0))  # naive: which zone?
    with pytest.raises(TypeError):
        read(trip_id=True, since=timezone.now())
    with pytest.raises(TypeError):
        read(trip_id=1.0, since=timezone.now())


def test_a_prepared_queryset_update_is_a_compare_and_set(personas, submit):
    trip_id = submit()["trips"][0]["id"]
    # Through a join (the declarant), which the ORM turns into a subquery.
    bump = PreparedQuerysetUpdate(lambda trip_id, version, declarant_id: (
        Trip.objects.filter(pk=trip_id, version=version, registration__declarant_id=declarant_id),
        {"version": F("version") + 1}))
    firm1 = personas.actor("firm1").enterprise.pk
    firm2 = personas.actor("firm2").enterprise.pk
    assert bump(trip_id=trip_id, version=1, declarant_id=firm2) == 0  # not its trip
    assert bump(trip_id=trip_id, version=1, declarant_id=firm1) == 1
    assert bump(trip_id=trip_id, version=1, declarant_id=firm1) == 0  # stale version: only once
    assert bump(trip_id=trip_id, version=2, declarant_id=firm1) == 1
    assert Trip.objects.get(pk=trip_id).version == 3
    # A condition between columns, and an argument in the values set.
    capped = PreparedQuerysetUpdate(lambda trip_id, by: (
        Trip.objects.filter(Q(pk=trip_id) & Q(version__lt=F("position") + 5)), {"version": F("version") + by}))
    assert capped(trip_id=trip_id, by=2) == 1  # 3 < 1 + 5
    assert capped(trip_id=trip_id, by=2) == 1  # 5 < 6
    assert capped(trip_id=trip_id, by=2) == 0  # 7 < 6 no longer holds
    assert Trip.objects.get(pk=trip_id).version == 7
    with pytest.raises(ValueError):
        PreparedQuerysetUpdate(lambda trip_id: (Trip.objects.filter(pk=trip_id), {}))(trip_id=trip_id)


def test_inserted_rows_can_read_their_keys_back(personas, submit):
    trip_id = submit()["trips"][0]["id"]
    vehicles = [TransshipmentVehicle(trip_id=trip_id, plate=plate, driver_name="Lê Văn Cường",
                                     driver_identity_document="001089099999", driver_phone="+84912000000")
                for plate in ("12C11111", "12C22222")]
    with CaptureQueriesContext(connection) as queries:
        insert_rows(vehicles, read_keys=True)
    assert len(queries) == 1
    stored = dict(TransshipmentVehicle.objects.filter(trip_id=trip_id).values_list("pk", "plate"))
    assert {vehicle.pk: vehicle.plate for vehicle in vehicles} == stored
    assert all(not vehicle._state.adding for vehicle in vehicles)


def test_rows_read_with_all_columns_become_the_instances_the_orm_gives(personas, submit):
    trip_id = submit()["trips"][0]["id"]
    read = PreparedRead(lambda trip_id: Trip.objects.filter(pk=trip_id).values(
        *columns(Trip), *columns(Registration, "registration__")))
    row = read(trip_id=trip_id)[0]
    trip, registration = instance(Trip, row), instance(Registration, row, "registration__")
    expected = Trip.objects.select_related("registration").get(pk=trip_id)
    for built, stored in ((trip, expected), (registration, expected.registration)):
        assert [getattr(built, f.attname) for f in type(stored)._meta.concrete_fields] == \
            [getattr(stored, f.attname) for f in type(stored)._meta.concrete_fields]
        assert not built._state.adding and built._state.db == "default"


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


@pytest.mark.parametrize("role", ROLES)
def test_a_bearer_token_gives_the_same_actor_as_the_orm_in_one_statement(personas, role):
    user = personas.user(role)
    _, secret = issue_token(user)
    with CaptureQueriesContext(connection) as queries:
        found = user_for_secret(secret)
        assert found is not None
        actor = actor_for(found)
        assert actor is not None
        # What the actor's rules read (gate, province, enterprise) comes with the token's row.
        seen = (actor.kind, actor.enterprise and actor.enterprise.tax_code, actor.gate_code, actor.is_supervisor,
                actor.agency and (actor.agency.name_vi, actor.agency.province.code))
    assert len(queries) == 1
    expected = personas.actor(role)
    assert found.pk == user.pk and found.get_username() == user.get_username()
    assert seen == (expected.kind, expected.enterprise and expected.enterprise.tax_code, expected.gate_code,
                    expected.is_supervisor,
                    expected.agency and (expected.agency.name_vi, expected.agency.province.code))


def test_a_revoked_expired_or_unknown_token_finds_nobody(personas):
    user = personas.user("customs.huunghi")
    (revoked_token, revoked), (expired_token, expired) = issue_token(user), issue_token(user)
    assert do_revoke_token(system_actor(), revoked_token)
    expired_token.expires_at = timezone.now() - dt.timedelta(seconds=1)
    expired_token.save()
    assert user_for_secret(revoked) is None
    assert user_for_secret(expired) is None
    assert user_for_secret("ck_t_" + "x" * 43) is None
