"""The command and the pages (pytest-django)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from simulator import storage
from simulator.management.commands.simulate import Command

pytestmark = pytest.mark.urls("simulator.tests.urls")


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.CUAKHAU_DATA_DIR = tmp_path
    return tmp_path


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(Command(), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_command_saves_json_reproducibly(data_dir: Path) -> None:
    first = json.loads(run("digital_2024", "--days", "4", "--seed", "3", "--json", "--save", "--no-search"))
    again = json.loads(run("digital_2024", "--days", "4", "--seed", "3", "--json", "--no-search"))
    for result in (first, again):
        del result["engine"]
    assert first == again
    saved = data_dir / "simulations" / "digital_2024-3-4.json"
    assert json.loads(saved.read_text())["cleared_per_day"] == first["cleared_per_day"]


def test_command_prints_a_readable_summary() -> None:
    text = run("smart_2030", "--days", "3", "--no-search")
    assert "Smart border gate, 2030" in text  # the scenario's own title
    assert "p90" in text


@pytest.mark.parametrize(
    "args",
    [("nowhere_2040",), ("digital_2024", "--days", "1")],
)
def test_command_rejects_bad_input_with_a_message(args: tuple[str, ...]) -> None:
    with pytest.raises(CommandError):
        run(*args)


def test_pages_need_a_login(client: Client) -> None:
    response = client.get("/simulator/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_list_and_result_pages_show_stored_runs_with_svg_charts(client: Client) -> None:
    run("digital_2024", "--days", "4", "--seed", "1", "--save")
    client.force_login(User.objects.create_user("board", password="x"))
    listing = client.get("/simulator/")
    assert listing.status_code == 200
    assert b"/simulator/digital_2024-1-4/" in listing.content
    page = client.get("/simulator/digital_2024-1-4/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<svg") == 3  # queue over time, trucks per day, capacity vs lanes
    assert "<polyline" in html and "<script" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("stem", ["nothing-1-1", "..%2F..%2Fsecret_key", "digital_2024-1"])
def test_unknown_or_crafted_result_names_are_404(client: Client, stem: str) -> None:
    client.force_login(User.objects.create_user("board", password="x"))
    assert client.get(f"/simulator/{stem}/").status_code == 404


def test_storage_refuses_names_that_are_not_result_names() -> None:
    assert storage.load("../secret_key") is None
