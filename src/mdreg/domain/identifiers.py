"""标识 — resident ID numbers, division codes and phone numbers.

Value objects that validate on construction and never show personal data unmasked:

>>> rid = ResidentId.parse(" 11010519491231002x ")
>>> rid
ResidentId('**************002X')
>>> rid.birth_date, rid.sex
(datetime.date(1949, 12, 31), 'F')
>>> ResidentId.parse("360426199101010072")
Traceback (most recent call last):
...
mdreg.errors.ValidationError: id_number: check digit does not match (GB 11643-1999)
>>> DivisionCode("110105").province, DivisionCode("110105").level
(DivisionCode('110000'), 'county')
>>> Phone.parse("+86 138 0013 8000")
Phone('*******8000')
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import cache
from typing import Literal

import attrs
import phonenumbers
from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from mdreg.errors import ValidationError

# ASCII digits only: ``\d`` would also take Arabic-Indic, Devanagari … digits, stored as typed
_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
_DIVISION = re.compile(r"^[0-9]{6}$")
_PHONE_SHAPE = re.compile(r"^1[3-9][0-9]{9}$")

Level = Literal["province", "prefecture", "county"]


def mask(value: str, visible: int = 4) -> str:
    """Replace all but the last ``visible`` characters with ``*``.

    >>> mask("13800138000")
    '*******8000'
    """
    if len(value) <= visible:
        return "*" * len(value)
    return "*" * (len(value) - visible) + value[-visible:]


def halfwidth(value: str) -> str:
    """Full-width letters and digits (１１０１０５, Ｘ) as their ASCII forms (NFKC); other
    scripts' digits stay as they are, for the shape checks to refuse.

    >>> halfwidth("１１０１０５"), halfwidth("١١٠")
    ('110105', '١١٠')
    """
    return unicodedata.normalize("NFKC", value)


def _halfwidth_code(value: object) -> object:
    return halfwidth(value) if isinstance(value, str) else value


def _id_converter(value: str) -> str:
    return value if isinstance(value, str) else str(value)


@attrs.frozen(repr=False)
class ResidentId:
    """公民身份号码: an 18-character resident ID number (GB 11643-1999).

    Construct with :meth:`parse`, which normalises (strips spaces, upper-cases ``x``) and checks
    the length, the birth date and the check digit. ``str()`` and ``repr()`` are masked; the full
    number is only available as :attr:`value`.
    """

    value: str = attrs.field(converter=_id_converter)

    @classmethod
    def parse(cls, raw: str) -> ResidentId:
        """Validate and normalise ``raw``.

        Raises:
            ValidationError: wrong shape, impossible birth date or wrong check digit. The message
                never contains the number itself.
        """
        if not isinstance(raw, str):
            raise ValidationError("id_number", "must be a string", field_label="身份证号")
        number = ric.compact(halfwidth("".join(raw.split())))
        if not _ID_SHAPE.fullmatch(number):
            raise ValidationError(
                "id_number", "must be 17 digits followed by a digit or X", field_label="身份证号"
            )
        try:
            ric.get_birth_date(number)
        except StdnumError:
            raise ValidationError(
                "id_number", "characters 7-14 are not a real birth date", field_label="身份证号"
            ) from None
        if ric.calc_check_digit(number) != number[-1]:
            raise ValidationError(
                "id_number", "check digit does not match (GB 11643-1999)", field_label="身份证号"
            )
        return cls(number)

    @property
    def birth_date(self) -> date:
        """Date of birth encoded in characters 7–14."""
        born: date = ric.get_birth_date(self.value)
        return born

    @property
    def sex(self) -> Literal["M", "F"]:
        """Odd 17th digit: male; even: female."""
        return "M" if int(self.value[16]) % 2 else "F"

    @property
    def address_code(self) -> DivisionCode:
        """The division code of the place of first registration."""
        return DivisionCode(self.value[:6])

    def address_known(self) -> bool:
        """Whether the address code is in the division table (retired codes included).

        An unknown code is a warning, never a reason to reject a valid number.
        """
        try:
            ric.get_birth_place(self.value)
        except StdnumError:
            return False
        return True

    @property
    def masked(self) -> str:
        return mask(self.value)

    def __repr__(self) -> str:
        return f"ResidentId({self.masked!r})"

    def __str__(self) -> str:
        return self.masked


@cache
def _county_listed(code: str) -> bool:
    """Whether a ``PPCC00`` code is listed and has no county below it (东莞市, 嘉峪关市 …)."""
    table = numdb.get("cn/loc")

    def listed(candidate: str) -> bool:
        parts = table.info(candidate)
        return len(parts) > 1 and parts[1][0] == candidate[2:] and "county" in parts[1][1]

    children = (f"{code[:4]}{n:02d}" for n in range(1, 100))
    return listed(code) and not any(listed(child) for child in children)


def _check_division(_: object, __: object, value: str) -> None:
    if not isinstance(value, str) or not _DIVISION.fullmatch(value):
        raise ValidationError("division_code", "must be 6 digits", field_label="行政区划代码")
    if value[:2] == "00":
        raise ValidationError("division_code", "province part is 00", field_label="行政区划代码")


@attrs.frozen(order=True)
class DivisionCode:
    """行政区划代码: a 6-digit GB/T 2260 division code.

    Digits 1–2 name the province, 3–4 the prefecture, 5–6 the county. A province is ``PP0000``, a
    prefecture ``PPCC00``; every other code is county level. Prefecture-level cities without
    counties (441900 东莞市, 442000 中山市, 620200 嘉峪关市 …) are county level too: the division
    table lists them as counties.

    >>> DivisionCode("441900").level, DivisionCode("440100").level
    ('county', 'prefecture')
    """

    code: str = attrs.field(converter=_halfwidth_code, validator=_check_division)

    @property
    def level(self) -> Level:
        if self.code[2:] == "0000":
            return "province"
        if self.code[4:] == "00" and not _county_listed(self.code):
            return "prefecture"
        return "county"

    @property
    def province(self) -> DivisionCode:
        """The province-level code ``PP0000``."""
        return DivisionCode(self.code[:2] + "0000")

    @property
    def prefecture(self) -> DivisionCode:
        """The prefecture-level code ``PPCC00`` (a province code stays itself)."""
        if self.level == "province":
            return self
        return DivisionCode(self.code[:4] + "00")

    def contains(self, other: DivisionCode) -> bool:
        """Whether ``other`` lies inside this division (or is it)."""
        if self.level == "province":
            return other.code[:2] == self.code[:2]
        if self.level == "prefecture":
            return other.code[:4] == self.code[:4]
        return other.code == self.code

    def __str__(self) -> str:
        return self.code

    def __repr__(self) -> str:
        return f"DivisionCode({self.code!r})"


@attrs.frozen(repr=False)
class Phone:
    """手机号: a mainland China mobile number, stored as 11 national digits."""

    national: str

    @classmethod
    def parse(cls, raw: str) -> Phone:
        """Normalise ``+86 138 0013 8000``, ``008613800138000`` or ``13800138000``.

        Raises:
            ValidationError: not a mainland mobile number (SMS verification needs one).
        """
        text = halfwidth(str(raw))
        if any(ch.isdigit() and not ch.isascii() for ch in text):  # phonenumbers would take them
            raise ValidationError("phone", "digits must be 0-9", field_label="手机号")
        try:
            number = phonenumbers.parse(text, "CN")
        except phonenumbers.NumberParseException:
            raise ValidationError("phone", "not a phone number", field_label="手机号") from None
        national = str(number.national_number)
        if (
            number.country_code != 86
            or not _PHONE_SHAPE.fullmatch(national)
            or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE
        ):
            raise ValidationError(
                "phone", "not a mainland mobile number", field_label="手机号"
            )
        return cls(national)

    @property
    def e164(self) -> str:
        return f"+86{self.national}"

    @property
    def masked(self) -> str:
        return mask(self.national)

    def __repr__(self) -> str:
        return f"Phone({self.masked!r})"

    def __str__(self) -> str:
        return self.masked
