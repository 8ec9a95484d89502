"""The management board: province overview, a gate's hours and capacity, a trip's audit trail."""

from __future__ import annotations

from crossings.models import AuditEvent
from crossings.services import do_confirm_checkpoint
from gates.models import Lane, WorkingHours, Yard
from web.queries import congestion


def test_congestion_levels_follow_the_national_grades():
    assert [congestion(n)[0] for n in (0, 499, 500, 1000, 1001, 5000, 5001)] == [
        "green", "green", "yellow", "yellow", "orange", "orange", "red"]


def test_overview_for_the_province_and_board(login, declared, personas):
    registration = declared(confirm=True)
    trip = registration.trips.get()
    for who, step in (("border.huunghi", "gate_entry_border_guard"), ("customs.huunghi", "gate_entry_customs"),
                      ("bql.huunghi", "yard_entry")):
        do_confirm_checkpoint(personas.actor(who), trip.pk, step)
    response = login("province").get("/province/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Hữu Nghị" in body and "Tân Thanh" in body
    assert "1 / 550" in body, "one truck in Hữu Nghị's yards of 300 + 250 places"
    assert "level-green" in body
    assert login("bql.huunghi").get("/province/").status_code == 200
    fragment = login("province").get("/province/", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment and "1 / 550" in fragment


def test_overview_is_not_for_other_roles(login):
    assert login("firm1").get("/province/").status_code == 403
    assert login("customs.huunghi").get("/province/").status_code == 403


def test_supervisor_edits_working_hours_and_capacity(login, reference):
    client = login("province")
    page = client.get("/province/gates/huu-nghi/").content.decode()
    settings_url = "/province/gates/huu-nghi/settings/"
    assert f'href="{settings_url}"' in page, "the supervisor finds an Edit link (a plain link without JavaScript)"
    assert 'name="hours-0-opens"' not in page, "the inputs come only when asked for"
    in_place = client.get(settings_url, headers={"HX-Request": "true"})
    assert in_place.status_code == 200
    assert "<html" not in in_place.content.decode() and 'name="hours-0-opens"' in in_place.content.decode()
    own_page = client.get(settings_url).content.decode()
    assert "<html" in own_page and 'name="hours-0-opens"' in own_page

    hours = list(WorkingHours.objects.filter(gate__code="huu-nghi").order_by("weekday", "opens"))
    yards = list(Yard.objects.filter(gate__code="huu-nghi").order_by("gate", "code"))
    data = {"hours-TOTAL_FORMS": str(len(hours) + 1), "hours-INITIAL_FORMS": str(len(hours)),
            "hours-MIN_NUM_FORMS": "0", "hours-MAX_NUM_FORMS": "1000",
            "yards-TOTAL_FORMS": str(len(yards)), "yards-INITIAL_FORMS": str(len(yards)),
            "yards-MIN_NUM_FORMS": "0", "yards-MAX_NUM_FORMS": "1000"}
    for index, row in enumerate(hours):
        closes = "23:00" if row.weekday == 0 else row.closes.strftime("%H:%M")
        data.update({f"hours-{index}-id": str(row.pk), f"hours-{index}-weekday": str(row.weekday),
                     f"hours-{index}-opens": row.opens.strftime("%H:%M"), f"hours-{index}-closes": closes})
    for index, yard in enumerate(yards):
        data.update({f"yards-{index}-id": str(yard.pk), f"yards-{index}-places": str(yard.places + 10)})
    lanes = list(Lane.objects.filter(gate__code="huu-nghi").order_by("gate", "code"))
    data.update({"lanes-TOTAL_FORMS": str(len(lanes)), "lanes-INITIAL_FORMS": str(len(lanes)),
                 "lanes-MIN_NUM_FORMS": "0", "lanes-MAX_NUM_FORMS": "1000"})
    for index, lane in enumerate(lanes):
        data.update({f"lanes-{index}-id": str(lane.pk), f"lanes-{index}-trucks_per_hour": "45"})
    response = client.post(settings_url, data)
    assert response.status_code == 302 and response["Location"] == "/province/gates/huu-nghi/", \
        response.content.decode()[:3000]
    monday = WorkingHours.objects.get(gate__code="huu-nghi", weekday=0)
    assert monday.closes.strftime("%H:%M") == "23:00"
    assert Yard.objects.get(pk=yards[0].pk).places == yards[0].places + 10
    assert set(Lane.objects.filter(gate__code="huu-nghi").values_list("trucks_per_hour", flat=True)) == {45}
    assert AuditEvent.objects.filter(action="gate.settings_changed").exists()
    saved = client.get(response["Location"]).content.decode()
    assert "23:00" in saved and f"<td>{yards[0].places + 10}</td>" in saved, "the gate page shows what was saved"

    data[f"hours-{0}-closes"] = "06:00"
    bad = client.post(settings_url, data)
    assert bad.status_code == 422
    assert 'name="hours-0-closes"' in bad.content.decode(), "the form comes back with the error next to the input"
    # A gate's own board sees the page but cannot change it; another province's gate is not found.
    board = login("bql.huunghi")
    assert board.get("/province/gates/huu-nghi/").status_code == 200
    assert settings_url not in board.get("/province/gates/huu-nghi/").content.decode()
    assert board.get(settings_url).status_code == 403
    assert board.post(settings_url, data).status_code == 403
    assert board.get("/province/gates/tan-thanh/").status_code == 404
    assert board.get("/province/gates/tan-thanh/settings/").status_code == 404


def test_audit_trail_for_officers_of_the_gate_and_the_supervisor(login, declared, personas):
    registration = declared(confirm=True)
    trip = registration.trips.get()
    do_confirm_checkpoint(personas.actor("customs.huunghi"), trip.pk, "gate_entry_customs", note="Làn 1")
    for who in ("customs.huunghi", "province", "bql.huunghi"):
        response = login(who).get(f"/trips/{trip.pk}/audit/")
        assert response.status_code == 200, who
        body = response.content.decode()
        assert "customs.huunghi" in body and "Làn 1" in body
        assert "firm1" in body, "the registration's own events are part of the trail"
    assert login("customs.tanthanh").get(f"/trips/{trip.pk}/audit/").status_code == 404
    assert login("firm1").get(f"/trips/{trip.pk}/audit/").status_code == 403
