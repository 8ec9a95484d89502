"""The language a user picks sticks to the user, not only to the browser."""

from __future__ import annotations

from django.conf import settings
from django.test import Client

from accounts.models import Profile


def test_pages_are_vietnamese_by_default(login):
    body = login("customs.huunghi").get("/console/").content.decode()
    assert "Bàn điều khiển" in body or "Tìm" in body, body[:2000]


def test_choosing_a_language_saves_it_in_the_profile(login, personas):
    client = login("firm1")
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/trips/"})
    assert response.status_code == 302
    assert Profile.objects.get(user=personas.user("firm1")).language == "zh-hans"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"


def test_signing_in_brings_back_the_saved_language(personas):
    user = personas.user("customs.huunghi")
    Profile.objects.filter(user=user).update(language="zh-hans")
    browser = Client()
    response = browser.post("/accounts/login/", {"username": "customs.huunghi", "password": "demo12345"})
    assert response.status_code == 302
    assert browser.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    page = browser.get("/console/")
    assert 'lang="zh-hans"' in page.content.decode()
    assert "查找" in page.content.decode()


def test_a_language_picked_on_the_sign_in_page_is_kept_after_signing_in(personas):
    user = personas.user("firm1")  # saved language: Vietnamese, the default
    browser = Client()
    browser.post("/i18n/setlang/", {"language": "zh-hans", "next": "/accounts/login/"})
    response = browser.post("/accounts/login/", {"username": "firm1", "password": "demo12345"})
    assert response.status_code == 302
    assert browser.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert 'lang="zh-hans"' in browser.get("/trips/").content.decode()
    assert Profile.objects.get(user=user).language == "zh-hans"  # and it is theirs from now on


def test_the_language_of_whoever_used_the_browser_before_does_not_carry_over(personas):
    Profile.objects.filter(user=personas.user("firm1")).update(language="zh-hans")
    personas.user("firm2")  # saved language: Vietnamese
    browser = Client()
    browser.post("/accounts/login/", {"username": "firm1", "password": "demo12345"})
    browser.post("/accounts/logout/")
    browser.post("/accounts/login/", {"username": "firm2", "password": "demo12345"})
    assert browser.cookies[settings.LANGUAGE_COOKIE_NAME].value == "vi"
    assert Profile.objects.get(user=personas.user("firm2")).language == "vi"


def test_anonymous_language_choice_still_works(client, reference):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_english_works_too(login):
    client = login("customs.huunghi")
    client.post("/i18n/setlang/", {"language": "en", "next": "/console/"})
    body = client.get("/console/").content.decode()
    assert "Gate console" in body and 'lang="en"' in body


def test_times_are_shown_in_vietnam_and_money_in_vnd(login, declared):
    import datetime as dt

    from django.utils import timezone

    from fees.models import TripFee
    from web.helpers import vnd

    assert vnd(500000) == "500.000 ₫"
    assert vnd(1234567) == "1.234.567 ₫"
    registration = declared(confirm=True)
    arrival = timezone.localtime(registration.planned_arrival)
    assert arrival.utcoffset() == dt.timedelta(hours=7)
    fee = TripFee.objects.get(trip__registration=registration)
    for language in ("vi", "zh-hans", "en"):
        client = login("firm1")
        client.post("/i18n/setlang/", {"language": language})
        body = client.get(f"/registrations/{registration.pk}/").content.decode()
        assert arrival.strftime("%d/%m/%Y %H:%M") in body, language
        assert vnd(fee.amount_vnd) in body, language


def test_timeline_and_waiting_list_follow_each_readers_language(login, declared):
    """Step names are translated once per language and kept: each reader still gets their own."""
    registration = declared(confirm=True)
    texts = {"vi": ("Vào cửa khẩu — Hải quan", "Đang chờ"), "zh-hans": ("入口岸 — 海关", "待办"),
             "en": ("Gate entry — customs", "Pending")}
    for language in ("vi", "zh-hans", "en", "vi"):
        firm, officer = login("firm1"), login("customs.huunghi")
        for client in (firm, officer):
            client.post("/i18n/setlang/", {"language": language})
        step, state = texts[language]
        page = firm.get(f"/registrations/{registration.pk}/").content.decode()
        assert step in page and state in page, language
        assert step in officer.get("/console/waiting/").content.decode(), language
