"""Every argument of a public command is checked against its annotation before any work."""

from __future__ import annotations

import inspect
import re
from datetime import UTC, date, datetime
from typing import Any

import pytest

from mdreg.domain.application import Actor, ActorKind, CancellationGround, FilingRequest
from mdreg.domain.inputs import (
    IDENTIFIER_CHARACTERS,
    ITEMS,
    LABELS,
    _resolve,
    check,
    checked_items,
    label,
)
from mdreg.domain.model import HealthDepartment
from mdreg.errors import ValidationError
from mdreg.service.account_recovery import AccountRecovery
from mdreg.service.account_security import AccountSecurity
from mdreg.service.accounts import Accounts
from mdreg.service.registry import Registry
from mdreg.service.views import ActorView

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
