"""Mainland resident ID numbers (GB 11643): checksum, birth date, masking."""
import datetime as dt
import re

from documents import normalise as normalise_text

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


def normalise(value):
    """The number as typed, full-width digits and spaces included, made comparable."""
    return normalise_text.compact(value)


def check_digit(first17):
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11]


def birth_date(number):
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def problem(value):
    """Return why an ID number is invalid (in Chinese), or None when it is valid."""
    number = normalise(value)
    if not _SHAPE.match(number):
        return "身份证号应为18位，前17位为数字，最后一位为数字或X"
    if birth_date(number) is None:
        return "身份证号中的出生日期无效"
    if check_digit(number[:17]) != number[17]:
        return "身份证号校验位不正确"
    return None


def gender(number):
    return "男" if int(number[16]) % 2 else "女"


def mask(value):
    number = normalise(value)
    if len(number) < 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]
