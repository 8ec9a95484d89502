"""Every string of the web pages is translated into Vietnamese and Simplified Chinese, and shows."""

from __future__ import annotations

from pathlib import Path

import polib  # type: ignore[import-untyped]
import pytest
from django.utils import translation

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("language", ["vi", "zh_Hans"])
def test_catalogue_is_complete(language):
    po = catalogue(language)
    assert len(po) > 100
    assert not po.untranslated_entries()
    assert not po.fuzzy_entries()
    assert not po.metadata_is_fuzzy


@pytest.mark.parametrize(("language", "code"), [("vi", "vi"), ("zh_Hans", "zh-hans")])
def test_the_web_catalogue_is_compiled_and_loaded(language, code):
    """Fails when web/locale is not compiled or not found at start-up. (Which catalogue wins for a
    message id both define is Django's precedence: LOCALE_PATHS, then apps in INSTALLED_APPS order.)"""
    from django.utils.translation import trans_real

    expected = {entry.msgid: entry.msgstr for entry in catalogue(language)}
    loaded = trans_real.translation(code)._catalog._catalogs  # type: ignore[attr-defined]
    assert any(all(catalog.get(msgid) == msgstr for msgid, msgstr in expected.items()) for catalog in loaded)
    with translation.override(code):
        assert translation.gettext("Trucks waiting") == expected["Trucks waiting"]


def test_pages_show_vietnamese_then_chinese(login, settings):
    client = login("province")
    assert "Tổng quan toàn tỉnh" in client.get("/province/").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/province/"})
    body = client.get("/province/").content.decode()
    assert "全省概况" in body
    assert "拥堵等级" in body


def test_form_errors_are_in_the_users_language(login):
    from tests.conftest import vehicle
    from web.tests.test_enterprise import form_data

    response = login("firm1").post("/registrations/new/", form_data(vehicles=[vehicle(plate="ABC")]))
    body = response.content.decode()
    assert "Biển số" in body
    assert "Not a valid Vietnamese or Chinese licence plate." not in body


def test_the_web_catalogue_holds_every_string_of_the_web_pages():
    """Fails when a string is added to a web template or module without re-running makemessages."""
    from tests.test_translations import python_msgids, template_msgids

    root = Path(__file__).resolve().parents[2]
    found: set[tuple[str, str]] = set()
    for path in (root / "web").rglob("*.py"):
        if "tests" not in path.parts:
            found |= python_msgids(path.read_text(encoding="utf-8"))
    for path in (root / "web" / "templates").rglob("*.html"):
        found |= template_msgids(path.read_text(encoding="utf-8"))
    for language in ("vi", "zh_Hans"):
        known = {(entry.msgctxt or "", entry.msgid) for entry in catalogue(language) if entry.translated()}
        assert not sorted(found - known), language
