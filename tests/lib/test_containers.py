import pytest

from cuakhau.lib.containers import (
    MSG_CONTAINER_CHECK_DIGIT,
    MSG_INVALID_CONTAINER,
    iso6346_check_digit,
    normalize_container,
)
from cuakhau.lib.errors import InvalidValue

# Real container numbers whose check digits were verified by hand against the
# ISO 6346 algorithm (and, for CSQU3054383 and BICU1234565, the published
# textbook / BIC examples).
VALID = [
    "CSQU3054383",
    "BICU1234565",
    "MSKU9070323",
    "MSCU6639870",
    "OOLU6257610",
    "APZU4812090",
    "TOLU4734787",
]


@pytest.mark.parametrize("number", VALID)
def test_valid_numbers(number: str) -> None:
    assert normalize_container(number) == number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("csqu 305438 3", "CSQU3054383"),
        ("CSQU-305438-3", "CSQU3054383"),
        ("ＣＳＱＵ３０５４３８３", "CSQU3054383"),
        (" msku9070323\n", "MSKU9070323"),
    ],
)
def test_normalization(raw: str, expected: str) -> None:
    assert normalize_container(raw) == expected


@pytest.mark.parametrize(
    ("first10", "digit"),
    [("CSQU305438", 3), ("BICU123456", 5), ("MSCU663987", 0), ("OOLU625761", 0), ("csqu305438", 3)],
)
def test_check_digit(first10: str, digit: int) -> None:
    assert iso6346_check_digit(first10) == digit


def test_check_digit_remainder_ten_becomes_zero() -> None:
    # Synthetic serial: the weighted sum for CSQU305430 is 2089 = 189 * 11 + 10.
    assert iso6346_check_digit("CSQU305430") == 0
    assert normalize_container("CSQU3054300") == "CSQU3054300"


@pytest.mark.parametrize("first10", ["", "CSQU30543", "CSQ1305438", "CSQU30543X", "CSQU3054383"])
def test_check_digit_rejects_bad_input(first10: str) -> None:
    with pytest.raises(InvalidValue):
        iso6346_check_digit(first10)


@pytest.mark.parametrize(
    "raw",
    ["CSQU3054384", "CSQU3054380", "CSQU3045383", "MSKU9070324", "BICU1234566", "TOLU4734788"],
)
def test_wrong_check_digit(raw: str) -> None:
    with pytest.raises(InvalidValue) as excinfo:
        normalize_container(raw)
    assert excinfo.value.message is MSG_CONTAINER_CHECK_DIGIT


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "CSQU305438",  # no check digit
        "CSQU30543833",
        "CSQA3054383",  # category must be U, J or Z
        "CS1U3054383",
        "CSQU30543B3",
        "CSQU 305438 X",
        "CSQU3054383/1",
        "集装箱3054383",
    ],
)
def test_bad_format(raw: str) -> None:
    with pytest.raises(InvalidValue) as excinfo:
        normalize_container(raw)
    assert excinfo.value.message is MSG_INVALID_CONTAINER
