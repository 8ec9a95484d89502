"""Gates' rules are kept in memory per process, yet every change to reference data counts at once."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from gates import rules
from gates.models import Closure, Gate, GoodsProtocol, ProtocolGate, ReferenceRevision, WorkingHours
from tests.conftest import consignment, item, next_open_morning, registration_payload, vehicle


def post(personas, plate: str, **overrides):  # type: ignore[no-untyped-def]
    return personas.api("firm1").post("/registrations", registration_payload(vehicles=[vehicle(plate=plate)],
                                                                             **overrides))


def test_a_closure_added_after_the_rules_were_read_closes_the_gate(personas):
    assert post(personas, "12C-111.11").status_code == 201  # the rules are now in memory
    start = next_open_morning(hour=0)
    Closure.objects.create(gate=Gate.objects.get(code="huu-nghi"), starts_at=start,
                           ends_at=start + dt.timedelta(days=1), reason="Sự cố")
    response = post(personas, "12C-222.22")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["planned_arrival"]


def test_working_hours_changed_in_bulk_count_at_once(personas):
    evening = next_open_morning(hour=21).isoformat()
    assert post(personas, "12C-111.11", planned_arrival=evening).status_code == 422
    WorkingHours.objects.filter(gate__code="huu-nghi").update(closes=dt.time(23, 0))  # no save(), no signal
    assert post(personas, "12C-222.22", planned_arrival=evening).status_code == 201


def test_a_gate_removed_from_a_protocol_refuses_those_goods_at_once(personas):
    durian = [consignment(items=[item(hs_code="08106000", description="Sầu riêng tươi")])]
    assert post(personas, "12C-111.11", direction="export", consignments=durian).status_code == 201
    protocol = GoodsProtocol.objects.get(hs_prefix="081060")
    ProtocolGate.objects.filter(protocol=protocol, gate__code="huu-nghi").delete()
    response = post(personas, "12C-222.22", direction="export", consignments=durian)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["consignments.0.items.0.hs_code"]


def test_a_change_made_by_another_server_process_is_seen(personas):
    """Another process's edit reaches this one only through the database's revision token."""
    assert post(personas, "12C-111.11").status_code == 201
    gate = Gate.objects.get(code="huu-nghi")
    start = next_open_morning(hour=0)
    # As another process would write it: the closure, then a new token, without this process's signals.
    Closure.objects.bulk_create([Closure(gate=gate, starts_at=start, ends_at=start + dt.timedelta(days=1),
                                         reason="Bão")])
    ReferenceRevision.objects.filter(pk=1).update(token="written-by-another-process")
    assert post(personas, "12C-222.22").status_code == 422


def test_unchanged_rules_are_not_read_again(personas):
    rules.current()
    with CaptureQueriesContext(connection) as queries:
        first = rules.current()
        second = rules.current()
    assert first is second
    assert len(queries) == 2  # the revision token, once per call
    assert all("gates_referencerevision" in query["sql"] for query in queries)
