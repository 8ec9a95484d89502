"""The trucks page offers its list as a file: the same trucks, in the user's language, driver ID and phone masked."""

from __future__ import annotations

import csv
import io

import openpyxl

from crossings.models import Outcome, Stage
from tests.conftest import vehicle

ID_NUMBER = "001089012345"  # the test registrations' driver (tests.conftest.vehicle)


def csv_rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="trips-')
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_the_trucks_page_links_its_list_as_csv_and_excel(login, declared):
    declared()
    page = login("firm1").get("/trips/?status=declared").content.decode()
    assert "/trips/export/?status=declared&amp;format=csv" in page
    assert "/trips/export/?status=declared&amp;format=xlsx" in page
    assert "Tải danh sách này:" in page


def test_the_file_holds_the_users_own_trucks_with_the_pages_filter(login, declared):
    mine = declared(confirm=True)
    theirs = declared(as_="firm2", gate="tan-thanh", yard="bao-nguyen", vehicles=[vehicle(plate="14C-222.33")])
    rows = csv_rows(login("firm1").get("/trips/export/?format=csv"))
    assert rows[0][0] == "Số tờ khai đăng ký"
    assert [row[0] for row in rows[1:]] == [mine.number]
    assert ID_NUMBER not in "".join(",".join(row) for row in rows)
    assert "*********345" in rows[1]
    # The page's status filter: a stage shows the trucks still on their way at it.
    assert len(csv_rows(login("firm1").get(f"/trips/export/?status={Stage.REGISTERED}"))) == 2
    assert len(csv_rows(login("firm1").get(f"/trips/export/?status={Stage.DECLARED}"))) == 1
    assert len(csv_rows(login("firm1").get(f"/trips/export/?status={Outcome.CANCELLED}"))) == 1
    assert [row[0] for row in csv_rows(login("firm2").get("/trips/export/"))[1:]] == [theirs.number]


def test_the_excel_file_and_a_wrong_format(login, declared):
    registration = declared()
    client = login("customs.huunghi")
    response = client.get("/trips/export/?format=xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet["A2"].value == registration.number
    assert ID_NUMBER not in [cell.value for cell in sheet[2]]
    wrong = client.get("/trips/export/?format=pdf")
    assert wrong.status_code == 422
    assert "csv, xlsx" in wrong.content.decode()


def test_signed_out_users_are_sent_to_sign_in(client):
    response = client.get("/trips/export/?format=csv")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
