"""Vietnamese and Chinese road-vehicle licence plates.

The canonical form is compact: no separators, ASCII upper case, e.g. ``29C12345``,
``29LD12345``, ``桂A12345``, ``桂A1234挂``. Use :func:`format_plate` for display.
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

from cuakhau.lib.errors import InvalidValue

MSG_INVALID_PLATE = _("Not a valid Vietnamese or Chinese licence plate.")

# Provincial abbreviations printed on Chinese plates (GA 36-2018). Hong Kong and
# Macao vehicles use mainland plates with a 港/澳 suffix, so they are not listed.
CN_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
CN_SUFFIXES = "挂学警港澳"

# Separators people type or copy from documents: ASCII, the Chinese interpunct as
# printed on plates (U+00B7) and its look-alikes. NFKC has already folded the
# full-width forms (－ ． ＿ 　 ･) to these.
_SEPARATORS = " \t-._\u00b7\u2022\u30fb\u2027"
_SEPARATOR_RUN = re.compile("[" + re.escape(_SEPARATORS) + r"\s]+")

# [0-9] rather than \d: \d also matches non-ASCII digits (e.g. Arabic-Indic),
# which NFKC does not fold.
_VN = re.compile(
    r"(?P<province>[0-9]{2})"
    # Two letters (29LD), letter + digit (29C1, only before 5 digits) or one letter.
    r"(?P<series>[A-Z]{2}|[A-Z][0-9](?=[0-9]{5}$)|[A-Z])"
    r"(?P<number>[0-9]{4,5})"
)
_CN = re.compile(
    "(?P<province>[" + CN_PROVINCES + "])(?P<authority>[A-Z])"
    r"(?P<serial>[A-Z0-9]{5}"  # ordinary
    r"|[DF][A-Z0-9][0-9]{4}"  # new-energy small vehicle: D/F first
    r"|[0-9]{5}[DF]"  # new-energy large vehicle: D/F last
    r"|[A-Z0-9]{4}[" + CN_SUFFIXES + "])"  # trailer, driving school, police, HK/Macao
)


def _split_vn(compact: str) -> tuple[str, str, str] | None:
    match = _VN.fullmatch(compact)
    if match is None or int(match["province"]) < 11:
        return None
    return match["province"], match["series"], match["number"]


def _vn_boundaries(province: str, series: str, number: str) -> set[int]:
    """Offsets in the compact form where the printed plate has a separator."""
    after_series = len(province) + len(series)
    boundaries = {len(province), after_series}
    if len(number) == 5:
        boundaries.add(after_series + 3)
    return boundaries


def normalize_plate(raw: str) -> str:
    """Validate a VN or CN plate and return its canonical compact form."""
    text = unicodedata.normalize("NFKC", raw).strip()
    # Upper-case ASCII only; CJK characters have no case and other scripts must fail.
    text = "".join(ch.upper() if ch.isascii() else ch for ch in text)
    groups = [group for group in _SEPARATOR_RUN.split(text) if group]
    compact = "".join(groups)
    # Where the user put separators: needed to tell "29C1-2345" (series C1, four
    # digits) from "29C-123.45", which have the same compact form.
    typed_boundaries: set[int] = set()
    offset = 0
    for group in groups[:-1]:
        offset += len(group)
        typed_boundaries.add(offset)

    vn = _split_vn(compact)
    if vn is not None:
        # A letter+digit series (motorbike, e.g. "29C1-123.45") is only recognised
        # with five digits; "29C12345" always means series C + 123.45. Separators
        # that contradict that reading are rejected rather than silently reparsed.
        if typed_boundaries <= _vn_boundaries(*vn):
            return compact
        raise InvalidValue(MSG_INVALID_PLATE)

    cn = _CN.fullmatch(compact)
    if cn is not None:
        allowed = {1, 2}
        if compact[-1] in CN_SUFFIXES:
            allowed.add(len(compact) - 1)
        if typed_boundaries <= allowed:
            return compact
    raise InvalidValue(MSG_INVALID_PLATE)


def plate_country(normalized: str) -> str:
    """Return ``"VN"`` or ``"CN"`` for a plate (normalized again, so raw input is fine)."""
    return "CN" if normalize_plate(normalized)[0] in CN_PROVINCES else "VN"


def format_plate(normalized: str) -> str:
    """Display form: ``29C-123.45``, ``29C-1234``, ``29LD-123.45``, ``桂A·12345``."""
    compact = normalize_plate(normalized)
    vn = _split_vn(compact)
    if vn is None:
        return f"{compact[:2]}\u00b7{compact[2:]}"
    province, series, number = vn
    if len(number) == 5:
        number = f"{number[:3]}.{number[3:]}"
    return f"{province}{series}-{number}"


def shown_plate(stored: str) -> str:
    """A stored (normalised) plate as people write it, e.g. 29C-123.45; as stored if it has no known format."""
    try:
        return format_plate(stored)
    except InvalidValue:
        return stored
