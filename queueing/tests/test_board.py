"""The public live board equals a count over the raw data and never shows personal data."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from crossings.models import Checkpoint, Outcome, Stage, Trip
from gates.models import Gate
from queueing import services
from queueing.board import Thresholds, predicted_wait
from queueing.capacity import CapacityPlan, hours_between, local_hour_start
from queueing.models import GateQueuePolicy, HourSlot, flow_of
from queueing.tests.conftest import enter_gate, local


def raw_counts(gate_code: str, flow: str) -> dict[str, int]:
    trips = [t for t in Trip.objects.filter(registration__gate__code=gate_code, outcome=Outcome.ACTIVE)
             .select_related("registration") if flow_of(t.registration.direction) == flow]
    hour_ago = timezone.now() - dt.timedelta(hours=1)
    cleared = [c for c in Checkpoint.objects.filter(trip__registration__gate__code=gate_code, name="left_gate",
                                                    state="confirmed", confirmed_at__gte=hour_ago)
               .select_related("trip__registration") if flow_of(c.trip.registration.direction) == flow]
    return {"waiting": sum(t.stage == Stage.AT_GATE for t in trips),
            "in_yard": sum(t.stage in (Stage.IN_YARD, Stage.PAID) for t in trips),
            "cleared_last_hour": len(cleared)}


def test_board_numbers_equal_a_count_over_the_raw_data(slot_gate, personas, confirmed_trips, client):
    actor = personas.actor("firm1")
    trips = confirmed_trips(7)
    exports = confirmed_trips(2, direction="export")
    for trip in trips[:6] + exports:
        services.do_book(actor, trip.pk, local(1, 9))
    for trip in trips[:5] + exports[:1]:
        enter_gate(personas, trip)
    board_officer = personas.api("bql.huunghi")
    for trip in trips[:3]:
        assert board_officer.post(f"/trips/{trip.pk}/checkpoints/yard_entry").status_code == 200
    # One truck cleared: walk it to the end of the workflow.
    done = trips[0]
    board_officer.post(f"/trips/{done.pk}/checkpoints/fee_paid", {"receipt_number": "BL-1"})
    personas.api("medical.huunghi").post(f"/trips/{done.pk}/checkpoints/medical_quarantine")
    personas.api("customs.huunghi").post(f"/trips/{done.pk}/checkpoints/yard_exit_customs")
    personas.api("border.huunghi").post(f"/trips/{done.pk}/checkpoints/yard_exit_border_guard")
    assert board_officer.post(f"/trips/{done.pk}/checkpoints/left_gate").status_code == 200

    response = client.get("/api/v1/board/huu-nghi")
    assert response.status_code == 200, response.content
    body = response.json()
    rows = {row["direction"]: row for row in body["directions"]}
    for flow in ("import", "export"):
        expected = raw_counts("huu-nghi", flow)
        assert {k: rows[flow][k] for k in expected} == expected, flow
    assert rows["import"] == rows["import"] | {"waiting": 2, "in_yard": 2, "cleared_last_hour": 1}
    assert rows["export"]["waiting"] == 1
    assert body["waiting"] == 3 and body["level"] == "green"
    assert rows["import"]["predicted_wait_minutes"] == 120  # 2 waiting / 1 cleared per hour

    now = timezone.now()
    hours = list(hours_between(now, now + dt.timedelta(hours=24)))
    plan = CapacityPlan.load([slot_gate.pk], hours[0], hours[-1] + dt.timedelta(hours=1))
    slots = {s.hour_start: s for s in HourSlot.objects.filter(gate=slot_gate, direction="import")}
    free = sum((slots[h].capacity - slots[h].booked) if h in slots else plan.capacity(slot_gate.pk, "import", h)
               for h in hours)
    assert rows["import"]["free_places_next_24h"] == free

    everything = client.get("/api/v1/board")
    assert everything.status_code == 200
    gates = {g["gate"]: g for g in everything.json()["gates"]}
    assert gates["huu-nghi"]["directions"] == body["directions"]
    assert gates["tan-thanh"]["waiting"] == 0


def test_board_shows_no_personal_data(reference, personas, confirmed_trips, client):
    trip = confirmed_trips(1)[0]
    enter_gate(personas, trip)
    text = client.get("/api/v1/board").content.decode() + client.get("/board/").content.decode()
    for secret in (trip.vehicle.plate, trip.driver.name, trip.driver.identity_document, trip.driver.phone,
                   trip.registration.number, trip.registration.declarant.name):
        assert secret not in text


def test_congestion_levels_and_thresholds_per_gate(reference, personas, confirmed_trips, client):
    default = Thresholds(500, 1000, 5000)
    assert [default.level(n) for n in (0, 499, 500, 999, 1000, 5000, 5001)] == [
        "green", "green", "yellow", "yellow", "orange", "orange", "red"]
    assert predicted_wait(0, 0) == 0 and predicted_wait(5, 0) is None and predicted_wait(30, 60) == 30
    GateQueuePolicy.objects.create(gate=Gate.objects.get(code="huu-nghi"), congestion_yellow_from=1,
                                   congestion_orange_from=2, congestion_red_above=2)
    trips = confirmed_trips(3)
    for trip in trips:
        enter_gate(personas, trip)
    body = client.get("/api/v1/board/huu-nghi").json()
    assert body["level"] == "red" and body["waiting"] == 3


def test_board_page_and_unknown_gate(reference, client):
    page = client.get("/board/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'hx-trigger="every 30s"' in html and 'http-equiv="refresh"' in html
    assert "Hữu Nghị" in html
    fragment = client.get("/board/", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    missing = client.get("/api/v1/board/nowhere")
    assert missing.status_code == 404


def test_board_query_count_does_not_grow_with_trucks(reference, personas, confirmed_trips, client,
                                                     django_assert_max_num_queries):
    for trip in confirmed_trips(4):
        enter_gate(personas, trip)
    with django_assert_max_num_queries(10):
        client.get("/api/v1/board")
    assert local_hour_start(timezone.now()) <= timezone.now()
