"""Input as people type it: full-width digits and spaces, middle-dot variants, dates as Excel and clerks write them.

One module used by forms, the roster import and search, so "１３８…", "　马丽　" and "阿卜杜•热合曼"
are stored and searched as "138…", "马丽" and "阿卜杜·热合曼": one person, not three.
Full-width punctuation (，：（）) is left alone: it is correct in Chinese text.
"""
import datetime as dt
import re
from typing import NamedTuple

# Full-width digits and Latin letters, and the spaces a Chinese keyboard or Word produces.
_WIDTH = {**{0xFF10 + i: 0x30 + i for i in range(10)},
          **{0xFF21 + i: 0x41 + i for i in range(26)},
          **{0xFF41 + i: 0x61 + i for i in range(26)},
          0x3000: 0x20, 0x00A0: 0x20, 0x2002: 0x20, 0x2003: 0x20, 0x2009: 0x20, 0x200B: None, 0xFEFF: None}
# The dots seen between the parts of a minority or foreign name; GB standard is U+00B7.
MIDDLE_DOT = "·"
_DOTS = re.compile(r"\s*[\u00B7\u2022\u30FB\u2027\uFF65\u2219\u22C5\u0387\u16EB\u2E31\uFF0E]\s*")
_SPACES = re.compile(r"\s+")
_CJK_GAP = re.compile(r"(?<=[\u2E80-\u9FFF\uF900-\uFAFF])\s+(?=[\u2E80-\u9FFF\uF900-\uFAFF])")
# Excel shows a number of 12 digits or more like this, and keeps only 15 significant digits.
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+]?\d+$")


def line(text):
    """One line of typed text: full-width digits, letters and spaces made ordinary, runs of spaces one, trimmed."""
    if text is None:
        return ""
    return _SPACES.sub(" ", str(text).translate(_WIDTH)).strip()


def name(text):
    """A person's name: as `line`, every middle-dot variant made "·", no spaces between Chinese characters."""
    return _CJK_GAP.sub("", _DOTS.sub(MIDDLE_DOT, line(text)))


def compact(text):
    """An ID or phone number: as `line`, without any spaces, letters upper-case."""
    return line(text).replace(" ", "").upper()


def search_term(text):
    """What a search box sends, made comparable with what was stored through `name` and `line`."""
    return _DOTS.sub(MIDDLE_DOT, line(text))


def looks_scientific(text):
    """True for "1.10105E+17": a long number Excel stored as a number and so cut short."""
    return bool(_SCIENTIFIC.match(line(text)))


def excel_number_text(value):
    """A number cell as Excel would show it: long numbers in its scientific form, so they can be recognised."""
    if isinstance(value, bool):
        return str(value)
    if abs(value) >= 1e11:
        return f"{value:.5E}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class PartialDate(NamedTuple):
    """A date as given: `month_only` when only the year and month were written (2001-07)."""
    day: dt.date
    month_only: bool


# 1900-03-01 onward: Excel's day 1 is 1900-01-01 and it counts a 29 February 1900 that never was.
EXCEL_EPOCH = dt.date(1899, 12, 30)
_YMD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:[-/.月]\s*(\d{1,2})\s*日?|月?)$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^\d{5}(\.0+)?$")
DATE_HINT = "日期应写成 2026-03-31 或 2026年3月31日（只知道年月时写 2001-07）"


def read_date(text, month_allowed=False):
    """Read a typed or imported date; None for blank; ValueError with a Chinese reason otherwise.

    Accepts 2026-03-31, 2026/3/31, 2026.03.31, 2026年3月31日, 20260331, an Excel serial number
    (46112) and, when `month_allowed`, a year and month (2001-07, 2001年7月) kept as such.
    """
    text = line(text)
    if not text:
        return None
    if _SERIAL.match(text):
        return PartialDate(EXCEL_EPOCH + dt.timedelta(days=int(float(text))), False)
    found = _YMD.match(text) or _COMPACT.match(text)
    if not found:
        raise ValueError(DATE_HINT if month_allowed else "日期应写成 2026-03-31 或 2026年3月31日")
    year, month, day = int(found[1]), int(found[2]), found[3]
    if not 1 <= month <= 12:
        raise ValueError(f"日期不存在：没有{month}月")
    if day is None:
        if not month_allowed:
            raise ValueError(f"请写明是{year}年{month}月的哪一天")
        return PartialDate(dt.date(year, month, 1), True)
    try:
        return PartialDate(dt.date(year, month, int(day)), False)
    except ValueError:
        raise ValueError(f"日期不存在：{year}年{month}月没有{int(day)}日") from None


def show_date(day, month_only=False):
    """A date as a clerk writes it: 2026年3月31日, or 2001年7月 when only the month is known."""
    if day is None:
        return ""
    return f"{day.year}年{day.month}月" if month_only else f"{day.year}年{day.month}月{day.day}日"


def iso_date(day, month_only=False):
    """A date as a spreadsheet cell that imports back unchanged: 2026-03-31, or 2001-07."""
    if day is None:
        return None
    return f"{day:%Y-%m}" if month_only else day
