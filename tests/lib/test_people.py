import unicodedata
from collections.abc import Callable

import pytest
from django.utils import translation

from cuakhau.lib.errors import InvalidValue
from cuakhau.lib.people import (
    MSG_CN_ID_CHECK_CHARACTER,
    MSG_INVALID_IDENTITY_DOCUMENT,
    MSG_INVALID_PHONE,
    MSG_NAME_CHARACTERS,
    MSG_NAME_LENGTH,
    cn_resident_id_check_character,
    mask_identity,
    mask_phone,
    normalize_identity_document,
    normalize_person_name,
    normalize_phone,
)

# --- Phone numbers --------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0912 345 678", "+84912345678"),
        ("+84 912345678", "+84912345678"),
        ("84912345678", "+84912345678"),
        ("0084 912 345 678", "+84912345678"),
        ("+84 (0) 912 345 678", "+84912345678"),
        ("091-234-5678", "+84912345678"),
        ("0912.345.678", "+84912345678"),
        ("０９１２　３４５　６７８", "+84912345678"),  # full-width digits and space
        ("0352 123 456", "+84352123456"),
        ("0559 123 456", "+84559123456"),
        ("0703 123 456", "+84703123456"),
        ("0888 123 456", "+84888123456"),
        ("0205 3870 123", "+842053870123"),  # Lạng Sơn landline
        ("(024) 3825 1234", "+842438251234"),  # Hà Nội landline
        ("138 0013 8000", "+8613800138000"),
        ("13800138000", "+8613800138000"),
        ("+86 13800138000", "+8613800138000"),
        ("+86-199-1234-5678", "+8619912345678"),
        ("0086 177 7123 4567", "+8617771234567"),
        ("8613800138000", "+8613800138000"),
    ],
)
def test_normalize_phone(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected
    assert normalize_phone(expected) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "12345",
        "0612 345 678",  # 06 is not a Vietnamese prefix
        "0112 345 678",
        "091 234 567",  # too short
        "0912 345 6789",  # too long for a mobile
        "0205 387 012",  # too short for a landline
        "+84 12345678",
        "+86 128 0013 8000",  # 12x is not a Chinese mobile prefix
        "12800138000",
        "+86 010 1234 5678",  # Chinese landlines are not accepted
        "+1 415 555 0100",
        "+44 20 7946 0958",
        "+856 20 5555 1234",  # Laos
        "0912abc678",
        "+84 912 345 678 ext 12",
        "++84912345678",
        "٠٩١٢٣٤٥٦٧٨",  # Arabic-Indic digits
    ],
)
def test_normalize_phone_rejects(raw: str) -> None:
    with pytest.raises(InvalidValue) as excinfo:
        normalize_phone(raw)
    assert excinfo.value.message is MSG_INVALID_PHONE


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("+84912345678", "+84******678"),
        ("0912 345 678", "+84******678"),
        ("+8613800138000", "+86********000"),
        ("+842053870123", "+84*******123"),
        ("12345", "**345"),  # not a valid number: still masked, never raises
        ("12", "**"),
        ("", ""),
    ],
)
def test_mask_phone(value: str, masked: str) -> None:
    assert mask_phone(value) == masked


# --- Identity documents ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("001099012345", "001099012345"),  # CCCD, 12 digits
        (" 001 099 012 345 ", "001099012345"),
        ("０７９２０３００１２３４", "079203001234"),
        ("012345678", "012345678"),  # CMND, 9 digits
        ("11010519491231002X", "11010519491231002X"),  # example from GB 11643-1999
        ("11010519491231002x", "11010519491231002X"),
        ("110105-19491231-002X", "11010519491231002X"),
        ("440524188001010014", "440524188001010014"),  # born 1880
        ("C1234567", "C1234567"),  # Vietnamese passport
        ("c 1234567", "C1234567"),
        ("E12345678", "E12345678"),  # Chinese passport
        ("EA1234567", "EA1234567"),
        ("G12345678", "G12345678"),
        ("P123456", "P123456"),
    ],
)
def test_normalize_identity_document(raw: str, expected: str) -> None:
    assert normalize_identity_document(raw) == expected
    assert normalize_identity_document(expected) == expected


def test_cn_resident_id_check_character() -> None:
    assert cn_resident_id_check_character("11010519491231002") == "X"
    assert cn_resident_id_check_character("44052418800101001") == "4"


@pytest.mark.parametrize(
    "raw", ["110105194912310021", "110105194912310020", "440524188001010015", "44052418800101001X"]
)
def test_cn_resident_id_wrong_check_character(raw: str) -> None:
    with pytest.raises(InvalidValue) as excinfo:
        normalize_identity_document(raw)
    assert excinfo.value.message is MSG_CN_ID_CHECK_CHARACTER


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "12345678",  # 8 digits
        "0010990123",  # 10 digits
        "0010990123456",  # 13 digits
        "11010519491231002",  # 17 digits
        "1101051949123100212",  # 19 digits
        "11010519491231002Y",
        "110105194913310021",  # month 13 (check character is right)
        "110105194902300020",  # 30 February (check character is right)
        "001099012X45",
        "ABC1234567",  # 3 letters
        "C12345",  # 5 digits
        "C123456789",  # 9 digits
        "1234567C",
        "CĂ1234567",
        "身份证1234567",
    ],
)
def test_normalize_identity_document_rejects(raw: str) -> None:
    with pytest.raises(InvalidValue) as excinfo:
        normalize_identity_document(raw)
    assert excinfo.value.message is MSG_INVALID_IDENTITY_DOCUMENT


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("001099012789", "*********789"),
        ("11010519491231002X", "***************02X"),
        ("C1234567", "*****567"),
        ("c 123-4567", "*****567"),
        ("123", "***"),
        ("", ""),
    ],
)
def test_mask_identity(value: str, masked: str) -> None:
    assert mask_identity(value) == masked


# --- Names ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Nguyễn Văn An", "Nguyễn Văn An"),
        ("  Nguyễn   Văn\tAn \n", "Nguyễn Văn An"),
        (unicodedata.normalize("NFD", "Trần Thị Ngọc Ánh"), "Trần Thị Ngọc Ánh"),
        ("Lý", "Lý"),
        ("李小龙", "李小龙"),
        ("王五", "王五"),
        ("阿沛·阿旺晋美", "阿沛·阿旺晋美"),
        ("欧阳　娜娜", "欧阳 娜娜"),  # ideographic space
        ("O'Brien", "O'Brien"),
        ("N’Diaye", "N’Diaye"),
        ("Jean-Luc Picard", "Jean-Luc Picard"),
        ("J. R. R. Tolkien", "J. R. R. Tolkien"),
        ("Лев Толстой", "Лев Толстой"),
        ("สมชาย ใจดี", "สมชาย ใจดี"),  # Thai: needs combining marks
        ("A" * 100, "A" * 100),
    ],
)
def test_normalize_person_name(raw: str, expected: str) -> None:
    assert normalize_person_name(raw) == expected
    assert unicodedata.is_normalized("NFC", normalize_person_name(raw))


@pytest.mark.parametrize("raw", ["", "   ", "A", "李", " 李 ", "A" * 101])
def test_normalize_person_name_length(raw: str) -> None:
    with pytest.raises(InvalidValue) as excinfo:
        normalize_person_name(raw)
    assert excinfo.value.message is MSG_NAME_LENGTH


@pytest.mark.parametrize(
    "raw",
    [
        "Nguyen 2",
        "Robert'); DROP TABLE drivers;--",
        "<script>alert(1)</script>",
        "Nguyễn😀",
        "Nguyen_Van",
        "-Nguyen",
        "'Nguyen",
        "..",
        "\u0301Nguyen",  # starts with a combining mark
        "Trần@Anh",
    ],
)
def test_normalize_person_name_characters(raw: str) -> None:
    with pytest.raises(InvalidValue) as excinfo:
        normalize_person_name(raw)
    assert excinfo.value.message is MSG_NAME_CHARACTERS


# --- Error messages -------------------------------------------------------------


@pytest.mark.parametrize(
    ("func", "raw"),
    [
        (normalize_phone, "+84 912 345 67"),
        (normalize_identity_document, "110105194912310021"),
        (normalize_identity_document, "0010990123456"),
    ],
)
def test_errors_never_contain_personal_data(func: Callable[[str], str], raw: str) -> None:
    with pytest.raises(InvalidValue) as excinfo:
        func(raw)
    digits = "".join(ch for ch in raw if ch.isdigit())
    for language in ("en", "vi", "zh-hans"):
        with translation.override(language):
            text = str(excinfo.value)
        assert text
        assert digits[-6:] not in text.replace(" ", "")
        assert "%(" not in text


def test_invalid_value_is_lazy() -> None:
    # Raising must not translate yet; str() follows the active language.
    error = InvalidValue(MSG_INVALID_PHONE)
    assert isinstance(error, ValueError)
    assert error.message is MSG_INVALID_PHONE
    with translation.override("en"):
        assert str(error) == "Not a valid Vietnamese or Chinese phone number."
