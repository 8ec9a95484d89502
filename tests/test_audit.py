"""Every action leaves an audit row; the hash chain reveals any edited, inserted or deleted row."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from crossings import audit
from crossings import services as crossing_services
from crossings.models import AuditEvent, AuditHead
from declarations import services as declaration_services
from tests.conftest import registration_payload, vehicle

ADDRESS = "10.20.30.40"


def post_from(api, path: str, body=None, address: str = ADDRESS):  # type: ignore[no-untyped-def]
    return api.client.post(f"/api/v1{path}", data=json.dumps(body) if body is not None else None,
                           content_type="application/json", headers=api.headers, REMOTE_ADDR=address)


def last_event() -> AuditEvent:
    return AuditEvent.objects.order_by("-pk").first()  # type: ignore[return-value]


def verify_command() -> str:
    out, err = StringIO(), StringIO()
    call_command("audit", "verify", stdout=out, stderr=err)
    return out.getvalue()


def failing_verify() -> str:
    """What the operator reads: each problem, then the verdict with their number."""
    err = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("audit", "verify", stdout=StringIO(), stderr=err)
    assert str(failure.value).startswith("Nhật ký kiểm toán KHÔNG nguyên vẹn. Số vấn đề tìm thấy:")
    return err.getvalue()


def test_every_action_writes_who_role_agency_gate_address_and_note(personas):
    firm, board = personas.api("firm1"), personas.api("bql.huunghi")
    response = post_from(firm, "/registrations", registration_payload(vehicles=[
        vehicle(), vehicle(plate="12C-999.99"),
        vehicle(plate="桂A12345", journey="transship",
                driver={"name": "王伟", "identity_document": "E12345678", "phone": "+86 138 0013 8000"})]))
    registration = response.json()
    number = registration["number"]
    event = last_event()
    assert (event.action, event.actor_name, event.role, event.agency_code, event.gate_code, event.ip_address,
            event.registration_number) == ("registration.submitted", "firm1", "enterprise", "", "huu-nghi", ADDRESS,
                                           number)

    post_from(board, f"/registrations/{registration['id']}/return", {"reason": "Sai số seal"})
    event = last_event()
    assert (event.action, event.actor_name, event.role, event.agency_code, event.gate_code, event.note) == (
        "registration.returned", "bql.huunghi", "management_board", "management_board.huu-nghi", "huu-nghi",
        "Sai số seal")
    assert event.ip_address == ADDRESS

    firm.patch(f"/registrations/{registration['id']}", {"version": 2, "yard": "huu-nghi-chuyen-tai"})
    assert (last_event().action, last_event().gate_code) == ("registration.amended", "huu-nghi")
    assert last_event().data == {"fields": ["yard"]}

    post_from(board, f"/registrations/{registration['id']}/confirm", address="10.0.0.9")
    assert (last_event().action, last_event().ip_address) == ("registration.confirmed", "10.0.0.9")

    first, second, chinese = (t["id"] for t in registration["trips"])
    post_from(personas.api("customs.huunghi"), f"/trips/{first}/checkpoints/gate_entry_customs",
              {"note": "Kiểm tra niêm phong đạt"})
    event = last_event()
    assert (event.action, event.actor_name, event.role, event.agency_code, event.gate_code, event.ip_address,
            event.trip_id_ref, event.checkpoint, event.note, event.automatic) == (
        "checkpoint.confirmed", "customs.huunghi", "customs", "customs.huu-nghi", "huu-nghi", ADDRESS, first,
        "gate_entry_customs", "Kiểm tra niêm phong đạt", False)

    post_from(firm, f"/trips/{second}/cancel")
    assert (last_event().action, last_event().trip_id_ref, last_event().role, last_event().gate_code) == (
        "trip.cancelled", second, "enterprise", "huu-nghi")

    for step, who in (("gate_entry_border_guard", "border.huunghi"), ("gate_entry_customs", "customs.huunghi"),
                      ("yard_entry", "bql.huunghi")):
        crossing_services.do_confirm_checkpoint(personas.actor(who), chinese, step)
    receiving = post_from(board, f"/trips/{chinese}/receiving-vehicles", {
        "plate": "12C-456.78", "driver_name": "Trần Văn Bình", "driver_identity_document": "001090054321",
        "driver_phone": "0987654321"}).json()
    assert (last_event().action, last_event().data) == ("transshipment.vehicle_added", {"plate": "12C45678"})
    post_from(board, f"/trips/{chinese}/receiving-vehicles/{receiving['id']}/entered")
    assert last_event().action == "transshipment.vehicle_entered"

    submitted = personas.api("firm1").post("/registrations", registration_payload(
        vehicles=[vehicle(plate="12C-777.77")])).json()
    post_from(board, f"/registrations/{submitted['id']}/reject", {"reason": "Trùng tờ khai"})
    assert (last_event().action, last_event().note) == ("registration.rejected", "Trùng tờ khai")
    other = personas.api("firm1").post("/registrations", registration_payload(
        vehicles=[vehicle(plate="12C-666.66")])).json()
    post_from(firm, f"/registrations/{other['id']}/cancel")
    assert (last_event().action, last_event().gate_code) == ("registration.cancelled", "huu-nghi")

    assert audit.verify() == []
    assert f"Nhật ký kiểm toán nguyên vẹn: đã kiểm tra {AuditEvent.objects.count()} sự kiện." in verify_command()


def test_an_enterprise_action_is_filed_under_the_gate_it_concerns(personas, submit):
    submit(gate="tan-thanh", yard="xuan-cuong")
    assert (last_event().role, last_event().agency_code, last_event().gate_code) == ("enterprise", "", "tan-thanh")


def test_a_refused_action_writes_no_row(personas, submit):
    registration = submit()
    before = AuditEvent.objects.count()
    personas.api("customs.huunghi").post(f"/registrations/{registration['id']}/confirm")  # not the board
    personas.api("bql.huunghi").post(f"/registrations/{registration['id']}/return", {"reason": ""})
    personas.api("firm1").patch(f"/registrations/{registration['id']}", {"version": 9, "yard": "huu-nghi"})
    assert AuditEvent.objects.count() == before


def test_an_automatic_confirmation_is_marked_as_such(personas, submit):
    registration = submit()
    declaration_services.do_confirm_registration(personas.actor("bql.huunghi"), registration["id"])
    trip_id = registration["trips"][0]["id"]
    for step, who in (("gate_entry_border_guard", "border.huunghi"), ("gate_entry_customs", "customs.huunghi")):
        crossing_services.do_confirm_checkpoint(personas.actor(who), trip_id, step)
    crossing_services.do_confirm_checkpoint(personas.actor("bql.huunghi"), trip_id, "yard_entry", automatic=True,
                                            note="Camera làn vào bãi 2")
    event = last_event()
    assert (event.checkpoint, event.automatic, event.note) == ("yard_entry", True, "Camera làn vào bãi 2")
    timeline = {s["name"]: s for s in personas.api("firm1").get(f"/trips/{trip_id}").json()["timeline"]}
    assert timeline["yard_entry"]["automatic"] is True
    assert timeline["gate_entry_customs"]["automatic"] is False


# --- tampering -------------------------------------------------------------------------------------------

@pytest.fixture
def chain(personas, submit) -> list[int]:  # type: ignore[no-untyped-def]
    """A clean chain of several events; returns their ids."""
    registration = submit()
    board = personas.actor("bql.huunghi")
    declaration_services.do_confirm_registration(board, registration["id"])
    trip_id = registration["trips"][0]["id"]
    for step, who in (("gate_entry_border_guard", "border.huunghi"), ("gate_entry_customs", "customs.huunghi"),
                      ("yard_entry", "bql.huunghi")):
        crossing_services.do_confirm_checkpoint(personas.actor(who), trip_id, step, note="ok")
    ids = list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True))
    assert len(ids) == 5
    assert audit.verify() == []
    verify_command()
    return ids


@pytest.mark.parametrize("field, value", [
    ("note", "đã sửa"),
    ("actor_name", "customs.tanthanh"),
    ("automatic", True),
    ("ip_address", "1.2.3.4"),
    ("checkpoint", "yard_exit_customs"),
    ("data", {"receipt_number": "FAKE"}),
])
def test_editing_a_row_is_detected_and_named(chain, field, value):
    target = chain[2]
    AuditEvent.objects.filter(pk=target).update(**{field: value})
    problems = audit.verify()
    assert [(p.event_id, p.problem) for p in problems] == [(target, "edited")]
    assert str(problems[0]) == f"Sự kiện {target}: dòng đã bị sửa sau khi được ghi (edited)"
    with translation.override("zh-hans"):
        assert str(problems[0]) == f"事件 {target}: 该记录在写入后被修改 (edited)"
    assert f"Sự kiện {target}: dòng đã bị sửa" in failing_verify()


def test_editing_a_row_and_recomputing_its_hash_is_still_detected(chain):
    target = AuditEvent.objects.get(pk=chain[1])
    target.note = "không có gì"
    target.hash = audit._digest(target.pk, target.prev_hash, audit._hashed_fields(target))
    target.save()
    problems = audit.verify()
    assert problems and problems[0].event_id == chain[2]
    failing_verify()


def test_deleting_a_middle_row_is_detected_and_named(chain):
    AuditEvent.objects.filter(pk=chain[2]).delete()
    problems = audit.verify()
    assert (chain[2], "deleted") in [(p.event_id, p.problem) for p in problems]
    assert f"Sự kiện {chain[2]}: một dòng đã bị xóa (deleted)" in failing_verify()


def test_deleting_the_last_row_is_detected(chain):
    AuditEvent.objects.filter(pk=chain[-1]).delete()
    assert [p.problem for p in audit.verify()] == ["tail_deleted"]
    assert "Cuối chuỗi: các dòng cuối của chuỗi đã bị xóa (tail_deleted)" in failing_verify()


def test_deleting_the_last_rows_and_the_head_together_is_detected(chain):
    AuditEvent.objects.filter(pk__in=chain[-2:]).delete()
    AuditHead.objects.filter(pk=1).update(last_id=chain[-3], count=len(chain) - 2)
    assert audit.verify(), "the head's hash no longer matches the last row"
    failing_verify()


def test_inserting_a_forged_row_at_the_end_is_detected(chain):
    last = AuditEvent.objects.get(pk=chain[-1])
    forged = AuditEvent(id=last.pk + 1, at=last.at, actor_name="customs.huunghi", role="customs",
                        agency_code="customs.huu-nghi", gate_code="huu-nghi", action="checkpoint.confirmed",
                        registration_number=last.registration_number, trip_id_ref=last.trip_id_ref,
                        checkpoint="yard_exit_customs", prev_hash=last.hash)
    forged.hash = audit._digest(forged.id, forged.prev_hash, audit._hashed_fields(forged))
    forged.save(force_insert=True)
    problems = audit.verify()
    assert problems
    assert "inserted" in {p.problem for p in problems}
    failing_verify()


def test_replacing_a_middle_row_with_a_forged_one_is_detected(chain):
    original = AuditEvent.objects.get(pk=chain[2])
    AuditEvent.objects.filter(pk=original.pk).delete()
    forged = AuditEvent(id=original.pk, at=original.at, actor_name="plant.huunghi", role="plant_quarantine",
                        agency_code="plant_quarantine.huu-nghi", gate_code="huu-nghi", action="checkpoint.confirmed",
                        registration_number=original.registration_number, trip_id_ref=original.trip_id_ref,
                        checkpoint="plant_quarantine", prev_hash=original.prev_hash)
    forged.hash = audit._digest(forged.id, forged.prev_hash, audit._hashed_fields(forged))
    forged.save(force_insert=True)
    problems = audit.verify()
    assert problems
    assert problems[0].event_id in (chain[2], chain[3])
    failing_verify()


def test_a_forged_row_with_a_made_up_hash_is_named(chain):
    last = AuditEvent.objects.get(pk=chain[-1])
    AuditEvent.objects.create(id=last.pk + 1, at=last.at, actor_name="x", role="customs", action="checkpoint.confirmed",
                              prev_hash=last.hash, hash="f" * 64)
    problems = audit.verify()
    assert (last.pk + 1, "edited") in [(p.event_id, p.problem) for p in problems]
    assert f"Sự kiện {last.pk + 1}: dòng đã bị sửa" in failing_verify()


def test_text_in_any_script_and_with_json_escapes_hashes_the_same_when_verified(personas):
    """The event's hash (computed in the database on PostgreSQL) is the one verify recomputes in Python."""
    from django.db import transaction

    officer = personas.actor("customs.huunghi")
    notes = ["Đã kiểm tra — hàng đủ", "海关已放行", 'a "quoted" \\ backslash\nnew line\ttab', "emoji 🚚", ""]
    with transaction.atomic():
        recorded = [audit.record(officer, "checkpoint.confirmed", note=note, trip_id=7,
                                 data={"ghi chú": note, "list": [1, 2.5, None, True]}) for note in notes]
    stored = {event.pk: event for event in AuditEvent.objects.filter(pk__in=[e.pk for e in recorded])}
    for event in recorded:
        assert (stored[event.pk].hash, stored[event.pk].prev_hash) == (event.hash, event.prev_hash)
        assert stored[event.pk].note == event.note
    assert audit.verify() == []


def test_an_append_is_one_statement_on_postgresql(personas):
    """The head stays locked until COMMIT; on PostgreSQL nothing else runs under that lock but the append."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    officer = personas.actor("customs.huunghi")
    with transaction.atomic():
        audit.record(officer, "checkpoint.confirmed", note="first")  # creates the head if there is none
        with CaptureQueriesContext(connection) as captured:
            audit.record(officer, "checkpoint.confirmed", note="second")
    # SQLite: the head as this process last moved it, moved again by compare-and-set, and the row.
    assert len(captured.captured_queries) == (1 if connection.vendor == "postgresql" else 2)
    assert audit.verify() == []


def test_an_append_after_another_process_moved_the_head_links_to_the_head_as_stored(personas):
    """Another worker process appended since this one last did: the head this process remembers is stale."""
    from django.db import connection, transaction

    officer = personas.actor("customs.huunghi")
    with transaction.atomic():
        audit.record(officer, "checkpoint.confirmed", note="this process")
        remembered = dict(audit._known_heads)
        audit.record(officer, "checkpoint.confirmed", note="another process")
        audit._known_heads.update(remembered)  # as the other process's append leaves this one's memory
        latest = audit.record(officer, "checkpoint.confirmed", note="this process again")
    before = AuditEvent.objects.get(pk=latest.pk - 1)
    assert (latest.prev_hash, before.note) == (before.hash, "another process")
    assert AuditHead.objects.get(pk=1).last_hash == latest.hash
    assert audit.verify() == []
    assert connection.vendor == "postgresql" or audit._known_heads[connection.alias] == (latest.pk, latest.hash)


def test_an_append_after_a_rolled_back_one_links_to_the_last_event_kept(personas):
    """The head this process remembers was moved by a transaction that rolled back."""
    from django.db import transaction

    officer = personas.actor("customs.huunghi")
    with transaction.atomic():
        kept = audit.record(officer, "checkpoint.confirmed", note="kept")
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(officer, "checkpoint.confirmed", note="rolled back")
        raise RuntimeError("the change it recorded failed")
    with transaction.atomic():
        latest = audit.record(officer, "checkpoint.confirmed", note="next")
    assert (latest.pk, latest.prev_hash) == (kept.pk + 1, kept.hash)
    assert not AuditEvent.objects.filter(note="rolled back").exists()
    assert audit.verify() == []


# --- a change and its event together (record_change) ---------------------------------------------------

def _pending_trip(personas, submit) -> int:  # type: ignore[no-untyped-def]
    registration = submit()
    declaration_services.do_confirm_registration(personas.actor("bql.huunghi"), registration["id"])
    return registration["trips"][0]["id"]


def _confirming(trip_id: int, step: str, note: str) -> list:  # type: ignore[type-arg]
    from crossings.models import Checkpoint, Trip
    from cuakhau.db.prepared import Increment, PreparedUpdate

    flip = PreparedUpdate(Checkpoint, where=("trip", "name", "state")).statement(
        (trip_id, step, "pending"), {"state": "confirmed", "note": note})
    bump = PreparedUpdate(Trip, where=("id",)).statement((trip_id,), {"version": Increment()})
    return [flip, bump]


def test_a_change_and_its_event_are_written_together_and_chain(personas, submit):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from crossings.models import Checkpoint, Trip

    trip_id = _pending_trip(personas, submit)
    version = Trip.objects.get(pk=trip_id).version
    officer = personas.actor("customs.huunghi")
    assert officer.gate_code and officer.agency  # read now, not while counting the statements
    with transaction.atomic():
        audit.record(officer, "registration.confirmed")  # this process has moved the head before
        with CaptureQueriesContext(connection) as captured:
            assert audit.record_change(_confirming(trip_id, "gate_entry_customs", "ok"), officer,
                                       "checkpoint.confirmed", trip_id=trip_id, checkpoint="gate_entry_customs")
    # One round trip on PostgreSQL; on SQLite the two writes and the two statements of the append.
    assert len([q for q in captured.captured_queries if q["sql"].strip().upper() not in {"BEGIN", "COMMIT"}
                and "SAVEPOINT" not in q["sql"].upper()]) == (1 if connection.vendor == "postgresql" else 4)
    assert Checkpoint.objects.get(trip_id=trip_id, name="gate_entry_customs").note == "ok"
    assert Trip.objects.get(pk=trip_id).version == version + 1
    event = last_event()
    assert (event.action, event.trip_id_ref, event.checkpoint, event.actor_name) == (
        "checkpoint.confirmed", trip_id, "gate_entry_customs", "customs.huunghi")
    assert audit.verify() == []


def test_a_compare_and_set_that_matches_nothing_writes_nothing_at_all(personas, submit):
    from django.db import transaction

    from crossings.models import Checkpoint, Trip

    trip_id = _pending_trip(personas, submit)
    officer = personas.actor("customs.huunghi")
    with transaction.atomic():
        assert audit.record_change(_confirming(trip_id, "gate_entry_customs", "first"), officer,
                                   "checkpoint.confirmed", trip_id=trip_id)
    version, events = Trip.objects.get(pk=trip_id).version, AuditEvent.objects.count()
    head = AuditHead.objects.get(pk=1)
    with transaction.atomic():  # the step is no longer pending: the second compare-and-set misses
        assert not audit.record_change(_confirming(trip_id, "gate_entry_customs", "second"), officer,
                                       "checkpoint.confirmed", trip_id=trip_id)
    assert Checkpoint.objects.get(trip_id=trip_id, name="gate_entry_customs").note == "first"
    assert Trip.objects.get(pk=trip_id).version == version, "the guarded write was not made"
    assert AuditEvent.objects.count() == events, "no event for a change that did not happen"
    assert AuditHead.objects.get(pk=1).last_hash == head.last_hash
    assert audit.verify() == []


def test_the_very_first_event_of_a_platform_can_come_with_a_change(personas, submit):
    """No head row yet (a new database): the change is made and the event starts the chain."""
    from django.db import transaction

    from crossings.models import Checkpoint

    trip_id = _pending_trip(personas, submit)
    AuditEvent.objects.all().delete()
    AuditHead.objects.all().delete()
    with transaction.atomic():
        assert audit.record_change(_confirming(trip_id, "gate_entry_customs", "ok"), personas.actor(
            "customs.huunghi"), "checkpoint.confirmed", trip_id=trip_id)
    assert Checkpoint.objects.get(trip_id=trip_id, name="gate_entry_customs").state == "confirmed"
    assert list(AuditEvent.objects.values_list("pk", "prev_hash")) == [(1, audit.GENESIS)]
    assert AuditHead.objects.get(pk=1).count == 1
    assert audit.verify() == []


def test_verifying_a_database_that_is_not_set_up_says_so_instead_of_a_traceback(tmp_path):
    # An operator pointing the command at the wrong data directory (here: an empty one).
    environment = {**os.environ, "CUAKHAU_DATA_DIR": str(tmp_path)}
    environment.pop("DATABASE_URL", None)
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run([sys.executable, "-m", "cuakhau.cli", "audit", "verify"], env=environment,  # noqa: S603
                          cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "Cơ sở dữ liệu này chưa được thiết lập" in done.stderr and "cuakhau migrate" in done.stderr

