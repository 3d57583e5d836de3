"""The facade portals call: reference data, applications, decisions, queries.

Every command runs in one unit of work: load → authorize → transition → evaluate the rules in
force → apply the effect → append the audit event → commit. Any error leaves no trace.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, Protocol, TypeVar

import attrs

from mdreg.calendar import WorkingDayCalendar, default_calendar
from mdreg.clock import Clock, SystemClock, business_date, ensure_aware
from mdreg.deadlines import Deadline, assessment_status, suspension
from mdreg.domain.account import AssessmentResult
from mdreg.domain.application import (
    DRAFT,
    PENDING_ACCEPTANCE,
    PERSON_WIDE_GROUNDS,
    UNDER_REVIEW,
    Actor,
    ActorKind,
    Application,
    AuditEvent,
    BusinessType,
    CancellationGround,
    DepartureKind,
    OfflineBusiness,
    Payload,
    RegistrationRequest,
)
from mdreg.domain.dates import add_years
from mdreg.domain.model import (
    Filing,
    HealthDepartment,
    Institution,
    LegacySite,
    Physician,
    Registration,
    RegistrationStatus,
)
from mdreg.errors import (
    ApplicationNotFound,
    ConcurrencyConflict,
    IdempotencyConflict,
    IneligibleError,
    LimitExceeded,
    MdregError,
    NotFoundError,
    OfflineOnlyBusiness,
    PermissionDenied,
    TransitionNotAllowed,
    UniquenessConflict,
    ValidationError,
)
from mdreg.limits import Limits
from mdreg.ports import UnitOfWork, put_all
from mdreg.rules import Policy, Verdict, evaluate
from mdreg.serialization import dumps, loads
from mdreg.service.announcements import announce
from mdreg.service.authorization import authorize, authorize_applicant
from mdreg.service.context import build_context
from mdreg.service.deadlines import DeadlineKeeper, TickReport
from mdreg.service.explain import Explanation, explain
from mdreg.service.ids import IdGenerator, RandomIds
from mdreg.workflows import (
    BASE_POLICY,
    DECLARATIONS,
    declaration_for,
    declaration_for_payload,
    workflow_for,
)
from mdreg.workflows.effects import Effect
from mdreg.workflows.routing import Routing

if TYPE_CHECKING:
    from mdreg.deadlines import AssessmentStatus
    from mdreg.domain.account import Account, Assessment
    from mdreg.service.accounts import Accounts

T = TypeVar("T")
P = ParamSpec("P")


class TransactionRunner(Protocol):
    """Runs one command (its whole unit of work) and may run it again on a transient failure;
    a SQL backend retries serialization failures and deadlocks this way."""

    def __call__(self, command: Callable[[], T], /) -> T: ...


def _run_once(command: Callable[[], T], /) -> T:
    return command()


def _command(method: Callable[Concatenate[Registry, P], T]) -> Callable[Concatenate[Registry, P], T]:
    """Marks a method that writes: it runs through the backend's transaction runner."""

    @functools.wraps(method)
    def run(registry: Registry, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return registry._transaction(lambda: method(registry, *args, **kwargs))

    return run


class Registry:
    """An mdreg registry on one backend. Create it with :func:`mdreg.open`."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        *,
        clock: Clock | None = None,
        policy: Policy = BASE_POLICY,
        ids: IdGenerator | None = None,
        url: str = "memory://",
        transaction: TransactionRunner | None = None,
        calendar: WorkingDayCalendar | None = None,
        release: Callable[[], None] | None = None,
        limits: Limits | None = None,
    ) -> None:
        self._uow = uow_factory
        self._release = release
        #: caps on one application's history (RELIABILITY R-09)
        self.limits = limits or Limits()
        self._transaction: TransactionRunner = transaction or _run_once
        self.clock: Clock = clock or SystemClock()
        self.policy = policy
        self.ids: IdGenerator = ids or RandomIds()
        self.url = url
        #: Working days for legal periods; without data for a year (and without an explicit
        #: fallback) a command that needs one raises CalendarDataMissing.
        self.calendar: WorkingDayCalendar = calendar or default_calendar()
        self._keeper = DeadlineKeeper(self)
        self._accounts: Accounts | None = None

    def __repr__(self) -> str:
        return f"Registry({self.url!r}, policy={self.policy.name!r})"

    def release(self) -> None:
        """Close the backend's pooled database connections (the registry stays usable and
        connects again when next used): before forking a process, say, so that the child does
        not inherit open connections."""
        if self._release is not None:
            self._release()

    @property
    def accounts(self) -> Accounts:
        """The personal portal (个人端): accounts, activation, security settings, personal
        changes. Created on first use with production settings; assign an
        :class:`~mdreg.service.accounts.Accounts` to configure it."""
        if self._accounts is None:
            from mdreg.service.accounts import Accounts

            self._accounts = Accounts(self)
        return self._accounts

    @accounts.setter
    def accounts(self, facade: Accounts) -> None:
        self._accounts = facade

    # -- reference data -------------------------------------------------------------------

    @_command
    def load(
        self,
        *,
        departments: Iterable[HealthDepartment] = (),
        institutions: Iterable[Institution] = (),
        physicians: Iterable[Physician] = (),
        registrations: Iterable[Registration] = (),
        legacy: Iterable[LegacySite] = (),
        accounts: Iterable[Account] = (),
        assessments: Iterable[Assessment] = (),
    ) -> None:
        """Import reference data in one transaction (all or nothing).

        ``accounts`` are migrated portal accounts (see :meth:`Account.imported`).

        Raises:
            NotFoundError: an institution names an unknown approving department, or a
                registration an unknown physician or institution.
            UniquenessConflict: two physicians share an ID number; two valid registrations clash.
        """
        with self._uow() as uow:
            put_all(uow.departments, departments)
            for institution in institutions:
                _require(uow.departments.get(institution.approved_by), "department",
                         institution.approved_by)
                uow.institutions.put(institution)
            put_all(uow.physicians, physicians)
            for registration in registrations:
                _require(uow.physicians.get(registration.physician_id), "physician",
                         registration.physician_id)
                _require(uow.institutions.get(registration.primary_institution_id),
                         "institution", registration.primary_institution_id)
                uow.registrations.put(registration)
            for record in legacy:
                _require(uow.registrations.get(record.registration_id), "registration",
                         record.registration_id)
                uow.legacy.put(record)
            _portal().load_portal_data(uow, accounts, assessments)
            uow.commit()

    @_command
    def import_registry(
        self,
        *,
        departments: Iterable[HealthDepartment] = (),
        institutions: Iterable[Institution] = (),
        physicians: Iterable[Physician] = (),
        registrations: Iterable[Registration] = (),
        legacy: Iterable[LegacySite] = (),
        batch_size: int = 10_000,
    ) -> dict[str, int]:
        """Import a whole registry's reference data in bulk, in one transaction (all or nothing).

        The checks and invariants are :meth:`load`'s, and so is the result; only the way rows
        are written differs. On a SQL backend rows go in batches of ``batch_size``
        (``executemany`` on SQLite, ``COPY`` on PostgreSQL; see :mod:`mdreg.adapters.sql.bulk`);
        on the in-memory backend this is :meth:`load`. The arguments are read into tuples once,
        so a retried attempt imports the same entities. Returns how many of each kind were given.

        >>> import mdreg
        >>> mdreg.open("memory://").import_registry(departments=[mdreg.HealthDepartment(
        ...     "D110105", "东城区卫生健康委员会", mdreg.DivisionCode("110105"))])["departments"]
        1

        Raises:
            ValidationError: an entity is not of its domain class.
            NotFoundError: an institution names an unknown approving department, a registration
                an unknown physician or institution, a legacy record an unknown registration.
            UniquenessConflict: two physicians share an ID number; two valid registrations clash.
        """
        import sys

        if batch_size < 1:
            raise ValidationError("batch_size", "must be at least 1", field_label="批量")
        given_departments, given_institutions = tuple(departments), tuple(institutions)
        given_physicians, given_registrations = tuple(physicians), tuple(registrations)
        given_legacy = tuple(legacy)
        sql = sys.modules.get("mdreg.adapters.sql.unit_of_work")  # loaded iff a SQL URL was opened
        probe: Any = self._uow()  # never entered: it only tells which backend this is
        if sql is not None and isinstance(probe, sql.SqlUnitOfWork):
            from mdreg.adapters.sql.bulk import import_entities

            return import_entities(
                probe.store, departments=given_departments, institutions=given_institutions,
                physicians=given_physicians, registrations=given_registrations,
                legacy=given_legacy, batch_size=batch_size)
        for label, cls, items in (("departments", HealthDepartment, given_departments),
                                  ("institutions", Institution, given_institutions),
                                  ("physicians", Physician, given_physicians),
                                  ("registrations", Registration, given_registrations),
                                  ("legacy", LegacySite, given_legacy)):
            wrong = next((item for item in items if not isinstance(item, cls)), None)
            if wrong is not None:  # the SQL path refuses these too (mdreg.adapters.sql.bulk)
                raise ValidationError(label, f"{type(wrong).__name__} is not a {cls.__name__}",
                                      field_label="导入数据")
        self.load(departments=given_departments, institutions=given_institutions,
                  physicians=given_physicians, registrations=given_registrations,
                  legacy=given_legacy)
        return {"departments": len(given_departments), "institutions": len(given_institutions),
                "physicians": len(given_physicians), "registrations": len(given_registrations),
                "legacy": len(given_legacy)}

    # -- queries ----------------------------------------------------------------------------

    def physician(self, physician_id: str) -> Physician:
        with self._uow() as uow:
            return _require(uow.physicians.get(physician_id), "physician", physician_id)

    def institution(self, institution_id: str) -> Institution:
        with self._uow() as uow:
            return _require(uow.institutions.get(institution_id), "institution", institution_id)

    def application(self, application_id: str) -> Application:
        with self._uow() as uow:
            return _application(uow, application_id)

    def registrations(self, physician_id: str) -> tuple[Registration, ...]:
        """Every registration of a physician, any status."""
        with self._uow() as uow:
            return uow.registrations.for_physician(physician_id)

    def history(self, application_id: str) -> tuple[AuditEvent, ...]:
        """The audit trail of an application, oldest first."""
        with self._uow() as uow:
            return uow.audit.for_aggregate(application_id)

    def audit_count(self) -> int:
        with self._uow() as uow:
            return uow.audit.count()

    def inbox(self, actor: Actor) -> tuple[Application, ...]:
        """The work list of an institution (待机构确认) or a department (待受理, 审核中)."""
        with self._uow() as uow:
            if actor.kind is ActorKind.INSTITUTION:
                return uow.applications.inbox(institution_id=actor.party_id,
                                              state="pending_institution")
            if actor.kind is ActorKind.AUTHORITY:
                return tuple(
                    app
                    for state in (PENDING_ACCEPTANCE, UNDER_REVIEW)
                    for app in uow.applications.inbox(department_id=actor.party_id, state=state)
                )
            raise PermissionDenied(str(actor), "read an inbox", "only institutions and departments")

    def explain(self, application_id: str) -> Explanation:
        """Which events are possible now, which rules block the others, and why (no changes)."""
        with self._uow() as uow:
            app = _application(uow, application_id, for_rules=True)
            events = workflow_for(app.type).definition.allowed(app.state)
            return explain(app, {e.id: self._verdict(uow, app, e.id) for e in events})

    def check(self, application_id: str, event: str) -> Verdict:
        """The verdict ``event`` would get now, without changing anything."""
        with self._uow() as uow:
            app = _application(uow, application_id, for_rules=True)
            return self._verdict(uow, app, event)

    # -- commands ---------------------------------------------------------------------------

    @_command
    def apply(
        self,
        actor: Actor,
        payload: Payload,
        *,
        business: BusinessType | OfflineBusiness | str | None = None,
        physician_id: str | None = None,
        submit: bool = True,
        idempotency_key: str | None = None,
        batch_id: str | None = None,
    ) -> Application:
        """Create an application (and submit it unless ``submit=False``).

        The business type follows from the payload (``RegistrationRequest`` → 注册, …); pass
        ``business`` only to name it explicitly. A physician applies for themselves; an
        institution may apply for its staff's 注册 (医师法 Art 13) and report a 注销 of a
        registration it is the primary institution of (2017 measures Art 18).

        Raises:
            OfflineOnlyBusiness: the business is handled only at the department's counter.
            ValidationError: unknown business type, or a payload of another type.
            NotFoundError: unknown physician, institution, registration, filing or record.
            PermissionDenied: the actor may not apply for this physician.
            UniquenessConflict: an open application of this type and target exists.
            IneligibleError: submission refused; lists every failed rule.
        """
        kind = _business(business, payload)
        subject = physician_id or actor.party_id
        key = ("apply", str(actor), kind.value, subject, dumps(payload), submit)

        def run() -> Application:
            with self._uow() as uow:
                replay = _replayed(uow, idempotency_key, key)
                if replay is not None:
                    return replay
                _portal().require_active_account(uow, actor, self.policy)
                app = self._create(uow, actor, kind, subject, payload, batch_id)
                if submit:
                    app = self._transition(uow, app, "submit", actor, "", ())
                _remember(uow, idempotency_key, key, app)
                uow.commit()
                return app

        return self._once(idempotency_key, key, run)

    def apply_batch(
        self, actor: Actor, requests: Sequence[tuple[str, RegistrationRequest]]
    ) -> BatchResult:
        """An institution submits 注册 applications for several of its staff (医师法 Art 13).

        Each request is its own unit of work under one ``batch_id``: an ineligible physician
        does not block the others; the result lists what was accepted and what was refused.
        """
        if actor.kind is not ActorKind.INSTITUTION:
            raise PermissionDenied(str(actor), "submit a batch", "only institutions apply in batch")
        batch = self.ids.new("B")
        accepted: list[Application] = []
        refused: dict[str, MdregError] = {}
        for physician_id, request in requests:
            try:
                accepted.append(self.apply(actor, request, physician_id=physician_id,
                                           batch_id=batch))
            except MdregError as error:
                refused[physician_id] = error
        return BatchResult(batch, tuple(accepted), refused)

    @_command
    def fire(
        self,
        application_id: str,
        event: str,
        actor: Actor,
        *,
        reason: str = "",
        corrections: Sequence[str] = (),
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> Application:
        """Fire ``event`` on an application as ``actor`` and return the new application.

        A command sent again with the same ``idempotency_key`` returns the first result without
        firing again, also when the two run at the same time (in other processes or hosts).

        Raises:
            ApplicationNotFound: no such application.
            ConcurrencyConflict: ``expected_version`` is stale, or another writer won.
            TransitionNotAllowed: the event is not allowed from the current state.
            PermissionDenied: the actor may not fire this event on this application.
            ValidationError: a mandatory reason or correction list is missing.
            IneligibleError: the rules in force refuse the event; lists every failed rule.
        """
        key = ("fire", application_id, event, str(actor), reason, tuple(corrections))

        def run() -> Application:
            with self._uow() as uow:
                replay = _replayed(uow, idempotency_key, key)
                if replay is not None:
                    return replay
                app = _application(uow, application_id, for_rules=True)
                if expected_version is not None and expected_version != app.version:
                    raise ConcurrencyConflict("application", app.id, expected_version,
                                              app.version)
                app = self._transition(uow, app, event, actor, reason.strip(), tuple(corrections))
                _remember(uow, idempotency_key, key, app)
                uow.commit()
                return app

        return self._once(idempotency_key, key, run)

    @_command
    def cancel_ex_officio(self, actor: Actor, registration_id: str, ground: CancellationGround,
                          reason: str) -> tuple[Registration, ...]:
        """依职权注销: the registering department cancels without an application (医师法 Art 17).

        Returns the registrations ended (all of the physician's for a person-wide ground when the
        policy says so). The audit event is written on the registration's own trail.

        Raises:
            PermissionDenied: the actor is not the department that granted the registration.
            ValidationError: no written reason.
            TransitionNotAllowed: the registration is already cancelled or invalid.
        """
        with self._uow() as uow:
            registration = _require(uow.registrations.get(registration_id), "registration",
                                    registration_id)
            if actor.kind is not ActorKind.AUTHORITY or actor.party_id != registration.approved_by:
                raise PermissionDenied(str(actor), f"cancel {registration_id}",
                                       "only the department that granted the registration")
            if not reason.strip():
                raise ValidationError("reason", "ex-officio cancellation needs a written reason",
                                      field_label="理由")
            if registration.status not in (RegistrationStatus.VALID, RegistrationStatus.FILED):
                raise TransitionNotAllowed("registration", registration.status.value,
                                           "cancel_ex_officio")
            now = self.clock.now()
            effect = Effect(uow, self.ids, business_date(now), self.policy)
            effect.cancel(registration.physician_id, registration.id,
                          ground in PERSON_WIDE_GROUNDS)
            done = effect.done
            self._keeper.end_for(uow, done["ended"], business_date(now), "cancel_ex_officio")
            announce(uow, self.ids, now, done["ended"])
            append_audit(uow, registration.id, "cancel_ex_officio", registration.status.value,
                         RegistrationStatus.CANCELLED.value, actor, now, reason=reason.strip(),
                         policy=self.policy.name, data={**done, "ground": [ground.value]})
            uow.commit()
            return tuple(r for r in uow.registrations.for_physician(registration.physician_id)
                         if r.id in done["ended"])

    @_command
    def report_departure(self, actor: Actor, registration_id: str, kind: DepartureKind,
                         on: date) -> Registration:
        """The primary institution reports 调离/退休/退职/辞退 → the registration goes to 备案.

        2017 measures Art 19: reported within 30 days; after 2 years in 备案 without renewed
        practice the registration is cancelled (see :meth:`expire_filed`).
        """
        with self._uow() as uow:
            registration = _require(uow.registrations.get(registration_id), "registration",
                                    registration_id)
            if (actor.kind is not ActorKind.INSTITUTION
                    or actor.party_id != registration.primary_institution_id):
                raise PermissionDenied(str(actor), f"report departure for {registration_id}",
                                       "only the primary institution")
            if not registration.is_valid:
                raise TransitionNotAllowed("registration", registration.status.value,
                                           "report_departure")
            filed = attrs.evolve(registration, status=RegistrationStatus.FILED, filed_on=on)
            uow.registrations.put(filed)
            effect = Effect(uow, self.ids, on, self.policy)
            effect.end_filings(effect.active_filings(registration.id, registration.physician_id))
            done = effect.done
            self._keeper.on_departure(uow, filed, self.clock.now())
            append_audit(uow, registration.id, "report_departure", "valid", "filed", actor,
                         self.clock.now(), reason=kind.label, policy=self.policy.name,
                         data={**done, "kind": [kind.value], "on": [on.isoformat()]})
            uow.commit()
            return filed

    @_command
    def expire_filed(self, as_of: date) -> tuple[str, ...]:
        """Cancel registrations that stayed in 备案 for two years (2017 measures Art 19), as of
        ``as_of``. :meth:`tick` does this from the stored expiry deadlines; this sweep also
        finds registrations filed without one (loaded as reference data)."""
        with self._uow() as uow:
            cutoff = add_years(as_of, -int(self.policy.param("filed_expiry_years")))
            ended: list[str] = []
            for registration in uow.registrations.filed_since(cutoff):
                self._keeper.expire(uow, registration, as_of, self.clock.now(), "expire_filed")
                ended.append(registration.id)
            uow.commit()
            return tuple(ended)

    # -- deadlines and periodic assessment -------------------------------------------------------

    def tick(self, now: datetime | None = None, *, batch: int = 100) -> TickReport:
        """Apply what the law makes automatic once a deadline has passed, exactly once.

        Claims passed deadlines in batches (one unit of work each): a correction window that
        passed makes the application accepted as of the receipt date (行政许可法 Art 32(4)),
        fired as the system; two years in 备案 cancel the registration (2017 measures Art 19);
        any other passed deadline is flagged once. Idempotent: a second call finds nothing. A
        deemed acceptance whose decision period reaches a year without calendar data is left
        open and reported as ``blocked`` (it does not hold up the others).
        Several workers may call it at once (threads, processes, hosts): each deadline is
        handled by exactly one of them.

        Args:
            now: the time to act as of (aware); the registry's clock by default.
            batch: deadlines claimed per unit of work.
        """
        at = ensure_aware(now, "now") if now is not None else self.clock.now()
        report = TickReport(business_date(at))
        blocked: set[str] = set()
        conflicts = 0
        while True:
            try:
                done = self._tick_batch(at, batch, frozenset(blocked))
            except ConcurrencyConflict:
                conflicts += 1  # a command changed a claimed subject first: claim again
                if conflicts > 10:
                    raise
                continue
            report = report.merge(done)
            blocked.update(d.id for d in done.blocked)
            if not done.handled and not done.blocked:
                return report

    @_command
    def _tick_batch(self, now: datetime, batch: int, blocked: frozenset[str]) -> TickReport:
        with self._uow() as uow:
            done = self._keeper.tick_batch(uow, now, batch, blocked)
            uow.commit()
            return done

    def overdue(self, as_of: date | None = None) -> tuple[Deadline, ...]:
        """Open deadlines whose last day is before ``as_of`` (today by default), oldest first."""
        with self._uow() as uow:
            return uow.deadlines.overdue(as_of or business_date(self.clock.now()))

    def due_between(self, start: date, end: date) -> tuple[Deadline, ...]:
        """Open deadlines whose last day falls in ``[start, end]``, soonest first."""
        with self._uow() as uow:
            return uow.deadlines.due_between(start, end)

    def deadlines(self, subject_id: str) -> tuple[Deadline, ...]:
        """Every deadline of an application or registration, any status, oldest first."""
        with self._uow() as uow:
            return uow.deadlines.for_subject(subject_id)

    @_command
    def record_assessment(self, actor: Actor, assessment: Assessment, *,
                          suspension_months: int | None = None) -> Assessment:
        """Record a 定期考核 result (R-ASM-4, 2017 measures Art 11).

        The primary institution of one of the physician's valid registrations, or the
        department that granted it, records it (``recorded_by`` becomes the actor's party). A
        failed result suspends practice for ``suspension_months`` (3–6 by default, R-ASM-2): a
        ``practice_suspended`` record is added to the physician.

        Raises:
            NotFoundError: unknown physician.
            PermissionDenied: the actor is neither such an institution nor such a department.
            UniquenessConflict: the assessment id exists.
            ValidationError: a failed result without a suspension in the policy's range, or a
                passed one with a suspension.
        """
        with self._uow() as uow:
            physician = _require(uow.physicians.get(assessment.physician_id), "physician",
                                 assessment.physician_id)
            valid = [r for r in uow.registrations.for_physician(physician.id) if r.is_valid]
            parties = {ActorKind.INSTITUTION: {r.primary_institution_id for r in valid},
                       ActorKind.AUTHORITY: {r.approved_by for r in valid}}.get(actor.kind, set())
            if actor.party_id not in parties:
                raise PermissionDenied(str(actor), f"record an assessment of {physician.id}",
                                       "only a primary institution or the granting department")
            if uow.assessments.get(assessment.id) is not None:
                raise UniquenessConflict("assessment_id", f"assessment {assessment.id} exists")
            recorded = attrs.evolve(assessment, recorded_by=actor.party_id)
            data: dict[str, Any] = {"physician": [physician.id], "cycle": [recorded.cycle]}
            if recorded.result is AssessmentResult.FAILED:
                if suspension_months is None:
                    raise ValidationError("suspension_months", "a failed assessment suspends "
                                          "practice; give the months", field_label="暂停执业期限")
                record = suspension(recorded, suspension_months, self.policy.parameters)
                uow.physicians.put(attrs.evolve(physician, records=(*physician.records, record)))
                data["suspended_until"] = [str(record.until)]
            elif suspension_months is not None:
                raise ValidationError("suspension_months", "only a failed assessment suspends "
                                      "practice", field_label="暂停执业期限")
            uow.assessments.put(recorded)
            append_audit(uow, recorded.id, "record_assessment", "", recorded.result.value, actor,
                         self.clock.now(), reason=recorded.result.label, policy=self.policy.name,
                         data=data)
            uow.commit()
            return recorded

    def assessment_status(self, physician_id: str,
                          as_of: date | None = None) -> AssessmentStatus:
        """The physician's 定期考核 cycles, results, suspension and any cancellation ground
        (see :func:`mdreg.deadlines.assessment_status`)."""
        with self._uow() as uow:
            physician = _require(uow.physicians.get(physician_id), "physician", physician_id)
            return assessment_status(physician, uow.registrations.for_physician(physician_id),
                                     uow.assessments.for_physician(physician_id),
                                     as_of or business_date(self.clock.now()),
                                     self.policy.parameters)

    def assessment_due(self, physician_ids: Iterable[str],
                       as_of: date | None = None) -> tuple[AssessmentStatus, ...]:
        """Of the given physicians (an institution's staff, a department's list), those whose
        assessment needs action: a cancellation ground (two missed cycles, a failed
        re-assessment), a missed last cycle, or a running suspension."""
        day = as_of or business_date(self.clock.now())
        statuses = (self.assessment_status(p, day) for p in physician_ids)
        return tuple(s for s in statuses if s.needs_action)

    def filings(self, physician_id: str) -> tuple[Filing, ...]:
        """Every 多执业机构备案 of a physician, any status."""
        with self._uow() as uow:
            return uow.filings.for_physician(physician_id)

    def legacy_sites(self, physician_id: str) -> tuple[LegacySite, ...]:
        """Every legacy 多地点执业 record of a physician."""
        with self._uow() as uow:
            return uow.legacy.for_physician(physician_id)

    def audit_since(self, position: int = 0, limit: int = 1000
                    ) -> tuple[tuple[int, AuditEvent], ...]:
        """The audit tail of every aggregate: up to ``limit`` committed events after
        ``position``, each with its position, in commit order. Page with the last position
        seen; no event is skipped or repeated while others keep writing (RELIABILITY R-07)."""
        with self._uow() as uow:
            return uow.audit.since(position, limit)

    def trail(self, aggregate_id: str) -> tuple[AuditEvent, ...]:
        """The audit trail of any aggregate (application or registration)."""
        with self._uow() as uow:
            return uow.audit.for_aggregate(aggregate_id)

    # -- internals --------------------------------------------------------------------------

    def _once(self, idempotency_key: str | None, key: tuple[object, ...],
              command: Callable[[], Application]) -> Application:
        """Run a command that may carry an idempotency key (RELIABILITY R-04).

        A duplicate sent while the first is still running does not see its key yet: it fails on
        the version, the key or a unique index, or is refused because the application moved on.
        Once the first has committed, the duplicate returns the first result instead, as a later
        duplicate would. The key, stored in the same unit of work, means only one can commit.
        """
        try:
            return command()
        except MdregError:
            if idempotency_key is None:
                raise
            with self._uow() as uow:
                replay = _replayed(uow, idempotency_key, key)
            if replay is None:
                raise
            return replay

    def _create(self, uow: UnitOfWork, actor: Actor, business: BusinessType, physician_id: str,
                payload: Payload, batch_id: str | None) -> Application:
        physician = _require(uow.physicians.get(physician_id), "physician", physician_id)
        declaration = declaration_for(business)
        routed = declaration.route(Routing(uow), physician, payload, self.policy)
        authorize_applicant(actor, declaration, physician.id, routed.institution.id)
        now = self.clock.now()
        app = Application(
            id=self.ids.new("A"), type=business, physician_id=physician.id, applicant=actor,
            payload=payload, institution_id=routed.institution.id,
            department_id=routed.department.id, target=routed.target, state=DRAFT, version=1,
            created_at=now, updated_at=now, application_date=business_date(now),
            batch_id=batch_id,
        )
        if any(a.type is business and a.target == routed.target
               for a in uow.applications.open_for(physician.id)):
            raise UniquenessConflict(
                "open_application",
                f"an open {business.value} application for {routed.target} exists")
        uow.applications.add(app)
        self._keeper.on_create(uow, app, now)
        self._audit(uow, app, "create", "", actor, "", None, now)
        return app

    def _transition(self, uow: UnitOfWork, app: Application, event: str, actor: Actor,
                    reason: str, corrections: tuple[str, ...], *, now: datetime | None = None,
                    deemed_at: datetime | None = None) -> Application:
        """``deemed_at``: the law accepts the application as of that time (tick), so no party
        is authorized and ``accepted_at`` is that time."""
        flow = workflow_for(app.type)
        dest = flow.fire(app.state, event)
        spec = flow.definition.event(event)
        if spec is None:  # pragma: no cover - fire() already refused unknown events
            raise TransitionNotAllowed(flow.id, app.state, event)
        if deemed_at is None:
            authorize(actor, app, spec)
        if spec.needs_reason and not reason:
            raise ValidationError("reason", f"{event} needs a written reason",
                                  field_label="理由")
        if spec.needs_corrections and not [c for c in corrections if c.strip()]:
            raise ValidationError("corrections", "list every correction needed at once",
                                  field_label="补正事项")
        verdict = self._verdict(uow, app, event)
        if not verdict.passed:
            raise IneligibleError(f"application {app.id}", event, verdict.violations)
        now = now or self.clock.now()
        changes: dict[str, Any] = {"state": dest, "version": app.version + 1, "updated_at": now}
        if spec.stamp is not None:
            changes[spec.stamp] = now
        if deemed_at is not None:
            changes["accepted_at"] = deemed_at
        if spec.needs_reason:
            changes["reason"] = reason
        if spec.needs_corrections:
            changes["corrections"] = corrections
        new = attrs.evolve(app, **changes)
        self._keeper.on_transition(uow, app, new, event, now)  # before the save: lock order
        uow.applications.save(new, app.version)
        declaration = declaration_for(new.type)
        done: dict[str, Any] = {}
        facts = declaration.facts.get(event)
        if facts is not None:
            done.update(facts(new, declaration.payload_of(new), self.policy))
        effect_of = declaration.effects.get(event)
        if effect_of is not None:
            effect = Effect(uow, self.ids, business_date(now), self.policy)
            effect_of(effect, new, declaration.payload_of(new))
            done.update(effect.done)
            if declaration.announces:
                announce(uow, self.ids, now, [*effect.done["created"], *effect.done["ended"],
                                              *effect.done["changed"]])
            self._keeper.end_for(uow, effect.done["ended"], business_date(now), event)
        if event == declaration.activates_account_on:
            _portal().activate_on_approval(uow, new, actor, now)
        self._audit(uow, new, event, app.state, actor, reason, verdict, now, done)
        return new

    def _verdict(self, uow: UnitOfWork, app: Application, event: str) -> Verdict:
        rules = self.policy.rules_for(app.type, event, app.application_date)
        if not rules:
            return Verdict(app.application_date, (), (), self.policy.name)
        context = build_context(uow, app, dict(self.policy.parameters))
        return evaluate(rules, context, self.policy.name)

    def _audit(self, uow: UnitOfWork, app: Application, event: str, from_state: str,
               actor: Actor, reason: str, verdict: Verdict | None, now: datetime,
               data: dict[str, Any] | None = None) -> None:
        append_audit(uow, app.id, event, from_state, app.state, actor, now, reason=reason,
                     verdict=verdict.checked if verdict else (), policy=self.policy.name,
                     data=data or {}, cap=self.limits.audit_events_per_application)


def _business(business: BusinessType | OfflineBusiness | str | None,
              payload: Payload) -> BusinessType:
    """The business type of an application; offline-only business is refused (R-OFF-1)."""
    if business is not None and not isinstance(business, BusinessType):
        offline = {o.value: o for o in OfflineBusiness} | {o.label: o for o in OfflineBusiness}
        if isinstance(business, OfflineBusiness) or business in offline:
            item = offline[str(business)]
            raise OfflineOnlyBusiness(item.value, item.label)
        online = {b.value: b for b in DECLARATIONS} | {b.label: b for b in DECLARATIONS}
        if business not in online:
            raise ValidationError("business", f"unknown business type {business!r}",
                                  field_label="业务类型")
        business = online[business]
    implied = declaration_for_payload(payload).business
    if business is not None and business is not implied:
        raise ValidationError("business", f"a {type(payload).__name__} is not a {business.value}",
                              field_label="业务类型")
    return implied


@attrs.frozen
class BatchResult:
    """The outcome of a collective 注册 submission."""

    batch_id: str
    accepted: tuple[Application, ...]
    refused: Mapping[str, MdregError]


def append_audit(uow: UnitOfWork, aggregate_id: str, event: str, from_state: str, to_state: str,
                 actor: Actor, now: datetime, *, cap: int | None = None, **extra: Any) -> None:
    """Append the next audit event of an aggregate (gap-free ``seq``).

    Raises:
        LimitExceeded: the event would be number ``cap`` + 1.
    """
    seq = uow.audit.next_seq(aggregate_id)
    if cap is not None and seq > cap:
        raise LimitExceeded("audit events", aggregate_id, cap)
    uow.audit.append(AuditEvent(
        aggregate_id=aggregate_id, seq=seq,
        event=event, from_state=from_state, to_state=to_state, actor=actor, at=now, **extra,
    ))


def _portal() -> Any:
    """The personal portal's hooks (imported late: that module builds on this one)."""
    from mdreg.service import account_steps

    return account_steps


def _require(value: T | None, kind: str, key: str) -> T:
    if value is None:
        raise NotFoundError(kind, key)
    return value


def _application(uow: UnitOfWork, application_id: str, *, for_rules: bool = False
                 ) -> Application:
    """The application; ``for_rules``: the rules will read about it (see
    :meth:`~mdreg.ports.UnitOfWork.application_for_rules`)."""
    app = (uow.application_for_rules(application_id) if for_rules
           else uow.applications.get(application_id))
    if app is None:
        raise ApplicationNotFound(application_id)
    return app


def _fingerprint(key: tuple[object, ...]) -> str:
    return hashlib.sha256(repr(key).encode()).hexdigest()


def _replayed(uow: UnitOfWork, idempotency_key: str | None,
              key: tuple[object, ...]) -> Application | None:
    if idempotency_key is None:
        return None
    stored = uow.idempotency.get(idempotency_key)
    if stored is None:
        return None
    fingerprint, result = stored
    if fingerprint != _fingerprint(key):
        raise IdempotencyConflict(f"idempotency key {idempotency_key!r} was used for "
                                  "a different command")
    return loads(result, Application)


def _remember(uow: UnitOfWork, idempotency_key: str | None, key: tuple[object, ...],
              app: Application) -> None:
    if idempotency_key is not None:
        uow.idempotency.put(idempotency_key, _fingerprint(key), dumps(app))
