"""业务申请 — applications, their payloads, the actors who act on them, and audit events."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import attrs

from mdreg.domain.model import Category, LabelledEnum


class BusinessType(LabelledEnum):
    """The nine business types of the personal portal (个人业务类型)."""

    REGISTRATION = ("registration", "注册")
    UPGRADE = ("upgrade", "助理医师升执业医师")
    MILITARY_IN = ("military_in", "军队变更入")
    MILITARY_OUT = ("military_out", "变更到军队")
    CHANGE = ("change", "变更")
    CANCELLATION = ("cancellation", "注销")
    FILING = ("filing", "多执业机构备案")
    FILING_CANCEL = ("filing_cancel", "多执业机构取消备案")
    MULTISITE_CANCEL = ("multisite_cancel", "申请取消“多地点执业”")


class OfflineBusiness(LabelledEnum):
    """Business handled only at the health department's counter (R-OFF-1)."""

    LEGACY_QUALIFICATION = ("legacy_qualification", "补录老人资格")
    HMT_QUALIFICATION = ("hmt_qualification", "港澳台医师内地资格认定")
    HMT_SHORT_TERM = ("hmt_short_term", "港澳台医师内地短期行医")
    FOREIGN_SHORT_TERM = ("foreign_short_term", "外国医师内地短期行医")


class ActorKind(LabelledEnum):
    """Who acts."""

    PHYSICIAN = ("physician", "医师")
    INSTITUTION = ("institution", "医疗机构")
    AUTHORITY = ("authority", "卫生健康主管部门")
    SYSTEM = ("system", "系统")


@attrs.frozen
class Actor:
    """The party issuing a command.

    ``party_id`` is the physician id, institution id or department id; ``user`` names the
    staff member (for the audit trail).

    >>> Actor.physician("P1")
    Actor(kind=<ActorKind.PHYSICIAN: 'physician'>, party_id='P1', user='')
    """

    kind: ActorKind
    party_id: str
    user: str = ""

    @classmethod
    def physician(cls, physician_id: str) -> Actor:
        return cls(ActorKind.PHYSICIAN, physician_id)

    @classmethod
    def institution(cls, institution_id: str, user: str = "") -> Actor:
        return cls(ActorKind.INSTITUTION, institution_id, user)

    @classmethod
    def authority(cls, department_id: str, user: str = "") -> Actor:
        return cls(ActorKind.AUTHORITY, department_id, user)

    @classmethod
    def system(cls, user: str = "mdreg") -> Actor:
        return cls(ActorKind.SYSTEM, "system", user)

    def __str__(self) -> str:
        suffix = f"/{self.user}" if self.user else ""
        return f"{self.kind.value}:{self.party_id}{suffix}"


@attrs.frozen
class Evidence:
    """Supporting evidence the department checks (2017 Art 12 para 2; 医师法 Art 19)."""

    training_months: int = 0
    assessment_passed: bool = False


@attrs.frozen
class RegistrationRequest:
    """注册 payload: the intended primary institution, the qualification, category and scopes."""

    institution_id: str
    qualification_no: str
    scopes: tuple[str, ...]
    category: Category | None = None
    re_registration: bool = False
    evidence: Evidence = Evidence()


Payload = RegistrationRequest


@attrs.frozen
class Application:
    """An application (业务申请): one business type, one applicant, one state machine.

    ``institution_id`` confirms it and ``department_id`` decides it; both are fixed when the
    application is created so work lists can route it. ``target`` names what it acts on (the
    practice location code for 注册): one open application per physician, type and target.
    ``version`` grows by one per accepted command (optimistic concurrency).
    """

    id: str
    type: BusinessType
    physician_id: str
    applicant: Actor
    payload: Payload
    institution_id: str
    department_id: str
    target: str
    state: str
    version: int
    created_at: datetime
    updated_at: datetime
    application_date: date
    submitted_at: datetime | None = None
    accepted_at: datetime | None = None
    decided_at: datetime | None = None
    reason: str = ""
    corrections: tuple[str, ...] = ()
    batch_id: str | None = None


@attrs.frozen
class AuditEvent:
    """One accepted command on an aggregate, numbered without gaps per aggregate (``seq``)."""

    aggregate_id: str
    seq: int
    event: str
    from_state: str
    to_state: str
    actor: Actor
    at: datetime
    reason: str = ""
    verdict: tuple[str, ...] = ()
    policy: str = ""
    data: dict[str, Any] = attrs.field(factory=dict)
