"""Resident ID numbers, division codes and phones (R-ID-*, R-DIV-*, R-PHONE-1, I-01, I-03, I-04)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mdreg import DivisionCode, Phone, ResidentId, ValidationError
from mdreg.domain.identifiers import mask
from mdreg.testing.strategies import division_codes, id_bodies, resident_ids


@pytest.mark.parametrize(
    "number",
    ["360426199101010071", "120103198806018241", "230306196304054513", "110101202311012176",
     "11010519491231002X"],
)
def test_r_id_4_valid_vectors_pass(number: str) -> None:
    assert ResidentId.parse(number).value == number


@pytest.mark.parametrize(
    "number", ["360426199101010072", "230307196304054513", "110101202311012171"]
)
def test_r_id_4_invalid_vectors_fail_the_checksum(number: str) -> None:
    with pytest.raises(ValidationError, match="check digit"):
        ResidentId.parse(number)


def test_r_id_2_lowercase_x_and_spaces_are_normalised() -> None:
    assert ResidentId.parse(" 110105 19491231 002x ").value == "11010519491231002X"


def test_r_id_3_impossible_birth_date_is_rejected() -> None:
    with pytest.raises(ValidationError, match="birth date"):
        ResidentId.parse("360426199102300071")


@pytest.mark.parametrize(
    "raw", ["", "12345", "36042619910101007", "3604261991010100711", "X60426199101010071"]
)
def test_wrong_shape_is_rejected(raw: str) -> None:
    with pytest.raises(ValidationError):
        ResidentId.parse(raw)


def test_r_id_5_sex_from_17th_digit() -> None:
    assert ResidentId.parse("360426199101010071").sex == "M"
    assert ResidentId.parse("11010519491231002X").sex == "F"


def test_r_id_6_abolished_address_code_is_not_rejected() -> None:
    body = "11010319900101001"  # 110103 崇文区, abolished 2010
    from stdnum.cn import ric

    rid = ResidentId.parse(body + ric.calc_check_digit(body + "0"))
    assert rid.address_code == DivisionCode("110103")


def test_unknown_address_code_is_a_warning_not_a_rejection() -> None:
    body = "99990119900101001"
    from stdnum.cn import ric

    rid = ResidentId.parse(body + ric.calc_check_digit(body + "0"))
    assert not rid.address_known()


@given(id_bodies(), st.integers(0, 16), st.integers(1, 9))
def test_i_01_every_single_digit_substitution_is_rejected(body: str, position: int, shift: int) -> None:
    from stdnum.cn import ric

    valid = body + ric.calc_check_digit(body + "0")
    digit = (int(valid[position]) + shift) % 10
    mutated = valid[:position] + str(digit) + valid[position + 1 :]
    with pytest.raises(ValidationError):
        ResidentId.parse(mutated)


@given(resident_ids())
def test_valid_numbers_round_trip_and_never_show_unmasked(rid: ResidentId) -> None:
    assert ResidentId.parse(rid.value) == rid
    for shown in (repr(rid), str(rid), rid.masked):
        assert rid.value[:14] not in shown
        assert shown.endswith((rid.value[-4:], rid.value[-4:] + "')"))


@given(st.text(max_size=30))
def test_i_02_any_text_gives_only_validation_errors(raw: str) -> None:
    try:
        ResidentId.parse(raw)
    except ValidationError as err:
        assert err.field == "id_number"
        assert str(err).startswith("id_number: ")


def test_r_div_1_province_of_a_code() -> None:
    assert DivisionCode("110105").province == DivisionCode("110000")
    assert DivisionCode("441900").province == DivisionCode("440000")


def test_r_div_2_dongguan_is_county_level() -> None:
    assert DivisionCode("441900").level == "county"
    assert DivisionCode("440100").level == "prefecture"
    assert DivisionCode("440000").level == "province"


@given(division_codes())
def test_division_helpers_are_consistent(code: DivisionCode) -> None:
    assert code.province.level == "province"
    assert code.province.contains(code)
    assert code.prefecture.contains(code)
    assert code.contains(code)
    assert code.province.code[:2] == code.code[:2]


@pytest.mark.parametrize("bad", ["11000", "1100000", "abcdef", "000105", 110105])
def test_malformed_division_codes_are_rejected(bad: object) -> None:
    with pytest.raises(ValidationError):
        DivisionCode(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", ["+86 138 0013 8000", "13800138000", "008613800138000"])
def test_i_04_phone_formats_normalise_to_one_value(raw: str) -> None:
    assert Phone.parse(raw).e164 == "+8613800138000"
    assert repr(Phone.parse(raw)) == "Phone('*******8000')"


@pytest.mark.parametrize("raw", ["01012345678", "12345", "+1 202 555 0100", "not a phone"])
def test_r_phone_1_non_mobile_numbers_are_rejected(raw: str) -> None:
    with pytest.raises(ValidationError):
        Phone.parse(raw)


def test_mask_keeps_last_four() -> None:
    assert mask("11010519491231002X") == "**************002X"
    assert mask("abc") == "***"
    assert date(2000, 1, 1)  # keep the import honest for readers
