"""Every argument of a public command is checked against its annotation before any work."""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mdreg
from mdreg.domain.application import (
    Actor,
    ActorKind,
    CancellationGround,
    Evidence,
    FilingRequest,
    RegistrationRequest,
)
from mdreg.domain.inputs import (
    IDENTIFIER_CHARACTERS,
    ITEMS,
    LABELS,
    _resolve,
    check,
    check_fields,
    checked_items,
    label,
)
from mdreg.domain.model import Category, HealthDepartment, Level
from mdreg.errors import ValidationError
from mdreg.service.account_recovery import AccountRecovery
from mdreg.service.account_security import AccountSecurity
from mdreg.service.accounts import Accounts
from mdreg.service.registry import Registry
from mdreg.service.views import ActorView
from mdreg.testing import World

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(("value", "annotation", "message"), [
    (None, str, "must be text, not NoneType"),
    (b"A1", str, "must be text, not bytes"),
    ("A" * (IDENTIFIER_CHARACTERS + 1), str, f"at most {IDENTIFIER_CHARACTERS} characters"),
    ("A\n1", str, "control characters"),
    ("\ud800", str, "unpaired surrogates"),
    (True, int, "whole number, not bool"),
    (-1, int, "between 0 and"),
    (1, bool, "True or False, not int"),
    (datetime(2026, 1, 1, tzinfo=UTC), date, "a date, not datetime"),
    (date(1899, 12, 31), date, "between 1900-01-01"),
    (date(2200, 1, 1), date, "between 1900-01-01"),
    (datetime(2026, 1, 1), datetime, "aware"),
    ("physician", ActorKind, "must be a ActorKind, not str"),
    ("P1", Actor, "must be a Actor"),
    (Actor(ActorKind.PHYSICIAN, None), Actor, "party_id: must be text"),  # type: ignore[arg-type]
    ("abc", tuple[str, ...], "must be a list, not str"),
    (("a",) * (ITEMS + 1), tuple[str, ...], f"at most {ITEMS} items"),
    ((1,), tuple[str, ...], "[0]: must be text"),
    (5, date | None, "must be date or None, not int"),
    (date(9999, 1, 1), date | None, "between"),
])
def test_a_value_that_does_not_fit_its_annotation_is_refused_naming_the_field(
        value: Any, annotation: Any, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        check(value, annotation, "application_id")
    assert message in str(refused.value)
    assert refused.value.field.startswith("application_id")
    assert refused.value.field_label == label(refused.value.field)
    assert CJK.search(refused.value.field_label)


@pytest.mark.parametrize(("value", "annotation"), [
    ("A1", str), ("第一行\n第二行", str), ("a" * 10_000, str), (0, int), (False, bool),
    (date(1900, 1, 1), date), (datetime(2199, 12, 31, tzinfo=UTC), datetime),
    (None, date | None), (("内科专业",), tuple[str, ...]), (["内科专业"], tuple[str, ...] | list[str]),
    (Actor.physician("P1"), Actor), (CancellationGround.DEATH, CancellationGround),
])
def test_a_value_that_fits_passes(value: Any, annotation: Any) -> None:
    check(value, annotation, "reason")


def test_written_text_may_break_lines_an_identifier_may_not() -> None:
    check("第一行\n第二行", str, "reason")
    with pytest.raises(ValidationError):
        check("A1\n", str, "registration_id")


@pytest.mark.parametrize(("field", "label_"), [("physician_ids", "医师列表"),
                                               ("message_ids", "消息编号")])
def test_each_item_of_a_list_of_ids_is_an_identifier(field: str, label_: str) -> None:
    for bad in ("P1\n", "P" * (IDENTIFIER_CHARACTERS + 1)):
        with pytest.raises(ValidationError) as refused:
            list(checked_items(["P0", bad], str, field))
        assert refused.value.field == f"{field}[1]" and refused.value.field_label == label_
    assert list(checked_items(["P0", "P1"], str, field)) == ["P0", "P1"]


def test_an_iterable_is_checked_item_by_item_as_it_is_drawn() -> None:
    drawn: list[int] = []

    def departments() -> Any:
        for i in range(3):
            drawn.append(i)
            yield "not a department" if i == 1 else None

    items = checked_items(departments(), HealthDepartment, "departments")
    assert drawn == []  # lazy
    with pytest.raises(ValidationError) as refused:
        list(items)
    assert refused.value.field == "departments[0]" and drawn == [0]
    with pytest.raises(ValidationError):
        list(checked_items(5, HealthDepartment, "departments"))


def test_a_payload_constructed_with_wrong_types_is_refused_at_construction() -> None:
    with pytest.raises(ValidationError) as refused:
        FilingRequest("R1", "I1", None, valid_from=date(2026, 1, 1),  # type: ignore[arg-type]
                      valid_to=date(2026, 2, 1))
    assert refused.value.field == "scopes"
    with pytest.raises(ValidationError) as refused:
        FilingRequest("R1", "I1", ("内科专业",), valid_from=date(2026, 1, 1),
                      valid_to="2026-02-01")  # type: ignore[arg-type]
    assert refused.value.field == "valid_to"


PUBLIC = [(cls, name, member) for cls in (Registry, ActorView, Accounts, AccountSecurity,
                                           AccountRecovery)
          for name, member in vars(cls).items()
          if not name.startswith("_") and inspect.isfunction(member)]


@pytest.mark.parametrize(("cls", "name", "method"), PUBLIC,
                         ids=[f"{c.__name__}.{n}" for c, n, _ in PUBLIC])
def test_every_public_method_checks_its_arguments_and_labels_each(
        cls: type, name: str, method: Any) -> None:
    assert hasattr(method, "__wrapped__"), f"{cls.__name__}.{name} does not check its arguments"
    hints = _resolve(method.__wrapped__)
    parameters = [p for p in inspect.signature(method.__wrapped__).parameters if p != "self"]
    for parameter in parameters:
        assert parameter in hints, f"{name}({parameter}) has no annotation to check against"
        assert CJK.search(label(parameter)), f"{name}({parameter}) has no Chinese label"
    assert all(CJK.search(text) for text in LABELS.values())


# -- the generated field checks ------------------------------------------------------------------

def _samples() -> list[object]:
    """A valid instance of each kind of value whose fields are checked: reference data and
    payloads (their fields: text, numbers, dates, enums, optional values, nested values)."""
    world = World(mdreg.open("memory://"))
    hospital = world.institution("110105")
    physician = world.physician()
    registration = world.registration(physician, hospital)
    qualification = physician.qualifications[0]
    return [physician, qualification, hospital, registration,
            RegistrationRequest(hospital.id, qualification.certificate_no, ("内科专业",),
                                evidence=Evidence(6, True)),
            FilingRequest(registration.id, hospital.id, ("内科专业",), valid_from=date(2026, 1, 1),
                          valid_to=date(2026, 2, 1)),
            Evidence(6, True), Actor.physician(physician.id)]


SAMPLES = _samples()
#: values at the edges of what each simple type accepts
EDGES = ["", " ", "内科专业", "\x00", "\ud800", "A\u2028B", "A" * IDENTIFIER_CHARACTERS,
         "A" * (IDENTIFIER_CHARACTERS + 1), -1, 0, 1, 2**31 - 1, 2**31, True, False, None, 0.0,
         date(1899, 12, 31), date(1900, 1, 1), date(2199, 12, 31), date(2200, 1, 1),
         datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1), b"A1", (), ("内科专业",)]
ANY_VALUE = st.one_of(
    st.sampled_from(EDGES), st.text(max_size=5), st.integers(min_value=-3, max_value=2**32),
    st.floats(), st.dates(min_value=date(1, 1, 1)), st.datetimes(timezones=st.just(UTC)),
    st.sampled_from([*Level, *Category, *ActorKind, *CancellationGround]),
    st.lists(st.text(max_size=3), max_size=3).map(tuple), st.sampled_from(SAMPLES),
)


def _with(sample: object, values: dict[str, object]) -> object:
    """``sample`` with some fields set to ``values``, past the class's own checks."""
    value = object.__new__(type(sample))
    for field in attrs.fields(type(sample)):
        object.__setattr__(value, field.name, values.get(field.name, getattr(sample, field.name)))
    return value


def _outcome(check_all: Callable[[], None]) -> tuple[str, str] | None:
    try:
        check_all()
    except ValidationError as refused:
        return refused.field, refused.message
    return None


def _field_by_field(value: object) -> None:
    hints = typing.get_type_hints(type(value))
    for field in attrs.fields(type(value)):
        check(getattr(value, field.name), hints[field.name], field.name)


def test_the_generated_field_checks_answer_as_checking_field_by_field_at_every_edge() -> None:
    """Every field of every sample, set to each value at the edge of a simple type."""
    compared = 0
    for sample in SAMPLES:
        assert _outcome(lambda s=sample: check_fields(s)) is None
        for field in attrs.fields(type(sample)):
            for edge in EDGES:
                value = _with(sample, {field.name: edge})
                assert _outcome(lambda v=value: check_fields(v)) == _outcome(
                    lambda v=value: _field_by_field(v)), (type(sample).__name__, field.name, edge)
                compared += 1
    assert compared > 1000


@given(st.sampled_from(SAMPLES), st.data())
def test_the_generated_field_checks_answer_as_checking_field_by_field(
        sample: object, data: st.DataObject) -> None:
    """``check_fields`` (one generated function per class, common cases inline) refuses the
    same first field with the same message as checking each field against its annotation in
    order, and accepts what that accepts."""
    names = [field.name for field in attrs.fields(type(sample))]
    spoiled = data.draw(st.sets(st.sampled_from(names), max_size=2), label="spoiled")
    value = _with(sample, {name: data.draw(ANY_VALUE, label=name) for name in sorted(spoiled)})
    assert _outcome(lambda: check_fields(value)) == _outcome(lambda: _field_by_field(value))
