"""申请审核表 — the printable form of an application, with its materials checklist.

The applicant prints the online application, signs it, has the institution stamp it and brings it
to the department with the paper materials its business type lists (2017 measures Art 12; the
portal's 需带纸质资料). :func:`application_form` renders it from the stored application, now.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from datetime import date

import attrs

from mdreg.domain.application import Application
from mdreg.domain.clock import business_date
from mdreg.domain.inputs import LABELS
from mdreg.infra.documents import Document, Field, Printable, Section
from mdreg.ports import UnitOfWork
from mdreg.service.applications import application
from mdreg.service.notice_documents import Parties
from mdreg.service.pinning import engine
from mdreg.service.services import Services, read
from mdreg.workflows import declaration_for


def application_form(services: Services, application_id: str) -> Printable:
    """The printable form of an application (see the module's docstring).

    Raises:
        ApplicationNotFound: no such application.
    """
    return Printable.of(read(services, lambda uow: form_document(services, uow, application_id)))


def form_document(services: Services, uow: UnitOfWork, application_id: str) -> Document:
    """What the form of an application says."""
    app = application(uow, application_id)
    declaration = declaration_for(app.type)
    parties = Parties.read(uow, app.physician_id, app.institution_id, app.department_id)
    state = engine(uow, app).definition.state(app.state).label
    fields = (Field("申请编号", app.id, "application no."),
              Field("业务类型", app.type.label, "business type"),
              Field("申请状态", state, "state"),
              Field("申请日期", app.application_date.isoformat(), "application date"),
              *parties.fields(),
              Field("审批机关", parties.department_name or app.department_id, "deciding department"))
    sections = [Section("申请事项", "what is applied for", columns=("项目", "内容"),
                        rows=tuple(_payload_rows(app))),
                Section("需带纸质材料", "paper materials to bring",
                        checklist=tuple(_material(m.name, m.english, m.note, str(m.citation or ""))
                                        for m in declaration.materials)),
                Section("办理依据", "legal basis", paragraphs=(
                    declaration.basis, f"确认：{declaration.confirms}",
                    f"审批：{declaration.decides}"))]
    if app.corrections and app.state == "needs_correction":
        sections.insert(1, Section("补正事项", "corrections", items=app.corrections))
    return Document(f"医师执业注册业务申请审核表（{app.type.label}）",
                    f"application and review form: {app.type.value}", app.id, "", fields,
                    tuple(sections), parties.department_name or app.department_id,
                    business_date(services.now()),
                    signatures=("申请人签字", "执业机构意见（盖章）", "卫生健康主管部门审核意见（盖章）"))


def _material(name: str, english: str, note: str, cited: str) -> str:
    extra = "；".join(p for p in (note, cited) if p)
    return f"{name}（{english}）" + (f"　{extra}" if extra else "")


def _payload_rows(app: Application) -> Iterator[tuple[str, str]]:
    payload = app.payload
    for field in attrs.fields(type(payload)):
        value = getattr(payload, field.name)
        if value is None or (value == field.default and not isinstance(value, str | bool)):
            continue
        yield LABELS.get(field.name, field.name), _shown(value)


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, enum.Enum):
        return str(getattr(value, "label", value.value))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return "、".join(_shown(v) for v in value)
    if attrs.has(type(value)):
        names = [f.name for f in attrs.fields(type(value))]  # type: ignore[arg-type]
        return "，".join(f"{LABELS.get(n, n)}：{_shown(getattr(value, n))}" for n in names)
    return str(value)
