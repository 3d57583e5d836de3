"""Loading values mdreg stored (``load_stored``): the loader's shortcuts for ``X | None`` and
``tuple[X, ...]`` build what the checking converter builds, and data that no longer fits falls
back to it (converted, or refused with every problem listed)."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

import attrs
import pytest

from mdreg.domain.application import (
    Actor,
    Application,
    BusinessType,
    Evidence,
    Payload,
    RegistrationRequest,
    ScopeApproval,
)
from mdreg.domain.identifiers import ResidentId
from mdreg.domain.model import (
    Category,
    HealthDepartment,
    LabelledEnum,
    Level,
    Physician,
    Qualification,
)
from mdreg.errors import SerializationError
from mdreg.infra.serialization import (
    load_stored,
    make_converter,
    make_loader,
    structure,
    unstructure,
)

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _application(**changes: Any) -> Application:
    values: dict[str, Any] = {
        "id": "A1", "type": BusinessType.REGISTRATION, "physician_id": "P1",
        "applicant": Actor.institution("I1", "人事科"),
        "payload": RegistrationRequest("I1", "Q1", ("内科专业", "外科专业"),
                                       evidence=Evidence(6, True)),
        "institution_id": "I1", "department_id": "D1", "target": "110105",
        "state": "under_review", "version": 3, "created_at": AT, "updated_at": AT,
        "application_date": date(2026, 3, 2)}
    values.update(changes)
    return Application(**values)


@pytest.mark.parametrize("app", [
    _application(),
    _application(submitted_at=AT, corrections=("补交学历证明", "补交照片"), batch_id="B1",
                 scope_approval=ScopeApproval("D9", "110105", date(2026, 3, 1))),
], ids=["optional fields empty", "optional fields set"])
def test_an_application_loads_as_the_checking_converter_builds_it(app: Application) -> None:
    data = unstructure(app)
    assert load_stored(data, Application) == structure(data, Application) == app


def test_a_tuple_of_classes_loads_each_element() -> None:
    physician = Physician("P1", "张三", ResidentId.parse("11010519491231002X"), (
        Qualification("Q1", Level.PHYSICIAN, Category.CLINICAL, date(2016, 9, 1)),
        Qualification("", Level.ASSISTANT, Category.CLINICAL, date(2026, 9, 1),
                      admission_no="110126010203")))
    data = make_converter().unstructure(physician)
    loaded = load_stored(data, Physician)
    assert loaded == physician
    assert [type(q) for q in loaded.qualifications] == [Qualification, Qualification]


def test_a_stored_list_item_that_is_not_text_is_converted_by_the_checking_converter() -> None:
    data = unstructure(_application())
    data["corrections"] = [7, "补交照片"]
    assert load_stored(data, Application).corrections == ("7", "补交照片")


def test_a_stored_value_that_no_longer_fits_is_refused_naming_each_field() -> None:
    data = unstructure(_application())
    data["scope_approval"] = {"department_id": "D9"}
    data["applicant"]["kind"] = "alien"
    with pytest.raises(SerializationError) as caught:
        load_stored(data, Application)
    assert caught.value.messages == (
        "invalid value for type, expected ActorKind @ $.applicant.kind",
        "required field missing @ $.scope_approval.division",
        "required field missing @ $.scope_approval.on")


def test_an_identifier_s_own_message_keeps_its_wording_with_the_path() -> None:
    data = make_converter().unstructure(Physician("P1", "张三", ResidentId.parse("11010519491231002X")))
    data["id_number"] = "123"
    with pytest.raises(SerializationError) as caught:
        structure(data, Physician)
    (message,) = caught.value.messages
    assert message.startswith("id_number: ") and message.endswith(" @ $.id_number")
    assert "123" not in message


def test_equal_stored_division_codes_load_as_one_value_and_a_bad_one_is_still_refused() -> None:
    one = load_stored({"id": "D1", "name": "东城区卫生健康委", "division": "110101"}, HealthDepartment)
    two = load_stored({"id": "D2", "name": "东城区卫生健康委", "division": "110101"}, HealthDepartment)
    assert one.division is two.division and one.division.code == "110101"
    with pytest.raises(SerializationError) as caught:
        load_stored({"id": "D3", "name": "x", "division": "11"}, HealthDepartment)
    assert caught.value.messages == ("division_code: must be 6 digits @ $.division",)


@pytest.mark.parametrize("value", ["retired", 7, None, ["physician"]])
def test_a_stored_enum_value_that_is_no_member_is_refused_naming_the_field(value: object) -> None:
    data = make_converter().unstructure(Physician("P1", "张三", ResidentId.parse("11010519491231002X"), (
        Qualification("Q1", Level.PHYSICIAN, Category.CLINICAL, date(2016, 9, 1)),)))
    assert load_stored(data, Physician).qualifications[0].level is Level.PHYSICIAN
    data["qualifications"][0]["level"] = value
    with pytest.raises(SerializationError) as caught:
        load_stored(data, Physician)
    assert [m.rsplit(" @ ", 1)[1] for m in caught.value.messages] == ["$.qualifications[0].level"]


def test_a_payload_kind_declared_again_loads_as_its_newest_class() -> None:
    from mdreg.domain.application import PAYLOAD_CLASSES

    data = unstructure(_application())
    assert type(load_stored(data, Application).payload) is RegistrationRequest

    @attrs.frozen
    class RegistrationRequest2:
        institution_id: str
        qualification_no: str
        scopes: tuple[str, ...]
        category: Category | None = None
        re_registration: bool = False
        evidence: Evidence | None = None
        county_approved: bool = False

    saved = PAYLOAD_CLASSES["RegistrationRequest"]
    PAYLOAD_CLASSES["RegistrationRequest"] = RegistrationRequest2
    try:
        loaded = load_stored(data["payload"], Payload)  # type: ignore[type-abstract]
    finally:
        PAYLOAD_CLASSES["RegistrationRequest"] = saved
    assert type(loaded) is RegistrationRequest2
    assert loaded.scopes == ("内科专业", "外科专业")
    assert type(load_stored(data["payload"], Payload)) is RegistrationRequest  # type: ignore[type-abstract]


def _enums(base: type[enum.Enum]) -> list[type[enum.Enum]]:
    found = []
    for sub in base.__subclasses__():
        found += [sub, *_enums(sub)]
    return found


@pytest.mark.parametrize("cls", [c for c in _enums(LabelledEnum) if list(c)],
                         ids=lambda c: c.__name__)
def test_a_string_enum_loads_by_looking_its_member_up_not_by_the_str_hook(
        cls: type[enum.Enum]) -> None:
    # cattrs handles ``str`` subclasses by calling the class; the loader's member lookup must
    # come first for string enums (the more specific class wins)
    loader = make_loader()
    assert loader.get_structure_hook(cls) is not loader.get_structure_hook(str)
    for member in cls:
        assert loader.structure(member.value, cls) is member
