"""The answer to a submission is the registration as stored: the same document a later read returns."""

from __future__ import annotations

from tests.conftest import consignment, item, registration_payload, vehicle


def test_the_submit_answer_is_what_a_later_read_returns(personas):
    firm = personas.api("firm1")
    payload = registration_payload(
        consignments=[consignment(items=[item(), item(hs_code="84713020", quantity="40", gross_weight_kg="120",
                                                      value="16000.25")]),
                      consignment(declaration_number="105123456790", items=[item(quantity="7.5")])],
        vehicles=[vehicle(), vehicle(plate="12C-543.21", driver={"name": "Trần Văn Bình",
                                                                  "identity_document": "001089054321",
                                                                  "phone": "0987 654 321"})])
    created = firm.post("/registrations", payload)
    assert created.status_code == 201, created.content.decode()
    stored = firm.get(f"/registrations/{created.json()['id']}")
    assert stored.status_code == 200
    assert created.json() == stored.json()
    assert [t["plate"] for t in created.json()["trips"]] == ["12C12345", "12C54321"]
    assert [t["fee_vnd"] for t in created.json()["trips"]] == [None, None]



def test_answers_keep_vietnamese_as_written_and_times_as_django_writes_them(personas):
    """UTF-8 text, not \\u escapes, and the platform's time format (ISO 8601, milliseconds, offset)."""
    import re

    firm = personas.api("firm1")
    created = firm.post("/registrations", registration_payload(vehicles=[vehicle(driver={
        "name": "Nguyễn Thị Ánh", "identity_document": "001089012345", "phone": "0912 345 678"})]))
    assert created.status_code == 201, created.content.decode()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?(Z|[+-]\d\d:\d\d)",
                        created.json()["planned_arrival"]), created.json()["planned_arrival"]
    trip = firm.get(f"/trips/{created.json()['trips'][0]['id']}")
    assert trip.status_code == 200 and trip["Content-Type"] == "application/json; charset=utf-8"
    assert "Nguyễn Thị Ánh".encode() in trip.content and b"\\u" not in trip.content
