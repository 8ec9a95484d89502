"""Idempotency-Key on POST: a retried request gets the first answer and creates nothing new."""

from __future__ import annotations

import datetime as dt
import importlib
import sys

import pytest
from django.utils import timezone

from accounts.models import ApiToken, IdempotencyRecord
from crossings.models import AuditEvent, Checkpoint, TransshipmentVehicle, Trip
from cuakhau.api import api
from declarations import services as declaration_services
from declarations.models import Consignment, Registration
from queueing import timers
from tests.conftest import ApiClient, registration_payload, vehicle


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


def counts() -> dict[str, int]:
    return {"registrations": Registration.objects.count(), "trips": Trip.objects.count(),
            "consignments": Consignment.objects.count(), "audit": AuditEvent.objects.count(),
            "checkpoints confirmed": Checkpoint.objects.filter(state="confirmed").count()}


def test_a_retried_registration_returns_the_first_result_and_creates_nothing(personas):
    firm = personas.api("firm1")
    first = firm.post("/registrations", registration_payload(), **key("erp-000001"))
    assert first.status_code == 201, first.json()
    before = counts()
    retry = firm.post("/registrations", registration_payload(), **key("erp-000001"))
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert counts() == before
    # A second retry, even from a new connection of the same user, is the same answer.
    again = personas.api("firm1").post("/registrations", registration_payload(), **key("erp-000001"))
    assert again.json()["number"] == first.json()["number"]
    assert counts() == before


def test_an_answer_is_kept_for_retries_for_the_configured_hours_only(personas, settings):
    """Kept answers may hold personal data: the worker deletes them once expired, and an expired one is never
    replayed even if the worker has not run (the key then makes a new request)."""
    settings.CUAKHAU_IDEMPOTENCY_TTL_HOURS = 48
    firm = personas.api("firm1")
    first = firm.post("/registrations", registration_payload(), **key("erp-old"))
    recent = firm.post("/registrations", registration_payload(vehicles=[vehicle(plate="12C-999.99")]),
                       **key("erp-new"))
    assert first.status_code == recent.status_code == 201
    IdempotencyRecord.objects.filter(key="erp-old").update(created_at=timezone.now() - dt.timedelta(hours=49))

    # Past its hours the key is new again: the same request is a new action (here refused, the truck being taken).
    again = firm.post("/registrations", registration_payload(), **key("erp-old"))
    assert again.status_code == 422, again.json()
    assert "vehicles.0.plate" in again.json()["errors"]

    IdempotencyRecord.objects.filter(key="erp-new").update(created_at=timezone.now() - dt.timedelta(hours=47))
    assert timers.run_once()["idempotency_expired"] == 1, "the expired one only"
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["erp-new"]
    IdempotencyRecord.objects.filter(key="erp-new").update(created_at=timezone.now() - dt.timedelta(hours=49))
    assert timers.run_once()["idempotency_expired"] == 1
    assert not IdempotencyRecord.objects.exists()


def test_the_same_key_with_a_different_body_is_a_conflict(personas):
    firm = personas.api("firm1")
    assert firm.post("/registrations", registration_payload(), **key("erp-000002")).status_code == 201
    before = counts()
    other = firm.post("/registrations", registration_payload(vehicles=[vehicle(plate="12C-999.99")]),
                      **key("erp-000002"))
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert counts() == before


def test_the_same_key_on_another_path_is_a_conflict(personas, submit):
    registration = submit()
    board = personas.api("bql.huunghi")
    assert board.post(f"/registrations/{registration['id']}/confirm", {}, **key("k-1")).status_code == 200
    response = board.post(f"/registrations/{registration['id']}/return", {}, **key("k-1"))
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"


def test_without_a_key_each_post_creates_a_record(personas):
    firm = personas.api("firm1")
    assert firm.post("/api-keys", {"name": "ERP"}).status_code == 201
    assert firm.post("/api-keys", {"name": "ERP"}).status_code == 201
    assert ApiToken.objects.filter(kind="api_key").count() == 2
    first = firm.post("/api-keys", {"name": "ERP"}, **key("key-once"))
    retry = firm.post("/api-keys", {"name": "ERP"}, **key("key-once"))
    assert first.status_code == retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    assert ApiToken.objects.filter(kind="api_key").count() == 3


def test_two_registrations_without_a_key_are_two_records(personas):
    firm = personas.api("firm1")
    first = firm.post("/registrations", registration_payload(vehicles=[vehicle(plate="12C-111.11")]))
    second = firm.post("/registrations", registration_payload(vehicles=[vehicle(plate="12C-222.22")]))
    assert first.status_code == second.status_code == 201
    assert first.json()["number"] != second.json()["number"]
    assert Registration.objects.count() == 2


def test_a_retried_checkpoint_confirmation_is_200_again_not_409(personas, submit):
    registration = submit()
    declaration_services.do_confirm_registration(personas.actor("bql.huunghi"), registration["id"])
    trip_id = registration["trips"][0]["id"]
    customs = personas.api("customs.huunghi")
    first = customs.post(f"/trips/{trip_id}/checkpoints/gate_entry_customs", {"note": "ok"}, **key("lane-7-1"))
    assert first.status_code == 200
    before = counts()
    retry = customs.post(f"/trips/{trip_id}/checkpoints/gate_entry_customs", {"note": "ok"}, **key("lane-7-1"))
    assert retry.status_code == 200
    assert retry.json() == first.json()
    assert counts() == before
    # Without the key the same click is a second confirmation, refused.
    assert customs.post(f"/trips/{trip_id}/checkpoints/gate_entry_customs", {"note": "ok"}).status_code == 409


def test_a_refused_request_is_not_remembered(personas):
    firm = personas.api("firm1")
    refused = firm.post("/registrations", registration_payload(yard="xuan-cuong"), **key("erp-000003"))
    assert refused.status_code == 422
    assert not IdempotencyRecord.objects.exists()
    corrected = firm.post("/registrations", registration_payload(), **key("erp-000003"))
    assert corrected.status_code == 201, corrected.json()
    assert Registration.objects.count() == 1


def test_keys_belong_to_one_user(personas):
    first = personas.api("firm1").post("/registrations", registration_payload(), **key("shared-key"))
    second = personas.api("firm2").post("/registrations", registration_payload(vehicles=[vehicle(plate="14C-1.23")]),
                                        **key("shared-key"))
    assert second.status_code == 422, "the plate is wrong; firm2 was not handed firm1's answer"
    second = personas.api("firm2").post("/registrations",
                                        registration_payload(vehicles=[vehicle(plate="14C-123.45")]),
                                        **key("shared-key"))
    assert second.status_code == 201
    assert second.json()["id"] != first.json()["id"]
    assert second.json()["declarant_tax_code"] != first.json()["declarant_tax_code"]


def test_a_retried_trip_cancellation_answers_as_the_first_time(personas, submit):
    registration = submit(vehicles=[vehicle(), vehicle(plate="12C-999.99")])
    firm = personas.api("firm1")
    trip_id = registration["trips"][0]["id"]
    first = firm.post(f"/trips/{trip_id}/cancel", **key("cancel-1"))
    retry = firm.post(f"/trips/{trip_id}/cancel", **key("cancel-1"))
    assert first.status_code == retry.status_code == 200
    assert AuditEvent.objects.filter(action="trip.cancelled").count() == 1


def test_an_overlong_key_is_refused_with_a_message(personas):
    response = personas.api("firm1").post("/registrations", registration_payload(), **key("k" * 201))
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["Idempotency-Key"]
    assert Registration.objects.count() == 0


def test_a_retried_api_key_creation_never_stores_the_secret_in_clear(personas):
    firm = personas.api("firm1")
    first = firm.post("/api-keys", {"name": "ERP"}, **key("new-key-1"))
    assert first.status_code == 201
    secret = first.json()["key"]
    for record in IdempotencyRecord.objects.all():
        assert secret not in str(record.response), "API keys are stored hashed only"
    retry = firm.post("/api-keys", {"name": "ERP"}, **key("new-key-1"))
    assert retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    assert retry.json()["key"] != secret, "the secret is shown once"
    assert ApiToken.objects.filter(kind="api_key").count() == 1


def test_a_retried_sign_in_issues_no_second_token_and_keeps_no_password(personas):
    personas.user("firm1")
    credentials = {"username": "firm1", "password": "demo12345"}
    first = ApiClient(None).post("/auth/token", credentials, **key("sign-in-1"))
    assert first.status_code == 200, first.json()
    retry = ApiClient(None).post("/auth/token", credentials, **key("sign-in-1"))
    assert retry.status_code == 200
    assert retry.json()["expires_at"] == first.json()["expires_at"]
    assert retry.json()["token"] == "", "a token is shown once"
    assert ApiToken.objects.filter(kind="session").count() == 1
    record = IdempotencyRecord.objects.get(key="sign-in-1")
    assert record.user.username == "firm1"
    assert first.json()["token"] not in str(record.response)
    # The first token works; the password is needed for the retry too.
    assert ApiClient(None).get("/registrations", Authorization=f"Bearer {first.json()['token']}").status_code == 200
    wrong = ApiClient(None).post("/auth/token", {**credentials, "password": "guess"}, **key("sign-in-1"))
    assert wrong.status_code == 401


# --- every POST of the API takes a retry ------------------------------------------------------------

def decision_counts() -> dict[str, object]:
    return {**counts(), "decisions": list(AuditEvent.objects.order_by("pk").values_list("action", flat=True)),
            "statuses": list(Registration.objects.order_by("pk").values_list("status", "version"))}


@pytest.mark.parametrize(("decision", "who", "body", "status"), [
    ("confirm", "bql.huunghi", None, "confirmed"),
    ("return", "bql.huunghi", {"reason": "Thiếu số niêm phong"}, "returned"),
    ("reject", "bql.huunghi", {"reason": "Hàng không được phép qua cặp cửa khẩu này"}, "rejected"),
    ("cancel", "firm1", None, "cancelled"),
])
def test_a_retried_registration_decision_answers_as_the_first_time_and_decides_once(
        personas, submit, decision, who, body, status):
    registration = submit()
    client = personas.api(who)
    path = f"/registrations/{registration['id']}/{decision}"
    first = client.post(path, body, **key(f"{decision}-1"))
    assert first.status_code == 200, first.json()
    assert first.json()["status"] == status
    before = decision_counts()
    retry = client.post(path, body, **key(f"{decision}-1"))
    assert retry.status_code == 200, retry.json()
    assert retry.json() == first.json()
    assert decision_counts() == before, "the retry decided nothing a second time"
    # The same click without the key is a second decision: refused, the registration having moved on.
    assert client.post(path, body).status_code == 409


def test_a_retried_receiving_truck_is_added_once_and_its_entry_recorded_once(personas, submit):
    from tests.test_transshipment_and_fees import RECEIVING, chinese_truck, into_the_yard

    registration = submit(vehicles=[chinese_truck(journey="transship")])
    trip_id = registration["trips"][0]["id"]
    into_the_yard(personas, registration)
    board = personas.api("bql.huunghi")
    first = board.post(f"/trips/{trip_id}/receiving-vehicles", RECEIVING, **key("yard-add-1"))
    assert first.status_code == 201, first.json()
    retry = board.post(f"/trips/{trip_id}/receiving-vehicles", RECEIVING, **key("yard-add-1"))
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert TransshipmentVehicle.objects.filter(trip_id=trip_id).count() == 1
    assert AuditEvent.objects.filter(action="transshipment.vehicle_added").count() == 1

    entry = f"/trips/{trip_id}/receiving-vehicles/{first.json()['id']}/entered"
    entered = board.post(entry, **key("yard-entry-1"))
    assert entered.status_code == 200, entered.json()
    again = board.post(entry, **key("yard-entry-1"))
    assert again.status_code == 200, "a retry of the recorded entry is its first answer, not a 409"
    assert again.json() == entered.json()
    assert AuditEvent.objects.filter(action="transshipment.vehicle_entered").count() == 1
    assert board.post(entry).status_code == 409


# Each POST of the API and the test above (or in queueing's tests) that retries it with the same key.
RETRY_TESTS = {
    "/api/v1/auth/token": "test_a_retried_sign_in_issues_no_second_token_and_keeps_no_password",
    "/api/v1/api-keys": "test_a_retried_api_key_creation_never_stores_the_secret_in_clear",
    "/api/v1/registrations": "test_a_retried_registration_returns_the_first_result_and_creates_nothing",
    "/api/v1/registrations/{registration_id}/confirm":
        "test_a_retried_registration_decision_answers_as_the_first_time_and_decides_once",
    "/api/v1/registrations/{registration_id}/return":
        "test_a_retried_registration_decision_answers_as_the_first_time_and_decides_once",
    "/api/v1/registrations/{registration_id}/reject":
        "test_a_retried_registration_decision_answers_as_the_first_time_and_decides_once",
    "/api/v1/registrations/{registration_id}/cancel":
        "test_a_retried_registration_decision_answers_as_the_first_time_and_decides_once",
    "/api/v1/trips/{trip_id}/checkpoints/{name}": "test_a_retried_checkpoint_confirmation_is_200_again_not_409",
    "/api/v1/trips/{trip_id}/cancel": "test_a_retried_trip_cancellation_answers_as_the_first_time",
    "/api/v1/trips/{trip_id}/receiving-vehicles":
        "test_a_retried_receiving_truck_is_added_once_and_its_entry_recorded_once",
    "/api/v1/trips/{trip_id}/receiving-vehicles/{vehicle_id}/{event}":
        "test_a_retried_receiving_truck_is_added_once_and_its_entry_recorded_once",
    "/api/v1/trips/{trip_id}/booking":
        "queueing.tests.test_booking:test_booking_confirms_the_slot_step_and_gate_entry_needs_it",
    "/api/v1/trips/{trip_id}/swap": "queueing.tests.test_booking:test_a_retried_swap_swaps_once",
    "/api/v1/capacity-overrides": "queueing.tests.test_booking:test_a_retried_capacity_override_is_recorded_once",
}


def test_every_post_of_the_api_has_a_test_of_its_retry():
    """A new POST endpoint fails here until a test shows that a retry with the same key changes nothing."""
    schema = api.get_openapi_schema()
    posts = {path for path, operations in schema["paths"].items() if "post" in operations}
    assert posts == set(RETRY_TESTS)
    for test in set(RETRY_TESTS.values()):
        module_name, _, name = test.rpartition(":")
        module = importlib.import_module(module_name) if module_name else sys.modules[__name__]
        assert callable(getattr(module, name, None)), f"{test} is gone"
