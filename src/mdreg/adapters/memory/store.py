"""The committed state of an in-memory registry."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from mdreg.adapters.memory.tables import Table
from mdreg.adapters.memory.throttle import LoginCounters
from mdreg.domain.account import (
    Account,
    Assessment,
    OneTimeCode,
    OutboxMessage,
    PersonalChange,
    PracticeInfo,
)
from mdreg.domain.application import Application, AuditEvent
from mdreg.domain.calendar import ImportedYear
from mdreg.domain.deadlines import Deadline
from mdreg.domain.model import (
    Filing,
    HealthDepartment,
    Institution,
    LegacySite,
    Physician,
    Registration,
)
from mdreg.domain.notices import Notice


class PortalTables:
    """Committed rows of the personal portal (part of a :class:`MemoryStore`)."""

    def __init__(self) -> None:
        self.accounts: Table[Account] = Table(
            lambda a: a.id, {"login": lambda a: a.login_key, "physician": lambda a: a.physician_id}
        )
        self.codes: Table[OneTimeCode] = Table(
            lambda c: c.id,
            {"account": lambda c: (c.account_id, c.purpose.value),
             "destination": lambda c: c.destination},
        )
        self.outbox: Table[OutboxMessage] = Table(
            lambda m: m.id, {"pending": lambda m: m.sent_at is None,
                             "due": lambda m: m.sent_at is None and m.parked_at is None}
        )
        self.personal_changes: Table[PersonalChange] = Table(
            lambda c: c.id,
            {"physician": lambda c: c.physician_id,
             "inbox": lambda c: (c.institution_id, c.state)},
        )
        self.practice_info: Table[PracticeInfo] = Table(lambda i: i.physician_id, {})
        self.assessments: Table[Assessment] = Table(
            lambda a: a.id, {"physician": lambda a: a.physician_id}
        )


class MemoryStore:
    """Committed state of an in-memory registry; share one between units of work."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        #: one lock per held physician (:meth:`mdreg.ports.UnitOfWork.hold_physician`)
        self.physician_holds: dict[str, threading.Lock] = {}
        self.physicians: Table[Physician] = Table(
            lambda p: p.id, {"id_number": lambda p: p.id_number.value}
        )
        self.institutions: Table[Institution] = Table(lambda i: i.id, {})
        self.departments: Table[HealthDepartment] = Table(
            lambda d: d.id, {"division": lambda d: d.division.code}
        )
        self.registrations: Table[Registration] = Table(
            lambda r: r.id,
            {"physician": lambda r: r.physician_id, "status": lambda r: r.status.value},
        )
        self.filings: Table[Filing] = Table(
            lambda f: f.id, {"physician": lambda f: f.physician_id, "status": lambda f: f.status.value}
        )
        self.legacy: Table[LegacySite] = Table(
            lambda r: r.id, {"physician": lambda r: r.physician_id}
        )
        self.applications: Table[Application] = Table(
            lambda a: a.id,
            {
                "physician": lambda a: a.physician_id,
                "type": lambda a: str(a.type),
                "institution": lambda a: (a.institution_id, a.state),
                "department": lambda a: (a.department_id, a.state),
            },
        )
        self.audit: dict[str, list[AuditEvent]] = defaultdict(list)
        self.audit_count = 0
        self.audit_log: list[AuditEvent] = []  # every committed event, in commit order
        self.idempotency: dict[str, tuple[str, str]] = {}
        self.calendar_years: dict[int, ImportedYear] = {}
        self.revisions: dict[str, Mapping[str, Any]] = {}
        self.portal = PortalTables()
        #: failed-login counters per throttled key, and the keys' holds
        self.login_counters = LoginCounters()
        self.notices: Table[Notice] = Table(lambda n: n.id, {"subject": lambda n: n.subject_id})
        self.deadlines: Table[Deadline] = Table(
            lambda d: d.id, {"subject": lambda d: d.subject_id, "open": lambda d: d.is_open}
        )
        #: deadline id → the repository (of one open unit) that claimed it
        self.claims: dict[str, object] = {}
