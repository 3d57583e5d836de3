"""The facade portals call: reference data, applications, decisions, queries. It holds the
registry's :class:`~mdreg.service.services.Services` and delegates to the command handlers
(functions of their arguments and those services) in the service modules."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import attrs

from mdreg.domain.account import Account, Assessment
from mdreg.domain.application import (
    Actor,
    Application,
    AuditEvent,
    BusinessType,
    CancellationGround,
    DepartureKind,
    OfflineBusiness,
    Payload,
    RegistrationRequest,
)
from mdreg.domain.assessment import AssessmentStatus
from mdreg.domain.calendar import CalendarOverrides, WorkingDayCalendar
from mdreg.domain.clock import Clock, business_date
from mdreg.domain.deadlines import Deadline
from mdreg.domain.inputs import guard_public_methods
from mdreg.domain.model import (
    Filing,
    HealthDepartment,
    Institution,
    LegacySite,
    Physician,
    Registration,
)
from mdreg.domain.notices import Notice
from mdreg.domain.remedies import Refusal
from mdreg.infra.documents import Printable
from mdreg.infra.limits import Limits
from mdreg.ports import IdGenerator, UnitOfWork
from mdreg.rules import Policy, Verdict
from mdreg.service import (
    applications,
    assessments,
    calendar_data,
    forms,
    migrations,
    notices,
    records,
    reference_data,
    registrations,
    tick,
)
from mdreg.service import replay as policy_replay
from mdreg.service.accounts import Accounts
from mdreg.service.applications import BatchResult
from mdreg.service.deadlines import TickReport
from mdreg.service.explain import Explanation
from mdreg.service.migrations import MigrationPlan, MigrationReport
from mdreg.service.replay import ReplayReport
from mdreg.service.services import Services, read, require
from mdreg.service.views import ActorView
from mdreg.workflows import WorkflowDefinition

__all__ = ["BatchResult", "Registry"]

T = TypeVar("T")


@guard_public_methods
class Registry:
    """An mdreg registry on one backend. Create it with :func:`mdreg.open`.

    Args:
        services: what its commands need (units of work, clock, ids, policy, calendar …).
    """

    def __init__(self, services: Services) -> None:
        self._services = services
        self._accounts: Accounts | None = None

    def __repr__(self) -> str:
        return f"Registry({self.url!r}, policy={self.policy.name!r})"

    @property
    def services(self) -> Services:
        """What its commands need. Assign an ``attrs.evolve``-d copy to change one of them;
        the registry's :attr:`accounts` then use it too."""
        return self._services

    @services.setter
    def services(self, services: Services) -> None:
        self._services = services
        if self._accounts is not None:
            self._accounts.services = services

    @property
    def policy(self) -> Policy:
        """The rules and parameters in force."""
        return self._services.policy

    @policy.setter
    def policy(self, policy: Policy) -> None:
        self.services = attrs.evolve(self._services, policy=policy)
        records.publish(self._services)

    def published_revision(self, revision: str) -> Mapping[str, Any] | None:
        """The policy a revision named by a decision (or an application) contained, as it was
        published in this database — also after the code moved on; ``None`` if unknown."""
        return records.published(self._services, revision)

    def view(self, actor: Actor) -> ActorView:
        """The registry as ``actor`` sees it: reads scoped to what that actor may see, the
        physician's own applications, and the work lists (see :mod:`mdreg.service.views`)."""
        return ActorView(self._services, actor)

    def plan_migration(self, to: WorkflowDefinition | str,
                       mapping: Mapping[str, str] | None = None) -> MigrationPlan:
        """Plan moving the in-flight applications of a business type to the state machine
        ``to`` — a definition, a published revision (``registration@…``) or a business type id
        (its declared definition); ``mapping`` (old state → new state) places applications in
        states the target lacks. Changes nothing; see :mod:`mdreg.service.migrations`."""
        return migrations.plan(self._services, to, mapping)

    def migrate(self, plan: MigrationPlan, actor: Actor, *, batch_size: int = 100,
                progress: Callable[[int], None] | None = None) -> MigrationReport:
        """Move the applications of ``plan`` in batches, each recorded as a ``migrate`` event
        by ``actor``; run it again to finish an interrupted run.

        Raises:
            MigrationRefused: the plan has applications without a target state.
        """
        return migrations.apply(self._services, plan, actor, batch_size=batch_size,
                                progress=progress)

    def revert_migration(self, plan: MigrationPlan, actor: Actor, *, batch_size: int = 100,
                         progress: Callable[[int], None] | None = None) -> MigrationReport:
        """Move the applications ``plan`` moved back, unless something happened to them
        since."""
        return migrations.revert(self._services, plan, actor, batch_size=batch_size,
                                 progress=progress)

    @property
    def calendar(self) -> WorkingDayCalendar:
        """Working days for legal periods, with the years imported into the database."""
        return self._services.calendar

    @calendar.setter
    def calendar(self, calendar: WorkingDayCalendar) -> None:
        self.services = attrs.evolve(self._services, calendar=calendar)

    @property
    def clock(self) -> Clock:
        return self._services.clock

    @property
    def ids(self) -> IdGenerator:
        return self._services.ids

    @property
    def limits(self) -> Limits:
        """Caps on one application's history."""
        return self._services.limits

    @property
    def url(self) -> str:
        return self._services.url

    def release(self) -> None:
        """Close the backend's pooled database connections (the registry stays usable and
        connects again when next used): before forking a process, say, so that the child does
        not inherit open connections."""
        if self._services.release is not None:
            self._services.release()

    @property
    def accounts(self) -> Accounts:
        """The personal portal (个人端): accounts, activation, security settings, personal
        changes. Created on first use with production settings; assign an
        :class:`~mdreg.service.accounts.Accounts` to configure it."""
        if self._accounts is None:
            self._accounts = Accounts(self._services)
        return self._accounts

    @accounts.setter
    def accounts(self, facade: Accounts) -> None:
        self._accounts = facade

    def _read(self, query: Callable[[UnitOfWork], T]) -> T:
        """Run a query that usually needs one statement: on PostgreSQL it runs alone, outside
        any transaction, and runs again in a read transaction should it need a second
        (:func:`~mdreg.service.services.read`)."""
        return read(self._services, query, one_statement=True)

    # -- reference data -------------------------------------------------------------------

    def load(self, *, departments: Iterable[HealthDepartment] = (),
             institutions: Iterable[Institution] = (), physicians: Iterable[Physician] = (),
             registrations: Iterable[Registration] = (), legacy: Iterable[LegacySite] = (),
             accounts: Iterable[Account] = (), assessments: Iterable[Assessment] = ()) -> None:
        """Import reference data in one transaction (all or nothing).

        ``accounts`` are migrated portal accounts (see :meth:`Account.imported`).

        Raises:
            NotFoundError: an institution names an unknown approving department, or a
                registration an unknown physician or institution.
            UniquenessConflict: two physicians share an ID number; two valid registrations clash.
        """
        reference_data.load(self._services, departments=departments, institutions=institutions,
                            physicians=physicians, registrations=registrations, legacy=legacy,
                            accounts=accounts, assessments=assessments)

    def import_registry(self, *, departments: Iterable[HealthDepartment] = (),
                        institutions: Iterable[Institution] = (),
                        physicians: Iterable[Physician] = (),
                        registrations: Iterable[Registration] = (),
                        legacy: Iterable[LegacySite] = (),
                        batch_size: int = 10_000) -> dict[str, int]:
        """Import a whole registry's reference data in bulk, in one transaction (all or nothing);
        the checks, invariants and result are :meth:`load`'s (see
        :func:`mdreg.service.reference_data.import_registry`)."""
        return reference_data.import_registry(
            self._services, departments=departments, institutions=institutions,
            physicians=physicians, registrations=registrations, legacy=legacy,
            batch_size=batch_size)

    # -- queries ----------------------------------------------------------------------------

    def physician(self, physician_id: str) -> Physician:
        return require(self._read(lambda uow: uow.physicians.get(physician_id)), "physician",
                       physician_id)

    def institution(self, institution_id: str) -> Institution:
        return require(self._read(lambda uow: uow.institutions.get(institution_id)),
                       "institution", institution_id)

    def application(self, application_id: str) -> Application:
        return self._read(lambda uow: applications.application(uow, application_id))

    def registrations(self, physician_id: str) -> tuple[Registration, ...]:
        """Every registration of a physician, any status."""
        return self._read(lambda uow: uow.registrations.for_physician(physician_id))

    def filings(self, physician_id: str) -> tuple[Filing, ...]:
        """Every 多执业机构备案 of a physician, any status."""
        return self._read(lambda uow: uow.filings.for_physician(physician_id))

    def legacy_sites(self, physician_id: str) -> tuple[LegacySite, ...]:
        """Every legacy 多地点执业 record of a physician."""
        return self._read(lambda uow: uow.legacy.for_physician(physician_id))

    def history(self, application_id: str) -> tuple[AuditEvent, ...]:
        """The audit trail of an application, oldest first."""
        return self.trail(application_id)

    def trail(self, aggregate_id: str) -> tuple[AuditEvent, ...]:
        """The audit trail of any aggregate (application or registration)."""
        return self._read(lambda uow: uow.audit.for_aggregate(aggregate_id))

    def audit_count(self) -> int:
        return self._read(lambda uow: uow.audit.count())

    def audit_since(self, position: int = 0, limit: int = 1000
                    ) -> tuple[tuple[int, AuditEvent], ...]:
        """The audit tail of every aggregate: up to ``limit`` committed events after the event
        at ``position`` (0: from the start), each with its position. Page with the last position
        seen; no event is skipped or repeated while others keep writing, and the tail only grows
        at its end. On PostgreSQL positions need not grow along the tail and a page may end
        early while an older transaction is open (:meth:`mdreg.ports.AuditLog.since`).

        Raises:
            ValidationError: PostgreSQL: no event is at ``position``.
        """
        return self._read(lambda uow: uow.audit.since(position, limit))

    def inbox(self, actor: Actor) -> tuple[Application, ...]:
        """The work list of an institution (待机构确认) or a department (待受理, 审核中)."""
        return applications.inbox(self._services, actor)

    def explain(self, application_id: str) -> Explanation:
        """Which events are possible now, which rules block the others, and why (no changes)."""
        return applications.explain(self._services, application_id)

    def check(self, application_id: str, event: str) -> Verdict:
        """The verdict ``event`` would get now, without changing anything."""
        return applications.check(self._services, application_id, event)

    def refusal(self, application_id: str) -> Refusal | None:
        """The written refusal of an application (不予… or 不予受理), as recorded with the
        decision — reason, rules not met, parties to notify, remedies and their last days —
        or ``None`` when it was not refused."""
        return applications.recorded_refusal(self._services, application_id)

    def notices(self, application_id: str) -> tuple[Notice, ...]:
        """The notices issued on an application (or a personal change), oldest first: 受理通知书,
        补正材料通知书, 准予…决定书, 不予…决定书, 不予受理决定书, 退回 … — each as it was issued,
        with its ``text`` and printable ``html``."""
        return notices.notices(self._services, application_id)

    def notice(self, notice_id: str) -> Notice:
        """One notice by id (its document number).

        Raises:
            NotFoundError: no such notice.
        """
        return notices.notice(self._services, notice_id)

    def notice_counts(self) -> dict[str, int]:
        """How many notices of each kind were issued (every :class:`~mdreg.NoticeKind`, by
        value; a full count, not for hot paths)."""
        return notices.counts(self._services)

    def application_form(self, application_id: str) -> Printable:
        """The application's printable form (申请审核表) with its business type's materials
        checklist, rendered now from the stored application (``text`` and ``html``).

        Raises:
            ApplicationNotFound: no such application.
        """
        return forms.application_form(self._services, application_id)

    # -- commands ---------------------------------------------------------------------------

    def apply(self, actor: Actor, payload: Payload, *,
              business: BusinessType | OfflineBusiness | str | None = None,
              physician_id: str | None = None, submit: bool = True,
              idempotency_key: str | None = None, batch_id: str | None = None) -> Application:
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
        return applications.apply(self._services, actor, payload, business=business,
                                  physician_id=physician_id, submit=submit,
                                  idempotency_key=idempotency_key, batch_id=batch_id)

    def apply_batch(self, actor: Actor,
                    requests: Sequence[tuple[str, RegistrationRequest]]) -> BatchResult:
        """An institution submits 注册 applications for several of its staff (医师法 Art 13).

        Each request is its own unit of work under one ``batch_id``: an ineligible physician
        does not block the others; the result lists what was accepted and what was refused.
        """
        return applications.apply_batch(self._services, actor, requests)

    def fire(self, application_id: str, event: str, actor: Actor, *, reason: str = "",
             corrections: Sequence[str] = (), expected_version: int | None = None,
             idempotency_key: str | None = None) -> Application:
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
        return applications.fire(self._services, application_id, event, actor, reason=reason,
                                 corrections=corrections, expected_version=expected_version,
                                 idempotency_key=idempotency_key)

    def receive_materials(self, application_id: str, actor: Actor,
                          materials: Sequence[str] | None = None) -> Application:
        """The deciding department records that the paper materials reached it (收到纸质材料):
        by default everything on the business type's checklist, or the documents named. The
        five working days to ask for every correction (and a deemed acceptance) count from this
        day (policy parameter ``correction_window_from``). Audited with what was received and
        what is missing; the application's state does not change.

        Raises:
            PermissionDenied: the actor is not the deciding department.
            TransitionNotAllowed: the application is not waiting for acceptance (待受理).
            ValidationError: an empty or oversized list of documents.
        """
        return applications.receive_materials(self._services, application_id, actor, materials)

    def approve_scopes(self, application_id: str, actor: Actor) -> Application:
        """县级卫生健康主管部门考核批准: the county department of the institution's county records
        its approval of the several scopes (at most three) an open 注册, 变更 or 军队变更入 at a
        county-level institution asks for (R-SCOPE-1); the decision checks it is on record.

        Raises:
            PermissionDenied: the actor is not a county department whose division holds the
                institution.
            TransitionNotAllowed: the application is decided, or asks for one scope only.
        """
        return applications.approve_scopes(self._services, application_id, actor)

    def cancel_ex_officio(self, actor: Actor, registration_id: str, ground: CancellationGround,
                          reason: str, *, ground_on: date | None = None
                          ) -> tuple[Registration, ...]:
        """依职权注销: the registering department cancels without an application (医师法 Art 17).

        Returns the registrations ended (all of the physician's for a person-wide ground when the
        policy says so). The audit event is written on the registration's own trail. A revoked
        certificate goes on the physician's record dated ``ground_on`` (the penalty decision;
        today by default) and a failed re-assessment dated today, so that a new 注册 is refused
        within two years or one (R-REG-4, R-REG-5).

        Raises:
            PermissionDenied: the actor is not the department that granted the registration.
            ValidationError: no written reason.
            TransitionNotAllowed: the registration is already cancelled or invalid.
        """
        return registrations.cancel_ex_officio(self._services, actor, registration_id, ground,
                                               reason, ground_on)

    def revoke(self, actor: Actor, registration_id: str, reason: str) -> Registration:
        """撤销: the department that granted a registration rescinds it as obtained by improper
        means (医师法 Art 54 para 2; 行政许可法 Art 69 para 2), ex officio, with a written
        reason.

        The registration ends as ``revoked`` with its filings and legacy records; the
        physician's record gets a ``registration_revoked`` fact dated today, on which a new
        注册 within three years is refused (R-REG-9); the revocation is announced and audited
        on the registration's trail. Returns the revoked registration.

        Raises:
            PermissionDenied: the actor is not the department that granted the registration.
            ValidationError: no written reason.
            TransitionNotAllowed: the registration is no longer valid or filed.
        """
        return registrations.revoke(self._services, actor, registration_id, reason)

    def report_departure(self, actor: Actor, registration_id: str, kind: DepartureKind,
                         on: date) -> Registration:
        """The primary institution reports 调离/退休/退职/辞退 → the registration goes to 备案.

        2017 measures Art 19: reported within 30 days; after 2 years in 备案 without renewed
        practice the registration is cancelled (see :meth:`expire_filed`).
        """
        return registrations.report_departure(self._services, actor, registration_id, kind, on)

    def expire_filed(self, as_of: date) -> tuple[str, ...]:
        """Cancel registrations that stayed in 备案 for two years without renewed practice
        (2017 measures Art 19), as of ``as_of``; returns their ids. A physician who holds a
        valid registration approved after the filing practises again: the filed registration
        is not cancelled nor announced, but superseded (失效) or kept in 备案 (policy parameter
        ``filed_after_renewed_practice``, R-CAN-6). :meth:`tick` does this from the stored
        expiry deadlines; this sweep also finds registrations filed without one (loaded as
        reference data)."""
        return registrations.expire_filed(self._services, as_of)

    # -- deadlines and periodic assessment -------------------------------------------------------

    def tick(self, now: datetime | None = None, *, batch: int = 100) -> TickReport:
        """Apply what the law makes automatic once a deadline has passed, exactly once, as of
        ``now`` (aware; the clock by default), ``batch`` deadlines per unit of work (see
        :func:`mdreg.service.tick.tick`)."""
        self.services = calendar_data.refreshed(self._services)
        return tick.tick(self._services, now, batch=batch)

    # -- the holiday calendar -------------------------------------------------------------------

    def import_calendar(self, schedule: CalendarOverrides | str | Path,
                        actor: Actor | None = None) -> calendar_data.CalendarImport:
        """Import a year's holiday schedule (a TOML file of ``[years.YYYY]`` tables, checked
        as :class:`~mdreg.domain.calendar.CalendarOverrides` checks them) into the database,
        and count every provisional deadline that now has data again, in one transaction (see
        :mod:`mdreg.service.calendar_data`)."""
        table = (schedule if isinstance(schedule, CalendarOverrides)
                 else CalendarOverrides.from_toml(schedule))
        done, self.services = calendar_data.import_calendar(
            self._services, table, actor or Actor.system())
        return done

    def reload_calendar(self) -> None:
        """Read the holiday schedules other processes imported (``tick`` does this too)."""
        self.services = calendar_data.refreshed(self._services)

    def calendar_status(self, as_of: date | None = None) -> tuple[calendar_data.YearStatus, ...]:
        """Where each year's holiday data comes from, last year to two years ahead."""
        return calendar_data.calendar_status(self._services, as_of)

    def health(self, as_of: date | None = None) -> calendar_data.Health:
        """What needs attention: holiday data running out within 60 days, provisional
        deadlines (see :func:`mdreg.service.calendar_data.health`)."""
        return calendar_data.health(self._services, as_of)

    def overdue(self, as_of: date | None = None) -> tuple[Deadline, ...]:
        """Open deadlines whose last day is before ``as_of`` (today by default), oldest first."""
        day = as_of or business_date(self.clock.now())
        return self._read(lambda uow: uow.deadlines.overdue(day))

    def due_between(self, start: date, end: date) -> tuple[Deadline, ...]:
        """Open deadlines whose last day falls in ``[start, end]``, soonest first."""
        return self._read(lambda uow: uow.deadlines.due_between(start, end))

    def deadlines(self, subject_id: str) -> tuple[Deadline, ...]:
        """Every deadline of an application or registration, any status, oldest first."""
        return self._read(lambda uow: uow.deadlines.for_subject(subject_id))

    def record_assessment(self, actor: Actor, assessment: Assessment, *,
                          suspension_months: int | None = None) -> Assessment:
        """Record a 定期考核 result (R-ASM-4, 2017 measures Art 11); a failed one suspends
        practice for ``suspension_months`` (see
        :func:`mdreg.service.assessments.record_assessment`)."""
        return assessments.record_assessment(self._services, actor, assessment,
                                             suspension_months=suspension_months)

    def assessment_status(self, physician_id: str,
                          as_of: date | None = None) -> AssessmentStatus:
        """The physician's 定期考核 cycles, results, suspension and any cancellation ground
        (see :func:`mdreg.domain.assessment.assessment_status`)."""
        return assessments.assessment_status(self._services, physician_id, as_of)

    def assessment_due(self, physician_ids: Iterable[str],
                       as_of: date | None = None) -> tuple[AssessmentStatus, ...]:
        """Of the given physicians (an institution's staff, a department's list), those whose
        assessment needs action: a cancellation ground (two missed cycles, a failed
        re-assessment), a missed last cycle, or a running suspension."""
        return assessments.assessment_due(self._services, physician_ids, as_of)

    # -- policy replay ------------------------------------------------------------------------

    def replay(self, candidate: Policy, since: date | None = None, until: date | None = None,
               *, progress: Callable[[int], None] | None = None) -> ReplayReport:
        """Which recorded decisions ``candidate`` would have decided otherwise: every decision
        recorded on a business date within ``[since, until]`` (inclusive; ``None``: unbounded)
        is judged again on its recorded facts by the rules ``candidate`` has in force for it,
        and the report counts the verdicts that changed, by business type and by rule, with a
        few masked examples (see :mod:`mdreg.service.replay`). Nothing is changed; the audit
        log is read a page at a time, and ``progress`` is told how many audit events were read
        so far after each page.

        >>> import mdreg
        >>> from mdreg.workflows import BASE_POLICY
        >>> mdreg.open("memory://").replay(BASE_POLICY).changed
        0

        Raises:
            ValidationError: ``until`` is before ``since``.
        """
        return policy_replay.replay(self._services, candidate, since=since, until=until,
                                    progress=progress)
