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
