"""The whole import journey in a real browser, in Vietnamese, Chinese and English.

An enterprise clerk declares a truck of frozen chicken and fresh garlic through the form (the live check warns of
a closed gate, rows are added and removed in place, a wrong plate is shown next to its field and
corrected); the management board confirms the registration; border guard, customs, medical,
animal and plant quarantine and the board find the truck in the gate console by its plate in
another writing or by the ticket's QR text and confirm their step with one click each (HTMX, the page never
reloads); the province supervisor sees it leave on the overview and in its audit trail; the
driver's ticket opens on a phone.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import partial

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from crossings.models import Trip
from crossings.services import STEP_LABELS
from declarations.models import Registration
from gates.models import Gate
from web.tests.browser.conftest import PHONE, Browsing, tr

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PLATE_TYPED = "29C12345"
PLATE_SHOWN = "29C-123.45"
# (officer, step, how the officer types the truck into the console's search box)
STEPS = [
    ("border.huunghi", "gate_entry_border_guard", "29c-123.45"),
    ("customs.huunghi", "gate_entry_customs", "ticket"),
    ("bql.huunghi", "yard_entry", "29C 123 45"),
    ("medical.huunghi", "medical_quarantine", "29c12345"),
    ("animal.huunghi", "animal_quarantine", "29C-123.45"),
    ("plant.huunghi", "plant_quarantine", "29C.123.45"),
    ("bql.huunghi", "fee_paid", "ticket"),
    ("customs.huunghi", "yard_exit_customs", "29c.123.45"),
    ("border.huunghi", "yard_exit_border_guard", "29C-12345"),
    ("bql.huunghi", "left_gate", "29c-123.45"),
]
RECEIPT = "BL-2026-0042"


def arrival_input(hour: int = 9) -> str:
    """Tomorrow at `hour` in Vietnam, as a datetime-local input takes it (09:00: inside the gate's hours)."""
    local = timezone.localtime() + dt.timedelta(days=1)
    return local.replace(hour=hour, minute=0).strftime("%Y-%m-%dT%H:%M")


def fill_row(row, **values: str) -> None:  # type: ignore[no-untyped-def]
    for name, value in values.items():
        row.locator(f"[name$='.{name}']").first.fill(value)


@pytest.mark.parametrize("language", ["vi", "zh-hans", "en"])
def test_import_journey_in_the_browser(browsing: Browsing, personas, language: str) -> None:  # type: ignore[no-untyped-def]
    for name in ("firm1", "bql.huunghi", "border.huunghi", "customs.huunghi", "medical.huunghi",
                 "animal.huunghi", "plant.huunghi", "province"):
        personas.user(name)
    if language == "zh-hans":
        assert tr(language, "Gate console") != "Gate console", "the Chinese catalogue is not loaded"

    # --- the enterprise declares the truck ---------------------------------------------------
    firm = browsing.page()
    firm.goto("/")
    browsing.switch_language(firm, language)
    browsing.screenshot(firm, language, "home")
    browsing.sign_in("firm1", language, page=firm, shot="sign-in")
    assert firm.url.endswith("/trips/")
    firm.get_by_role("link", name=tr(language, "New registration")).first.wait_for()
    browsing.screenshot(firm, language, "trips")

    firm.get_by_role("link", name=tr(language, "New registration")).first.click()
    firm.wait_for_url("**/registrations/new/")
    firm.get_by_role("heading", name=tr(language, "New registration")).wait_for()
    firm.select_option("#f-gate", "huu-nghi")
    assert firm.input_value("#f-yard").startswith("huu-nghi")  # the gate's own yard is offered
    firm.select_option("#f-direction", "import")
    # The live check under the form warns, before submitting, that the gate is closed at 02:00.
    firm.fill("#f-arrival", arrival_input(hour=2))
    with translation.override(language):
        gate_name = Gate.objects.get(code="huu-nghi").name
    expect(firm.locator("#live-check .warning")).to_contain_text(gate_name)
    firm.fill("#f-arrival", arrival_input())
    expect(firm.locator("#live-check .warning")).to_have_count(0)
    consignment = firm.locator("fieldset.consignment").first
    fill_row(consignment, declaration_number="105123456789", declaration_type="A11",
             description="Thịt gà đông lạnh")
    fill_row(consignment.locator("fieldset.item").first, hs_code="02071400", description="Cánh gà đông lạnh",
             quantity="1200", unit="kg", gross_weight_kg="1250", value="3600", currency="USD")
    # A second item, added in place by HTMX: fresh garlic, so plant quarantine has its step too.
    browsing.htmx_click(firm, consignment.get_by_role("button", name=f"+ {tr(language, 'Add an item')}"))
    assert consignment.locator("fieldset.item").count() == 2
    fill_row(consignment.locator("fieldset.item").nth(1), hs_code="07032000", description="Tỏi tươi",
             quantity="800", unit="kg", gross_weight_kg="830", value="2400", currency="USD")
    # A truck row added, then removed again.
    browsing.htmx_click(firm, firm.get_by_role("button", name=f"+ {tr(language, 'Add a truck')}"))
    assert firm.locator("fieldset.vehicle").count() == 2
    firm.locator("fieldset.vehicle").nth(1).get_by_role("button", name=tr(language, "Remove this truck")).click()
    assert firm.locator("fieldset.vehicle").count() == 1
    truck = firm.locator("fieldset.vehicle").first
    fill_row(truck, plate="29C-12", container_number="CSQU3054383", seal_number="VN-0042")
    fill_row(truck, **{"name": "Nguyễn Văn An", "identity_document": "001089012345", "phone": "0912 345 678"})
    browsing.screenshot(firm, language, "form")
    browsing.phone_screenshot(firm, language, "form-phone")

    # A wrong plate: the form comes back (422) with the message next to the plate.
    browsing.expect_status(422, "/registrations/new/")
    with firm.expect_navigation():
        firm.get_by_role("button", name=tr(language, "Submit the registration")).click()
    plate_input = firm.locator("input[name='vehicles.0.plate']")
    assert plate_input.get_attribute("aria-invalid") == "true"
    error = plate_input.locator("xpath=ancestor::div[1]").locator("ul.errorlist")
    assert error.get_attribute("id") == "err-vehicles.0.plate" == plate_input.get_attribute("aria-describedby")
    assert error.inner_text().strip() == tr(language, "Not a valid Vietnamese or Chinese licence plate.")
    assert firm.locator("fieldset.item").count() == 2  # nothing typed is lost
    assert firm.input_value("[name='consignments.0.items.1.hs_code']") == "07032000"
    browsing.screenshot(firm, language, "form-error")

    plate_input.fill(PLATE_TYPED)
    with firm.expect_navigation():
        firm.get_by_role("button", name=tr(language, "Submit the registration")).click()
    match = re.search(r"/registrations/(\d+)/$", firm.url)
    assert match, firm.url
    registration = Registration.objects.get(pk=int(match.group(1)))
    firm.get_by_text(tr(language, "Registration %(number)s submitted.", number=registration.number)).wait_for()
    assert PLATE_SHOWN in firm.locator("article.truck h3").inner_text()

    # --- the management board confirms the registration in its console -----------------------
    board = browsing.sign_in("bql.huunghi", language)
    assert board.url.endswith("/console/")
    awaiting = board.locator(f"#registration-{registration.pk}")
    timing = browsing.htmx_click(board, awaiting.get_by_role("button", name=tr(language, "Confirm registration")),
                                 record=f"{language}:registration_confirmed")
    assert timing["status"] == 200 and timing["path"] == f"/registrations/{registration.pk}/confirm/"
    board.get_by_text(tr(language, "Registration %(number)s confirmed.", number=registration.number)).wait_for()

    # The firm's page now shows the fee and the driver's ticket behind a QR code.
    firm.reload()
    browsing.screenshot(firm, language, "registration")
    ticket = firm.locator("article.truck details").filter(
        has=firm.get_by_text(tr(language, "Driver ticket (QR code)"), exact=True))
    ticket.locator("summary").click()
    ticket_url = ticket.locator("a").first.get_attribute("href")
    assert ticket_url and "/t/" in ticket_url
    qr = firm.locator("article.truck .qr img")
    expect(qr).to_be_visible()
    assert qr.evaluate("image => image.decode().then(() => image.naturalWidth)") > 0, "the QR image is drawn"

    phone = browsing.page(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto(ticket_url)
    ticket = phone.locator(".ticket")
    assert ticket.locator(".plate").inner_text().strip() == PLATE_SHOWN
    assert "Hữu Nghị · 友谊" in ticket.inner_text()  # the gate, in both languages
    next_step = ticket.locator(".next-step").inner_text()
    assert tr("vi", STEP_LABELS["gate_entry_border_guard"]) in next_step
    assert tr("zh-hans", STEP_LABELS["gate_entry_border_guard"]) in next_step
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the ticket is wider than a phone"
    browsing.screenshot(phone, language, "ticket")

    # --- every agency finds the truck in its console and confirms its step ------------------
    officers = {"bql.huunghi": board}
    trip_id = 0
    for officer, step, typed in STEPS:
        page = officers.get(officer) or browsing.sign_in(officer, language)
        officers[officer] = page
        page.goto("/console/")  # the waiting list is fresh (it refreshes itself every 10 s or after a confirm)
        search = page.get_by_role("searchbox")
        search.fill(ticket_url if typed == "ticket" else typed)
        answer = browsing.htmx(page, partial(search.press, "Enter"), same_url=False)  # the address keeps ?q=
        assert answer["verb"] == "get" and answer["status"] == 200, answer
        found = page.locator("#results article.truck")
        assert found.count() == 1, (officer, typed)
        assert PLATE_SHOWN in found.locator("h3").inner_text()
        trip_id = int(str(found.get_attribute("id")).removeprefix("truck-"))
        if step == "gate_entry_border_guard":
            browsing.screenshot(page, language, "console")
            browsing.phone_screenshot(page, language, "console-phone")
        waiting = page.locator("#waiting")
        assert PLATE_SHOWN in waiting.inner_text(), (officer, step)  # the live list of trucks waiting
        form = found.locator(f"form[action$='/confirm/{step}/']")
        assert found.locator("form.confirm-form button[type=submit]").count() == 1, (officer, step)  # one click
        if step == "fee_paid":
            form.locator("input[name=receipt_number]").fill(RECEIPT)
        stale = None
        if step == "gate_entry_border_guard":  # a second tab, left open on the same truck
            stale = page.context.new_page()
            stale.goto(f"/console/?q={typed}")
        timing = browsing.htmx_click(page, form.locator("button[type=submit]"), record=f"{language}:{step}")
        assert timing["status"] == 200 and timing["path"].endswith(f"/confirm/{step}/"), (officer, step, timing)
        label = tr(language, STEP_LABELS[step])
        page.locator(f"#truck-{trip_id} [role=status]").get_by_text(
            tr(language, "%(step)s: confirmed.", step=label)).wait_for()
        if step == "gate_entry_border_guard":  # nothing more for the border guard until yard exit
            expect(waiting).not_to_contain_text(PLATE_SHOWN)
        if stale is not None:
            # Confirming again from the stale tab: a 409 whose message replaces the truck in place.
            path = f"/console/trips/{trip_id}/confirm/{step}/"
            browsing.expect_status(409, path)
            answer = browsing.htmx_click(stale, stale.locator(f"form[action='{path}'] button[type=submit]"))
            assert answer["status"] == 409
            stale.locator(f"#truck-{trip_id} [role=alert]").get_by_text(
                tr(language, "This checkpoint is already confirmed.")).wait_for()
            stale.close()

    trip = Trip.objects.get(pk=trip_id)
    assert (trip.stage, trip.outcome) == ("left_gate", "completed")

    # --- the province supervisor sees it completed -------------------------------------------
    province = browsing.sign_in("province", language)
    assert province.url.endswith("/province/")
    huu_nghi = province.locator("section.truck", has=province.locator("a[href$='/province/gates/huu-nghi/']"))
    assert f"{tr(language, 'Left today')}: 1" in huu_nghi.inner_text()
    browsing.screenshot(province, language, "province")
    browsing.phone_screenshot(province, language, "province-phone")
    with province.expect_navigation():
        huu_nghi.locator("h2 a").click()
    province.get_by_role("heading", level=1).wait_for()
    browsing.screenshot(province, language, "gate")
    # The supervisor opens the settings form in place and moves Monday's closing time.
    edit = province.get_by_role("link", name=tr(language, "Edit working hours, yards and lanes"))
    browsing.htmx_click(province, edit)
    monday = province.locator("select[name$='-weekday']").first
    assert monday.input_value() == "0"
    monday_closes = province.locator(f"input[name='{monday.get_attribute('name')[:-len('weekday')]}closes']")
    monday_closes.fill("22:00")
    browsing.screenshot(province, language, "gate-settings")
    with province.expect_navigation():
        province.get_by_role("button", name=tr(language, "Save")).click()
    province.get_by_text(tr(language, "Working hours and capacity saved.")).wait_for()
    assert "22:00" in province.locator("#gate-settings").inner_text()

    province.goto(f"/trips/{trip_id}/audit/")
    trail = province.locator("main table tbody").inner_text()
    for who, step, _typed in STEPS:
        assert who in trail and tr(language, STEP_LABELS[step]) in trail, (who, step)
    assert RECEIPT in trail and "firm1" in trail
    browsing.screenshot(province, language, "audit")

    province.goto("/board/")
    province.get_by_role("heading", level=1).wait_for()
    browsing.screenshot(province, language, "board")

    # The firm's list shows the truck as having left the gate.
    firm.goto("/trips/")
    assert PLATE_SHOWN in firm.locator("main").inner_text()
    browsing.assert_clean()


def test_language_choice_sticks_to_the_user(browsing: Browsing, personas) -> None:  # type: ignore[no-untyped-def]
    """English picked once from the header comes back at the next sign-in, on another browser;
    another user signing in on that browser keeps their own language."""
    personas.user("firm1")
    personas.user("customs.huunghi")
    first = browsing.sign_in("firm1", "vi")
    assert browsing.language_of(first) == "vi"
    browsing.switch_language(first, "en")
    first.get_by_role("link", name="My trucks").wait_for()
    browsing.screenshot(first, "en", "trips")
    with first.expect_navigation():
        first.get_by_role("button", name="Sign out").click()
    assert browsing.language_of(first) == "en"  # this browser remembers it for the public pages
    browsing.screenshot(first, "en", "home")
    first.goto("/accounts/login/")
    first.get_by_role("heading", name="Sign in").wait_for()
    browsing.screenshot(first, "en", "sign-in")

    again = browsing.page()  # another browser: Vietnamese until firm1 signs in
    again.goto("/accounts/login/")
    assert browsing.language_of(again) == "vi"
    browsing.sign_in("firm1", "en", page=again, pick=False)
    assert browsing.language_of(again) == "en"
    again.get_by_role("link", name="My trucks").wait_for()
    with again.expect_navigation():
        again.get_by_role("button", name="Sign out").click()

    officer = browsing.sign_in("customs.huunghi", "vi", page=again, pick=False)
    assert browsing.language_of(officer) == "vi"
    officer.get_by_role("heading", name=tr("vi", "Gate console")).wait_for()
    browsing.assert_clean()


def test_a_javascript_error_in_any_tab_is_caught(browsing: Browsing, reference) -> None:  # type: ignore[no-untyped-def]
    """The guard the other tests rely on: console errors and uncaught exceptions are collected,
    a declared 4xx line is let through, an undeclared one is not."""
    page = browsing.page()
    page.goto("/accounts/login/")
    second = page.context.new_page()
    second.goto("/accounts/login/")
    second.evaluate("console.error('a console error')")
    second.evaluate("setTimeout(() => { throw new Error('an uncaught error'); })")
    browsing.expect_status(404, "/missing-declared/")
    page.evaluate("fetch('/missing-declared/')")
    page.evaluate("fetch('/missing-undeclared/')")
    page.wait_for_timeout(300)
    errors = "\n".join(browsing.problems.errors)
    browsing.problems.errors.clear()
    assert "a console error" in errors and "an uncaught error" in errors
    assert "/missing-undeclared/" in errors and "/missing-declared/" not in errors
    assert browsing.problems.allowed == [
        "Failed to load resource: the server responded with a status of 404 (Not Found)"]
