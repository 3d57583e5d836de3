"""业务申请 — applications, their payloads, the actors who act on them, and audit events."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from typing import Any, ClassVar

import attrs

from mdreg.domain.model import Category, LabelledEnum
from mdreg.errors import UniquenessConflict, ValidationError


class _BusinessTypes(type):
    """Iterating :class:`BusinessType` gives the nine business types of the personal portal."""

    def __iter__(cls) -> Iterator[BusinessType]:
        return iter(_BUILT_IN)

    def __len__(cls) -> int:
        return len(_BUILT_IN)


class BusinessType(str, metaclass=_BusinessTypes):
    """A business type (个人业务类型): its stored ``value`` and its Chinese ``label``.

    The nine types of the personal portal are class attributes; iterating the class gives those
    nine. A host that declares a business type of its own defines it with :meth:`define` (see
    ``docs/architecture.md``). Each value exists once, so ``is`` compares types.

    >>> BusinessType("registration") is BusinessType.REGISTRATION
    True
    >>> BusinessType.REGISTRATION.label, len(BusinessType)
    ('注册', 9)
    """

    label: str
    _members: ClassVar[dict[str, BusinessType]] = {}

    REGISTRATION: ClassVar[BusinessType]
    UPGRADE: ClassVar[BusinessType]
    MILITARY_IN: ClassVar[BusinessType]
    MILITARY_OUT: ClassVar[BusinessType]
    CHANGE: ClassVar[BusinessType]
    CANCELLATION: ClassVar[BusinessType]
    FILING: ClassVar[BusinessType]
    FILING_CANCEL: ClassVar[BusinessType]
    MULTISITE_CANCEL: ClassVar[BusinessType]

    def __new__(cls, value: str) -> BusinessType:
        known = cls._members.get(value) if isinstance(value, str) else None
        if known is None:
            raise ValueError(f"{value!r} is not a business type")
        return known

    @classmethod
    def define(cls, value: str, label: str) -> BusinessType:
        """The business type ``value`` labelled ``label``, created on first use.

        Raises:
            ValueError: a malformed value, an empty label, or ``value`` defined with another label.
        """
        known = cls._members.get(value)
        if known is not None:
            if known.label != label:
                raise ValueError(f"business type {value!r} is already {known.label!r}")
            return known
        if not re.fullmatch(r"[a-z][a-z0-9_]*", value) or not label.strip():
            raise ValueError(f"bad business type {value!r} / {label!r}")
        member = str.__new__(cls, value)
        member.label = label
        cls._members[value] = member
        return member

    @property
    def value(self) -> str:
        return str.__str__(self)

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"<BusinessType {self.value} {self.label}>"

    def __reduce__(self) -> tuple[type[BusinessType], tuple[str]]:
        return (BusinessType, (self.value,))

    def __copy__(self) -> BusinessType:
        return self

    def __deepcopy__(self, memo: object) -> BusinessType:
        return self


_BUILT_IN: tuple[BusinessType, ...] = tuple(
    BusinessType.define(value, label) for value, label in (
        ("registration", "注册"),
        ("upgrade", "助理医师升执业医师"),
        ("military_in", "军队变更入"),
        ("military_out", "变更到军队"),
        ("change", "变更"),
        ("cancellation", "注销"),
        ("filing", "多执业机构备案"),
        ("filing_cancel", "多执业机构取消备案"),
        ("multisite_cancel", "申请取消“多地点执业”"),
    )
)
(BusinessType.REGISTRATION, BusinessType.UPGRADE, BusinessType.MILITARY_IN,
 BusinessType.MILITARY_OUT, BusinessType.CHANGE, BusinessType.CANCELLATION, BusinessType.FILING,
 BusinessType.FILING_CANCEL, BusinessType.MULTISITE_CANCEL) = _BUILT_IN


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


class CancellationGround(LabelledEnum):
    """注销 grounds (医师执业注册管理办法 Art 18; 医师法 Art 17)."""

    DEATH = ("death", "死亡或者被宣告失踪")
    CRIMINAL_PUNISHMENT = ("criminal_punishment", "受刑事处罚")
    CERTIFICATE_REVOKED = ("certificate_revoked", "受吊销《医师执业证书》行政处罚")
    FAILED_REASSESSMENT = ("failed_reassessment", "定期考核不合格，经培训后再次考核仍不合格")
    MISSED_ASSESSMENTS = ("missed_assessments", "连续两个考核周期未参加医师定期考核")
    SUSPENDED_TWO_YEARS = ("suspended_two_years", "中止医师执业活动满二年")
    HEALTH_UNFIT = ("health_unfit", "身体健康状况不适宜继续执业")
    CERTIFICATE_MISUSE = ("certificate_misuse", "出借、出租、抵押、转让、涂改《医师执业证书》")
    EXAM_CHEATING = ("exam_cheating", "在医师资格考试中参与有组织作弊")
    OWN_REQUEST = ("own_request", "本人主动申请")
    OTHER = ("other", "国家卫生健康委规定的其他情形")


#: Grounds that concern the person, not one registration: they end every registration.
PERSON_WIDE_GROUNDS = frozenset({
    CancellationGround.DEATH,
    CancellationGround.CRIMINAL_PUNISHMENT,
    CancellationGround.CERTIFICATE_REVOKED,
})


#: Grounds the physician or the institution must report within 30 days of knowing them
#: (2017 measures Art 18: 应当自知道或者应当知道之日起30日内报告). A cancellation the physician
#: asks for himself (本人主动申请) is not a reported event: no report period runs for it.
REPORTED_GROUNDS = frozenset(set(CancellationGround) - {CancellationGround.OWN_REQUEST})


class DepartureKind(LabelledEnum):
    """Reasons an institution reports that move a registration to 备案 (2017 Art 19)."""

    TRANSFER = ("transfer", "调离")
    RETIREMENT = ("retirement", "退休")
    RESIGNATION = ("resignation", "退职")
    DISMISSAL = ("dismissal", "辞退、开除")


def _non_empty(field: str, label: str) -> Callable[[object, object, str], None]:
    def check(_: object, __: object, value: str) -> None:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(field, "must not be empty", field_label=label)

    return check


def _tuple(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError("scopes", f"must be a list, not {type(value).__name__}",
                              field_label="执业范围")
    return tuple(value)


def _scopes(_: object, __: object, value: tuple[str, ...]) -> None:
    if not value or not all(isinstance(s, str) and s.strip() for s in value):
        raise ValidationError("scopes", "list at least one practice scope", field_label="执业范围")


@attrs.frozen
class Evidence:
    """Supporting evidence the department checks (2017 Art 12 para 2; 医师法 Art 19)."""

    training_months: int = 0
    assessment_passed: bool = False


@attrs.frozen
class ScopeEvidence:
    """What a scope change inside a category needs (2001 scope rules, part 二)."""

    higher_degree: bool = False
    training_years: int = 0


@attrs.frozen
class RegistrationRequest:
    """注册 payload: the intended primary institution, the qualification, category and scopes."""

    institution_id: str
    qualification_no: str
    scopes: tuple[str, ...] = attrs.field(converter=_tuple, validator=_scopes)
    category: Category | None = None
    re_registration: bool = False
    evidence: Evidence = Evidence()
    county_approved: bool = False


@attrs.frozen
class UpgradeRequest:
    """助理医师升执业医师 payload: the assistant registration and the new 执业医师 qualification."""

    registration_id: str
    qualification_no: str


@attrs.frozen
class MilitaryInRequest:
    """军队变更入 payload: like 注册, plus the military registering organ's proof (S6 Art 9).

    The proof states the military registration: the day it was granted
    (``military_registered_on``) and the day military practice ended or ends on the transfer,
    demobilisation or retirement (``military_practice_ended_on``). ``evidence``: the training
    and assessment a return after two years without practice needs (医师法 Art 19).
    """

    institution_id: str
    qualification_no: str
    scopes: tuple[str, ...] = attrs.field(converter=_tuple, validator=_scopes)
    proof_document: str = ""
    county_approved: bool = False
    military_registered_on: date | None = None
    military_practice_ended_on: date | None = None
    evidence: Evidence = Evidence()


@attrs.frozen
class MilitaryOutRequest:
    """变更到军队 payload: the registration whose department decides, and the receiving unit."""

    registration_id: str
    military_unit: str = attrs.field(validator=_non_empty("military_unit", "接收单位"))


@attrs.frozen
class ChangeRequest:
    """变更 payload: new primary institution (or the same), scopes, and optionally a new category."""

    registration_id: str
    institution_id: str
    scopes: tuple[str, ...] = attrs.field(converter=_tuple, validator=_scopes)
    category: Category | None = None
    qualification_no: str | None = None
    scope_evidence: ScopeEvidence = ScopeEvidence()
    county_approved: bool = False


@attrs.frozen
class CancellationRequest:
    """注销 payload: which registration, on which ground, known since when."""

    registration_id: str
    ground: CancellationGround
    ground_known_on: date
    details: str = ""


def _filing_dates(instance: FilingRequest, _: object, value: date) -> None:
    for name, day, label in (("valid_from", instance.valid_from, "备案起始日期"),
                             ("valid_to", value, "备案结束日期")):
        if not isinstance(day, date) or isinstance(day, datetime):
            raise ValidationError(name, f"must be a date, not {type(day).__name__}",
                                  field_label=label)
    if value < instance.valid_from:
        raise ValidationError("valid_to", "the end date is before the start date",
                              field_label="备案结束日期")


@attrs.frozen
class FilingRequest:
    """多执业机构备案 payload: the registration, the other institution, scopes and validity."""

    registration_id: str
    institution_id: str
    scopes: tuple[str, ...] = attrs.field(converter=_tuple, validator=_scopes)
    valid_from: date = attrs.field(kw_only=True)
    valid_to: date = attrs.field(kw_only=True, validator=_filing_dates)


@attrs.frozen
class FilingCancelRequest:
    """多执业机构取消备案 payload."""

    filing_id: str


@attrs.frozen
class MultisiteCancelRequest:
    """申请取消“多地点执业” payload."""

    legacy_id: str


Payload = (
    RegistrationRequest
    | UpgradeRequest
    | MilitaryInRequest
    | MilitaryOutRequest
    | ChangeRequest
    | CancellationRequest
    | FilingRequest
    | FilingCancelRequest
    | MultisiteCancelRequest
)

#: Payload classes by their class name, the ``kind`` tag a stored payload carries. The nine
#: built-in ones are here; a declared business type adds its own (:func:`register_payload`).
PAYLOAD_CLASSES: dict[str, type[Any]] = {
    cls.__name__: cls for cls in (
        RegistrationRequest, UpgradeRequest, MilitaryInRequest, MilitaryOutRequest, ChangeRequest,
        CancellationRequest, FilingRequest, FilingCancelRequest, MultisiteCancelRequest)
}


_BUILT_IN_PAYLOADS = frozenset(PAYLOAD_CLASSES.values())


def register_payload(cls: type[Any]) -> None:
    """Make ``cls`` storable as an application payload (tagged with its class name).

    Raises:
        ValueError: another class of that name is registered, or ``cls`` is not an attrs class.
    """
    known = PAYLOAD_CLASSES.get(cls.__name__)
    if known is not None and known is not cls:
        raise ValueError(f"another payload class is called {cls.__name__}")
    if not attrs.has(cls):
        raise ValueError(f"{cls.__name__} is not an attrs class")
    PAYLOAD_CLASSES[cls.__name__] = cls


def unregister_payload(cls: type[Any]) -> None:
    """Undo :func:`register_payload` (the nine built-in payloads stay)."""
    if PAYLOAD_CLASSES.get(cls.__name__) is cls and cls not in _BUILT_IN_PAYLOADS:
        del PAYLOAD_CLASSES[cls.__name__]


#: The application lifecycle's state ids (see :mod:`mdreg.workflows.lifecycle` for the machine).
DRAFT = "draft"
PENDING_INSTITUTION = "pending_institution"
PENDING_ACCEPTANCE = "pending_acceptance"
UNDER_REVIEW = "under_review"
RETURNED = "returned"
NEEDS_CORRECTION = "needs_correction"
APPROVED = "approved"
REJECTED = "rejected"
NOT_ACCEPTED = "not_accepted"
WITHDRAWN = "withdrawn"
#: The open states of the common lifecycle (:func:`mdreg.workflows.lifecycle.application_lifecycle`).
OPEN_STATES = frozenset(
    {DRAFT, PENDING_INSTITUTION, PENDING_ACCEPTANCE, UNDER_REVIEW, RETURNED, NEEDS_CORRECTION}
)
#: The outcomes that close an application — every final state of every state machine is one of
#: them. Any other state is open, a state a later machine adds included: one open application
#: per physician, type and target (a unique index on SQL backends).
CLOSED_STATES = frozenset({APPROVED, REJECTED, NOT_ACCEPTED, WITHDRAWN})


def is_open(state: str) -> bool:
    """Whether an application in ``state`` is still open (not one of :data:`CLOSED_STATES`)."""
    return state not in CLOSED_STATES


def require_one_open(applications: Iterable[Application]) -> None:
    """At most one open application per physician, business type and target:
    the invariant every backend checks when an application is added and again at commit.

    Raises:
        UniquenessConflict: constraint ``open_application``.
    """
    keys = [(a.physician_id, a.type, a.target) for a in applications if is_open(a.state)]
    if len(set(keys)) != len(keys):
        raise UniquenessConflict(
            "open_application", "an open application of this type and target already exists")


@attrs.frozen
class ScopeApproval:
    """县级卫生健康主管部门考核批准: the county department's approval of up to three scopes of one
    category for a clinical physician at a county-level institution (关于医师执业注册中执业范围的
    暂行规定 二), recorded on the application by that department."""

    department_id: str
    division: str
    on: date


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
    scope_approval: ScopeApproval | None = None
    #: the policy revision in force when it was created (see :mod:`mdreg.service.records`)
    policy_revision: str = ""
    #: the revision of its business type's state machine when it was created
    definition_revision: str = ""
    #: the officer who claimed it or was assigned it on a work list (经办人)
    assignee: str = ""


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
