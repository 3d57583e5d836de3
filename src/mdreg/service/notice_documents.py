"""What each notice says: the :class:`~mdreg.infra.documents.Document` of a decision step.

The wording follows the 行政许可法: a receipt of acceptance (Art 32 para 1 (5)), one notice of
every correction needed (Art 32 para 1 (4)), a written refusal with its reasons and the remedies
(Art 38 para 2). Personal data is masked except the physician's name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime

import attrs

from mdreg.domain.account import ChangeKind, PersonalChange
from mdreg.domain.application import Actor, ActorKind, Application
from mdreg.domain.clock import business_date
from mdreg.domain.deadlines import DeadlineKind
from mdreg.domain.model import HealthDepartment, Institution, Physician
from mdreg.domain.notices import NoticeKind
from mdreg.domain.remedies import Refusal
from mdreg.infra.documents import Document, Field, Section
from mdreg.ports import UnitOfWork
from mdreg.service.services import Services
from mdreg.workflows import declaration_for

LICENSING_LAW = "《中华人民共和国行政许可法》"


@attrs.frozen
class Parties:
    """Who a notice names: the physician (name shown, numbers masked), the institution and the
    deciding department (``None``: not found)."""

    physician_id: str
    physician: Physician | None
    institution: Institution | None
    department: HealthDepartment | None
    phone: str = ""

    @classmethod
    def read(cls, uow: UnitOfWork, physician_id: str, institution_id: str,
             department_id: str) -> Parties:
        account = uow.accounts.for_physician(physician_id)
        phone = account.phone.masked if account is not None and account.phone else ""
        return cls(physician_id, uow.physicians.get(physician_id),
                   uow.institutions.get(institution_id),
                   uow.departments.get(department_id) if department_id else None, phone)

    @property
    def name(self) -> str:
        return self.physician.name if self.physician else self.physician_id

    @property
    def institution_name(self) -> str:
        return self.institution.name if self.institution else ""

    @property
    def department_name(self) -> str:
        return self.department.name if self.department else ""

    def fields(self) -> tuple[Field, ...]:
        """The physician's and the institution's lines."""
        found = [Field("姓名", self.name, "name")]
        if self.physician is not None:
            found.append(Field("身份证件号码", self.physician.id_number.masked, "ID number"))
        if self.phone:
            found.append(Field("手机号码", self.phone, "mobile phone"))
        if self.institution is not None:
            found.append(Field("执业机构", self.institution.name, "institution"))
        return tuple(found)

    def copies(self) -> tuple[str, ...]:
        return tuple(n for n in (self.name, self.institution_name) if n)


@attrs.frozen
class Step:
    """The decision step a notice is written for: ``what`` names the application in a
    sentence, ``decision`` is the event's label (准予注册 …)."""

    services: Services
    uow: UnitOfWork
    app: Application
    actor: Actor
    what: str
    decision: str
    refusal: Refusal | None


def for_application(kind: NoticeKind, services: Services, uow: UnitOfWork, app: Application,
                    event: str, actor: Actor, parties: Parties, now: datetime,
                    refusal: Refusal | None) -> Document:
    """The document of ``kind`` that ``event``, fired by ``actor``, issues on ``app``."""
    spec = declaration_for(app.type).definition.event(event)
    decision = spec.label if spec is not None else kind.label
    title = {NoticeKind.APPROVAL: f"{decision}决定书",
             NoticeKind.REFUSAL: f"{decision}决定书"}.get(kind, kind.label)
    submitted = business_date(app.submitted_at or app.created_at)
    what = f"你于{_day(submitted)}提交的{app.type.label}申请（申请编号{app.id}）"
    fields = (Field("申请编号", app.id, "application no."),
              Field("业务类型", app.type.label, "business type"),
              *parties.fields(),
              Field("申请日期", submitted.isoformat(), "submitted on"))
    sections = _SECTIONS[kind](Step(services, uow, app, actor, what, decision, refusal))
    issuer = (parties.institution_name if kind is NoticeKind.SENT_BACK
              else parties.department_name) or app.department_id
    return Document(title, kind.english if title == kind.label else f"{kind.english}: "
                    f"{app.type.value}", number(app.id, app.version), f"{parties.name}：", fields,
                    sections, issuer, business_date(now), parties.copies())


def for_change(change: PersonalChange, parties: Parties, now: datetime) -> Document:
    """The result of a personal change the institution decided."""
    approved = change.state == "approved"
    result = "审核通过" if approved else "审核不通过"
    changed = _changed(change)
    paragraphs = [f"你于{_day(business_date(change.created_at))}提交的{change.kind.label}申请，"
                  f"经{parties.institution_name or change.institution_id}审核，{result}。"]
    if approved:
        paragraphs.append("变更内容已记入执业注册信息（不改变医师资格信息）。")
    sections = [Section("审核结果", "result", paragraphs=tuple(paragraphs))]
    if changed:
        sections.append(Section("变更内容", "what changed", items=changed))
    if change.reason:
        sections.append(Section("理由", "reason", paragraphs=(change.reason,)))
    fields = (Field("变更编号", change.id, "change no."),
              Field("变更事项", change.kind.label, "change"), *parties.fields(),
              Field("审核结果", result, "result"))
    return Document(NoticeKind.PERSONAL_CHANGE.label, NoticeKind.PERSONAL_CHANGE.english,
                    number(change.id, change.version), f"{parties.name}：", fields, tuple(sections),
                    parties.institution_name or change.institution_id, business_date(now),
                    (parties.name,))


def _changed(change: PersonalChange) -> tuple[str, ...]:
    if change.kind is ChangeKind.INFO:
        names = {"education": "学历", "school": "毕业院校", "title": "任职资格"}
        return tuple(f"{label}：{getattr(change, field)}" for field, label in names.items()
                     if getattr(change, field) is not None)
    if change.kind is ChangeKind.DEPARTMENT:
        return (f"科室：{change.department or ''}",)
    return ("个人相片",) if change.photo is not None else ()


# -- the sections of each kind ------------------------------------------------------------------


def _acceptance(step: Step) -> tuple[Section, ...]:
    if step.actor.kind is ActorKind.SYSTEM:  # deemed accepted: no correction was asked in time
        paragraphs = [f"{step.what}，本机关未在法定期限内一次告知需要补正的全部内容，根据"
                      f"{LICENSING_LAW}第三十二条第一款第（四）项的规定，自收到申请材料之日起"
                      "即为受理。"]
    else:
        paragraphs = [f"{step.what}，申请材料齐全、符合法定形式，根据{LICENSING_LAW}第三十二条"
                      "第一款第（五）项的规定，决定予以受理。"]
    for deadline in step.uow.deadlines.open_for(step.app.id):
        if deadline.kind is DeadlineKind.DECISION:
            paragraphs.append(f"本机关将于{_day(deadline.due)}前作出决定。")
    return (Section("受理决定", "acceptance", paragraphs=tuple(paragraphs)),)


def _correction(step: Step) -> tuple[Section, ...]:
    corrections = step.app.corrections
    return (
        Section("补正事项", "corrections",
                paragraphs=(f"{step.what}，申请材料不齐全或者不符合法定形式。根据{LICENSING_LAW}"
                            "第三十二条第一款第（四）项的规定，现一次告知需要补正的全部内容"
                            f"（共{len(corrections)}项）：",),
                items=corrections),
        Section("办理方式", "what to do",
                paragraphs=("请按上述事项一次性补正全部材料后重新提交。",)),
    )


def _refused(step: Step) -> tuple[Section, ...]:
    sections = [Section("决定", "decision", paragraphs=(
        f"{step.what}，经审查，根据{LICENSING_LAW}第三十八条第二款的规定，"
        f"决定{step.decision}。",))]
    if step.refusal is not None:
        sections.append(Section("理由", "reasons", paragraphs=(step.refusal.reason,)))
        sections.extend(_rules(step.services, step.app, step.refusal))
        sections.append(_remedies(step.refusal))
    return tuple(sections)


def _rules(services: Services, app: Application, refusal: Refusal) -> Iterable[Section]:
    """The rules not met, with what each requires and the law it cites, and the findings."""
    if refusal.rules:
        known = {r.id: r for r in services.policy.all_rules() if r.in_force(app.application_date)}
        rows = []
        for rule_id in refusal.rules:
            rule = known.get(rule_id)
            if rule is None:
                rows.append((rule_id, "", ""))
            else:
                rows.append((f"{rule.ref} {rule_id}".strip(), rule.title,
                             "；".join(str(c) for c in rule.citations)))
        yield Section("不符合的条件", "conditions not met", columns=("规则", "条件", "依据"),
                      rows=tuple(rows))
    if refusal.findings:
        yield Section("审查意见", "findings", items=refusal.findings)


def _remedies(refusal: Refusal) -> Section:
    rows = tuple((f"{r.label}（{r.english}）", r.time_limit, str(r.citation),
                  refusal.last_day(r).isoformat()) for r in refusal.remedies)
    basis = "；".join(str(c) for c in refusal.basis)
    return Section(
        "救济途径", "remedies",
        paragraphs=(f"如不服本决定，可以在下列期限内依法申请行政复议或者提起行政诉讼（{basis}）。",),
        columns=("途径", "期限", "依据", "最后一日"), rows=rows)


def _sent_back(step: Step) -> tuple[Section, ...]:
    who = "执业机构" if step.actor.kind is ActorKind.INSTITUTION else "审批机关"
    return (Section("退回", "sent back", paragraphs=(
        f"{step.what}，已由{who}退回。", "你可以按退回理由修改后重新提交。")),
        Section("退回理由", "reason", paragraphs=(step.app.reason,)))


def _approval(step: Step) -> tuple[Section, ...]:
    basis = declaration_for(step.app.type).basis
    return (Section("决定", "decision", paragraphs=(
        f"{step.what}，经审查，符合法定条件、标准，根据{basis}的规定，决定{step.decision}。",)),)


_SECTIONS: dict[NoticeKind, Callable[[Step], tuple[Section, ...]]] = {
    NoticeKind.ACCEPTANCE: _acceptance,
    NoticeKind.CORRECTION: _correction,
    NoticeKind.NON_ACCEPTANCE: _refused,
    NoticeKind.REFUSAL: _refused,
    NoticeKind.APPROVAL: _approval,
    NoticeKind.SENT_BACK: _sent_back,
    NoticeKind.RETURNED: _sent_back,
}


def number(subject_id: str, version: int) -> str:
    """The id of the notice the step that made ``version`` of a subject issues, which is also
    the document's number: one step, one notice. (Made from the subject rather than drawn from
    the id generator, so that issuing notices leaves a seeded run's other ids as they were.)"""
    return f"N-{subject_id}-{version}"


def _day(day: date) -> str:
    return day.strftime("%Y年%m月%d日")
