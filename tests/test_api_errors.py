"""The API's edges: bad input never gives a 500, messages in the user's language, sign-in and API keys,
public gate data and the OpenAPI documents."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone
from django.utils.translation import gettext, override

from accounts.models import ApiToken
from crossings import audit
from crossings.models import AuditEvent
from cuakhau.lib import plates
from declarations.models import Registration
from tests.conftest import ApiClient, consignment, item, registration_payload, vehicle


def raw_post(api: ApiClient, path: str, data: bytes | str, content_type: str = "application/json"):  # type: ignore[no-untyped-def]
    return api.client.post(f"/api/v1{path}", data=data, content_type=content_type, headers=api.headers)


def assert_client_error(response, *statuses: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code in (statuses or (400, 422)), response.content.decode()[:500]
    body = response.json()
    assert body["detail"].strip()
    assert body["code"]
    return body


# --- malformed and mistyped input --------------------------------------------------------------------

@pytest.mark.parametrize("data", [b"{bad", b"", b"null", b"[1, 2]", b'"text"', b"42", b"\xff\xfe",
                                  b"[" * 5000 + b"]" * 5000, b'{"gate": "\\ud800"}'])
def test_a_malformed_body_is_a_client_error_with_a_message(personas, data):
    response = raw_post(personas.api("firm1"), "/registrations", data)
    assert_client_error(response)
    assert Registration.objects.count() == 0


@pytest.mark.parametrize("path", ["/registrations/{rid}/confirm", "/registrations/{rid}/return",
                                  "/trips/{tid}/checkpoints/gate_entry_customs",
                                  "/trips/{tid}/receiving-vehicles", "/auth/token", "/api-keys"])
def test_malformed_json_on_every_post_is_a_client_error(personas, submit, path):
    registration = submit()
    path = path.format(rid=registration["id"], tid=registration["trips"][0]["id"])
    for who in ("firm1", "bql.huunghi"):
        assert_client_error(raw_post(personas.api(who), path, b'{"reason": '), 400, 401, 403, 404, 409, 422)


def test_malformed_json_on_patch_is_a_client_error(personas, submit):
    registration = submit()
    api = personas.api("firm1")
    response = api.client.patch(f"/api/v1/registrations/{registration['id']}", data=b"{", content_type=
                                "application/json", headers=api.headers)
    assert_client_error(response)


WRONG_TYPES = [
    ("vehicles is text", dict(vehicles="abc"), "vehicles"),
    ("consignments is an object", dict(consignments={"a": 1}), "consignments"),
    ("planned arrival is a number", dict(planned_arrival=5), "planned_arrival"),
    ("planned arrival is not a date", dict(planned_arrival="ngày mai"), "planned_arrival"),
    ("direction unknown", dict(direction="smuggling"), "direction"),
    ("direction is a list", dict(direction=["import"]), "direction"),
    ("gate is a number", dict(gate=12), "gate"),
    ("gate is null", dict(gate=None), "gate"),
    ("quantity is text", dict(consignments=[consignment(items=[item(quantity="nhiều")])]),
     "consignments.0.items.0.quantity"),
    ("quantity is negative", dict(consignments=[consignment(items=[item(quantity="-5")])]),
     "consignments.0.items.0.quantity"),
    ("quantity is NaN", dict(consignments=[consignment(items=[item(quantity="NaN")])]),
     "consignments.0.items.0.quantity"),
    ("quantity overflows", dict(consignments=[consignment(items=[item(quantity="1e400")])]),
     "consignments.0.items.0.quantity"),
    ("weight too heavy", dict(consignments=[consignment(items=[item(gross_weight_kg="250000")])]),
     "consignments.0.items.0.gross_weight_kg"),
    ("value has too many digits", dict(consignments=[consignment(items=[item(value="1" * 30)])]),
     "consignments.0.items.0.value"),
    ("currency lower case", dict(consignments=[consignment(items=[item(currency="usd")])]),
     "consignments.0.items.0.currency"),
    ("item is null", dict(consignments=[consignment(items=[None])]), "consignments.0.items.0"),
    ("driver is text", dict(vehicles=[vehicle(driver="Nguyễn Văn An")]), "vehicles.0.driver"),
    ("plate is a number", dict(vehicles=[vehicle(plate=12345)]), "vehicles.0.plate"),
    ("load class unknown", dict(vehicles=[vehicle(load_class="100t")]), "vehicles.0.load_class"),
    ("journey unknown", dict(vehicles=[vehicle(journey="fly")]), "vehicles.0.journey"),
    ("seal too long", dict(vehicles=[vehicle(seal_number="S" * 31)]), "vehicles.0.seal_number"),
    ("too many trucks", dict(vehicles=[vehicle()] * 101), "vehicles"),
]


@pytest.mark.parametrize("case, overrides, field", WRONG_TYPES, ids=[c[0] for c in WRONG_TYPES])
def test_a_wrong_type_is_a_422_naming_the_field(personas, case, overrides, field):
    response = personas.api("firm1").post("/registrations", registration_payload(**overrides))
    body = assert_client_error(response, 422)
    assert any(name == field or name.startswith(f"{field}.") for name in body["errors"]), body["errors"]
    assert all(messages and all(m.strip() for m in messages) for messages in body["errors"].values())


@pytest.mark.parametrize("body", [{"version": "một"}, {"version": 0}, {"version": 10**30}, {"reason": 5},
                                  {"reason": "x" * 2001}, [], "text"])
def test_a_wrong_decision_body_is_a_client_error(personas, submit, body):
    registration = submit()
    response = personas.api("bql.huunghi").post(f"/registrations/{registration['id']}/return", body)
    assert_client_error(response, 409, 422)
    assert Registration.objects.get(pk=registration["id"]).status == "submitted"


@pytest.mark.parametrize("path", ["/trips/abc", "/trips/-1", "/trips/99999999999999999999", "/registrations/x",
                                  "/registrations/99999999999999999999", "/trips?limit=abc", "/trips?limit=0",
                                  "/trips?limit=100000", "/trips?offset=-1", "/trips?offset=100000000000000000000",
                                  "/registrations?offset=100000000000000000000", "/trips?status=flying",
                                  "/trips?plate=%3F%3F", "/gates/no-such-gate"])
def test_a_bad_path_or_query_is_a_4xx(personas, path):
    response = personas.api("firm1").get(path)
    assert_client_error(response, 404, 422)


def test_an_unknown_checkpoint_is_a_404(personas, submit):
    registration = submit()
    response = personas.api("customs.huunghi").post(f"/trips/{registration['trips'][0]['id']}/checkpoints/teleport")
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_step"


def test_a_method_that_does_not_exist_is_a_405(personas, submit):
    registration = submit()
    assert personas.api("firm1").delete(f"/registrations/{registration['id']}").status_code == 405
    assert Registration.objects.count() == 1


# One value per test: on PostgreSQL the refused statement ends the test's transaction.
NUL_CASES = [
    ("description", lambda api, ids: api.post("/registrations", registration_payload(
        consignments=[consignment(description="Hàng\x00điện tử")]))),
    ("gate filter", lambda api, ids: api.get("/trips?gate=huu%00nghi")),
    ("reason", lambda api, ids: api.post(f"/registrations/{ids[0]}/return", {"reason": "Sai\x00seal"})),
    ("note", lambda api, ids: api.post(f"/trips/{ids[1]}/checkpoints/yard_entry", {"note": "a\x00b"})),
    ("api key name", lambda api, ids: api.post("/api-keys", {"name": "ERP\x00"})),
    ("sign-in", lambda api, ids: ApiClient(None).post("/auth/token", {"username": "firm1\x00", "password": "x"})),
]


@pytest.mark.parametrize("case, call", NUL_CASES, ids=[c[0] for c in NUL_CASES])
def test_a_nul_character_never_gives_a_500(personas, submit, case, call):
    """PostgreSQL cannot store NUL: the API answers 422 there; SQLite may store it."""
    registration = submit(vehicles=[vehicle(plate="12C-999.99")])
    who = "firm1" if case in ("description", "api key name") else "bql.huunghi"
    api = personas.api(who)
    response = call(api, (registration["id"], registration["trips"][0]["id"]))
    assert response.status_code < 500, response.content.decode()[:300]
    if response.status_code == 422:
        assert response.json()["errors"]


# --- languages -----------------------------------------------------------------------------------------

BAD_PLATE = dict(vehicles=[vehicle(plate="ABC-123")])


def test_messages_are_in_vietnamese_by_default(personas):
    response = personas.api("firm1").post("/registrations", registration_payload(**BAD_PLATE))
    body = response.json()
    with override("vi"):
        assert body["detail"] == gettext("Please correct the errors below.")
        assert body["errors"]["vehicles.0.plate"] == [str(plates.MSG_INVALID_PLATE)]
    assert body["detail"] != "Please correct the errors below."
    assert "Biển số" in body["errors"]["vehicles.0.plate"][0], "the validator's message is in Vietnamese"
    missing = personas.api("firm1").post("/registrations", {})
    assert missing.json()["errors"]["gate"] == ["Trường này là bắt buộc."]


@pytest.mark.parametrize("header, language", [("zh-hans", "zh-hans"), ("zh-CN,zh;q=0.9", "zh-hans"),
                                              ("en", "en"), ("en-US,en;q=0.8", "en")])
def test_accept_language_picks_the_language(personas, header, language):
    response = personas.api("firm1").post("/registrations", registration_payload(**BAD_PLATE),
                                          **{"Accept-Language": header})
    body = response.json()
    with override(language):
        assert body["detail"] == gettext("Please correct the errors below.")
        assert body["errors"]["vehicles.0.plate"] == [str(plates.MSG_INVALID_PLATE)]
    if language == "en":
        assert body["errors"]["vehicles.0.plate"] == ["Not a valid Vietnamese or Chinese licence plate."]
    else:
        assert "车牌" in body["errors"]["vehicles.0.plate"][0], "the validator's message is in Chinese"


def test_service_messages_follow_the_language_too(personas):
    api = personas.api("firm1")
    english = api.post("/registrations", registration_payload(yard="xuan-cuong"), **{"Accept-Language": "en"})
    assert english.json()["errors"]["yard"] == ["This yard does not belong to the chosen gate."]
    vietnamese = api.post("/registrations", registration_payload(yard="xuan-cuong"))
    with override("vi"):
        assert vietnamese.json()["errors"]["yard"] == [gettext("This yard does not belong to the chosen gate.")]


# --- signing in ----------------------------------------------------------------------------------------

def test_sign_in_gives_an_expiring_bearer_token(personas):
    personas.user("firm1")
    response = ApiClient(None).post("/auth/token", {"username": "firm1", "password": "demo12345"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["token_type"] == "Bearer"
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert timezone.now() < expires <= timezone.now() + dt.timedelta(days=1)
    listing = ApiClient(None).get("/registrations", Authorization=f"Bearer {body['token']}")
    assert listing.status_code == 200
    assert not ApiToken.objects.filter(secret_hash=body["token"]).exists(), "only a hash is stored"


@pytest.mark.parametrize("credentials", [{"username": "firm1", "password": "wrong-password"},
                                         {"username": "nobody", "password": "demo12345"}])
def test_wrong_credentials_are_a_401_with_a_message(personas, credentials):
    personas.user("firm1")
    response = ApiClient(None).post("/auth/token", credentials)
    assert response.status_code == 401
    with override("vi"):
        assert response.json()["detail"] == gettext("Wrong username or password.")


def test_missing_credentials_are_a_422(personas):
    response = ApiClient(None).post("/auth/token", {"username": "firm1"})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["password"]


def test_an_inactive_user_cannot_sign_in_nor_use_an_old_token(personas):
    user = personas.user("firm1")
    api = personas.api("firm1")
    user.is_active = False
    user.save()
    assert ApiClient(None).post("/auth/token", {"username": "firm1", "password": "demo12345"}).status_code == 401
    assert api.get("/registrations").status_code == 401


def test_an_expired_token_is_a_401(personas):
    api = personas.api("firm1")
    assert api.get("/registrations").status_code == 200
    ApiToken.objects.filter(kind="session").update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = api.get("/registrations")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response.json()["detail"].strip()


@pytest.mark.parametrize("authorization", ["Bearer nonsense", "Bearer ", "Basic Zmlyb...", "Bearer ck_t_" + "a" * 43])
def test_a_wrong_credential_is_a_401(personas, authorization):
    response = ApiClient(None).get("/registrations", Authorization=authorization)
    assert response.status_code == 401


def test_no_credential_is_a_401_on_every_private_endpoint(personas):
    anonymous = ApiClient(None)
    for path in ("/registrations", "/registrations/1", "/trips", "/trips/1", "/api-keys"):
        assert anonymous.get(path).status_code == 401, path
    for path in ("/registrations", "/registrations/1/confirm", "/trips/1/checkpoints/yard_entry", "/api-keys"):
        assert anonymous.post(path, {}).status_code == 401, path
    assert anonymous.patch("/registrations/1", {"version": 1}).status_code == 401


# --- API keys ------------------------------------------------------------------------------------------

def test_an_enterprise_creates_lists_uses_and_revokes_an_api_key(personas):
    firm = personas.api("firm1")
    created = firm.post("/api-keys", {"name": "Hệ thống ERP"})
    assert created.status_code == 201
    key = created.json()
    assert key["key"].startswith(key["prefix"])
    assert not ApiToken.objects.filter(secret_hash=key["key"]).exists(), "stored hashed"

    listed = firm.get("/api-keys").json()
    assert [(k["id"], k["name"], k["revoked_at"]) for k in listed] == [(key["id"], "Hệ thống ERP", None)]
    assert "key" not in listed[0], "the secret is shown once, at creation"

    system = ApiClient(None)
    system.headers["Authorization"] = f"Bearer {key['key']}"
    declared = system.post("/registrations", registration_payload())
    assert declared.status_code == 201, declared.json()
    assert declared.json()["declarant_tax_code"] == "0101234565"

    assert firm.delete(f"/api-keys/{key['id']}").status_code == 204
    assert firm.get("/api-keys").json()[0]["revoked_at"] is not None
    refused = system.get("/registrations")
    assert refused.status_code == 401
    assert firm.delete(f"/api-keys/{key['id']}").status_code == 204, "revoking twice is harmless"


def test_issuing_and_revoking_an_api_key_is_on_the_audit_trail_without_its_secret(personas):
    firm = personas.api("firm1")
    key = firm.post("/api-keys", {"name": "Hệ thống ERP"}).json()
    assert firm.delete(f"/api-keys/{key['id']}").status_code == 204
    assert firm.delete(f"/api-keys/{key['id']}").status_code == 204

    events = list(AuditEvent.objects.filter(action__startswith="api_key.").order_by("id"))
    assert [e.action for e in events] == ["api_key.created", "api_key.revoked"], "the second revocation changed nothing"
    for event in events:
        assert (event.actor_name, event.role) == ("firm1", "enterprise")
        assert event.data["token_id"] == key["id"] and event.data["prefix"] == key["prefix"]
        assert key["key"] not in json.dumps(event.data)
    assert events[1].data["owner"] == "firm1"
    assert audit.verify() == []


@pytest.mark.parametrize("officer", ["customs.huunghi", "bql.huunghi", "province"])
def test_officers_cannot_create_api_keys(personas, officer):
    response = personas.api(officer).post("/api-keys", {"name": "script"})
    assert response.status_code == 403
    assert response.json()["detail"].strip()
    assert not ApiToken.objects.filter(kind="api_key").exists()


def test_an_api_key_needs_a_name(personas):
    response = personas.api("firm1").post("/api-keys", {"name": ""})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["name"]


# --- public data and documentation ---------------------------------------------------------------------

def test_gates_are_public(personas):
    anonymous = ApiClient(None)
    response = anonymous.get("/gates")
    assert response.status_code == 200
    gates = {g["code"]: g for g in response.json()}
    assert {"huu-nghi", "tan-thanh", "chi-ma", "coc-nam", "binh-nghi", "mong-cai"} <= set(gates)
    assert gates["huu-nghi"]["name_zh"] == "友谊"
    assert gates["huu-nghi"]["counterpart_name_zh"] == "友谊关"
    assert {g["code"] for g in anonymous.get("/gates?province=cao-bang").json()} >= {"ta-lung", "tra-linh"}

    detail = anonymous.get("/gates/huu-nghi")
    assert detail.status_code == 200
    body = detail.json()
    assert {y["code"] for y in body["yards"]} == {"huu-nghi-kiem-hoa", "huu-nghi-chuyen-tai"}
    assert len(body["working_hours"]) == 7
    assert any(p["hs_prefix"] == "081060" for p in body["protocols"])
    assert anonymous.get("/gates/binh-nghi").json()["protocols"] == []
    missing = anonymous.get("/gates/no-such-gate")
    assert missing.status_code == 404
    assert missing.json()["detail"].strip()


def test_openapi_and_docs_are_reachable(client, db):  # type: ignore[no-untyped-def]
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in ("/api/v1/registrations", "/api/v1/registrations/{registration_id}", "/api/v1/trips",
                 "/api/v1/trips/{trip_id}/checkpoints/{name}", "/api/v1/auth/token", "/api/v1/gates"):
        assert path in paths, path
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert b"openapi.json" in docs.content


def test_a_trips_labels_follow_the_language_of_each_request(personas, submit):
    """Labels are translated once per language and kept: each request still gets its own language."""
    registration = submit()
    trip_id = registration["trips"][0]["id"]
    api = personas.api("firm1")
    shown = {}
    for header in ("vi", "zh-hans", "en", "vi"):
        trip = api.get(f"/trips/{trip_id}", **{"Accept-Language": header}).json()
        shown[header] = ({step["name"]: step["label"] for step in trip["timeline"]}["gate_entry_customs"],
                         trip["stage_label"], trip["outcome_label"])
    assert shown["vi"][0] == "Vào cửa khẩu — Hải quan"
    assert shown["zh-hans"][0] == "入口岸 — 海关"
    assert shown["en"] == ("Gate entry — customs", "Declared", "In progress")
    assert len({shown["vi"][1], shown["zh-hans"][1], shown["en"][1]}) == 3
