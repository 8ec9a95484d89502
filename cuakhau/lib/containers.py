"""ISO 6346 freight container numbers (owner code, category, serial, check digit)."""

from __future__ import annotations

import re
import string
import unicodedata

from django.utils.translation import gettext_lazy as _

from cuakhau.lib.errors import InvalidValue

MSG_INVALID_CONTAINER = _("Not a valid container number (4 letters and 7 digits, e.g. CSQU3054383).")
MSG_CONTAINER_CHECK_DIGIT = _("Check digit does not match; please re-read the container number.")

# ISO 6346 letter values start at A=10 and skip multiples of 11 (11, 22, 33) so
# that no letter is worth the same as another modulo 11.
_LETTER_VALUES: dict[str, int] = {}
_value = 10
for _letter in string.ascii_uppercase:
    if _value % 11 == 0:
        _value += 1
    _LETTER_VALUES[_letter] = _value
    _value += 1
del _value, _letter

# Owner code, category (U freight container, J detachable equipment, Z trailer or
# chassis), serial, check digit. [0-9] because \d accepts non-ASCII digits.
_CONTAINER = re.compile(r"[A-Z]{3}[UJZ][0-9]{6}[0-9]")
_FIRST10 = re.compile(r"[A-Z]{4}[0-9]{6}")


def iso6346_check_digit(first10: str) -> int:
    """Check digit for the first 10 characters (owner code, category, serial)."""
    code = "".join(ch.upper() if ch.isascii() else ch for ch in first10)
    if not _FIRST10.fullmatch(code):
        raise InvalidValue(MSG_INVALID_CONTAINER)
    total = sum(
        (_LETTER_VALUES[ch] if ch.isalpha() else int(ch)) * 2**position for position, ch in enumerate(code)
    )
    # A remainder of 10 becomes 0; ISO 6346 advises owners not to issue such
    # serials, but numbers using 0 exist in the field.
    return total % 11 % 10


def normalize_container(raw: str) -> str:
    """Validate a container number and return it compact and upper case."""
    text = unicodedata.normalize("NFKC", raw)
    # Upper-case ASCII only: e.g. the Turkish dotless "ı" would otherwise become "I".
    compact = "".join(ch.upper() if ch.isascii() else ch for ch in text if not ch.isspace() and ch != "-")
    if not _CONTAINER.fullmatch(compact):
        raise InvalidValue(MSG_INVALID_CONTAINER)
    if iso6346_check_digit(compact[:10]) != int(compact[10]):
        raise InvalidValue(MSG_CONTAINER_CHECK_DIGIT)
    return compact
