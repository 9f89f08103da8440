"""居民身份证号码 (GB 11643-1999): check digit, validation, masking."""

from __future__ import annotations

import re
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
# Any 18-character run that could be an ID number; used to scan text and files for leaks.
_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


def check_digit(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("需要 17 位数字")
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalize(raw: str) -> str:
    """Strip spaces and full-width forms, upper-case the x: what people type or paste."""
    table = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９Ｘｘ"}
    return raw.translate(table).replace(" ", "").replace("\u3000", "").strip().upper()


def birth_date_of(number: str) -> date | None:
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def is_valid(number: str) -> bool:
    """True for an 18-character number with a real birth date and the right check digit."""
    if not _SHAPE.match(number):
        return False
    if birth_date_of(number) is None:
        return False
    return check_digit(number[:17]) == number[17]


def mask(number: str) -> str:
    """The form shown everywhere by default: region prefix and last four only."""
    return number[:6] + "*" * 8 + number[14:]


def make(region_code: str, born: date, sequence: int) -> str:
    """Build a checksum-valid number; odd sequences are male, even female (GB 11643 §5)."""
    if not (0 <= sequence <= 999):
        raise ValueError("sequence must be 0–999")
    first17 = f"{region_code}{born:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)


def find_valid_numbers(text: str) -> list[str]:
    """Every checksum-valid ID number in a text: a leak scanner for pages, caches and files."""
    return [m.upper() for m in _CANDIDATE.findall(text) if is_valid(m.upper())]
