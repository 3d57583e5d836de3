"""The application form of each business type, built from its payload class.

A payload is an attrs class (``mdreg.RegistrationRequest`` …); each field becomes one input by
its type — text, a date, a checkbox, a choice among an enum's labels, or a choice among the
physician's own qualifications, registrations, filings and multi-site records, or the portal's
institutions. Nested evidence records keep their defaults (the department checks them on paper).
The same parser reads the pages' forms and the JSON API's bodies.
"""

from __future__ import annotations

import enum
import re
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import attrs

import mdreg
from mdreg import BusinessType, ValidationError
from mdreg.workflows import declaration_for

LABELS = {
    "institution_id": "执业机构", "qualification_no": "资格证书编码", "scopes": "执业范围",
    "category": "执业类别", "re_registration": "重新注册", "county_approved": "县级卫生健康部门已同意",
    "registration_id": "注册信息", "proof_document": "军队变更证明文件编号",
    "military_registered_on": "军队注册日期", "military_practice_ended_on": "军队执业终止日期",
    "military_unit": "接收单位", "ground": "注销情形", "ground_known_on": "情形发生日期",
    "details": "情况说明", "valid_from": "备案开始日期", "valid_to": "备案结束日期",
    "filing_id": "备案信息", "legacy_id": "多地点执业信息",
}

#: The seed's description of each business type (业务说明).
DESCRIPTIONS = {
    "registration": "凡取得国内医师资格的，均可申请医师执业注册。执业医师的执业地点为执业机构所在的"
                    "省级行政区划，执业助理医师为县级行政区划。一个执业地点下，有并且只有一个主要执业机构。",
    "upgrade": "在医师类别相同并且主要执业机构不变的情况下，由助理注册升级为执业医师注册。",
    "military_in": "军队的医师要变更到本卫生健康委下的医疗机构执业。",
    "military_out": "地方注册的医师变更到军队；完成后，地方的注册信息全部失效。",
    "change": "执业地点、执业范围、执业类别变更，并可变更主要执业机构。",
    "cancellation": "死亡或被宣告失踪、受刑事处罚、本人主动申请等情形，申请注销注册。",
    "filing": "在主要执业机构之外的其他机构执业，向批准该机构执业的卫生健康委申请备案。",
    "filing_cancel": "取消在主要执业机构之外的其他机构的备案。",
    "multisite_cancel": "按原多地点执业政策办理的多地点注册信息，可以查询和取消，不可新增。",
}

SKIPPED = ("evidence", "scope_evidence")


@dataclass(frozen=True)
class Field:
    """One input of a form: ``widget`` is text, date, checkbox, select or list."""

    name: str
    label: str
    widget: str
    required: bool
    choices: tuple[tuple[str, str], ...] = ()
    default: str = ""


@dataclass(frozen=True)
class Choices:
    """What the selects offer: the portal's institutions and the physician's own records."""

    institutions: Sequence[tuple[str, str]]
    qualifications: Sequence[tuple[str, str]] = ()
    registrations: Sequence[tuple[str, str]] = ()
    filings: Sequence[tuple[str, str]] = ()
    legacy: Sequence[tuple[str, str]] = ()

    @classmethod
    def of(cls, registry: mdreg.Registry, physician_id: str,
           institutions: Sequence[mdreg.Institution]) -> Choices:
        """The choices of physician ``physician_id`` (read by the caller's scoped view)."""
        names = {i.id: i.name for i in institutions}
        me = registry.view(mdreg.Actor.physician(physician_id))
        physician = me.physician(physician_id)
        quals = tuple((q.certificate_no or q.admission_no,
                       f"{q.certificate_no or q.admission_no}（{q.level.label}·{q.category.label}）")
                      for q in physician.qualifications)
        regs = tuple((r.id, f"{r.id} {names.get(r.primary_institution_id, r.primary_institution_id)}"
                            f"（{r.status.label}）") for r in me.registrations(physician_id))
        filings = tuple((f.id, f"{f.id} {names.get(f.institution_id, f.institution_id)}")
                        for f in registry.filings(physician_id))
        legacy = tuple((s.id, f"{s.id} {names.get(s.institution_id, s.institution_id)}")
                       for s in registry.legacy_sites(physician_id))
        return cls(tuple(names.items()), quals, regs, filings, legacy)


def business_types() -> tuple[BusinessType, ...]:
    return tuple(BusinessType)


def business(value: str) -> BusinessType:
    """The business type whose value is ``value`` (a 404 for the pages when there is none)."""
    try:
        return BusinessType(value)
    except (KeyError, ValueError):
        raise mdreg.NotFoundError("business type", value) from None


def _hints(payload: type) -> dict[str, Any]:
    return typing.get_type_hints(payload)


def _strip_none(hint: Any) -> tuple[Any, bool]:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0], True
    return hint, False


def fields(kind: BusinessType, choices: Choices) -> tuple[Field, ...]:
    """The inputs of ``kind``'s application form."""
    payload = declaration_for(kind).payload
    hints = _hints(payload)
    found = []
    for attribute in attrs.fields(payload):
        name = attribute.name
        if name in SKIPPED:
            continue
        hint, optional = _strip_none(hints[name])
        required = attribute.default is attrs.NOTHING and not optional
        label = LABELS.get(name, name)
        own = {"institution_id": choices.institutions, "qualification_no": choices.qualifications,
               "registration_id": choices.registrations, "filing_id": choices.filings,
               "legacy_id": choices.legacy}
        if name in own:
            found.append(Field(name, label, "select", required, tuple(own[name])))
        elif hint is bool:
            found.append(Field(name, label, "checkbox", False))
        elif hint is date:
            found.append(Field(name, label, "date", required))
        elif isinstance(hint, type) and issubclass(hint, enum.Enum):
            found.append(Field(name, label, "select", required,
                               tuple((m.value, getattr(m, "label", m.value)) for m in hint)))
        elif typing.get_origin(hint) is tuple:
            found.append(Field(name, label, "list", required, default="内科专业"))
        else:
            found.append(Field(name, label, "text", required))
    return tuple(found)


def _one(values: Mapping[str, Any], name: str) -> Any:
    value = values.get(name)
    if isinstance(value, list | tuple) and len(value) == 1:
        return value[0]
    return value


def build(kind: BusinessType, values: Mapping[str, Any]) -> mdreg.domain.application.Payload:
    """The payload of ``kind`` from submitted ``values`` (strings, or lists for a list field).

    Raises:
        ValidationError: a missing or malformed value, named by its field.
    """
    payload = declaration_for(kind).payload
    hints = _hints(payload)
    arguments: dict[str, Any] = {}
    for attribute in attrs.fields(payload):
        name = attribute.name
        if name in SKIPPED:
            continue
        hint, optional = _strip_none(hints[name])
        label = LABELS.get(name, name)
        raw = _one(values, name)
        if hint is bool:
            arguments[name] = raw in (True, "on", "true", "1", 1)
            continue
        if typing.get_origin(hint) is tuple:
            items = raw if isinstance(raw, list | tuple) else re.split(r"[,，、;；\s]+", str(raw or ""))
            parsed: Any = tuple(str(i).strip() for i in items if str(i).strip())
        else:
            parsed = str(raw).strip() if raw is not None else ""
        if parsed in ("", ()):
            if attribute.default is not attrs.NOTHING or optional:
                continue
            raise ValidationError(name, "required", field_label=label)
        try:
            if hint is date:
                parsed = date.fromisoformat(parsed)
            elif isinstance(hint, type) and issubclass(hint, enum.Enum):
                parsed = hint(parsed)
        except ValueError:
            raise ValidationError(name, "not a valid value", field_label=label) from None
        arguments[name] = parsed
    try:
        return payload(**arguments)  # type: ignore[no-any-return]
    except (TypeError, ValueError) as error:
        if isinstance(error, mdreg.MdregError):
            raise
        raise ValidationError("payload", "incomplete form", field_label="申请表") from None
