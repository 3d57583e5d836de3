"""错误 — the mdreg error hierarchy.

Every error mdreg raises derives from :class:`MdregError`. Each class carries a Chinese
``label`` (what a portal shows its users) and structured attributes; ``str(exc)`` is an
English sentence for developers and logs. Personal data never appears in either: callers pass
masked values (see :mod:`mdreg.domain.identifiers`).

>>> from mdreg.errors import TransitionNotAllowed, MdregError
>>> err = TransitionNotAllowed("registration", "approved", "approve")
>>> isinstance(err, MdregError), err.label
(True, '当前状态不允许此操作')
>>> str(err)
"event 'approve' is not allowed in state 'approved' of workflow 'registration'"
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from datetime import datetime

    from mdreg.domain.law import Violation


class MdregError(Exception):
    """Root of every error mdreg raises; never raised directly."""

    label: ClassVar[str] = "系统错误"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def describe(self) -> str:
        """Chinese label and English message in one line, for users and logs alike."""
        return f"{self.label}: {self.message}"


class DefinitionError(MdregError, TypeError):
    """A workflow, rule or policy definition is malformed; raised when it is built."""

    label = "定义错误"


class WorkflowDefinitionError(DefinitionError):
    """A workflow definition breaks a structural check (reachability, labels, final states)."""

    label = "业务流程定义错误"


class RuleDefinitionError(DefinitionError):
    """A rule or policy definition is malformed (duplicate id, missing label or citation)."""

    label = "规则定义错误"


class ValidationError(MdregError, ValueError):
    """An input value is malformed: an ID number, a division code, a phone number, a field."""

    label = "输入不合法"

    def __init__(self, field: str, message: str, *, field_label: str = "") -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.field_label = field_label or field

    def describe(self) -> str:
        return f"{self.field_label}{self.label}: {self.message}"


class TransitionNotAllowed(MdregError):
    """The event is not allowed from the application's current state."""

    label = "当前状态不允许此操作"

    def __init__(self, workflow: str, state: str, event: str) -> None:
        super().__init__(
            f"event {event!r} is not allowed in state {state!r} of workflow {workflow!r}"
        )
        self.workflow = workflow
        self.state = state
        self.event = event


class CorrectionAlreadyRequested(TransitionNotAllowed):
    """The department already asked for corrections once in this submission: the law requires
    telling everything missing at once (行政许可法 Art 32(4): 一次告知申请人需要补正的全部内容),
    so a second request after the applicant supplemented is refused (R-DL-4). A new request is
    possible after the application was returned and submitted again."""

    label = "已一次性告知补正内容，不得再次要求补正"

    def __init__(self, workflow: str, application_id: str) -> None:
        super().__init__(workflow, "pending_acceptance", "request_correction")
        self.args = (f"application {application_id}: corrections were already requested once "
                     "for this submission; tell everything at once (R-DL-4)",)
        self.application_id = application_id


class IneligibleError(MdregError):
    """Eligibility rules failed; ``violations`` lists every failed rule, not only the first."""

    label = "不符合办理条件"

    def __init__(self, subject: str, event: str, violations: Sequence[Violation]) -> None:
        ids = ", ".join(v.rule_id for v in violations)
        super().__init__(f"{event!r} on {subject} refused by {len(violations)} rule(s): {ids}")
        self.subject = subject
        self.event = event
        self.violations = tuple(violations)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """The ids of every failed rule, in evaluation order."""
        return tuple(v.rule_id for v in self.violations)


class PermissionDenied(MdregError):
    """The actor may not perform this command on this object."""

    label = "无权办理"

    def __init__(self, actor: str, action: str, reason: str) -> None:
        super().__init__(f"{actor} may not {action}: {reason}")
        self.actor = actor
        self.action = action
        self.reason = reason


class OfflineOnlyBusiness(MdregError):
    """The business must be handled at the health department's counter, not online."""

    label = "该业务需到卫生健康行政部门现场办理"

    def __init__(self, business: str, business_label: str) -> None:
        super().__init__(
            f"{business!r} ({business_label}) cannot be submitted online; it is handled "
            "directly by the health department or the body it designates"
        )
        self.business = business
        self.business_label = business_label


class NotFoundError(MdregError, LookupError):
    """A referenced object does not exist."""

    label = "对象不存在"

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"no {kind} with key {key}")
        self.kind = kind
        self.key = key


class ApplicationNotFound(NotFoundError):
    """No application with this id."""

    label = "业务申请不存在"

    def __init__(self, application_id: str) -> None:
        super().__init__("application", application_id)
        self.application_id = application_id


class ConflictError(MdregError):
    """The command conflicts with the stored state."""

    label = "数据冲突"


class ConcurrencyConflict(ConflictError):
    """The stored version differs from the expected one: someone else changed it first."""

    label = "数据已被他人修改，请刷新后重试"

    def __init__(self, kind: str, key: str, expected: int, actual: int) -> None:
        super().__init__(f"{kind} {key}: expected version {expected}, found {actual}")
        self.kind = kind
        self.key = key
        self.expected = expected
        self.actual = actual


class UniquenessConflict(ConflictError):
    """An invariant spanning several rows would break (a second valid registration, …)."""

    label = "违反唯一性约束"

    def __init__(self, constraint: str, message: str) -> None:
        super().__init__(f"{constraint}: {message}")
        self.constraint = constraint


class IdempotencyConflict(ConflictError):
    """An idempotency key was reused for a different command."""

    label = "幂等键已用于其他请求"


class PersistenceError(MdregError):
    """The store failed; the driver's error is attached as ``__cause__``."""

    label = "数据存储错误"


class CalendarDataMissing(MdregError):
    """The working-day calendar has no data for a year and no fallback was configured."""

    label = "缺少工作日历数据"

    def __init__(self, year: int, hint: str = "") -> None:
        super().__init__(
            f"no working-day data for {year}; add the State Council holiday notice for {year} "
            "to the calendar override table"
            + (f" ({hint})" if hint else "")
        )
        self.year = year


class SerializationError(MdregError, ValueError):
    """Data could not be structured into mdreg's types; ``messages`` lists every problem."""

    label = "数据格式错误"

    def __init__(self, messages: Iterable[str]) -> None:
        self.messages = tuple(messages)
        super().__init__("; ".join(self.messages))


class AccountNotActive(IneligibleError):
    """The physician has no ACTIVE personal-portal account (R-ACC-2); activate it first.

    Raised by the portal's views, and for an application refused by the account rule
    (``account.active``): then ``violations`` lists every failed rule, that one included.
    """

    label = "账户未激活"

    def __init__(self, physician_id: str, state: str, violations: Sequence[Violation] = (), *,
                 subject: str = "", event: str = "") -> None:
        MdregError.__init__(
            self,
            f"physician {physician_id} cannot use the portal: account state is {state or 'none'}"
        )
        self.subject = subject or f"physician {physician_id}"
        self.event = event
        self.violations = tuple(violations)
        self.physician_id = physician_id
        self.state = state


class IdentityMismatch(MdregError):
    """Sign-up: the real name and ID number match no qualification or practice record (R-ACC-1)."""

    label = "姓名与身份证号未匹配到资格或执业信息"

    def __init__(self) -> None:
        super().__init__("the name and ID number match no qualification or practice record")


class AuthenticationFailed(MdregError):
    """Wrong login name or password (the two cases are not told apart)."""

    label = "用户名或密码错误"

    def __init__(self, reason: str = "wrong login name or password") -> None:
        super().__init__(reason)


class LoginThrottled(AuthenticationFailed):
    """Too many failed logins for this login name or from this source: every login through it
    is refused, the right password included, until ``retry_after`` (an aware datetime). The
    message names neither the login name nor the source."""

    label = "登录失败次数过多，请稍后再试"

    def __init__(self, retry_after: datetime) -> None:
        super().__init__(f"too many failed logins; try again after {retry_after.isoformat()}")
        self.retry_after = retry_after


class WeakPassword(ValidationError):
    """The new password is too short or among the most common passwords."""

    label = "强度不足"

    def __init__(self, message: str) -> None:
        super().__init__("password", message, field_label="密码")


class CodeRejected(MdregError):
    """A one-time code was not accepted; the subclass says why. The code is never quoted."""

    label = "验证码无效"

    def __init__(self, purpose: str, message: str) -> None:
        super().__init__(f"{purpose} code rejected: {message}")
        self.purpose = purpose


class NoActiveCode(CodeRejected):
    """No code of this purpose is outstanding for the account (none sent, or already spent)."""

    label = "请先获取验证码"

    def __init__(self, purpose: str) -> None:
        super().__init__(purpose, "no code is outstanding; request a new one")


class CodeMismatch(CodeRejected):
    """The code is wrong; ``attempts_left`` more tries are allowed on this code."""

    label = "验证码错误"

    def __init__(self, purpose: str, attempts_left: int) -> None:
        super().__init__(purpose, f"wrong code, {attempts_left} attempt(s) left")
        self.attempts_left = attempts_left


class CodeExpired(CodeRejected):
    """The code's lifetime (at most 10 minutes) is over."""

    label = "验证码已过期"

    def __init__(self, purpose: str) -> None:
        super().__init__(purpose, "the code has expired")


class CodeAlreadyUsed(CodeRejected):
    """The code was redeemed before; every code is single use."""

    label = "验证码已使用"

    def __init__(self, purpose: str) -> None:
        super().__init__(purpose, "the code was already used")


class CodeExhausted(CodeRejected):
    """Too many wrong attempts: the code is invalid even if the right one is entered now."""

    label = "错误次数过多，验证码已失效"

    def __init__(self, purpose: str) -> None:
        super().__init__(purpose, "too many wrong attempts; the code is invalid")


class RecoveryCodeRejected(CodeRejected):
    """A password-recovery code was not accepted. One answer for every reason — wrong (the
    attempt is counted), expired, used, exhausted, none sent, or no such login name — so the
    step that takes the code does not tell whether a login name exists, as the step that sends
    it does not."""

    label = "验证码错误或已失效"

    def __init__(self) -> None:
        super().__init__("recovery", "the code is wrong, expired or used, or none was sent; "
                                     "request a new one if it keeps failing")


class QuotaExceeded(MdregError):
    """Too many codes were sent to one phone or e-mail address in the window."""

    label = "发送过于频繁，请稍后再试"

    def __init__(self, channel: str, limit: int, window: str) -> None:
        super().__init__(f"{channel} send quota of {limit} per {window} reached")
        self.channel = channel
        self.limit = limit
        self.window = window


class LimitExceeded(MdregError):
    """A configured cap would be passed: an application's audit trail or the
    deadlines opened for one subject; see :class:`mdreg.Limits`. Nothing of the command is kept."""

    label = "超出系统上限"

    def __init__(self, what: str, subject: str, limit: int) -> None:
        super().__init__(f"{what} of {subject} would pass the limit of {limit}")
        self.what = what
        self.subject = subject
        self.limit = limit


class InsecureConfiguration(DefinitionError):
    """A security setting is outside the allowed range (code lifetime, attempts, hash cost)."""

    label = "安全配置不合规"


class PhotoRejected(ValidationError):
    """An uploaded photo is not a JPEG or PNG, or is too small or too large."""

    label = "不符合要求"

    def __init__(self, message: str) -> None:
        super().__init__("photo", message, field_label="照片")


class ActivationRefused(MdregError):
    """This activation path does not apply to the account (R-ACC-3, R-ACC-4)."""

    label = "不符合该激活方式的条件"

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"activation by {path} refused: {reason}")
        self.path = path
        self.reason = reason


class MigrationRefused(MdregError):
    """A migration plan cannot be applied: in-flight applications are in states the target
    state machine has no place for, and no mapping names one."""

    label = "流程迁移被拒绝"

    def __init__(self, plan_id: str, unmapped: dict[str, str]) -> None:
        states = ", ".join(f"{state} ({count})" for state, count in sorted(
            Counter(unmapped.values()).items()))
        super().__init__(f"migration {plan_id}: {len(unmapped)} application(s) in states the "
                         f"target does not have and no mapping names: {states}")
        self.plan_id = plan_id
        self.unmapped = unmapped


class AlreadyClaimed(ConflictError):
    """An application on a work list is held by another officer."""

    label = "该申请已由其他经办人认领"

    def __init__(self, application_id: str, officer: str) -> None:
        super().__init__(f"application {application_id} is claimed by {officer}")
        self.application_id = application_id
        self.officer = officer


class LeaseLost(ConflictError):
    """A dispatcher reported on an outbox message it no longer holds: its lease ran out and
    another dispatcher claimed the message, or the message was parked or delivered meanwhile."""

    label = "消息租约已失效"

    def __init__(self, message_id: str, owner: str) -> None:
        super().__init__(f"outbox message {message_id} is not leased to {owner}")
        self.message_id = message_id
        self.owner = owner


class DeliveryFailed(MdregError):
    """A sender could not deliver an outbox message. The reason is short and holds no personal
    data (no address, phone number or body): it is stored with the message as its last error."""

    label = "消息发送失败"

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        #: no retry can succeed (a refused address, a malformed message): park at once
        self.permanent = permanent
