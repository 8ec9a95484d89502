"""Business and customs codes: VN/CN tax identifiers, VNACCS declarations, HS codes."""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

from cuakhau.lib.errors import InvalidValue

MSG_INVALID_VN_TAX_CODE = _(
    "Not a valid Vietnamese tax code (10 digits, or 10 digits and a 3-digit branch number)."
)
MSG_VN_TAX_CODE_CHECK_DIGIT = _("Check digit does not match; please re-check the tax code.")
MSG_INVALID_CN_USCC = _("Not a valid Chinese unified social credit code (18 letters and digits).")
MSG_CN_USCC_CHECK_CHARACTER = _(
    "Check character does not match; please re-check the unified social credit code."
)
MSG_UNSUPPORTED_TAX_COUNTRY = _("Tax codes can only be checked for Vietnam or China.")
MSG_INVALID_DECLARATION_NUMBER = _("A customs declaration number has exactly 12 digits.")
MSG_INVALID_DECLARATION_TYPE = _("Not a valid declaration type code (a letter and 2 digits, e.g. A11).")
MSG_INVALID_HS_CODE = _("Not a valid HS code (6, 8 or 10 digits).")
MSG_INVALID_HS_CHAPTER = _("Not a valid HS code: the chapter must be 01 to 97, except 77.")


def _compact(raw: str, drop: str) -> str:
    """NFKC (folds full-width digits), ASCII upper case, without whitespace or ``drop``."""
    text = unicodedata.normalize("NFKC", raw)
    return "".join(ch.upper() if ch.isascii() else ch for ch in text if not ch.isspace() and ch not in drop)


# --- Vietnamese tax code (mã số thuế) ------------------------------------------
#
# Layout (Thông tư 105/2020/TT-BTC, formerly 95/2016): 2-digit province code,
# 7-digit sequence, 1 check digit; branches append "-" and a 3-digit number
# 001-999. The General Department of Taxation does not publish the check-digit
# rule; the one used here (weights 31..3, 10 - sum mod 11) is the de-facto one,
# also implemented by python-stdnum (stdnum.vn.mst), and holds for every real
# code we tested. When sum mod 11 == 0 the "digit" would be 10: no valid code.

_VN_TAX = re.compile(r"([0-9]{10})(?:-?([0-9]{3}))?")
_VN_TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def vn_tax_check_digit(first9: str) -> int | None:
    """Check digit for the first 9 digits, or ``None`` if no digit can be valid."""
    digit = 10 - sum(w * int(d) for w, d in zip(_VN_TAX_WEIGHTS, first9, strict=True)) % 11
    return None if digit == 10 else digit


def normalize_vn_tax_code(raw: str) -> str:
    """Return ``0101234567`` or ``0101234567-001``."""
    match = _VN_TAX.fullmatch(_compact(raw, "."))
    if match is None:
        raise InvalidValue(MSG_INVALID_VN_TAX_CODE)
    main, branch = match[1], match[2]
    # An all-zero sequence or branch number is never issued.
    if main[2:9] == "0000000" or branch == "000":
        raise InvalidValue(MSG_INVALID_VN_TAX_CODE)
    if vn_tax_check_digit(main[:9]) != int(main[9]):
        raise InvalidValue(MSG_VN_TAX_CODE_CHECK_DIGIT)
    return f"{main}-{branch}" if branch else main


# --- Chinese unified social credit code (统一社会信用代码, GB 32100-2015) ------

# 31 characters: digits and upper-case letters without I, O, Z, S, V.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# Registration authority, organisation type, 6-digit administrative division,
# 9-character organisation identifier, check character.
_USCC = re.compile(f"[{USCC_CHARSET}]{{2}}[0-9]{{6}}[{USCC_CHARSET}]{{10}}")


def cn_uscc_check_character(first17: str) -> str:
    """Check character for the first 17 characters (caller ensures the charset)."""
    total = sum(USCC_CHARSET.index(ch) * w for ch, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def normalize_cn_uscc(raw: str) -> str:
    """Return the 18-character code in upper case."""
    code = _compact(raw, "-")
    if not _USCC.fullmatch(code):
        raise InvalidValue(MSG_INVALID_CN_USCC)
    if cn_uscc_check_character(code[:17]) != code[17]:
        raise InvalidValue(MSG_CN_USCC_CHECK_CHARACTER)
    return code


def normalize_tax_code(raw: str, country: str) -> str:
    """Validate a business tax identifier of ``country`` (``"VN"`` or ``"CN"``)."""
    match country.upper():
        case "VN":
            return normalize_vn_tax_code(raw)
        case "CN":
            return normalize_cn_uscc(raw)
    raise InvalidValue(MSG_UNSUPPORTED_TAX_COUNTRY)


# --- VNACCS customs declarations --------------------------------------------


def normalize_declaration_number(raw: str) -> str:
    """A VNACCS declaration number (số tờ khai): exactly 12 digits."""
    number = _compact(raw, "")
    if not re.fullmatch(r"[0-9]{12}", number):
        raise InvalidValue(MSG_INVALID_DECLARATION_NUMBER)
    return number


def normalize_declaration_type(raw: str) -> str:
    """A declaration type code (mã loại hình), e.g. ``A11``, ``B11``, ``G11``."""
    code = _compact(raw, "")
    if not re.fullmatch(r"[A-Z][0-9]{2}", code):
        raise InvalidValue(MSG_INVALID_DECLARATION_TYPE)
    return code


# --- Harmonized System commodity codes --------------------------------------


def normalize_hs_code(raw: str) -> str:
    """Return the HS code as digits only: 6 (HS), 8 (Vietnam, AHTN) or 10 (China)."""
    code = _compact(raw, ".")
    # Only the lengths real nomenclatures use: 7 or 9 digits is a typo.
    if not re.fullmatch(r"[0-9]{6}(?:[0-9]{2}){0,2}", code):
        raise InvalidValue(MSG_INVALID_HS_CODE)
    # Chapter 77 is reserved for future use; 98 and 99 are national chapters.
    if not 1 <= int(code[:2]) <= 97 or code[:2] == "77":
        raise InvalidValue(MSG_INVALID_HS_CHAPTER)
    return code


def hs_heading(code: str) -> str:
    """The 4-digit heading of an HS code."""
    return normalize_hs_code(code)[:4]


def hs_chapter(code: str) -> str:
    """The 2-digit chapter of an HS code."""
    return normalize_hs_code(code)[:2]
