"""The facade portals call: reference data, applications, decisions, queries.

Every command runs in one unit of work: load → authorize → transition → evaluate the rules in
force → apply the effect → append the audit event → commit. Any error leaves no trace.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import attrs

from mdreg.clock import Clock, SystemClock, business_date
from mdreg.domain.application import (
    Actor,
    ActorKind,
    Application,
    AuditEvent,
    BusinessType,
    OfflineBusiness,
    Payload,
)
from mdreg.domain.model import HealthDepartment, Institution, Physician, Registration
from mdreg.errors import (
    ApplicationNotFound,
    ConcurrencyConflict,
    IdempotencyConflict,
    IneligibleError,
    NotFoundError,
    OfflineOnlyBusiness,
    PermissionDenied,
    TransitionNotAllowed,
    UniquenessConflict,
    ValidationError,
)
from mdreg.ports import UnitOfWork, put_all
from mdreg.rules import BASE_POLICY, Policy, Verdict, evaluate
from mdreg.serialization import dumps, loads
from mdreg.service import effects
from mdreg.service.authorization import authorize
from mdreg.service.context import build_context, route
from mdreg.service.ids import IdGenerator, RandomIds
from mdreg.workflows import workflow_for
from mdreg.workflows.lifecycle import DRAFT, PENDING_ACCEPTANCE, UNDER_REVIEW

T = TypeVar("T")

_STAMPS = {"submit": "submitted_at", "accept": "accepted_at", "approve": "decided_at",
           "reject": "decided_at", "refuse_acceptance": "decided_at"}


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
    ) -> None:
        self._uow = uow_factory
        self.clock: Clock = clock or SystemClock()
        self.policy = policy
        self.ids: IdGenerator = ids or RandomIds()
        self.url = url

    def __repr__(self) -> str:
        return f"Registry({self.url!r}, policy={self.policy.name!r})"

    # -- reference data -------------------------------------------------------------------

    def load(
        self,
        *,
        departments: Iterable[HealthDepartment] = (),
        institutions: Iterable[Institution] = (),
        physicians: Iterable[Physician] = (),
        registrations: Iterable[Registration] = (),
    ) -> None:
        """Import reference data in one transaction (all or nothing).

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
            uow.commit()

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

    def check(self, application_id: str, event: str) -> Verdict:
        """The verdict ``event`` would get now, without changing anything."""
        with self._uow() as uow:
            app = _application(uow, application_id)
            return self._verdict(uow, app, event)

    # -- commands ---------------------------------------------------------------------------

    def apply(
        self,
        actor: Actor,
        payload: Payload,
        *,
        business: BusinessType | OfflineBusiness | str = BusinessType.REGISTRATION,
        physician_id: str | None = None,
        submit: bool = True,
        idempotency_key: str | None = None,
    ) -> Application:
        """Create an application (and submit it unless ``submit=False``).

        Raises:
            OfflineOnlyBusiness: the business is handled only at the department's counter.
            NotFoundError: unknown physician or institution.
            PermissionDenied: a physician applying for someone else.
            UniquenessConflict: an open application of this type and target exists.
            IneligibleError: submission refused; lists every failed rule.
        """
        kind = _business(business)
        subject = physician_id or actor.party_id
        if actor.kind is not ActorKind.PHYSICIAN or subject != actor.party_id:
            raise PermissionDenied(str(actor), f"apply for {kind.value}",
                                   "physicians apply for themselves")
        key = ("apply", str(actor), kind.value, dumps(payload), submit)
        with self._uow() as uow:
            replay = _replayed(uow, idempotency_key, key)
            if replay is not None:
                return replay
            app = self._create(uow, actor, kind, subject, payload)
            if submit:
                app = self._transition(uow, app, "submit", actor, "", ())
            _remember(uow, idempotency_key, key, app)
            uow.commit()
            return app

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

        Raises:
            ApplicationNotFound: no such application.
            ConcurrencyConflict: ``expected_version`` is stale, or another writer won.
            TransitionNotAllowed: the event is not allowed from the current state.
            PermissionDenied: the actor may not fire this event on this application.
            ValidationError: a mandatory reason or correction list is missing.
            IneligibleError: the rules in force refuse the event; lists every failed rule.
        """
        key = ("fire", application_id, event, str(actor), reason, tuple(corrections))
        with self._uow() as uow:
            replay = _replayed(uow, idempotency_key, key)
            if replay is not None:
                return replay
            app = _application(uow, application_id)
            if expected_version is not None and expected_version != app.version:
                raise ConcurrencyConflict("application", app.id, expected_version, app.version)
            app = self._transition(uow, app, event, actor, reason.strip(), tuple(corrections))
            _remember(uow, idempotency_key, key, app)
            uow.commit()
            return app

    # -- internals --------------------------------------------------------------------------

    def _create(self, uow: UnitOfWork, actor: Actor, business: BusinessType, physician_id: str,
                payload: Payload) -> Application:
        physician = _require(uow.physicians.get(physician_id), "physician", physician_id)
        institution, department, target = route(uow, physician, payload)
        now = self.clock.now()
        app = Application(
            id=self.ids.new("A"), type=business, physician_id=physician.id, applicant=actor,
            payload=payload, institution_id=institution.id, department_id=department.id,
            target=target, state=DRAFT, version=1, created_at=now, updated_at=now,
            application_date=business_date(now),
        )
        if any(a.type is business and a.target == target
               for a in uow.applications.open_for(physician.id)):
            raise UniquenessConflict("open_application",
                                     f"an open {business.value} application for {target} exists")
        uow.applications.add(app)
        self._audit(uow, app, "create", "", actor, "", None, now)
        return app

    def _transition(self, uow: UnitOfWork, app: Application, event: str, actor: Actor,
                    reason: str, corrections: tuple[str, ...]) -> Application:
        flow = workflow_for(app.type)
        dest = flow.fire(app.state, event)
        spec = flow.definition.event(event)
        if spec is None:  # pragma: no cover - fire() already refused unknown events
            raise TransitionNotAllowed(flow.id, app.state, event)
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
        now = self.clock.now()
        changes: dict[str, Any] = {"state": dest, "version": app.version + 1, "updated_at": now}
        if event in _STAMPS:
            changes[_STAMPS[event]] = now
        if spec.needs_reason:
            changes["reason"] = reason
        if spec.needs_corrections:
            changes["corrections"] = corrections
        new = attrs.evolve(app, **changes)
        uow.applications.save(new, app.version)
        if event == "approve":
            effects.apply_approval(uow, new, self.ids, business_date(now))
        self._audit(uow, new, event, app.state, actor, reason, verdict, now)
        return new

    def _verdict(self, uow: UnitOfWork, app: Application, event: str) -> Verdict:
        rules = self.policy.rules_for(app.type, event, app.application_date)
        if not rules:
            return Verdict(app.application_date, (), (), self.policy.name)
        return evaluate(rules, build_context(uow, app), self.policy.name)

    def _audit(self, uow: UnitOfWork, app: Application, event: str, from_state: str,
               actor: Actor, reason: str, verdict: Verdict | None, now: datetime) -> None:
        uow.audit.append(AuditEvent(
            aggregate_id=app.id, seq=len(uow.audit.for_aggregate(app.id)) + 1, event=event,
            from_state=from_state, to_state=app.state, actor=actor, at=now, reason=reason,
            verdict=verdict.checked if verdict else (), policy=self.policy.name,
        ))


def _business(business: BusinessType | OfflineBusiness | str) -> BusinessType:
    if isinstance(business, BusinessType):
        return business
    offline = {o.value: o for o in OfflineBusiness} | {o.label: o for o in OfflineBusiness}
    if isinstance(business, OfflineBusiness) or business in offline:
        item = offline[str(business)]
        raise OfflineOnlyBusiness(item.value, item.label)
    online = {b.value: b for b in BusinessType} | {b.label: b for b in BusinessType}
    if business not in online:
        raise ValidationError("business", f"unknown business type {business!r}",
                              field_label="业务类型")
    return online[business]


def _require(value: T | None, kind: str, key: str) -> T:
    if value is None:
        raise NotFoundError(kind, key)
    return value


def _application(uow: UnitOfWork, application_id: str) -> Application:
    app = uow.applications.get(application_id)
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
