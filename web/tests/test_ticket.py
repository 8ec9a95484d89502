"""The driver's ticket: public by unguessable token, bilingual, without personal data."""

from __future__ import annotations

from tests.conftest import vehicle


def test_ticket_shows_plate_gate_yard_next_step_in_both_languages(client, declared):
    registration = declared(confirm=True, vehicles=[vehicle(driver={"name": "Nguyễn Văn An",
                                                                    "identity_document": "001089012345",
                                                                    "phone": "0912 345 678"})])
    trip = registration.trips.get()
    response = client.get(f"/t/{trip.ticket_token}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "12C-123.45" in body
    assert "Hữu Nghị" in body and "友谊" in body
    assert "Bãi kiểm hóa Hữu Nghị" in body
    assert "<svg" in body, "the QR code, inline"
    assert f"http://testserver/t/{trip.ticket_token}/" in body
    assert 'lang="zh-Hans"' in body
    # No personal data on a public page.
    for secret in ("001089012345", "012345", "0912", "345 678", "345678", "Nguyễn Văn An"):
        assert secret not in body, secret


def test_ticket_needs_the_exact_token(client, declared):
    trip = declared().trips.get()
    assert client.get(f"/t/{trip.ticket_token[:-1]}/").status_code == 404
    assert client.get(f"/t/{trip.pk}/").status_code == 404
