"""Personal data of drivers and declarants: phone numbers, identity documents, names.

Error messages never echo the rejected value: these are personal data and the
messages end up in logs and on shared screens at the gate.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

from django.utils.translation import gettext_lazy as _

from cuakhau.lib.errors import InvalidValue

MSG_INVALID_PHONE = _("Not a valid Vietnamese or Chinese phone number.")
MSG_INVALID_IDENTITY_DOCUMENT = _(
    "Not a valid identity document number (citizen ID card, Chinese resident ID or passport)."
)
MSG_CN_ID_CHECK_CHARACTER = _("Check character does not match; please re-check the resident ID number.")
MSG_NAME_LENGTH = _("A name must be between 2 and 100 characters long.")
MSG_NAME_CHARACTERS = _("A name may only contain letters, spaces, apostrophes, hyphens and dots.")


def _compact(raw: str, drop: str) -> str:
    """NFKC (folds full-width digits), ASCII upper case, without whitespace or ``drop``."""
    text = unicodedata.normalize("NFKC", raw)
    return "".join(ch.upper() if ch.isascii() else ch for ch in text if not ch.isspace() and ch not in drop)


# --- Phone numbers ----------------------------------------------------------

# National significant numbers (without trunk "0" / country code). Vietnam since
# the 2017-2018 renumbering: mobiles 3/5/7/8/9 + 8 digits (0912 345 678); landlines
# 2 + 9 digits, i.e. 11 digits with the trunk 0 (Lạng Sơn: 0205 xxx xxxx, Hà Nội:
# 024 xxxx xxxx). China: mobiles 1[3-9] + 9 digits.
_VN_NSN = re.compile(r"[35789][0-9]{8}|2[0-9]{9}")
_CN_MOBILE = re.compile(r"1[3-9][0-9]{9}")


def normalize_phone(raw: str) -> str:
    """Return a VN or CN number in E.164, e.g. ``+84912345678``, ``+8613800138000``."""
    number = _compact(raw, "-.()/")
    if number.startswith("+"):
        number = number[1:]
    elif number.startswith("00"):  # international call prefix used in both countries
        number = number[2:]
    elif number.startswith("0"):  # Vietnamese trunk prefix
        number = "84" + number[1:]
    elif _CN_MOBILE.fullmatch(number):  # Chinese mobiles are dialled without a prefix
        number = "86" + number
    if not number.isascii() or not number.isdigit():
        raise InvalidValue(MSG_INVALID_PHONE)
    country, national = number[:2], number[2:]
    if country == "84" and national.startswith("0"):
        # "+84 0912 345 678": a trunk zero kept after the country code.
        national = national[1:]
    if (country == "84" and _VN_NSN.fullmatch(national)) or (
        country == "86" and _CN_MOBILE.fullmatch(national)
    ):
        return f"+{country}{national}"
    raise InvalidValue(MSG_INVALID_PHONE)


def mask_phone(value: str) -> str:
    """Keep the country code and last 3 digits: ``+84******678``. Never raises."""
    try:
        number = normalize_phone(value)
    except InvalidValue:
        return _mask(_compact(value, "-.()/"), keep_start=0)
    return _mask(number, keep_start=3)


# --- Identity documents -----------------------------------------------------

_VN_CITIZEN_ID = re.compile(r"[0-9]{12}")  # căn cước công dân / căn cước (CCCD)
_VN_OLD_ID = re.compile(r"[0-9]{9}")  # chứng minh nhân dân (CMND), still seen
_CN_RESIDENT_ID = re.compile(r"[0-9]{17}[0-9X]")  # 居民身份证号码, GB 11643-1999
_PASSPORT = re.compile(r"[A-Z]{1,2}[0-9]{6,8}")  # VN "C1234567", CN "E12345678", "EA1234567"

# ISO 7064 MOD 11-2 as used by GB 11643-1999: weights 2^(17-i) mod 11.
_CN_ID_WEIGHTS = tuple(2 ** (17 - i) % 11 for i in range(17))
_CN_ID_CHECK = "10X98765432"


def cn_resident_id_check_character(first17: str) -> str:
    """Check character (0-9 or X) for the first 17 digits of a Chinese resident ID."""
    total = sum(int(d) * w for d, w in zip(first17, _CN_ID_WEIGHTS, strict=True))
    return _CN_ID_CHECK[total % 11]


def _valid_birth_date(yyyymmdd: str) -> bool:
    try:
        datetime.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return False
    return yyyymmdd[:2] in ("18", "19", "20")


def normalize_identity_document(raw: str) -> str:
    """Validate a CCCD, CMND, Chinese resident ID or passport number; return it compact."""
    number = _compact(raw, "-.")
    if _VN_CITIZEN_ID.fullmatch(number) or _VN_OLD_ID.fullmatch(number) or _PASSPORT.fullmatch(number):
        return number
    if _CN_RESIDENT_ID.fullmatch(number):
        # Digits 7-14 are the date of birth: catches transpositions the check
        # character can miss.
        if not _valid_birth_date(number[6:14]):
            raise InvalidValue(MSG_INVALID_IDENTITY_DOCUMENT)
        if cn_resident_id_check_character(number[:17]) != number[17]:
            raise InvalidValue(MSG_CN_ID_CHECK_CHARACTER)
        return number
    raise InvalidValue(MSG_INVALID_IDENTITY_DOCUMENT)


def mask_identity(value: str) -> str:
    """Keep only the last 3 characters: ``*********789``. Never raises."""
    return _mask(_compact(value, "-."), keep_start=0)


def _mask(value: str, keep_start: int) -> str:
    if len(value) <= keep_start + 3:
        # Too short to hide anything while showing 3 characters: hide it all.
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - 3) + value[-3:]


# --- Names ------------------------------------------------------------------

# Apostrophes (ASCII and typographic) for O'Brien / N’Diaye, and the interpunct
# used between the parts of transliterated names on Chinese IDs (阿沛·阿旺晋美).
_NAME_PUNCTUATION = " '\u2019-.\u00b7"


def normalize_person_name(raw: str) -> str:
    """NFC, single spaces; 2-100 characters of letters, spaces, ' - . and ·."""
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    if not 2 <= len(name) <= 100:
        raise InvalidValue(MSG_NAME_LENGTH)
    # Letters of any script; combining marks (M*) only after a letter, as some
    # scripts (and decomposed Vietnamese without a precomposed form) need them.
    if not unicodedata.category(name[0]).startswith("L"):
        raise InvalidValue(MSG_NAME_CHARACTERS)
    for ch in name:
        category = unicodedata.category(ch)
        if not (category[0] in "LM" or ch in _NAME_PUNCTUATION):
            raise InvalidValue(MSG_NAME_CHARACTERS)
    return name
