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

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from mdreg.rules.base import Violation


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
