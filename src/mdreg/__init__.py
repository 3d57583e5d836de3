"""mdreg — China's physician electronic registration (医师电子化注册) as state machines.

>>> import mdreg
>>> registry = mdreg.open("memory://")
"""

from mdreg.bootstrap import open
from mdreg.clock import FakeClock, SystemClock, business_date
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
from mdreg.errors import (
    ConcurrencyConflict,
    IneligibleError,
    MdregError,
    NotFoundError,
    PermissionDenied,
    TransitionNotAllowed,
    UniquenessConflict,
    ValidationError,
)
from mdreg.service import Registry
from mdreg.service.ids import SequentialIds

__version__ = "0.1.0"

__all__ = [
    "Actor",
    "Application",
    "AuditEvent",
    "BusinessType",
    "CancellationGround",
    "CancellationRequest",
    "Category",
    "ChangeRequest",
    "CivilCapacity",
    "ConcurrencyConflict",
    "DepartureKind",
    "DivisionCode",
    "Evidence",
    "FakeClock",
    "FilingCancelRequest",
    "FilingRequest",
    "HealthDepartment",
    "IneligibleError",
    "Institution",
    "InstitutionKind",
    "Level",
    "MdregError",
    "MilitaryInRequest",
    "MilitaryOutRequest",
    "MultisiteCancelRequest",
    "NotFoundError",
    "OfflineBusiness",
    "PermissionDenied",
    "Phone",
    "Physician",
    "Qualification",
    "Record",
    "RecordKind",
    "Registration",
    "RegistrationRequest",
    "RegistrationStatus",
    "Registry",
    "ResidentId",
    "ScopeEvidence",
    "SequentialIds",
    "SystemClock",
    "TransitionNotAllowed",
    "UniquenessConflict",
    "UpgradeRequest",
    "ValidationError",
    "__version__",
    "business_date",
    "open",
]
