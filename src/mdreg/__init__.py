"""mdreg — China's physician electronic registration (医师电子化注册) as state machines.

>>> import mdreg
>>> registry = mdreg.open("memory://")
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from mdreg.adapters.sql.keys import KeyProgress, ResealReport
    from mdreg.bootstrap import open
    from mdreg.domain.account import (
        Account,
        ActivationPath,
        Assessment,
        AssessmentResult,
        ChangeKind,
        Channel,
        CodePurpose,
        Email,
        OutboxCounts,
        OutboxMessage,
        PersonalChange,
        PhotoRef,
        PracticeInfo,
    )
    from mdreg.domain.application import (
        Actor,
        Application,
        AuditEvent,
        BusinessType,
        CancellationGround,
        CancellationRequest,
        ChangeRequest,
        DepartureKind,
        Evidence,
        FilingCancelRequest,
        FilingRequest,
        MilitaryInRequest,
        MilitaryOutRequest,
        MultisiteCancelRequest,
        OfflineBusiness,
        RegistrationRequest,
        ScopeEvidence,
        UpgradeRequest,
    )
    from mdreg.domain.clock import FakeClock, SystemClock, business_date
    from mdreg.domain.identifiers import DivisionCode, Phone, ResidentId
    from mdreg.domain.model import (
        Category,
        CivilCapacity,
        HealthDepartment,
        Institution,
        InstitutionKind,
        Level,
        Physician,
        Qualification,
        Record,
        RecordKind,
        Registration,
        RegistrationStatus,
    )
    from mdreg.domain.notices import Notice, NoticeKind
    from mdreg.domain.throttle import LoginThrottle
    from mdreg.errors import (
        AccountNotActive,
        ActivationRefused,
        AlreadyClaimed,
        AuthenticationFailed,
        CodeAlreadyUsed,
        CodeExhausted,
        CodeExpired,
        CodeMismatch,
        CodeRejected,
        ConcurrencyConflict,
        DeliveryFailed,
        IdentityMismatch,
        IneligibleError,
        LeaseLost,
        LimitExceeded,
        LoginThrottled,
        MdregError,
        MigrationRefused,
        NoActiveCode,
        NotFoundError,
        PermissionDenied,
        PhotoRejected,
        QuotaExceeded,
        RecoveryCodeRejected,
        TransitionNotAllowed,
        UniquenessConflict,
        ValidationError,
        WeakPassword,
    )
    from mdreg.infra.documents import Printable
    from mdreg.infra.limits import Limits
    from mdreg.infra.protection import IdProtection
    from mdreg.infra.security import CodePolicy, HashProfile, SecuritySettings
    from mdreg.infra.senders import ConsoleSender, Sender, SmtpSender, WebhookSender
    from mdreg.infra.storage import FileSystemPhotoStore, InMemoryPhotoStore, PhotoLimits, PhotoStore
    from mdreg.service import Registry
    from mdreg.service.accounts import Accounts, CodeTicket, PracticeView, WorkList
    from mdreg.service.delivery import DeliveryReport, Dispatcher
    from mdreg.service.ids import SequentialIds
    from mdreg.service.migrations import MigrationPlan, MigrationReport
    from mdreg.service.replay import ReplayedDecision, ReplayReport
    from mdreg.service.views import ActorView, ApplicationStatus, WorkFilter, WorkItem, WorkPage

#: Where each public name is defined. ``import mdreg`` imports none of them: a name is imported
#: the first time it is used (PEP 562), so importing mdreg — which pytest does in every run where
#: mdreg is installed, for its plugin — stays cheap.
_EXPORTS: dict[str, tuple[str, ...]] = {
    "mdreg.bootstrap": ("open",),
    "mdreg.domain.account": (
        "Account", "ActivationPath", "Assessment", "AssessmentResult", "ChangeKind", "Channel", "CodePurpose",
        "Email", "OutboxCounts", "OutboxMessage", "PersonalChange", "PhotoRef", "PracticeInfo",
    ),
    "mdreg.domain.application": (
        "Actor", "Application", "AuditEvent", "BusinessType", "CancellationGround", "CancellationRequest",
        "ChangeRequest", "DepartureKind", "Evidence", "FilingCancelRequest", "FilingRequest",
        "MilitaryInRequest", "MilitaryOutRequest", "MultisiteCancelRequest", "OfflineBusiness",
        "RegistrationRequest", "ScopeEvidence", "UpgradeRequest",
    ),
    "mdreg.domain.clock": ("FakeClock", "SystemClock", "business_date"),
    "mdreg.domain.identifiers": ("DivisionCode", "Phone", "ResidentId"),
    "mdreg.domain.model": (
        "Category", "CivilCapacity", "HealthDepartment", "Institution", "InstitutionKind", "Level",
        "Physician", "Qualification", "Record", "RecordKind", "Registration", "RegistrationStatus",
    ),
    "mdreg.domain.notices": ("Notice", "NoticeKind"),
    "mdreg.domain.throttle": ("LoginThrottle",),
    "mdreg.errors": (
        "AccountNotActive", "ActivationRefused", "AlreadyClaimed", "AuthenticationFailed",
        "CodeAlreadyUsed", "CodeExhausted", "CodeExpired", "CodeMismatch", "CodeRejected",
        "ConcurrencyConflict", "DeliveryFailed", "IdentityMismatch", "IneligibleError", "LeaseLost",
        "LimitExceeded", "LoginThrottled", "MdregError", "MigrationRefused", "NoActiveCode",
        "NotFoundError", "PermissionDenied",
        "PhotoRejected", "QuotaExceeded", "RecoveryCodeRejected", "TransitionNotAllowed",
        "UniquenessConflict", "ValidationError",
        "WeakPassword",
    ),
    "mdreg.infra.documents": ("Printable",),
    "mdreg.infra.limits": ("Limits",),
    "mdreg.infra.protection": ("IdProtection",),
    "mdreg.adapters.sql.keys": ("KeyProgress", "ResealReport"),
    "mdreg.infra.security": ("CodePolicy", "HashProfile", "SecuritySettings"),
    "mdreg.infra.senders": ("ConsoleSender", "Sender", "SmtpSender", "WebhookSender"),
    "mdreg.infra.storage": ("FileSystemPhotoStore", "InMemoryPhotoStore", "PhotoLimits", "PhotoStore"),
    "mdreg.service": ("Registry",),
    "mdreg.service.accounts": ("Accounts", "CodeTicket", "PracticeView", "WorkList"),
    "mdreg.service.delivery": ("DeliveryReport", "Dispatcher"),
    "mdreg.service.ids": ("SequentialIds",),
    "mdreg.service.migrations": ("MigrationPlan", "MigrationReport"),
    "mdreg.service.views": ("ActorView", "ApplicationStatus", "WorkFilter", "WorkItem", "WorkPage"),
    "mdreg.service.replay": ("ReplayReport", "ReplayedDecision"),
}
_HOME = {name: module for module, names in _EXPORTS.items() for name in names}


__all__ = [
    "Account",
    "AccountNotActive",
    "Accounts",
    "ActivationPath",
    "ActivationRefused",
    "Actor",
    "ActorView",
    "AlreadyClaimed",
    "Application",
    "ApplicationStatus",
    "Assessment",
    "AssessmentResult",
    "AuditEvent",
    "AuthenticationFailed",
    "BusinessType",
    "CancellationGround",
    "CancellationRequest",
    "Category",
    "ChangeKind",
    "ChangeRequest",
    "Channel",
    "CivilCapacity",
    "CodeAlreadyUsed",
    "CodeExhausted",
    "CodeExpired",
    "CodeMismatch",
    "CodePolicy",
    "CodePurpose",
    "CodeRejected",
    "CodeTicket",
    "ConcurrencyConflict",
    "ConsoleSender",
    "DeliveryFailed",
    "DeliveryReport",
    "DepartureKind",
    "Dispatcher",
    "DivisionCode",
    "Email",
    "Evidence",
    "FakeClock",
    "FileSystemPhotoStore",
    "FilingCancelRequest",
    "FilingRequest",
    "HashProfile",
    "HealthDepartment",
    "IdProtection",
    "IdentityMismatch",
    "InMemoryPhotoStore",
    "IneligibleError",
    "Institution",
    "InstitutionKind",
    "KeyProgress",
    "LeaseLost",
    "Level",
    "LimitExceeded",
    "Limits",
    "LoginThrottle",
    "LoginThrottled",
    "MdregError",
    "MigrationPlan",
    "MigrationRefused",
    "MigrationReport",
    "MilitaryInRequest",
    "MilitaryOutRequest",
    "MultisiteCancelRequest",
    "NoActiveCode",
    "NotFoundError",
    "Notice",
    "NoticeKind",
    "OfflineBusiness",
    "OutboxCounts",
    "OutboxMessage",
    "PermissionDenied",
    "PersonalChange",
    "Phone",
    "PhotoLimits",
    "PhotoRef",
    "PhotoRejected",
    "PhotoStore",
    "Physician",
    "PracticeInfo",
    "PracticeView",
    "Printable",
    "Qualification",
    "QuotaExceeded",
    "Record",
    "RecordKind",
    "RecoveryCodeRejected",
    "Registration",
    "RegistrationRequest",
    "RegistrationStatus",
    "Registry",
    "ReplayReport",
    "ReplayedDecision",
    "ResealReport",
    "ResidentId",
    "ScopeEvidence",
    "SecuritySettings",
    "Sender",
    "SequentialIds",
    "SmtpSender",
    "SystemClock",
    "TransitionNotAllowed",
    "UniquenessConflict",
    "UpgradeRequest",
    "ValidationError",
    "WeakPassword",
    "WebhookSender",
    "WorkFilter",
    "WorkItem",
    "WorkList",
    "WorkPage",
    "__version__",
    "business_date",
    "open",
]

if not TYPE_CHECKING:  # type checkers see the imports above instead

    def __getattr__(name: str) -> object:
        module = _HOME.get(name)
        if module is not None:
            value = getattr(importlib.import_module(module), name)
        elif name.startswith("__"):
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        else:  # a subpackage, as ``mdreg.workflows`` after a plain ``import mdreg``
            try:
                value = importlib.import_module(f"{__name__}.{name}")
            except ModuleNotFoundError as err:
                if err.name != f"{__name__}.{name}":
                    raise
                raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *__all__})
