"""个人端账户 — accounts of the personal portal, one-time codes, outbox messages, personal changes.

Entities are frozen attrs classes like the rest of the registry. Personal data stays masked in
every ``repr``: phones and e-mail addresses show only a few characters, password and code hashes
and message bodies are left out entirely.

>>> Email.parse(" Zhang.San@Example.COM ")
Email('Z***@example.com')
>>> mask_contact("13800138000"), mask_contact("13800138000@qq.com")
('*******8000', '1***@qq.com')
"""

from __future__ import annotations

import re
from datetime import date, datetime

import attrs

from mdreg.domain.identifiers import Phone, mask
from mdreg.domain.model import LabelledEnum
from mdreg.errors import ValidationError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")


def _mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_contact(value: str) -> str:
    """Mask a phone number (last four digits kept) or an e-mail address (first letter kept)."""
    return _mask_email(value) if "@" in value else mask(value)


@attrs.frozen(repr=False)
class Email:
    """安全邮箱: an e-mail address, lower-cased in its domain; masked in ``str`` and ``repr``."""

    address: str

    @classmethod
    def parse(cls, raw: str) -> Email:
        """Validate ``raw`` (one ``@``, a dotted domain, at most 254 characters).

        Raises:
            ValidationError: not an e-mail address. The message never quotes it.
        """
        text = str(raw).strip()
        if len(text) > 254 or not _EMAIL.fullmatch(text):
            raise ValidationError("email", "not an e-mail address", field_label="邮箱")
        local, _, domain = text.partition("@")
        return cls(f"{local}@{domain.lower()}")

    @property
    def masked(self) -> str:
        return _mask_email(self.address)

    def __repr__(self) -> str:
        return f"Email({self.masked!r})"

    def __str__(self) -> str:
        return self.masked


class ActivationPath(LabelledEnum):
    """How an account became active (the four paths of the official FAQ)."""

    INSTITUTION_CODE = ("institution_code", "机构激活码")
    AUTO = ("auto", "机构自动激活")
    QUALIFICATION = ("qualification", "资格证书编码")
    APPROVAL = ("approval", "注册或变更审核通过")
    MIGRATED = ("migrated", "历史账户导入")


class Channel(LabelledEnum):
    """Where a message goes."""

    SMS = ("sms", "短信")
    EMAIL = ("email", "邮件")
    ANNOUNCEMENT = ("announcement", "公告")
    NOTICE = ("notice", "站内通知")


class CodePurpose(LabelledEnum):
    """What a one-time code may be used for; a code of one purpose never serves another."""

    VERIFY_PHONE = ("verify_phone", "手机号验证")
    VERIFY_EMAIL = ("verify_email", "邮箱验证")
    ACTIVATION = ("activation", "账户激活码")
    CHANGE_PHONE = ("change_phone", "更换手机号")
    CHANGE_EMAIL = ("change_email", "更换安全邮箱")
    RECOVERY = ("recovery", "找回密码")


class CodeStatus(LabelledEnum):
    """Life of a one-time code."""

    ACTIVE = ("active", "有效")
    USED = ("used", "已使用")
    EXHAUSTED = ("exhausted", "错误次数过多")
    SUPERSEDED = ("superseded", "已被新验证码替代")


@attrs.frozen(eq=False, repr=False)
class CodeHash:
    """The stored form of a one-time code: ``scheme$salt$digest`` (hex).

    Instances compare by identity only (``eq=False``): compare digests with
    :func:`mdreg.infra.security.verify_code`, which uses :func:`hmac.compare_digest`.
    """

    scheme: str
    salt: str
    digest: str

    @classmethod
    def parse(cls, text: str) -> CodeHash:
        """The inverse of ``str()``."""
        scheme, salt, digest = text.split("$")
        return cls(scheme, salt, digest)

    def __str__(self) -> str:
        return f"{self.scheme}${self.salt}${self.digest}"

    def __repr__(self) -> str:
        return f"CodeHash({self.scheme!r}, <redacted>)"


@attrs.frozen
class Account:
    """个人端账户 of one physician. ``state`` is an id of the account workflow.

    The real name and ID number are not stored here: they matched the :class:`Physician` record
    at sign-up (R-ACC-1), which ``physician_id`` names. ``password_hash`` is an Argon2id string,
    or empty for an imported account that has not set a password yet.
    """

    id: str
    physician_id: str
    login_name: str
    password_hash: str = attrs.field(repr=False)
    phone: Phone | None
    email: Email | None
    state: str
    version: int
    created_at: datetime
    updated_at: datetime
    phone_verified: bool = False
    email_verified: bool = False
    activated_at: datetime | None = None
    activation: ActivationPath | None = None

    @property
    def login_key(self) -> str:
        """The login name as compared for uniqueness (case-folded)."""
        return self.login_name.casefold()

    @classmethod
    def imported(cls, account_id: str, physician_id: str, login_name: str, *, at: datetime,
                 phone: Phone | None = None, email: Email | None = None) -> Account:
        """An active account migrated from an earlier system (reference data, no password yet).

        Its owner sets a password through recovery by a verified phone or e-mail.
        """
        return cls(account_id, physician_id, login_name, "", phone, email, "active", 1, at, at,
                   phone_verified=phone is not None, email_verified=email is not None,
                   activated_at=at, activation=ActivationPath.MIGRATED)


@attrs.frozen
class OneTimeCode:
    """A 6-digit code sent to a phone or e-mail address; only its hash is stored.

    ``destination`` is the phone (11 digits) or address the code was sent to — for a change of
    phone or e-mail it is the *new* contact, which the code proves. ``issued_by`` names the
    institution that generated an activation code.
    """

    id: str
    account_id: str
    purpose: CodePurpose
    channel: Channel
    destination: str = attrs.field(repr=lambda v: repr(mask_contact(v)))
    code_hash: CodeHash = attrs.field(repr=False)
    issued_at: datetime
    expires_at: datetime
    version: int = 1
    attempts: int = 0
    status: CodeStatus = CodeStatus.ACTIVE
    used_at: datetime | None = None
    issued_by: str = ""


@attrs.frozen
class OutboxMessage:
    """A message for the portal to deliver; written in the same unit of work as its cause.

    ``body`` (which may hold a one-time code) is never shown in ``repr`` and is erased once the
    portal reports the message delivered.

    The delivery fields are kept by the outbox (:class:`~mdreg.ports.OutboxRepository`) for
    :class:`~mdreg.service.delivery.Dispatcher`: ``attempts`` counts the claims, a message
    leased to ``lease_owner`` until ``lease_until`` is not claimed by another dispatcher before
    then, one that failed waits until ``next_attempt_at``, one ``parked_at`` a time is no longer
    tried. ``last_error`` is a short reason without personal data.
    """

    id: str
    channel: Channel
    to: str = attrs.field(repr=lambda v: repr(mask_contact(v)))
    template: str
    body: str = attrs.field(repr=False)
    aggregate_id: str
    created_at: datetime
    sent_at: datetime | None = None
    attempts: int = 0
    lease_owner: str | None = None
    lease_until: datetime | None = None
    next_attempt_at: datetime | None = None
    parked_at: datetime | None = None
    last_error: str = ""

    def is_due(self, now: datetime) -> bool:
        """Undelivered, not parked, not waiting for a retry and not leased at ``now``."""
        return (self.sent_at is None and self.parked_at is None
                and (self.next_attempt_at is None or self.next_attempt_at <= now)
                and (self.lease_until is None or self.lease_until <= now))

    def state(self, now: datetime) -> str:
        """``sent``, ``parked``, ``leased`` (a lease running at ``now``) or ``pending``."""
        if self.sent_at is not None:
            return "sent"
        if self.parked_at is not None:
            return "parked"
        if self.lease_until is not None and self.lease_until > now:
            return "leased"
        return "pending"


@attrs.frozen
class OutboxCounts:
    """How many outbox messages are in each delivery state at one time (see
    :meth:`OutboxMessage.state`); ``pending`` includes those waiting for a retry."""

    pending: int = 0
    leased: int = 0
    sent: int = 0
    parked: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.leased + self.sent + self.parked


class ChangeKind(LabelledEnum):
    """Personal changes the practice institution approves."""

    INFO = ("info", "个人信息修改")
    PHOTO = ("photo", "个人相片更新")
    DEPARTMENT = ("department", "科室信息设置")


@attrs.frozen
class PhotoRef:
    """A stored photo: where the bytes are (``key`` in the photo store) and what they are."""

    key: str
    sha256: str
    size: int
    format: str


@attrs.frozen
class PersonalChange:
    """A pending, approved or rejected personal change; ``state`` is a personal-change state id.

    Only the fields of its ``kind`` are set: education/school/title (``None`` = unchanged) for
    个人信息修改, ``photo`` for 个人相片更新, ``department`` for 科室信息设置. ``institution_id``
    is the practice institution that decides it.
    """

    id: str
    physician_id: str
    kind: ChangeKind
    institution_id: str
    state: str
    version: int
    created_at: datetime
    updated_at: datetime
    education: str | None = None
    school: str | None = None
    title: str | None = None
    photo: PhotoRef | None = None
    department: str | None = None
    decided_at: datetime | None = None
    reason: str = ""


@attrs.frozen
class PracticeInfo:
    """The personal details of the practice-registration record (执业注册信息中的个人信息).

    Approved personal changes write here and nowhere else: the qualification record stays as
    the exam granted it (R-INFO-2). ``departments`` pairs an institution id with the 科室 chosen
    there.
    """

    physician_id: str
    education: str = ""
    school: str = ""
    title: str = ""
    photo: PhotoRef | None = None
    departments: tuple[tuple[str, str], ...] = ()
    version: int = 0

    def department_at(self, institution_id: str) -> str:
        """The 科室 chosen at an institution ("" when none)."""
        return next((d for i, d in self.departments if i == institution_id), "")


class AssessmentResult(LabelledEnum):
    """定期考核 results (2007 measures Art 22)."""

    PASSED = ("passed", "合格")
    FAILED = ("failed", "不合格")


@attrs.frozen
class Assessment:
    """A periodic assessment result (定期考核), recorded by the institution or its department."""

    id: str
    physician_id: str
    cycle: str
    result: AssessmentResult
    assessed_on: date
    recorded_by: str
