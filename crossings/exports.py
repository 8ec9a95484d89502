"""Trips as a spreadsheet (CSV or Excel) for the people who may see them, with personal data masked.

An export leaves the platform's access control: whoever receives the file sees every cell. So the
driver's identity document and phone number are always masked, for every role, the declaring
enterprise included. Cell texts that a spreadsheet would run as a formula (a driver's name is user
input) get a leading apostrophe.

Everything that depends on the user's language (headers, labels, gate names) is resolved once, when
the export is prepared, in the request's language: a streamed CSV writes its rows after the view has
returned.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from crossings import services
from crossings.models import Trip
from cuakhau.errors import ValidationFailed
from cuakhau.lib.people import mask_identity, mask_phone
from cuakhau.lib.plates import shown_plate
from enterprises.models import Country
from gates.models import Direction, Gate, localized_name

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_ROWS = 50_000
FORMATS = ("csv", "xlsx")
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TIME_FORMAT = "%Y-%m-%d %H:%M"
XLSX_TIME_FORMAT = "yyyy-mm-dd hh:mm"
# A spreadsheet reads a cell starting with one of these as a formula (or the start of one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# One query: the trip with its registration, gate, truck, driver and fee, as plain values.
FIELDS = (
    "registration__number", "registration__gate_id", "registration__direction", "registration__planned_arrival",
    "vehicle__plate", "vehicle__country", "trailer_plate", "container_number", "driver__name",
    "driver__identity_document", "driver__phone", "stage", "outcome", "fee__amount_vnd", "created_at",
)
# Column widths in characters, in the order of the headers.
WIDTHS = (20, 16, 22, 17, 14, 12, 14, 14, 26, 16, 16, 22, 20, 12, 17)

Cell = str | int | dt.datetime | None


class TooManyRows(ValidationFailed):
    default_code = "too_many_rows"


@dataclass(frozen=True)
class Labels:
    """What the export shows in the user's language, resolved before any row is written."""

    headers: tuple[str, ...]
    gates: dict[int, str]
    directions: dict[str, str]
    countries: dict[str, str]
    workflow: services.Labels  # stages and outcomes, as the trip's pages show them


def labels() -> Labels:
    """Headers and labels in the active language (the request's)."""
    headers = (
        _("Registration number"), _("Gate"), _("Direction"), _("Planned arrival"), _("Plate"), _("Nationality"),
        _("Trailer plate"), _("Container number"), _("Driver name"), _("Driver ID (masked)"),
        _("Driver phone (masked)"), _("Stage"), _("Outcome"), _("Fee (VND)"), _("Created at"),
    )
    gates = {pk: localized_name(vi, zh, en)
             for pk, vi, zh, en in Gate.objects.order_by().values_list("pk", "name_vi", "name_zh", "name_en")}

    def choices(options: Iterable[tuple[str, Any]]) -> dict[str, str]:
        return {value: str(label) for value, label in options}

    return Labels(headers=headers, gates=gates, directions=choices(Direction.choices),
                  countries=choices(Country.choices), workflow=services.labels())


def arriving_between(trips: QuerySet[Trip], date_from: dt.date | None, date_to: dt.date | None) -> QuerySet[Trip]:
    """Trips planned to arrive on those days (both included), in Vietnam's time."""
    if date_from is not None:
        trips = trips.filter(registration__planned_arrival__gte=_start_of(date_from))
    if date_to is not None:
        trips = trips.filter(registration__planned_arrival__lt=_start_of(date_to + dt.timedelta(days=1)))
    return trips


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=VIETNAM)


def check_size(trips: QuerySet[Trip]) -> None:
    """Refuse an export larger than MAX_ROWS rather than cut it short without a word."""
    if trips.count() > MAX_ROWS:
        message = _("The export would have more than %(n)s rows. Narrow the filters (gate, status, dates) "
                    "and try again.") % {"n": MAX_ROWS}
        raise TooManyRows({"__all__": [message]}, message)


def rows(trips: QuerySet[Trip], shown: Labels) -> Iterator[list[Cell]]:
    """One row per trip, in the order of the headers: typed values (times in Vietnam's time, the fee as a
    number), the driver's ID and phone masked."""
    ordered = trips.order_by("registration__planned_arrival", "registration__number", "position")
    for row in ordered.values(*FIELDS).iterator(chunk_size=2000):
        fee = row["fee__amount_vnd"]
        yield [
            row["registration__number"],
            shown.gates.get(row["registration__gate_id"], ""),
            shown.directions.get(row["registration__direction"], row["registration__direction"]),
            _local(row["registration__planned_arrival"]),
            shown_plate(row["vehicle__plate"]),
            shown.countries.get(row["vehicle__country"], row["vehicle__country"]),
            shown_plate(row["trailer_plate"]),
            row["container_number"],
            row["driver__name"],
            mask_identity(row["driver__identity_document"]),
            mask_phone(row["driver__phone"]),
            shown.workflow.stages.get(row["stage"], row["stage"]),
            shown.workflow.outcomes.get(row["outcome"], row["outcome"]),
            int(fee) if fee is not None else None,
            _local(row["created_at"]),
        ]


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    """Vietnam's wall-clock time, without a zone (a spreadsheet cell has none)."""
    return moment.astimezone(VIETNAM).replace(tzinfo=None) if moment is not None else None


def neutralise(text: str) -> str:
    """Text a spreadsheet would take for a formula, made plain text with a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime(TIME_FORMAT)
    if isinstance(value, int):
        return str(value)
    return neutralise(value)


# --- CSV --------------------------------------------------------------------------------------------------------

class _Line:
    """csv.writer's file: hands back each line it writes."""

    def write(self, line: str) -> str:
        return line


def csv_chunks(headers: Iterable[str], lines: Iterable[list[Cell]], lines_per_chunk: int = 500) -> Iterator[bytes]:
    """UTF-8 with a byte order mark, so that Excel opens Vietnamese and Chinese correctly."""
    writer = csv.writer(_Line())
    yield ("\ufeff" + writer.writerow([neutralise(h) for h in headers])).encode()
    chunk: list[str] = []
    for line in lines:
        chunk.append(writer.writerow([_text(value) for value in line]))
        if len(chunk) >= lines_per_chunk:
            yield "".join(chunk).encode()
            chunk = []
    if chunk:
        yield "".join(chunk).encode()


# --- Excel ------------------------------------------------------------------------------------------------------

def xlsx_bytes(headers: Iterable[str], lines: Iterable[list[Cell]]) -> bytes:
    """One sheet: a bold, frozen header row, readable column widths, times as dates, the fee as a number."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Trips")[:31])  # Excel refuses sheet names over 31 characters
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=_xlsx_text(header))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for line in lines:
        sheet.append([_xlsx_cell(sheet, value) for value in line])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_text(text: str) -> str:
    # Control characters cannot be stored in an .xlsx file at all.
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", text))


def _xlsx_cell(sheet: Any, value: Cell) -> Any:
    if isinstance(value, dt.datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = XLSX_TIME_FORMAT
        return cell
    if isinstance(value, str):
        return _xlsx_text(value)
    return value


def filename(extension: str) -> str:
    return f"trips-{timezone.now().astimezone(VIETNAM):%Y-%m-%d}.{extension}"


def check_format(file_format: str) -> str:
    if file_format not in FORMATS:
        raise ValidationFailed({"format": [_("Choose one of: %(values)s.") % {"values": ", ".join(FORMATS)}]})
    return file_format


def download(trips: QuerySet[Trip], file_format: str) -> HttpResponse | StreamingHttpResponse:
    """The trips as a file to save (`csv` or `xlsx`), in the active language; too many rows is a 422."""
    check_size(trips)
    shown = labels()
    response: HttpResponse | StreamingHttpResponse
    if file_format == "xlsx":
        response = HttpResponse(xlsx_bytes(shown.headers, rows(trips, shown)), content_type=XLSX_TYPE)
    else:
        response = StreamingHttpResponse(csv_chunks(shown.headers, rows(trips, shown)), content_type=CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename(file_format)}"'
    response["Cache-Control"] = "no-store"  # personal data, even masked, stays out of shared caches
    return response
