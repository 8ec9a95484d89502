"""The Django admin: every model is registered and its pages open; the audit trail cannot be edited there."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from crossings.models import AuditEvent, Checkpoint, Trip
from enterprises.models import Vehicle
from gates.models import Gate, GoodsProtocol
from tests.conftest import consignment, item, make_user, next_open_morning, registration_payload, vehicle

OUR_APPS = {"accounts", "gates", "enterprises", "declarations", "crossings", "fees"}


@pytest.fixture
def admin_client_with_data(personas, submit):  # type: ignore[no-untyped-def]
    registration = submit()
    board = personas.api("bql.huunghi")
    assert board.post(f"/registrations/{registration['id']}/confirm").status_code == 200
    client = Client()
    client.force_login(make_user("root", superuser=True))
    return client


def test_every_model_of_our_apps_is_registered():
    from django.apps import apps

    for app_label in OUR_APPS:
        for model in apps.get_app_config(app_label).get_models():
            assert admin.site.is_registered(model), model


def test_changelists_and_change_pages_open(admin_client_with_data):
    client = admin_client_with_data
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in OUR_APPS:
            continue
        info = model._meta.app_label, model._meta.model_name
        response = client.get(reverse("admin:{}_{}_changelist".format(*info)), {"q": "1"})
        assert response.status_code == 200, info
        response = client.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert response.status_code == 200, info
        first = model._default_manager.first()
        if first is not None:
            response = client.get(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
            assert response.status_code == 200, info
        if model_admin.has_add_permission(response.wsgi_request):
            assert client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 200, info


def test_audit_trail_and_trips_are_read_only_in_the_admin(admin_client_with_data):
    client = admin_client_with_data
    event = AuditEvent.objects.first()
    assert event is not None
    url = reverse("admin:crossings_auditevent_change", args=[event.pk])
    page = client.get(url)
    assert page.status_code == 200 and b'name="action"' not in page.content
    client.post(url, {"action": "edited", "note": "x"})
    event.refresh_from_db()
    assert event.action != "edited"
    delete = client.post(reverse("admin:crossings_auditevent_delete", args=[event.pk]), {"post": "yes"})
    assert delete.status_code == 403
    assert client.get(reverse("admin:crossings_auditevent_add")).status_code == 403
    trip = Trip.objects.first()
    assert trip is not None
    client.post(reverse("admin:crossings_trip_change", args=[trip.pk]), {"stage": "left_gate"})
    trip.refresh_from_db()
    assert trip.stage != "left_gate"
    assert Checkpoint.objects.filter(trip=trip, state="confirmed").count() == 2


def test_api_token_secret_hash_is_not_shown(admin_client_with_data):
    from accounts.models import ApiToken

    token = ApiToken.objects.first()
    assert token is not None
    page = admin_client_with_data.get(reverse("admin:accounts_apitoken_change", args=[token.pk]))
    assert page.status_code == 200
    assert token.secret_hash.encode() not in page.content
    assert b'name="secret_hash"' not in page.content


def test_a_token_is_revoked_in_the_admin_only_by_its_audited_action(admin_client_with_data, personas):
    from accounts.models import ApiToken

    key = personas.api("firm1").post("/api-keys", {"name": "ERP"}).json()
    client = admin_client_with_data
    url = reverse("admin:accounts_apitoken_change", args=[key["id"]])
    assert b'name="revoked_at' not in client.get(url).content, "a revocation cannot be edited away"

    changelist = reverse("admin:accounts_apitoken_changelist")
    answer = client.post(changelist, {"action": "revoke", "_selected_action": [key["id"]]})
    assert answer.status_code == 302
    assert ApiToken.objects.get(pk=key["id"]).revoked_at is not None
    event = AuditEvent.objects.get(action="api_key.revoked")
    assert (event.actor_name, event.role, event.data["owner"]) == ("root", "admin", "firm1")


@pytest.mark.parametrize(("typed", "stored", "country"),
                         [("29c 123.45", "29C12345", "VN"), ("桂A·12345", "桂A12345", "CN")])
def test_a_plate_typed_in_the_admin_is_stored_as_the_platform_stores_it(admin_client_with_data, typed, stored,
                                                                        country):
    client = admin_client_with_data
    add = reverse("admin:enterprises_vehicle_add")
    response = client.post(add, {"plate": typed, "load_class": "ge18"})
    assert response.status_code == 302, response.content.decode()[:3000]
    vehicle = Vehicle.objects.get(plate=stored)
    assert vehicle.country == country
    # The same truck typed another way is the same truck: refused, not a second vehicle.
    again = client.post(add, {"plate": stored, "load_class": "lt4"})
    assert again.status_code == 200
    assert Vehicle.objects.filter(plate=stored).count() == 1


def test_a_wrong_plate_in_the_admin_gets_the_platforms_message(admin_client_with_data):
    client = admin_client_with_data
    client.cookies["django_language"] = "vi"
    response = client.post(reverse("admin:enterprises_vehicle_add"), {"plate": "ABC", "load_class": "ge18"},
                           headers={"Accept-Language": "vi"})
    assert response.status_code == 200
    assert "Biển số" in response.content.decode()
    assert not Vehicle.objects.filter(plate__icontains="ABC").exists()


def test_a_closure_saved_in_the_admin_closes_the_gate_for_new_registrations(admin_client_with_data, personas):
    closed_day = next_open_morning(days=2)
    response = admin_client_with_data.post(reverse("admin:gates_closure_add"), {
        "gate": Gate.objects.get(code="huu-nghi").pk, "reason": "Bão số 3",
        "starts_at_0": f"{closed_day:%Y-%m-%d}", "starts_at_1": "00:00:00",
        "ends_at_0": f"{closed_day:%Y-%m-%d}", "ends_at_1": "23:59:00"}, headers={"Accept-Language": "en"})
    assert response.status_code == 302, response.content.decode()[:3000]
    refused = personas.api("firm1").post("/registrations", registration_payload(
        planned_arrival=closed_day.isoformat(), vehicles=[vehicle(plate="14C-555.66")]))
    assert refused.status_code == 422
    assert list(refused.json()["errors"]) == ["planned_arrival"]


def test_a_gate_permitted_in_the_admin_takes_the_protocols_goods(admin_client_with_data, personas):
    # Bird's nests (HS 0410) are exported through Hữu Nghị and Móng Cái only; the supervisor adds Tân Thanh.
    nests = consignment(items=[item(hs_code="04100010", description="Tổ yến")])
    payload = registration_payload(gate="tan-thanh", yard="bao-nguyen", direction="export", consignments=[nests],
                                   vehicles=[vehicle(plate="14C-555.66")])
    firm = personas.api("firm1")
    refused = firm.post("/registrations", payload)
    assert refused.status_code == 422, refused.json()
    assert list(refused.json()["errors"]) == ["consignments.0.items.0.hs_code"], refused.json()
    response = admin_client_with_data.post(reverse("admin:gates_protocolgate_add"), {
        "protocol": GoodsProtocol.objects.get(hs_prefix="0410").pk, "gate": Gate.objects.get(code="tan-thanh").pk})
    assert response.status_code == 302, response.content.decode()[:3000]
    accepted = firm.post("/registrations", payload)
    assert accepted.status_code == 201, accepted.json()


# --- changes made in the admin are on the audit trail ------------------------------------------------

def admin_events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_a_closure_added_then_deleted_in_the_admin_is_on_the_audit_trail(admin_client_with_data):
    from crossings import audit
    from gates.models import Closure

    client = admin_client_with_data
    day = next_open_morning(days=3)
    added = client.post(reverse("admin:gates_closure_add"), {
        "gate": Gate.objects.get(code="huu-nghi").pk, "reason": "Bão số 3",
        "starts_at_0": f"{day:%Y-%m-%d}", "starts_at_1": "00:00:00", "ends_at_0": f"{day:%Y-%m-%d}",
        "ends_at_1": "23:59:00"}, REMOTE_ADDR="10.0.0.7")
    assert added.status_code == 302, added.content.decode()[:2000]
    closure = Closure.objects.get(reason="Bão số 3")
    [event] = admin_events("admin.added")
    assert (event.actor_name, event.role, event.ip_address) == ("root", "admin", "10.0.0.7")
    assert event.data == {"model": "gates.closure", "object_id": str(closure.pk), "changes": [{"kind": "added"}]}

    # The "delete selected" action: every row it deletes, in one transaction with the deletion.
    deleted = client.post(reverse("admin:gates_closure_changelist"),
                          {"action": "delete_selected", "_selected_action": [closure.pk], "post": "yes"})
    assert deleted.status_code == 302
    assert not Closure.objects.filter(pk=closure.pk).exists()
    assert [e.data["object_id"] for e in admin_events("admin.deleted")] == [str(closure.pk)]
    assert audit.verify() == []


def test_a_tariff_changed_in_the_list_is_on_the_audit_trail_with_the_field_not_the_amount(admin_client_with_data):
    from fees.models import Tariff

    tariff = Tariff.objects.order_by("pk").first()
    assert tariff is not None
    tariffs = list(Tariff.objects.order_by("goods_type", "load_class"))
    form = {"form-TOTAL_FORMS": str(len(tariffs)), "form-INITIAL_FORMS": str(len(tariffs)), "_save": "Save"}
    for n, row in enumerate(tariffs):
        form[f"form-{n}-id"] = str(row.pk)
        form[f"form-{n}-amount_vnd"] = str(row.amount_vnd + 1000 if row.pk == tariff.pk else row.amount_vnd)
    saved = admin_client_with_data.post(reverse("admin:fees_tariff_changelist"), form)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    tariff.refresh_from_db()
    [event] = admin_events("admin.changed")
    assert event.data["model"] == "fees.tariff" and event.data["object_id"] == str(tariff.pk)
    assert event.data["changes"][0]["kind"] == "changed" and len(event.data["changes"][0]["fields"]) == 1
    assert str(tariff.amount_vnd) not in str(event.data)


def test_making_someone_a_superuser_in_the_admin_is_on_the_audit_trail(admin_client_with_data):
    from django.contrib.auth.models import User

    clerk = make_user("clerk")
    page = admin_client_with_data.get(reverse("admin:auth_user_change", args=[clerk.pk]))
    assert page.status_code == 200
    form = {"username": "clerk", "is_active": "on", "is_staff": "on", "is_superuser": "on",
            "date_joined_0": f"{clerk.date_joined:%Y-%m-%d}", "date_joined_1": f"{clerk.date_joined:%H:%M:%S}",
            "initial-date_joined_0": f"{clerk.date_joined:%Y-%m-%d}",
            "initial-date_joined_1": f"{clerk.date_joined:%H:%M:%S}"}
    saved = admin_client_with_data.post(reverse("admin:auth_user_change", args=[clerk.pk]), form)
    assert saved.status_code == 302, saved.content.decode()[:3000]
    assert User.objects.get(pk=clerk.pk).is_superuser
    [event] = admin_events("admin.changed")
    assert event.data["model"] == "auth.user" and event.data["object_id"] == str(clerk.pk)
    assert len(event.data["changes"][0]["fields"]) == 2  # staff status, superuser status


def test_the_registration_number_counters_cannot_be_deleted_in_the_admin(admin_client_with_data):
    """Deleting a day's counter would give that day's numbers again."""
    from declarations.models import DailySequence

    counter = DailySequence.objects.first()
    assert counter is not None
    assert admin_client_with_data.post(reverse("admin:declarations_dailysequence_delete", args=[counter.pk]),
                                       {"post": "yes"}).status_code == 403
    assert DailySequence.objects.filter(pk=counter.pk).exists()
