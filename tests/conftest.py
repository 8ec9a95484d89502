"""Builders and personas shared by every test.

Builders take keyword arguments for what a test cares about and fill the rest with valid,
realistic values. Personas are the demo roles: an enterprise clerk, one officer per agency at
Hữu Nghị and at Tân Thanh, and the province supervisor.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from accounts.models import Agency, Profile
from accounts.services import Actor, actor_for, issue_token
from enterprises.models import Enterprise
from gates.models import Closure, Gate
from gates.reference import TET_2027, load_reference_data

FIRM1_TAX_CODE = "0101234565"
FIRM2_TAX_CODE = "0201234576"
FIRM3_TAX_CODE = "0301234587"


@pytest.fixture(autouse=True)
def _vietnamese_default(settings):  # type: ignore[no-untyped-def]
    settings.LANGUAGE_CODE = "vi"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Django's cache outlives a test's rolled-back database: a rate limit counted in one test (the API fuzzing books
    many times) must not refuse another's requests."""
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    # PBKDF2 costs ~0.4 s per persona on this machine; tests do not need slow hashes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def load_reference_for_tests() -> None:
    """The reference data without its sample Tết closure: tests plan trucks for the next days, and a fixed
    closure would fail them for a week every year. Tests that need a closure create their own."""
    load_reference_data()
    Closure.objects.filter(reason=TET_2027[2]).delete()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """Load the reference data once into the test database; each test's transaction rolls back over it."""
    with django_db_blocker.unblock():
        load_reference_for_tests()


@pytest.fixture
def reference(db):  # type: ignore[no-untyped-def]
    if not Gate.objects.filter(code="huu-nghi").exists():  # not loaded yet, or emptied by a transactional test
        load_reference_for_tests()


def make_enterprise(*, tax_code: str = FIRM1_TAX_CODE, name: str = "Công ty TNHH Xuất nhập khẩu Đồng Đăng",
                    country: str = "VN") -> Enterprise:
    enterprise, _ = Enterprise.objects.get_or_create(tax_code=tax_code, defaults={"name": name, "country": country})
    return enterprise


def make_user(username: str, *, enterprise: Enterprise | None = None, agency_code: str | None = None,
              superuser: bool = False) -> User:
    user = User.objects.create_user(username, password="demo12345", is_superuser=superuser, is_staff=superuser)
    if enterprise or agency_code:
        agency = Agency.objects.get(code=agency_code) if agency_code else None
        Profile.objects.create(user=user, enterprise=enterprise, agency=agency)
    return user


def next_open_morning(days: int = 1, hour: int = 9) -> dt.datetime:
    local = timezone.localtime() + dt.timedelta(days=days)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


def item(**overrides: Any) -> dict[str, Any]:
    return {"hs_code": "85176249", "description": "Thiết bị mạng", "quantity": "120", "unit": "cái",
            "gross_weight_kg": "850.5", "value": "45000", "currency": "USD", **overrides}


def consignment(**overrides: Any) -> dict[str, Any]:
    return {"declaration_number": "105123456789", "declaration_type": "A11", "description": "Hàng điện tử",
            "items": [item()], **overrides}


def vehicle(**overrides: Any) -> dict[str, Any]:
    return {"plate": "12C-123.45", "load_class": "ge18", "container_number": "CSQU3054383",
            "seal_number": "VN-0042", "driver": {"name": "Nguyễn Văn An", "identity_document": "001089012345",
                                                 "phone": "0912 345 678"}, **overrides}


def registration_payload(**overrides: Any) -> dict[str, Any]:
    payload = {
        "gate": "huu-nghi",
        "direction": "import",
        "planned_arrival": next_open_morning().isoformat(),
        "yard": "huu-nghi-kiem-hoa",
        "consignments": [consignment()],
        "vehicles": [vehicle()],
    }
    payload.update(overrides)
    return payload


class ApiClient:
    """A test client that speaks JSON to /api/v1 with a bearer token of one user."""

    def __init__(self, user: User | None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if user is not None:
            _, secret = issue_token(user)
            self.headers["Authorization"] = f"Bearer {secret}"

    def _call(self, method: str, path: str, body: Any = None, **headers: str):  # type: ignore[no-untyped-def]
        all_headers = {**self.headers, **headers}
        data = json.dumps(body) if body is not None else None
        return getattr(self.client, method)(f"/api/v1{path}", data=data, content_type="application/json",
                                            headers=all_headers)

    def get(self, path: str, **headers: str):  # type: ignore[no-untyped-def]
        return self.client.get(f"/api/v1{path}", headers={**self.headers, **headers})

    def post(self, path: str, body: Any = None, **headers: str):  # type: ignore[no-untyped-def]
        return self._call("post", path, body, **headers)

    def patch(self, path: str, body: Any = None, **headers: str):  # type: ignore[no-untyped-def]
        return self._call("patch", path, body, **headers)

    def delete(self, path: str, **headers: str):  # type: ignore[no-untyped-def]
        return self._call("delete", path, None, **headers)


AGENCY_KINDS = ["management_board", "customs", "border_guard", "medical_quarantine", "plant_quarantine",
                "animal_quarantine"]


class Personas:
    """Users of the demo roles, created on first use."""

    def __init__(self) -> None:
        self._users: dict[str, User] = {}

    def user(self, name: str) -> User:
        if name not in self._users:
            self._users[name] = self._create(name)
        return self._users[name]

    def _create(self, name: str) -> User:
        if name == "firm1":
            return make_user(name, enterprise=make_enterprise())
        if name == "firm2":
            firm2 = make_enterprise(tax_code=FIRM2_TAX_CODE, name="Công ty CP Logistics Tân Thanh")
            return make_user(name, enterprise=firm2)
        if name == "province":
            return make_user(name, agency_code="management_board.lang-son")
        if name == "admin":
            return make_user(name, superuser=True)
        prefix, gate = name.split(".")
        kind = {"bql": "management_board", "customs": "customs", "border": "border_guard",
                "medical": "medical_quarantine", "plant": "plant_quarantine", "animal": "animal_quarantine"}[prefix]
        gate_code = {"huunghi": "huu-nghi", "tanthanh": "tan-thanh"}[gate]
        return make_user(name, agency_code=f"{kind}.{gate_code}")

    def api(self, name: str) -> ApiClient:
        return ApiClient(self.user(name))

    def actor(self, name: str) -> Actor:
        actor = actor_for(self.user(name))
        assert actor is not None
        return actor


@pytest.fixture
def personas(reference) -> Personas:  # type: ignore[no-untyped-def]
    return Personas()


@pytest.fixture
def submit(personas: Personas) -> Callable[..., dict[str, Any]]:
    """Submit a registration as firm1 (or `as_`) and return its JSON."""

    def _submit(as_: str = "firm1", **overrides: Any) -> dict[str, Any]:
        response = personas.api(as_).post("/registrations", registration_payload(**overrides))
        assert response.status_code == 201, response.content.decode()
        return response.json()

    return _submit
