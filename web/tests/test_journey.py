"""A whole import journey through the web pages only: the firm declares, every agency confirms in the
console with one HTMX click each, the board sees the truck leave (what the browser tests will drive)."""

from __future__ import annotations

from crossings.models import Trip
from declarations.models import Registration
from tests.conftest import consignment, item
from web.tests.test_enterprise import form_data

HTMX = {"HX-Request": "true"}


def test_import_journey_through_the_web(login):
    firm = login("firm1")
    frozen_chicken = consignment(items=[item(hs_code="02071400", description="Cánh gà đông lạnh")])
    assert firm.post("/registrations/new/", form_data(consignments=[frozen_chicken])).status_code == 302
    registration = Registration.objects.get()
    trip = Trip.objects.get(registration=registration)

    board = login("bql.huunghi")
    assert registration.number in board.get("/console/").content.decode()
    assert board.post(f"/registrations/{registration.pk}/confirm/", {"version": registration.version},
                      headers=HTMX).status_code == 200

    steps = [("border.huunghi", "gate_entry_border_guard"), ("customs.huunghi", "gate_entry_customs"),
             ("bql.huunghi", "yard_entry"), ("medical.huunghi", "medical_quarantine"),
             ("animal.huunghi", "animal_quarantine"), ("bql.huunghi", "fee_paid"),
             ("customs.huunghi", "yard_exit_customs"), ("border.huunghi", "yard_exit_border_guard"),
             ("bql.huunghi", "left_gate")]
    for who, step in steps:
        officer = login(who)
        waiting = officer.get("/console/waiting/").content.decode()
        assert "12C-123.45" in waiting, (who, step)
        found = officer.get("/console/", {"q": "12c-123.45"}, headers=HTMX).content.decode()
        url = f"/console/trips/{trip.pk}/confirm/{step}/"
        assert url in found, (who, step)
        data = {"receipt_number": "BL-2026-7"} if step == "fee_paid" else {}
        response = officer.post(url, data, headers=HTMX)
        assert response.status_code == 200, (who, step, response.content.decode()[:500])

    trip.refresh_from_db()
    assert (trip.stage, trip.outcome) == ("left_gate", "completed")
    page = firm.get(f"/registrations/{registration.pk}/").content.decode()
    assert "BL-2026-7" in page
    overview = login("province").get("/province/").content.decode()
    assert "Ra hôm nay: 1" in overview or "Left today: 1" in overview
