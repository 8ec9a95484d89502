import pytest

from cuakhau.lib.errors import InvalidValue
from cuakhau.lib.plates import MSG_INVALID_PLATE, format_plate, normalize_plate, plate_country, shown_plate


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("29C-123.45", "29C12345"),
        ("29c12345", "29C12345"),
        ("29C 123.45", "29C12345"),
        ("  29C-123 45 ", "29C12345"),
        ("２９Ｃ１２３４５", "29C12345"),  # full-width, as typed with a CJK IME
        ("２９Ｃ－１２３．４５", "29C12345"),
        ("12A-123.45", "12A12345"),
        ("12A-1234", "12A1234"),  # old 4-digit plate
        ("29LD-123.45", "29LD12345"),  # joint-venture / foreign-invested series
        ("80NG-123.45", "80NG12345"),
        ("29KT-1234", "29KT1234"),
        ("29C1-123.45", "29C112345"),  # letter + digit series (motorbike)
        ("29-C1 123.45", "29C112345"),
        ("29R-012.34", "29R01234"),  # semi-trailer
        ("12R01234", "12R01234"),
        ("99H_123_45", "99H12345"),
        ("桂A·12345", "桂A12345"),
        ("桂A12345", "桂A12345"),
        ("桂a 12345", "桂A12345"),
        ("桂A・12345", "桂A12345"),
        ("桂A•12345", "桂A12345"),
        ("桂Ａ１２３４５", "桂A12345"),
        ("京N·A1B23", "京NA1B23"),
        ("粤B·D12345", "粤BD12345"),  # new energy, small vehicle
        ("粤B·12345F", "粤B12345F"),  # new energy, large vehicle
        ("桂A1234挂", "桂A1234挂"),  # trailer
        ("桂A·1234挂", "桂A1234挂"),
        ("粤Z·1234港", "粤Z1234港"),
        ("粤A1234学", "粤A1234学"),
    ],
)
def test_normalize_plate_accepts(raw: str, expected: str) -> None:
    assert normalize_plate(raw) == expected
    assert normalize_plate(expected) == expected  # idempotent


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "ABC",
        "29-12345",  # no series
        "9C12345",  # one-digit province
        "10C12345",  # province codes start at 11
        "00C-123.45",
        "29C-123",  # too few digits
        "29C-123.456",  # too long
        "29C1234567",
        "29LDX-123.45",
        "29C1-2345",  # letter+digit series needs 5 digits; would clash with 29C-123.45
        "29C-123456",
        "29C-12.345",  # separator in the wrong place
        "29C-١٢٣٤٥",  # Arabic-Indic digits are not plate digits
        "桂12345",  # no authority letter
        "XX A12345",
        "港A12345",  # not a mainland province abbreviation
        "桂A1234",  # too short
        "桂A1234567",  # too long
        "桂A12345挂",  # suffix plates have 4 characters before the suffix
        "桂AX12345",  # 6 characters but not D/F
        "桂A·123·45",
        "A12345桂",
        "29C12345桂",
    ],
)
def test_normalize_plate_rejects(raw: str) -> None:
    with pytest.raises(InvalidValue) as excinfo:
        normalize_plate(raw)
    assert excinfo.value.message is MSG_INVALID_PLATE
    assert isinstance(excinfo.value, ValueError)


@pytest.mark.parametrize(
    ("plate", "country"),
    [("29C12345", "VN"), ("29C-123.45", "VN"), ("桂A12345", "CN"), ("粤BD12345", "CN")],
)
def test_plate_country(plate: str, country: str) -> None:
    assert plate_country(plate) == country


def test_plate_country_rejects_invalid() -> None:
    with pytest.raises(InvalidValue):
        plate_country("ABC")


@pytest.mark.parametrize(
    ("plate", "display"),
    [
        ("29C12345", "29C-123.45"),
        ("29C1234", "29C-1234"),
        ("29LD12345", "29LD-123.45"),
        ("29C112345", "29C1-123.45"),
        ("29R01234", "29R-012.34"),
        ("桂A12345", "桂A·12345"),
        ("桂A1234挂", "桂A·1234挂"),
        ("粤BD12345", "粤B·D12345"),
    ],
)
def test_format_plate(plate: str, display: str) -> None:
    assert format_plate(plate) == display
    assert normalize_plate(display) == plate  # the display form reads back


@pytest.mark.parametrize(("stored", "shown"), [("29C12345", "29C-123.45"), ("桂A12345", "桂A·12345"),
                                               ("", ""), ("XYZ", "XYZ")])
def test_shown_plate_formats_a_stored_plate_and_leaves_an_unknown_one_as_stored(stored: str, shown: str) -> None:
    assert shown_plate(stored) == shown
