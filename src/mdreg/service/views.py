"""各方视图 — what each kind of user sees: reads scoped to an actor, the physician's own
applications, and the work lists of institutions and departments.

``registry.view(actor)`` is what a portal reads through. Every read takes its actor from the
view and returns only what that actor may see, else raises :class:`~mdreg.errors.PermissionDenied`:

* a **physician** sees himself, his registrations and his own applications;
* an **institution** sees what is routed to it and its physicians (a registration, filing or
  multi-site record there, or an application routed to it) with their applications;
* a **department** sees its jurisdiction: applications routed to it or at an institution inside
  its division, and physicians registered there;
* the **system** sees everything (jobs and operators; the registry's own reads are these).

A work list is the applications waiting for the institution or the department — in the states
whose events that party fires — ordered by the earliest open deadline, filtered and paged by key;
a named officer claims one (exactly one of several racing claims wins), or a supervisor assigns
it. Notices are read the same way: a party reads those it received and those about a physician
it may see.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import attrs

from mdreg.domain.application import Actor, ActorKind, Application, AuditEvent, BusinessType
from mdreg.domain.clock import business_date
from mdreg.domain.inputs import guard_public_methods
from mdreg.domain.model import Physician, Registration
from mdreg.domain.notices import Notice
from mdreg.errors import AlreadyClaimed, PermissionDenied, ValidationError
from mdreg.ports import NO_DUE_DATE, UnitOfWork, WorkQuery
from mdreg.service import applications
from mdreg.service.pinning import engine
from mdreg.service.services import Services, in_transaction, read, require
from mdreg.workflows import DEFINITIONS, Role

#: The role that works an actor's list, by actor kind.
_ROLES = {ActorKind.INSTITUTION: Role.INSTITUTION, ActorKind.AUTHORITY: Role.AUTHORITY}
_HOLDERS = {ActorKind.INSTITUTION: "institution", ActorKind.AUTHORITY: "department"}
_HOLDER_LABELS = {Role.APPLICANT: "申请人", Role.INSTITUTION: "医疗机构",
                  Role.AUTHORITY: "卫生健康主管部门", Role.SYSTEM: "系统"}
MAX_PAGE = 500


def worked_states(role: Role) -> tuple[str, ...]:
    """The states in which ``role`` fires some event of a declared business type: what waits
    for it."""
    return tuple(sorted({state for definition in DEFINITIONS.values()
                         for event in definition.events if event.by is role
                         for state in event.sources}))


@attrs.frozen
class WorkFilter:
    """What a work list shows: business types and states (all of the party's when empty), due
    before a day, overdue only."""

    types: tuple[BusinessType, ...] = ()
    states: tuple[str, ...] = ()
    due_before: date | None = None
    overdue: bool = False


@attrs.frozen
class WorkItem:
    """One application of a work list, with its earliest open deadline (``None``: none) and
    whether that has passed."""

    application: Application
    due: date | None
    overdue: bool


@attrs.frozen
class WorkPage:
    """A page of a work list; ``next`` is the key to pass as ``after`` for the next page
    (``None``: this was the last)."""

    items: tuple[WorkItem, ...]
    next: str | None


@attrs.frozen
class ApplicationStatus:
    """我的申请: an application, the label of its state, who holds it and what they can do
    next (event id and label), and its earliest open deadline."""

    application: Application
    state_label: str
    holder: Role
    holder_label: str
    next_steps: tuple[tuple[str, str], ...]
    due: date | None
    #: the notices issued on it, oldest first (受理通知书, 补正材料通知书, 准予…决定书 …)
    notices: tuple[Notice, ...] = ()


@guard_public_methods
class ActorView:
    """The registry as one actor sees it (see the module). Create with
    :meth:`mdreg.Registry.view`."""

    def __init__(self, services: Services, actor: Actor) -> None:
        self._services = services
        self.actor = actor

    def __repr__(self) -> str:
        return f"ActorView({self.actor})"

    # -- reads ------------------------------------------------------------------------------

    def application(self, application_id: str) -> Application:
        """An application the actor may see."""
        return read(self._services, lambda uow: self._visible(uow, application_id))

    def history(self, application_id: str) -> tuple[AuditEvent, ...]:
        """The audit trail of an application the actor may see."""

        def query(uow: UnitOfWork) -> tuple[AuditEvent, ...]:
            self._visible(uow, application_id)
            return uow.audit.for_aggregate(application_id)

        return read(self._services, query)

    def physician(self, physician_id: str) -> Physician:
        """A physician the actor may see."""

        def query(uow: UnitOfWork) -> Physician:
            self._require_physician(uow, physician_id)
            return require(uow.physicians.get(physician_id), "physician", physician_id)

        return read(self._services, query)

    def registrations(self, physician_id: str) -> tuple[Registration, ...]:
        """The registrations of a physician the actor may see."""

        def query(uow: UnitOfWork) -> tuple[Registration, ...]:
            self._require_physician(uow, physician_id)
            return uow.registrations.for_physician(physician_id)

        return read(self._services, query)

    def notices(self, subject_id: str) -> tuple[Notice, ...]:
        """The notices issued on an application the actor may see (or on a personal change),
        those the actor may see, oldest first."""

        def query(uow: UnitOfWork) -> tuple[Notice, ...]:
            found = uow.notices.for_subject(subject_id)
            if uow.applications.get(subject_id) is not None:
                self._visible(uow, subject_id)
            visible = tuple(n for n in found if may_see_notice(uow, self.actor, n))
            if found and not visible:
                raise PermissionDenied(str(self.actor), f"read the notices of {subject_id}",
                                       "they are outside what this party may see")
            return visible

        return read(self._services, query)

    def notice(self, notice_id: str) -> Notice:
        """One notice the actor may see."""

        def query(uow: UnitOfWork) -> Notice:
            found = require(uow.notices.get(notice_id), "notice", notice_id)
            if not may_see_notice(uow, self.actor, found):
                raise PermissionDenied(str(self.actor), f"read notice {notice_id}",
                                       "it is outside what this party may see")
            return found

        return read(self._services, query)

    def my_applications(self) -> tuple[ApplicationStatus, ...]:
        """我的申请: the physician's applications, newest first, each with its status, who holds
        it, the next steps and its due date.

        Raises:
            PermissionDenied: the actor is not a physician.
        """
        if self.actor.kind is not ActorKind.PHYSICIAN:
            raise PermissionDenied(str(self.actor), "list my applications", "only a physician")

        def query(uow: UnitOfWork) -> tuple[ApplicationStatus, ...]:
            apps = uow.applications.of_physician(self.actor.party_id)
            return tuple(status(uow, app) for app in sorted(
                apps, key=lambda a: (a.created_at, a.id), reverse=True))

        return read(self._services, query)

    # -- work lists ------------------------------------------------------------------------

    def work_list(self, where: WorkFilter | None = None, *, after: str | None = None,
                  limit: int = 50) -> WorkPage:
        """A page of what waits for the actor's institution or department, by due date.

        Raises:
            PermissionDenied: the actor is neither an institution nor a department.
            ValidationError: a state it does not work, a bad ``after`` key or ``limit``.
        """
        where = where or WorkFilter()
        holder, role = self._holder()
        query = WorkQuery(holder, self.actor.party_id, self._states(role, where.states),
                          limit=_limit(limit) + 1, types=tuple(t.value for t in where.types),
                          due_by=self._due_by(where), after=_key(after))
        rows = read(self._services, lambda uow: uow.work_list(query), one_statement=True)
        today = business_date(self._services.now())
        items = tuple(WorkItem(app, None if due == NO_DUE_DATE else due, due < today)
                      for app, due in rows[:query.limit - 1])
        more = len(rows) == query.limit
        last = rows[query.limit - 2] if more else None
        return WorkPage(items, f"{last[1].isoformat()}~{last[0].id}" if last else None)

    def counts(self) -> Mapping[str, int]:
        """How many applications wait in each state the actor works (a dashboard)."""
        holder, role = self._holder()
        return read(self._services, lambda uow: uow.state_counts(
            holder, self.actor.party_id, worked_states(role)), one_statement=True)

    def claim(self, application_id: str) -> Application:
        """The officer named by the actor's ``user`` takes an application of the work list.

        Raises:
            AlreadyClaimed: another officer holds it (of several racing claims, one wins).
        """
        officer = self._officer()
        return self._assign(application_id, officer, "claim", claim=True)

    def assign(self, application_id: str, officer: str) -> Application:
        """Give an application of the work list to ``officer`` (a supervisor's act; it replaces
        any claim)."""
        name = officer.strip()
        if not name or len(name) > 64 or not name.isprintable():
            raise ValidationError("officer", "name the officer (1-64 printable characters)",
                                  field_label="经办人")
        return self._assign(application_id, name, "assign", claim=False)

    # -- helpers ----------------------------------------------------------------------------

    def _assign(self, application_id: str, officer: str, event: str, *, claim: bool
                ) -> Application:
        holder, _ = self._holder()
        services = self._services

        def run() -> Application:
            with services.uow() as uow:
                app = applications.application(uow, application_id)
                uow.hold_physician(app.physician_id)
                app = applications.application(uow, application_id)
                if getattr(app, f"{holder}_id") != self.actor.party_id:
                    raise PermissionDenied(str(self.actor), f"{event} {app.id}",
                                           f"it is not routed to this {holder}")
                if claim and app.assignee and app.assignee != officer:
                    raise AlreadyClaimed(app.id, app.assignee)
                new = applications.record_in_place(
                    services, uow, app, event, self.actor, services.now(),
                    {"assignee": [officer], "before": [app.assignee]}, assignee=officer)
                uow.commit()
                return new

        return in_transaction(services, run)

    def _visible(self, uow: UnitOfWork, application_id: str) -> Application:
        app = applications.application(uow, application_id)
        if not may_see_application(uow, self.actor, app):
            raise PermissionDenied(str(self.actor), f"read application {app.id}",
                                   "it is outside what this party may see")
        return app

    def _require_physician(self, uow: UnitOfWork, physician_id: str) -> None:
        if not may_see_physician(uow, self.actor, physician_id):
            raise PermissionDenied(str(self.actor), f"read physician {physician_id}",
                                   "it is outside what this party may see")

    def _holder(self) -> tuple[str, Role]:
        holder = _HOLDERS.get(self.actor.kind)
        if holder is None:
            raise PermissionDenied(str(self.actor), "read a work list",
                                   "only institutions and departments have one")
        return holder, _ROLES[self.actor.kind]

    def _states(self, role: Role, wanted: tuple[str, ...]) -> tuple[str, ...]:
        worked = worked_states(role)
        unknown = sorted(set(wanted) - set(worked))
        if unknown:
            raise ValidationError("states", f"not on this work list: {', '.join(unknown)}",
                                  field_label="状态")
        return wanted or worked

    def _due_by(self, where: WorkFilter) -> date | None:
        bounds = []
        if where.due_before is not None:
            bounds.append(where.due_before - timedelta(days=1))
        if where.overdue:
            bounds.append(business_date(self._services.now()) - timedelta(days=1))
        return min(bounds, default=None)

    def _officer(self) -> str:
        self._holder()
        if not self.actor.user.strip():
            raise ValidationError("user", "a claim names the officer (the actor's user)",
                                  field_label="经办人")
        return self.actor.user.strip()


def _limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise ValidationError("limit", f"a page holds 1 to {MAX_PAGE} items",
                              field_label="每页条数")
    return limit


def _key(after: str | None) -> tuple[date, str] | None:
    """The ``(due, id)`` key a page's ``next`` names."""
    if after is None:
        return None
    day, sep, application_id = str(after).partition("~")
    try:
        if not sep or not application_id or len(after) > 100:
            raise ValueError(after)
        return date.fromisoformat(day), application_id
    except ValueError:
        raise ValidationError("after", "not a key a work-list page returned",
                              field_label="分页位置") from None


def status(uow: UnitOfWork, app: Application) -> ApplicationStatus:
    """An application's status as its physician sees it."""
    definition = engine(uow, app).definition
    allowed = definition.allowed(app.state)
    others = [e for e in allowed if e.by is not Role.APPLICANT]
    holder = others[0].by if others else Role.APPLICANT
    steps = tuple((e.id, e.label) for e in allowed if e.by is holder)
    due = min((d.due for d in uow.deadlines.open_for(app.id)), default=None)
    label = definition.state(app.state).label if app.state in definition.state_ids else app.state
    return ApplicationStatus(app, label, holder, _HOLDER_LABELS[holder], steps, due,
                             uow.notices.for_subject(app.id))


def may_see_notice(uow: UnitOfWork, actor: Actor, notice: Notice) -> bool:
    """Whether ``actor`` may read the notice: a recipient, or a party that may read the
    physician it concerns."""
    if actor.kind is ActorKind.SYSTEM:
        return True
    if f"{actor.kind.value}:{actor.party_id}" in notice.recipients:
        return True
    return may_see_physician(uow, actor, notice.physician_id)


def may_see_physician(uow: UnitOfWork, actor: Actor, physician_id: str) -> bool:
    """Whether ``actor`` may read the physician (see the module)."""
    if actor.kind is ActorKind.SYSTEM:
        return True
    if actor.kind is ActorKind.PHYSICIAN:
        return actor.party_id == physician_id
    party = actor.party_id
    registrations = uow.registrations.for_physician(physician_id)
    routed = uow.applications.of_physician(physician_id)
    if actor.kind is ActorKind.INSTITUTION:
        return (any(r.primary_institution_id == party for r in registrations)
                or any(f.institution_id == party for f in uow.filings.for_physician(physician_id))
                or any(s.institution_id == party for s in uow.legacy.for_physician(physician_id))
                or any(a.institution_id == party for a in routed))
    department = uow.departments.get(party)
    return department is not None and (
        any(r.approved_by == party or department.division.contains(r.location)
            for r in registrations) or any(a.department_id == party for a in routed))


def may_see_application(uow: UnitOfWork, actor: Actor, app: Application) -> bool:
    """Whether ``actor`` may read the application (see the module)."""
    if actor.kind is ActorKind.SYSTEM:
        return True
    if actor.kind is ActorKind.PHYSICIAN:
        return app.physician_id == actor.party_id
    if actor.kind is ActorKind.INSTITUTION:
        return app.institution_id == actor.party_id or may_see_physician(
            uow, actor, app.physician_id)
    if app.department_id == actor.party_id:
        return True
    department = uow.departments.get(actor.party_id)
    institution = uow.institutions.get(app.institution_id)
    return department is not None and institution is not None and \
        department.division.contains(institution.division)
