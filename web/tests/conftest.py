"""The project's builders and personas (tests/conftest.py), plus helpers for the web pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from declarations.models import Registration
from declarations.schemas import RegistrationIn
from declarations.services import do_confirm_registration, do_submit_registration
from queueing.tests.conftest import (  # noqa: F401  (arrival hours: gates using slots, confirmed trips)
    _fresh_cache,
    confirmed_trips,
    perishables,
    slot_gate,
)
from tests.conftest import (  # noqa: F401  (fixtures are found by name)
    Personas,
    _fast_password_hashing,
    _vietnamese_default,
    personas,
    reference,
    registration_payload,
)


@pytest.fixture
def login(personas: Personas) -> Callable[[str], Client]:  # noqa: F811
    """A browser-like client signed in as one of the demo roles."""

    def _login(name: str) -> Client:
        client = Client()
        client.force_login(personas.user(name))
        return client

    return _login


@pytest.fixture
def declared(personas: Personas) -> Callable[..., Registration]:  # noqa: F811
    """A registration submitted by firm1 through the service (confirmed by the board if asked)."""

    def _declared(confirm: bool = False, as_: str = "firm1", **overrides: Any) -> Registration:
        registration = do_submit_registration(personas.actor(as_),
                                              RegistrationIn.model_validate(registration_payload(**overrides)))
        if confirm:
            registration = do_confirm_registration(personas.actor("bql.huunghi"), registration.pk)
        return registration

    return _declared
