"""Identifiers take ASCII digits, full-width forms normalised; every other script's digits are
refused (they would be stored as typed and bypass the uniqueness of an ID number)."""

from __future__ import annotations

import pytest

from mdreg import DivisionCode, Phone, ResidentId, ValidationError

NUMBER = "11010519491231002X"
ZEROS = {"arabic-indic": 0x660, "devanagari": 0x966, "bengali": 0x9E6, "full-width": 0xFF10}


def in_script(text: str, zero: int) -> str:
    return "".join(chr(zero + int(c)) if c.isdigit() else c for c in text)


@pytest.mark.parametrize("script", sorted(set(ZEROS) - {"full-width"}))
def test_other_scripts_digits_are_refused(script: str) -> None:
    zero = ZEROS[script]
    with pytest.raises(ValidationError) as id_error:
        ResidentId.parse(in_script(NUMBER, zero))
    assert id_error.value.field == "id_number"
    with pytest.raises(ValidationError) as division_error:
        DivisionCode(in_script("110105", zero))
    assert division_error.value.field == "division_code"
    with pytest.raises(ValidationError) as phone_error:
        Phone.parse(in_script("13800138000", zero))
    assert phone_error.value.field == "phone"


def test_full_width_forms_are_the_same_identifiers() -> None:
    full = in_script(NUMBER, ZEROS["full-width"]).replace("X", "Ｘ")
    assert ResidentId.parse(full) == ResidentId.parse(NUMBER)
    assert DivisionCode(in_script("110105", ZEROS["full-width"])) == DivisionCode("110105")
    assert DivisionCode(in_script("110105", ZEROS["full-width"])).province.code == "110000"
    assert Phone.parse(in_script("13800138000", ZEROS["full-width"])) == Phone.parse(
        "13800138000")
