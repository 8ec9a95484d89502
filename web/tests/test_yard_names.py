"""Where a page shows a yard, a Chinese reader sees its Chinese name; Vietnamese stays the name of record."""

from __future__ import annotations

from queueing.timers import instruction_text


def _in_chinese(login, username):  # type: ignore[no-untyped-def]
    client = login(username)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})  # as the user picks it in the menu
    return client


def test_a_chinese_reader_sees_the_yard_in_chinese_on_every_page_that_shows_it(login, declared):
    registration = declared(confirm=True)
    trip = registration.trips.get()
    firm = _in_chinese(login, "firm1")
    page = firm.get(f"/registrations/{registration.pk}/").content.decode()
    assert "友谊口岸查验货场" in page and "Bãi kiểm hóa Hữu Nghị" not in page
    form = firm.get("/registrations/new/").content.decode()
    assert "春刚货场" in form and "宝源货场" in form, "the yards to choose from, in Chinese"

    customs = _in_chinese(login, "customs.huunghi")
    card = customs.get(f"/console/?q={trip.vehicle.plate}", headers={"HX-Request": "true"}).content.decode()
    assert "友谊口岸查验货场" in card

    vietnamese = login("bql.huunghi").get(f"/registrations/{registration.pk}/").content.decode()
    assert "Bãi kiểm hóa Hữu Nghị" in vietnamese and "友谊口岸查验货场" not in vietnamese


def test_the_call_forward_instruction_names_the_yard_in_the_readers_language(reference):
    from django.utils import translation

    from gates.models import Yard

    yard = Yard.objects.get(code="huu-nghi-kiem-hoa")
    with translation.override("zh-hans"):
        assert "友谊口岸查验货场" in instruction_text(yard)
    with translation.override("vi"):
        assert "Bãi kiểm hóa Hữu Nghị" in instruction_text(yard)
