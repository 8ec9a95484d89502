import pytest

from cuakhau.lib.codes import (
    MSG_CN_USCC_CHECK_CHARACTER,
    MSG_INVALID_CN_USCC,
    MSG_INVALID_DECLARATION_NUMBER,
    MSG_INVALID_DECLARATION_TYPE,
    MSG_INVALID_HS_CHAPTER,
    MSG_INVALID_HS_CODE,
    MSG_INVALID_VN_TAX_CODE,
    MSG_UNSUPPORTED_TAX_COUNTRY,
    MSG_VN_TAX_CODE_CHECK_DIGIT,
    cn_uscc_check_character,
    hs_chapter,
    hs_heading,
    normalize_cn_uscc,
    normalize_declaration_number,
    normalize_declaration_type,
    normalize_hs_code,
    normalize_tax_code,
    normalize_vn_tax_code,
    vn_tax_check_digit,
)
from cuakhau.lib.errors import InvalidValue

# --- Vietnamese tax codes -------------------------------------------------------

# Public tax codes, each verified against the check-digit algorithm.
VN_TAX_CODES = [
    "0100109106",  # Tập đoàn Công nghiệp - Viễn thông Quân đội (Viettel)
    "0100107518",  # Tổng công ty Hàng không Việt Nam (Vietnam Airlines)
    "0300588569",  # Công ty CP Sữa Việt Nam (Vinamilk)
    "0100233488",  # python-stdnum example
    "0314409058-002",  # a branch
]


@pytest.mark.parametrize("code", VN_TAX_CODES)
def test_vn_tax_code_valid(code: str) -> None:
    assert normalize_vn_tax_code(code) == code
    assert normalize_tax_code(code, "VN") == code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" 0100109106 ", "0100109106"),
        ("01.00.109.106", "0100109106"),
        ("0100 109 106", "0100109106"),
        ("０１００１０９１０６", "0100109106"),
        ("0314409058002", "0314409058-002"),
        ("0314409058 - 002", "0314409058-002"),
    ],
)
def test_vn_tax_code_normalization(raw: str, expected: str) -> None:
    assert normalize_vn_tax_code(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["0100109107", "0100107519", "0300588560", "0100233480", "0314409059-002"],
)
def test_vn_tax_code_wrong_check_digit(raw: str) -> None:
    with pytest.raises(InvalidValue) as excinfo:
        normalize_vn_tax_code(raw)
    assert excinfo.value.message is MSG_VN_TAX_CODE_CHECK_DIGIT


def test_vn_tax_code_impossible_check_digit() -> None:
    # The weighted sum of 100000008 is a multiple of 11: the check digit would be 10.
    assert vn_tax_check_digit("100000008") is None
    for last in "0123456789":
        with pytest.raises(InvalidValue):
            normalize_vn_tax_code("100000008" + last)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "010010910",  # 9 digits
        "01001091066",  # 11 digits
        "0100109106-01",
        "0100109106-0001",
        "0100109106--001",
        "0314409058-000",  # branch 000 is never issued
        "0100000008",  # all-zero sequence
        "O100109106",  # letter O
        "VN0100109106",
    ],
)
def test_vn_tax_code_bad_format(raw: str) -> None:
    with pytest.raises(InvalidValue) as excinfo:
        normalize_vn_tax_code(raw)
    assert excinfo.value.message is MSG_INVALID_VN_TAX_CODE


# --- Chinese unified social credit codes ---------------------------------------

CN_USCC = [
    "91350100M000100Y43",  # worked example from GB 32100-2015
    "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
    "91110108551385082Q",  # 小米科技有限责任公司
]


@pytest.mark.parametrize("code", CN_USCC)
def test_cn_uscc_valid(code: str) -> None:
    assert normalize_cn_uscc(code) == code
    assert normalize_tax_code(code, "CN") == code
    assert normalize_tax_code(code, "cn") == code
    assert cn_uscc_check_character(code[:17]) == code[17]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("91350100m000100y43", "91350100M000100Y43"),
        (" 9135 0100 M000 100Y 43 ", "91350100M000100Y43"),
        ("９１３５０１００Ｍ０００１００Ｙ４３", "91350100M000100Y43"),
    ],
)
def test_cn_uscc_normalization(raw: str, expected: str) -> None:
    assert normalize_cn_uscc(raw) == expected


@pytest.mark.parametrize(
    "raw", ["91350100M000100Y44", "91350100M000100Y40", "91440300708461136U", "91110108551385028Q"]
)
def test_cn_uscc_wrong_check_character(raw: str) -> None:
    with pytest.raises(InvalidValue) as excinfo:
        normalize_cn_uscc(raw)
    assert excinfo.value.message is MSG_CN_USCC_CHECK_CHARACTER


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "91350100M000100Y4",  # 17 characters
        "91350100M000100Y433",  # 19 characters
        "91350100M000100I43",  # I is not in the character set
        "91350100M000100O43",  # nor O
        "91350100M000100Z43",  # nor Z
        "9135010AM000100Y43",  # administrative division must be digits
        "91350100M000100Y4统",
    ],
)
def test_cn_uscc_bad_format(raw: str) -> None:
    with pytest.raises(InvalidValue) as excinfo:
        normalize_cn_uscc(raw)
    assert excinfo.value.message is MSG_INVALID_CN_USCC


def test_tax_code_country_dispatch() -> None:
    # A valid VN code is not a valid CN code and vice versa.
    with pytest.raises(InvalidValue):
        normalize_tax_code("0100109106", "CN")
    with pytest.raises(InvalidValue):
        normalize_tax_code("91350100M000100Y43", "VN")


@pytest.mark.parametrize("country", ["", "LA", "KH", "VNM"])
def test_tax_code_unsupported_country(country: str) -> None:
    with pytest.raises(InvalidValue) as excinfo:
        normalize_tax_code("0100109106", country)
    assert excinfo.value.message is MSG_UNSUPPORTED_TAX_COUNTRY


# --- Customs declarations -------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("103456789012", "103456789012"),
        ("303456789010", "303456789010"),
        (" 1034 5678 9012 ", "103456789012"),
        ("１０３４５６７８９０１２", "103456789012"),
    ],
)
def test_declaration_number_valid(raw: str, expected: str) -> None:
    assert normalize_declaration_number(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "10345678901", "1034567890123", "10345678901A", "1034-5678-9012", "١٠٣٤٥٦٧٨٩٠١٢"]
)
def test_declaration_number_invalid(raw: str) -> None:
    with pytest.raises(InvalidValue) as excinfo:
        normalize_declaration_number(raw)
    assert excinfo.value.message is MSG_INVALID_DECLARATION_NUMBER


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("A11", "A11"),
        ("a12", "A12"),
        (" A31 ", "A31"),
        ("B11", "B11"),
        ("B13", "B13"),
        ("C11", "C11"),
        ("G11", "G11"),
        ("E31", "E31"),
        ("Ｈ１１", "H11"),
    ],
)
def test_declaration_type_valid(raw: str, expected: str) -> None:
    assert normalize_declaration_type(raw) == expected


@pytest.mark.parametrize("raw", ["", "A1", "A111", "11A", "AA1", "1A1", "Ă11", "A-11"])
def test_declaration_type_invalid(raw: str) -> None:
    with pytest.raises(InvalidValue) as excinfo:
        normalize_declaration_type(raw)
    assert excinfo.value.message is MSG_INVALID_DECLARATION_TYPE


# --- HS codes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("870323", "870323"),  # HS 6
        ("0810.90.10", "08109010"),  # Vietnam AHTN 8 digits (fresh fruit)
        ("0901 11 00", "09011100"),
        ("8471300000", "8471300000"),  # China 10 digits
        ("8471.3000.00", "8471300000"),
        ("970600", "970600"),  # last chapter
        ("010121", "010121"),  # first chapter
        ("７６０１１０", "760110"),
    ],
)
def test_hs_code_valid(raw: str, expected: str) -> None:
    assert normalize_hs_code(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "8703", "87032", "8703231", "870323101", "87032310111", "8703.2x.00", "8703-23-10"]
)
def test_hs_code_bad_length_or_characters(raw: str) -> None:
    with pytest.raises(InvalidValue) as excinfo:
        normalize_hs_code(raw)
    assert excinfo.value.message is MSG_INVALID_HS_CODE


@pytest.mark.parametrize("raw", ["000000", "770100", "77010000", "980100", "99010000"])
def test_hs_code_bad_chapter(raw: str) -> None:
    with pytest.raises(InvalidValue) as excinfo:
        normalize_hs_code(raw)
    assert excinfo.value.message is MSG_INVALID_HS_CHAPTER


@pytest.mark.parametrize(
    ("raw", "heading", "chapter"),
    [("0810.90.10", "0810", "08"), ("8471300000", "8471", "84"), ("870323", "8703", "87")],
)
def test_hs_heading_and_chapter(raw: str, heading: str, chapter: str) -> None:
    assert hs_heading(raw) == heading
    assert hs_chapter(raw) == chapter


def test_hs_heading_rejects_invalid() -> None:
    with pytest.raises(InvalidValue):
        hs_heading("7701")
    with pytest.raises(InvalidValue):
        hs_chapter("770100")
